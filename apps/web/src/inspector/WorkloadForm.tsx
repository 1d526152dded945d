import type { Interface, Workload } from "@netloom/model";
import { asName } from "../draft/ops";
import { problemAt } from "../ui/Field";
import { problemWithin, SelectField, TextField, withCurrent } from "./formParts";

import {
  Checklist,
  Header,
  NameField,
  useNames,
  useObjectEditor,
  useObjectProblems,
} from "./shared";

// ------------------------------------------------------------------------------------ workload

export function WorkloadForm({ workload, readOnly }: { workload: Workload; readOnly: boolean }) {
  const save = useObjectEditor("workloads", workload.name);
  const problems = useObjectProblems("workloads", workload.name);
  const networks = useNames("networks");
  const groups = useNames("securityGroups");
  const pools = useNames("floatingIpPools");
  const setInterface = (index: number, next: Interface) => {
    const interfaces = [...workload.interfaces];
    interfaces[index] = next;
    save({ ...workload, interfaces }, `if${index}`);
  };
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="workloads"
        name={workload.name}
        icon="workload"
        readOnly={readOnly}
        problems={problems}
        shown={(p) =>
          p === "name" ||
          p === "node" ||
          /^interfaces\[\d+\]\.(network|ip|securityGroups|floatingIp)/.test(p)
        }
      />
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
              problem={problemAt(problems, `interfaces[${index}].network`)}
              value={iface.network}
              options={withCurrent(iface.network, networks)}
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
    </form>
  );
}
