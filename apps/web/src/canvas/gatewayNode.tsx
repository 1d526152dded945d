import { Handle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { GATEWAY_PREFIXES_SHOWN } from "./geometry";
import type { GatewayFlowNode } from "./graph";
import { Icon } from "./icons";

/**
 * Issue 14: the data-center gateway(s) at an external network, with the prefixes learned from
 * them over BGP EVPN. Read-only: it stands for no object of the tenant's document.
 */
export const GatewayNode = memo(function GatewayNode({ data }: NodeProps<GatewayFlowNode>) {
  const shown = data.prefixes.slice(0, GATEWAY_PREFIXES_SHOWN);
  const more = data.prefixes.length - shown.length;
  const several = data.peers.length > 1;
  return (
    <div className="nl-node nl-gateway">
      <Handle type="target" position={Position.Top} id="top" className="nl-handle" />
      <Handle type="source" position={Position.Bottom} id="bottom" className="nl-handle" />
      <div className="nl-head">
        <Icon kind="gateway" />
        <span className="nl-name">{data.peers.join(", ")}</span>
        <span className="tag">gateway</span>
      </div>
      <ul className="nl-detail nl-gateway-prefixes" aria-label={`learned at ${data.network}`}>
        {shown.map((entry) => (
          <li key={`${entry.prefix} ${entry.peer}`}>
            <code>{entry.prefix}</code>
            {several ? <span className="nl-gateway-peer"> via {entry.peer}</span> : null}
          </li>
        ))}
        {more > 0 ? <li className="nl-gateway-more">+{more} more</li> : null}
      </ul>
    </div>
  );
});
