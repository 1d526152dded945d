import {
  formatCidr,
  type IntentFile,
  type Network,
  parseCidr,
  prefixesOverlap,
} from "@netloom/model";
import { asName, freeName } from "../draft/ops";
import { TextField } from "../inspector/formParts";
import { problemAt } from "../ui/Field";
import { type KindFieldsProps, NameField } from "./fields";

/** Problem paths a network's fields show by the field; the rest are listed above them. */
export function networkShows(path: string): boolean {
  return path === "name" || path === "subnets" || /^subnets\[\d+\]\.(cidr|gateway)$/.test(path);
}

/** A new network's starting value: a free name and a subnet that overlaps none of the tenant's. */
export function newNetwork(doc: IntentFile, external: boolean): Network {
  return {
    name: asName(freeName(doc, "networks", external ? "public" : "net")),
    ...(external ? { external: true } : {}),
    subnets: [{ cidr: suggestCidr(doc) as Network["subnets"][0]["cidr"] }],
  };
}

/**
 * The first 10.x.0.0/24 that overlaps none of this tenant's subnets: a sensible default, never
 * required. Overlap is the model's IPv4 arithmetic, so a 10.0.0.0/8 subnet rules every one out.
 */
export function suggestCidr(doc: IntentFile): string {
  const used = (doc.networks ?? []).flatMap((n) =>
    n.subnets.flatMap((s) => {
      const parsed = parseCidr(String(s.cidr));
      return parsed.ok ? [parsed.value] : [];
    }),
  );
  for (let i = 1; i < 256; i++) {
    const candidate = parseCidr(`10.${i}.0.0/24`);
    if (candidate.ok && !used.some((prefix) => prefixesOverlap(prefix, candidate.value))) {
      return formatCidr(candidate.value);
    }
  }
  return "10.0.0.0/24";
}

/** A network's fields: name, external, and its subnets (CIDR and gateway each). */
export function NetworkFields({
  value: network,
  onChange: save,
  problems,
  readOnly,
}: KindFieldsProps<Network>) {
  return (
    <>
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
            problem={
              problemAt(problems, `subnets[${index}].cidr`) ??
              (index === 0 ? problemAt(problems, "subnets") : undefined)
            }
            value={subnet.cidr}
            placeholder="10.1.0.0/24"
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
    </>
  );
}
