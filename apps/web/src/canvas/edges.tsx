import {
  BaseEdge,
  EdgeLabelRenderer,
  type EdgeProps,
  getBezierPath,
  getStraightPath,
} from "@xyflow/react";
import { memo } from "react";
import type { LinkFlowEdge, PolicyFlowEdge } from "./graph";
import { Icon } from "./icons";
import { useLowZoom } from "./nodes";
import { useOverlay } from "./overlay";

function useEdgeTrace(id: string): string {
  return useOverlay((s) => {
    if (!s.trace) return "";
    if (s.trace.decidedAt === id) return ` trace-decided trace-${s.trace.verdict}`;
    return s.trace.edges.includes(id) ? ` trace-path trace-${s.trace.verdict}` : "";
  });
}

/**
 * A policy between two networks: its name, rule count and service chain ride on the edge. The
 * label is a drop target for services (firewall/LB/NAT dropped here join the chain).
 */
export const PolicyEdge = memo(function PolicyEdge(props: EdgeProps<PolicyFlowEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected } =
    props;
  const [path, labelX, labelY] = getBezierPath({
    sourceX,
    sourceY,
    targetX,
    targetY,
    sourcePosition,
    targetPosition,
  });
  const trace = useEdgeTrace(id);
  const low = useLowZoom();
  const policy = data?.policy;
  const chain = policy
    ? [...new Set(policy.rules.flatMap((r) => r.services ?? []).map(String))]
    : [];
  const allows = policy?.rules.some((r) => r.action === "allow") ?? false;
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        className={`nl-edge-policy${allows ? "" : " deny-only"}${selected ? " selected" : ""}${trace}`}
        interactionWidth={18}
      />
      {policy && !low ? (
        <EdgeLabelRenderer>
          <div
            className={`nl-edge-label nodrag nopan${selected ? " selected" : ""}${trace}`}
            data-edge-id={id}
            title={`policy ${policy.name}: ${policy.rules.length} rule${policy.rules.length === 1 ? "" : "s"}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            <Icon kind="policy" size={11} />
            <span>{policy.name}</span>
            {chain.map((service) => (
              <span key={service} className="chip chip-service" title={`service chain: ${service}`}>
                <Icon kind="firewall" size={11} />
                {service}
              </span>
            ))}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
});

export const LinkEdge = memo(function LinkEdge(props: EdgeProps<LinkFlowEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, data } = props;
  const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  const trace = useEdgeTrace(id);
  return (
    <BaseEdge
      id={id}
      path={path}
      className={`nl-edge-link role-${data?.role ?? "interface"}${trace}`}
    />
  );
});

export const edgeTypes = { policy: PolicyEdge, link: LinkEdge };
