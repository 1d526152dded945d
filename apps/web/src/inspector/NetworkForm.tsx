import type { Network } from "@netloom/model";
import { assertNever } from "@netloom/model";
import { useState } from "react";
import { type Convergence, useOverlay } from "../canvas/overlay";
import { asName } from "../draft/ops";
import { requestConnect } from "../lib/connectRequest";
import { describeBehind } from "../lib/convergence";
import { problemAt } from "../ui/Field";
import { SelectField, TextField } from "./formParts";

import { Header, NameField, useNames, useObjectEditor, useObjectProblems } from "./shared";

// ------------------------------------------------------------------------------------ network

/** The network's convergence by the one definition, naming the nodes that are behind. */
function NetworkStatusLine({ network, state }: { network: string; state: Convergence }) {
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

export function NetworkForm({ network, readOnly }: { network: Network; readOnly: boolean }) {
  const save = useObjectEditor("networks", network.name);
  const problems = useObjectProblems("networks", network.name);
  const convergence = useOverlay((s) => s.networks[network.name] ?? "unknown");
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="networks"
        name={network.name}
        icon={network.external ? "external" : "network"}
        readOnly={readOnly}
        problems={problems}
        shown={(p) => p === "name" || /^subnets\[\d+\]\.(cidr|gateway)$/.test(p)}
      />
      <NetworkStatusLine network={network.name} state={convergence} />
      <NameField
        value={network.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...network, name: asName(name) }, "name")}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={Boolean(network.external)}
          disabled={readOnly}
          onChange={(e) => {
            const { external: _old, ...rest } = network;
            save(e.target.checked ? { ...rest, external: true } : rest, "external");
          }}
        />
        External (provider network standing for outside)
      </label>
      <h3>Subnets</h3>
      {network.subnets.map((subnet, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: subnets are positional in the file
        <div className="row" key={index}>
          <TextField
            label={`Subnet ${index + 1} CIDR`}
            problem={problemAt(problems, `subnets[${index}].cidr`)}
            value={subnet.cidr}
            readOnly={readOnly}
            onChange={(cidr) => {
              const subnets = [...network.subnets];
              subnets[index] = { ...subnet, cidr: cidr as typeof subnet.cidr };
              save({ ...network, subnets }, `subnet${index}`);
            }}
          />
          <TextField
            label={`Subnet ${index + 1} gateway`}
            problem={problemAt(problems, `subnets[${index}].gateway`)}
            value={subnet.gateway ?? ""}
            placeholder="first host"
            readOnly={readOnly}
            onChange={(gateway) => {
              const subnets = [...network.subnets];
              const { gateway: _old, ...rest } = subnet;
              subnets[index] = gateway
                ? { ...rest, gateway: gateway as NonNullable<typeof subnet.gateway> }
                : rest;
              save({ ...network, subnets }, `gateway${index}`);
            }}
          />
          {readOnly || network.subnets.length < 2 ? null : (
            <button
              type="button"
              className="icon-button"
              aria-label={`Remove subnet ${index + 1}`}
              onClick={() =>
                save(
                  { ...network, subnets: network.subnets.filter((_, i) => i !== index) },
                  "subnets",
                )
              }
            >
              ×
            </button>
          )}
        </div>
      ))}
      {readOnly ? null : (
        <button
          type="button"
          className="small-button"
          onClick={() =>
            save(
              {
                ...network,
                subnets: [...network.subnets, { cidr: "" as Network["subnets"][0]["cidr"] }],
              },
              "subnets",
            )
          }
        >
          + Add subnet
        </button>
      )}
      {readOnly ? null : <ConnectControl network={network.name} />}
    </form>
  );
}

/**
 * Connect this network to another with a policy: the keyboard's way to what drawing an edge
 * between two networks on the canvas does (it opens the same dialog).
 */
function ConnectControl({ network }: { network: string }) {
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
