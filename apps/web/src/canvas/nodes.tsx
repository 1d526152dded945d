import { assertNever } from "@netloom/model";
import { Handle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { GatewayNode } from "./gatewayNode";
import type {
  FipFlowNode,
  NetworkFlowNode,
  PoolFlowNode,
  RouterFlowNode,
  ServiceFlowNode,
  WorkloadFlowNode,
} from "./graph";
import { Icon, type IconKind } from "./icons";
import { useLod } from "./lod";
import { traceRole, useOverlay } from "./overlay";
import { reachRoleOf } from "./reachPairs";

/**
 * Custom nodes. Each is memoized and reads the overlay through a selector returning a primitive,
 * so a status push or a trace re-renders only the nodes whose look changes. Details (subnets,
 * interfaces) carry `nl-detail`, which CSS hides at low zoom (level of detail).
 */

/** One boolean per node: re-renders only when the zoom crosses LOW_ZOOM (see lod.ts). */
function useLowZoom(): boolean {
  return useLod((s) => s.low);
}

/** Keeps the node's height while its detail lines are not drawn, so nothing jumps. */
function DetailPlaceholder({ lines }: { lines: number }) {
  return <div className="nl-detail-placeholder" style={{ height: lines * 17 + 6 }} />;
}

function useNodeClasses(id: string): string {
  const role = useOverlay((s) => traceRole(s.trace, id));
  const verdict = useOverlay((s) => (s.trace ? s.trace.verdict : null));
  const problem = useOverlay((s) => s.problems.has(id));
  const searched = useOverlay((s) => (s.search ? (s.search.has(id) ? "hit" : "miss") : null));
  const flipped = useOverlay((s) => reachRoleOf(s.reachDelta, id));
  let classes = "";
  if (flipped) classes += ` reach-flipped reach-${flipped}`;
  if (role === "path") classes += ` trace-path trace-${verdict}`;
  if (role === "decided") classes += ` trace-decided trace-${verdict}`;
  if (problem) classes += " has-problem";
  if (searched === "hit") classes += " search-hit";
  if (searched === "miss") classes += " search-miss";
  return classes;
}

function TopBottomHandles() {
  return (
    <>
      <Handle type="target" position={Position.Top} id="top" className="nl-handle" />
      <Handle type="source" position={Position.Bottom} id="bottom" className="nl-handle" />
    </>
  );
}

function ConvergenceDot({ network }: { network: string }) {
  const state = useOverlay((s) => s.networks[network] ?? "unknown");
  const label =
    state === "converged"
      ? "converged"
      : state === "pending"
        ? "converging"
        : state === "not-applied"
          ? "not applied"
          : "status unknown";
  return (
    <span className={`conv conv-${state}`} role="img" aria-label={label} title={label}>
      <span className="conv-dot" />
    </span>
  );
}

export const NetworkNode = memo(function NetworkNode({
  id,
  data,
  selected,
}: NodeProps<NetworkFlowNode>) {
  const classes = useNodeClasses(id);
  const low = useLowZoom();
  const { network, policies } = data;
  return (
    <div
      className={`nl-node nl-network${network.external ? " external" : ""}${selected ? " selected" : ""}${classes}`}
    >
      <Handle type="target" position={Position.Top} id="top" className="nl-handle" />
      <Handle
        type="target"
        position={Position.Left}
        id="left"
        className="nl-handle nl-handle-side"
      />
      <div className="nl-head">
        <Icon kind={network.external ? "external" : "network"} />
        <span className="nl-name">{network.name}</span>
        {network.external ? <span className="tag">external</span> : null}
        <ConvergenceDot network={network.name} />
      </div>
      {low ? (
        <DetailPlaceholder lines={network.subnets.length + (policies.length > 0 ? 1.3 : 0)} />
      ) : (
        <NetworkDetail network={network} policies={policies} />
      )}
      <Handle
        type="source"
        position={Position.Right}
        id="right"
        className="nl-handle nl-handle-side"
      />
      <Handle type="source" position={Position.Bottom} id="bottom" className="nl-handle" />
    </div>
  );
});

function NetworkDetail({
  network,
  policies,
}: {
  network: NetworkFlowNode["data"]["network"];
  policies: string[];
}) {
  return (
    <>
      <ul className="nl-detail nl-subnets">
        {network.subnets.map((subnet) => (
          <li key={subnet.cidr}>
            <code>{subnet.cidr}</code>
            {subnet.gateway ? <span className="muted"> gw {subnet.gateway}</span> : null}
          </li>
        ))}
      </ul>
      {policies.length > 0 ? (
        <div className="nl-detail nl-chips">
          {policies.map((p) => (
            <span key={p} className="chip chip-policy" title={`policy ${p}`}>
              <Icon kind="policy" size={11} />
              {p}
            </span>
          ))}
        </div>
      ) : null}
    </>
  );
}

export const WorkloadNode = memo(function WorkloadNode({
  id,
  data,
  selected,
}: NodeProps<WorkloadFlowNode>) {
  const classes = useNodeClasses(id);
  const low = useLowZoom();
  const { workload } = data;
  return (
    <div className={`nl-node nl-workload${selected ? " selected" : ""}${classes}`}>
      <TopBottomHandles />
      <div className="nl-head">
        <Icon kind="workload" />
        <span className="nl-name">{workload.name}</span>
      </div>
      {low ? (
        <DetailPlaceholder lines={workload.interfaces.length + (workload.node ? 0.95 : 0)} />
      ) : (
        <>
          <ul className="nl-detail nl-ifaces">
            {workload.interfaces.map((iface, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: an interface is identified by its index
              <li key={index}>
                <span className="muted">{iface.network}</span> <code>{iface.ip ?? "auto"}</code>
                {iface.securityGroups && iface.securityGroups.length > 0 ? (
                  <span
                    className="sg-mark"
                    title={`security groups: ${iface.securityGroups.join(", ")}`}
                  >
                    <Icon kind="security-group" size={11} />
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
          {workload.node ? <div className="nl-detail nl-foot muted">on {workload.node}</div> : null}
        </>
      )}
    </div>
  );
});

const SERVICE_LABEL: Record<string, string> = {
  firewall: "firewall",
  "load-balancer": "load balancer",
  nat: "NAT",
  dns: "DNS",
};

export const ServiceNode = memo(function ServiceNode({
  id,
  data,
  selected,
}: NodeProps<ServiceFlowNode>) {
  const classes = useNodeClasses(id);
  const { service } = data;
  let detail: string;
  switch (service.type) {
    case "firewall":
      detail = `${service.rules.length} rule${service.rules.length === 1 ? "" : "s"}`;
      break;
    case "load-balancer":
      detail = `${service.vip}:${service.port} → ${service.members.length} × :${service.memberPort}`;
      break;
    case "nat":
      detail = `${service.inside.join(", ")} → ${service.outside}`;
      break;
    case "dns":
      detail = service.domain;
      break;
    default:
      detail = assertNever(service);
  }
  return (
    <div
      className={`nl-node nl-service svc-${service.type}${selected ? " selected" : ""}${classes}`}
    >
      <TopBottomHandles />
      <div className="nl-head">
        <Icon kind={service.type} />
        <span className="nl-name">{service.name}</span>
        <span className="tag">{SERVICE_LABEL[service.type]}</span>
      </div>
      <div className="nl-detail nl-foot">{detail}</div>
    </div>
  );
});

export const RouterNode = memo(function RouterNode({
  id,
  data,
  selected,
}: NodeProps<RouterFlowNode>) {
  const classes = useNodeClasses(id);
  return (
    <div className={`nl-node nl-router${selected ? " selected" : ""}${classes}`}>
      <TopBottomHandles />
      <div className="nl-head">
        <Icon kind="router" />
        <span className="nl-name">{data.router.name}</span>
        <span className="tag">router</span>
      </div>
    </div>
  );
});

export const PoolNode = memo(function PoolNode({ id, data, selected }: NodeProps<PoolFlowNode>) {
  const classes = useNodeClasses(id);
  return (
    <div className={`nl-node nl-pool${selected ? " selected" : ""}${classes}`}>
      <TopBottomHandles />
      <div className="nl-head">
        <Icon kind="pool" />
        <span className="nl-name">{data.pool.name}</span>
        <span className="tag">FIP pool</span>
      </div>
    </div>
  );
});

export const FipNode = memo(function FipNode({ id, data, selected }: NodeProps<FipFlowNode>) {
  const classes = useNodeClasses(id);
  return (
    <div className={`nl-node nl-fip${selected ? " selected" : ""}${classes}`}>
      <TopBottomHandles />
      <div className="nl-head">
        <Icon kind="fip" />
        <code className="nl-name">{data.ip ?? "floating IP"}</code>
      </div>
    </div>
  );
});

export const nodeTypes = {
  network: NetworkNode,
  workload: WorkloadNode,
  service: ServiceNode,
  router: RouterNode,
  pool: PoolNode,
  fip: FipNode,
  gateway: GatewayNode,
};

/** The icon of each palette item kind. */
export const paletteIcon: Record<string, IconKind> = {
  network: "network",
  external: "external",
  workload: "workload",
  firewall: "firewall",
  "load-balancer": "load-balancer",
  nat: "nat",
  dns: "dns",
  router: "router",
  pool: "pool",
};
