import type { IntentFile, Interface, Workload } from "@netloom/model";
import { asName, freeName } from "../draft/ops";
import { problemWithin, SelectField, TextField, withCurrent } from "../inspector/formParts";
import { problemAt } from "../ui/Field";
import { Checklist, type KindFieldsProps, NameField, namesOf } from "./fields";

export function workloadShows(path: string): boolean {
  return (
    path === "name" ||
    path === "node" ||
    path === "interfaces" ||
    /^interfaces\[\d+\]\.(network|ip|securityGroups|floatingIp)/.test(path)
  );
}

/** A new workload's starting value; `network`: the one it was dropped on, if any. */
export function newWorkload(doc: IntentFile, network?: string): Workload {
  const networks = namesOf(doc, "networks");
  const chosen = network && networks.includes(network) ? network : (networks[0] ?? "");
  return {
    name: asName(freeName(doc, "workloads", "vm")),
    interfaces: [{ network: asName(chosen) }],
  };
}

/** A workload's fields: name, node, and per interface its network, IP, groups and floating IP. */
export function WorkloadFields({
  value: workload,
  onChange: save,
  problems,
  readOnly,
  doc,
}: KindFieldsProps<Workload>) {
  const networks = namesOf(doc, "networks");
  const groups = namesOf(doc, "securityGroups");
  const pools = namesOf(doc, "floatingIpPools");
  const setInterface = (index: number, next: Interface) => {
    const interfaces = [...workload.interfaces];
    interfaces[index] = next;
    save({ ...workload, interfaces }, `if${index}`);
  };
  return (
    <>
      <NameField
        value={workload.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...workload, name: asName(name) }, "name")}
      />
      <TextField
        label="Node"
        problem={problemAt(problems, "node")}
        hint="empty: the scheduler places it"
        value={workload.node ?? ""}
        readOnly={readOnly}
        onChange={(node) => {
          const { node: _old, ...rest } = workload;
          save(node ? { ...rest, node: asName(node) } : rest, "node");
        }}
      />
      <h3>Interfaces</h3>
      {workload.interfaces.map((iface, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: interfaces are positional
        <fieldset className="iface" key={index}>
          <legend>Interface {index}</legend>
          <div className="row">
            <SelectField
              label={`Interface ${index} network`}
              problem={
                problemAt(problems, `interfaces[${index}].network`) ??
                (index === 0 ? problemAt(problems, "interfaces") : undefined)
              }
              value={iface.network}
              options={withCurrent(iface.network || undefined, networks)}
              emptyOption={networks.length === 0 ? "add a network first" : undefined}
              disabled={readOnly}
              onChange={(network) => setInterface(index, { ...iface, network: asName(network) })}
            />
            <TextField
              label={`Interface ${index} IP`}
              problem={problemAt(problems, `interfaces[${index}].ip`)}
              value={iface.ip ?? ""}
              placeholder="allocated"
              readOnly={readOnly}
              onChange={(ip) => {
                const { ip: _old, ...rest } = iface;
                setInterface(
                  index,
                  ip ? { ...rest, ip: ip as NonNullable<Interface["ip"]> } : rest,
                );
              }}
            />
          </div>
          <Checklist
            legend={`Interface ${index} security groups`}
            options={groups}
            selected={iface.securityGroups ?? []}
            readOnly={readOnly}
            problem={problemWithin(problems, `interfaces[${index}].securityGroups`)}
            onChange={(next) => {
              const { securityGroups: _old, ...rest } = iface;
              setInterface(
                index,
                next.length > 0 ? { ...rest, securityGroups: next.map(asName) } : rest,
              );
            }}
          />
          <SelectField
            label={`Interface ${index} floating IP pool`}
            problem={
              problemAt(problems, `interfaces[${index}].floatingIp.pool`) ??
              problemAt(problems, `interfaces[${index}].floatingIp`)
            }
            value={iface.floatingIp?.pool ?? ""}
            options={withCurrent(iface.floatingIp?.pool, pools)}
            emptyOption="none"
            disabled={readOnly}
            onChange={(pool) => {
              const { floatingIp: _old, ...rest } = iface;
              setInterface(index, pool ? { ...rest, floatingIp: { pool: asName(pool) } } : rest);
            }}
          />
          {readOnly || workload.interfaces.length < 2 ? null : (
            <button
              type="button"
              className="small-button"
              onClick={() =>
                save(
                  { ...workload, interfaces: workload.interfaces.filter((_, i) => i !== index) },
                  "interfaces",
                )
              }
            >
              Remove interface {index}
            </button>
          )}
        </fieldset>
      ))}
      {readOnly || networks.length === 0 ? null : (
        <button
          type="button"
          className="small-button"
          onClick={() =>
            save(
              {
                ...workload,
                interfaces: [...workload.interfaces, { network: asName(networks[0] ?? "") }],
              },
              "interfaces",
            )
          }
        >
          + Add interface
        </button>
      )}
    </>
  );
}
