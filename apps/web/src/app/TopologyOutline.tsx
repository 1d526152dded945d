import type { ResourceKind } from "@netloom/model";
import { useMemo } from "react";
import type { ObjectRef } from "../draft/ops";
import { draftStore, useDraft } from "../draft/store";
import { topologyOutline } from "../lib/outline";
import { focusAfter } from "../ui/announce";

/**
 * The topology as nested lists under the canvas (collapsed until opened, so the diagram keeps its
 * room; right after the canvas in the Tab order): networks, their workloads, the policies to
 * their peers, the services, routers and pools on them. Every name is a button that opens the
 * object in the Inspector, so everything on the canvas can be reached and inspected from the
 * keyboard and read by a screen reader.
 */
export function TopologyOutline() {
  const doc = useDraft((s) => s.doc);
  const outline = useMemo(() => (doc ? topologyOutline(doc) : []), [doc]);
  if (!doc) return null;
  return (
    <details className="outline">
      <summary>
        <h2 id="outline-heading">Topology outline</h2>
      </summary>
      <ul aria-labelledby="outline-heading" className="outline-tree">
        {outline.map((network) => (
          <li key={network.name}>
            <ObjectButton
              kind="networks"
              name={network.name}
              label={`${network.external ? "external network" : "network"} ${network.name}`}
            />{" "}
            <span className="muted small">{network.subnets.join(", ")}</span>
            <ul>
              {network.workloads.map((name) => (
                <li key={`wl:${name}`}>
                  <ObjectButton kind="workloads" name={name} label={`workload ${name}`} />
                </li>
              ))}
              {network.policies.map((policy) => (
                <li key={`pol:${policy.name}`}>
                  <ObjectButton
                    kind="policies"
                    name={policy.name}
                    label={`policy ${policy.name}`}
                  />{" "}
                  <span className="small">
                    {policy.peers.length > 0 ? `to ${policy.peers.join(", ")}` : "on this network"}
                    {policy.chain.length > 0 ? `, through ${policy.chain.join(", ")}` : ""}
                  </span>
                </li>
              ))}
              {network.services.map((service) => (
                <li key={`svc:${service.name}`}>
                  <ObjectButton
                    kind="services"
                    name={service.name}
                    label={`${service.type} ${service.name}`}
                  />
                </li>
              ))}
              {network.routers.map((name) => (
                <li key={`rtr:${name}`}>
                  <ObjectButton kind="routers" name={name} label={`router ${name}`} />
                </li>
              ))}
              {network.pools.map((name) => (
                <li key={`pool:${name}`}>
                  <ObjectButton
                    kind="floatingIpPools"
                    name={name}
                    label={`floating IP pool ${name}`}
                  />
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </details>
  );
}

function ObjectButton({ kind, name, label }: { kind: ResourceKind; name: string; label: string }) {
  const selected = useDraft((s) => s.selection?.kind === kind && s.selection.name === name);
  return (
    <button
      type="button"
      className={`link outline-item${selected ? " selected" : ""}`}
      aria-current={selected ? "true" : undefined}
      onClick={() => {
        const ref: ObjectRef = { kind, name };
        draftStore.select(ref);
        // The Inspector opens it; the keyboard follows to its first field.
        focusAfter("#details-panel :is(input:not([readonly]), select, textarea)");
      }}
    >
      {label}
    </button>
  );
}
