import type { FloatingIpPool, IntentFile } from "@netloom/model";
import { asName, freeName } from "../draft/ops";
import { SelectField, withCurrent } from "../inspector/formParts";
import { problemAt } from "../ui/Field";
import { isExternalNetwork, type KindFieldsProps, NameField, namesOf } from "./fields";

export function poolShows(path: string): boolean {
  return path === "name" || path === "network";
}

export function newPool(doc: IntentFile): FloatingIpPool {
  return {
    name: asName(freeName(doc, "floatingIpPools", "public-pool")),
    network: asName(namesOf(doc, "networks", isExternalNetwork)[0] ?? ""),
  };
}

/** A floating IP pool's fields: name and the external network it draws addresses from. */
export function PoolFields({
  value: pool,
  onChange: save,
  problems,
  readOnly,
  doc,
}: KindFieldsProps<FloatingIpPool>) {
  const externals = namesOf(doc, "networks", isExternalNetwork);
  return (
    <>
      <NameField
        value={pool.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...pool, name: asName(name) }, "name")}
      />
      <SelectField
        label="External network"
        problem={problemAt(problems, "network")}
        hint={externals.length === 0 ? "add an external network first" : undefined}
        value={pool.network}
        options={withCurrent(pool.network || undefined, externals)}
        disabled={readOnly}
        onChange={(network) => save({ ...pool, network: asName(network) }, "network")}
      />
    </>
  );
}
