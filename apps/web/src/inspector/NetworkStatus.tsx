import { assertNever } from "@netloom/model";
import { useState } from "react";
import { type Convergence, useOverlay } from "../canvas/overlay";
import { requestConnect } from "../lib/connectRequest";
import { describeBehind } from "../lib/convergence";
import { SelectField } from "./formParts";
import { useNames } from "./shared";

/** The network's convergence by the one definition, naming the nodes that are behind. */
export function NetworkStatusLine({ network }: { network: string }) {
  const state: Convergence = useOverlay((s) => s.networks[network] ?? "unknown");
  const behind = useOverlay((s) => s.lagging[network]);
  const text = (() => {
    switch (state) {
      case "converged":
        return "Converged on every node that holds it";
      case "pending":
        return behind && behind.length > 0
          ? `Not converged: ${describeBehind(behind)}`
          : "Not converged yet";
      case "not-applied":
        return "Not applied: this draft change reaches no node until you review and apply it";
      case "unknown":
        return "No node has reported status";
      default:
        return assertNever(state);
    }
  })();
  return (
    <div className={`status-line conv-${state}`} role="status">
      <span className="conv-dot" aria-hidden="true" /> {text}
    </div>
  );
}

/**
 * Connect this network to another with a policy: the keyboard's way to what drawing an edge
 * between two networks on the canvas does (it opens the same dialog).
 */
export function ConnectControl({ network }: { network: string }) {
  const others = useNames("networks").filter((name) => name !== network);
  const [peer, setPeer] = useState("");
  const chosen = others.includes(peer) ? peer : (others[0] ?? "");
  if (others.length === 0) return null;
  return (
    <div className="connect-control">
      <h3>Connect</h3>
      <div className="row">
        <SelectField
          label={`Connect ${network} to network`}
          problem={undefined}
          value={chosen}
          options={others}
          onChange={setPeer}
        />
        <button
          type="button"
          className="small-button"
          disabled={chosen === ""}
          onClick={() => requestConnect(network, chosen)}
        >
          Connect with a policy…
        </button>
      </div>
    </div>
  );
}
