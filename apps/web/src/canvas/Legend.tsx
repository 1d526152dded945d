import { memo } from "react";
import { Icon, type IconKind } from "./icons";

const NODES: { icon: IconKind; label: string }[] = [
  { icon: "network", label: "network" },
  { icon: "external", label: "external network" },
  { icon: "workload", label: "workload" },
  { icon: "firewall", label: "service (firewall, LB, NAT, DNS)" },
  { icon: "router", label: "router" },
  { icon: "pool", label: "floating IP pool" },
];

/** Line styles, drawn with the very classes the edges use so the legend cannot drift. */
const EDGES: { className: string; label: string }[] = [
  { className: "nl-edge-policy", label: "policy that allows traffic" },
  { className: "nl-edge-policy deny-only", label: "policy that only denies" },
  { className: "nl-edge-link role-interface", label: "interface" },
  { className: "nl-edge-link role-router", label: "router leg" },
  { className: "nl-edge-link role-service", label: "service attachment" },
  { className: "nl-edge-link role-fip", label: "floating IP" },
];

/** What the shapes and lines of the diagram mean; folded by default. */
export const Legend = memo(function Legend() {
  return (
    <details className="nl-legend nodrag nopan">
      <summary>Legend</summary>
      <ul aria-label="Node kinds">
        {NODES.map(({ icon, label }) => (
          <li key={icon}>
            <Icon kind={icon} size={14} />
            {label}
          </li>
        ))}
      </ul>
      <ul aria-label="Line kinds">
        {EDGES.map(({ className, label }) => (
          <li key={label}>
            <svg width="34" height="10" aria-hidden="true">
              <path d="M1,5 L33,5" className={`react-flow__edge-path ${className}`} fill="none" />
            </svg>
            {label}
          </li>
        ))}
      </ul>
      <p className="muted">
        Zoomed out, nodes show only their names; zoom in for subnets and addresses.
      </p>
    </details>
  );
});
