import { useMemo, useState } from "react";
import { chainService, connectionPolicy } from "../draft/ops";
import { SelectField } from "../inspector/formParts";
import { CreateForm, type CreateProps, useNewObject } from "./CreateForm";
import { KIND_FORMS } from "./kinds";
import { NetworkFields, newNetwork } from "./network";
import { PolicyFields } from "./policy";
import { newPool, PoolFields } from "./pool";
import { newRouter, RouterFields } from "./router";
import { newService, ServiceFields, type ServiceType, serviceTypeLabel } from "./service";
import { newWorkload, WorkloadFields } from "./workload";

/**
 * The create dialogs: each shows its kind's form (forms/<kind>.tsx, the one the inspector
 * shows) on a new object, checks it with the kind's schema and the controller, and hands the
 * document with it to the workspace.
 */
export type { CreateProps, ValidateDocument } from "./CreateForm";

export function NetworkDialog(props: CreateProps & { external: boolean }) {
  const { external } = props;
  const form = useNewObject("networks", () => newNetwork(props.doc, external), props);
  return (
    <CreateForm
      title={external ? "New external network" : "New network"}
      submitLabel="Add network"
      busy={form.busy}
      problems={form.problems}
      shows={KIND_FORMS.networks.shows}
      onCancel={props.onCancel}
      onSubmit={() => form.submit()}
    >
      <NetworkFields {...form.fields} />
    </CreateForm>
  );
}

/** `network`: the network the workload was dropped on, chosen by default. */
export function WorkloadDialog(props: CreateProps & { network?: string }) {
  const form = useNewObject("workloads", () => newWorkload(props.doc, props.network), props);
  return (
    <CreateForm
      title="New workload"
      submitLabel="Add workload"
      busy={form.busy}
      problems={form.problems}
      shows={KIND_FORMS.workloads.shows}
      onCancel={props.onCancel}
      onSubmit={() => form.submit()}
    >
      <WorkloadFields {...form.fields} />
    </CreateForm>
  );
}

export function PoolDialog(props: CreateProps) {
  const form = useNewObject("floatingIpPools", () => newPool(props.doc), props);
  return (
    <CreateForm
      title="New floating IP pool"
      submitLabel="Add pool"
      busy={form.busy}
      problems={form.problems}
      shows={KIND_FORMS.floatingIpPools.shows}
      onCancel={props.onCancel}
      onSubmit={() => form.submit()}
    >
      <PoolFields {...form.fields} />
    </CreateForm>
  );
}

export function RouterDialog(props: CreateProps) {
  const form = useNewObject("routers", () => newRouter(props.doc), props);
  return (
    <CreateForm
      title="New router"
      submitLabel="Add router"
      busy={form.busy}
      problems={form.problems}
      shows={KIND_FORMS.routers.shows}
      onCancel={props.onCancel}
      onSubmit={() => form.submit()}
    >
      <RouterFields {...form.fields} />
    </CreateForm>
  );
}

/**
 * A new service. With `chainInto`, the service also joins that policy's service chain (a
 * firewall, LB or NAT dropped onto a policy edge), or an existing one of its type does.
 */
export function ServiceDialog(
  props: CreateProps & { type: ServiceType; chainInto?: string | undefined },
) {
  const { doc, type, chainInto } = props;
  const form = useNewObject("services", () => newService(doc, type), props);
  const existingOfType = chainInto
    ? (doc.services ?? []).filter((s) => s.type === type).map((s) => s.name as string)
    : [];
  const [useExisting, setUseExisting] = useState("");
  const label = serviceTypeLabel(type);
  return (
    <CreateForm
      title={`${chainInto ? "Chain" : "New"} ${label}${chainInto ? ` into policy ${chainInto}` : ""}`}
      wide={type === "firewall"}
      submitLabel={chainInto ? "Add to chain" : "Add service"}
      intro={
        existingOfType.length > 0 ? (
          <SelectField
            label="Use an existing service"
            problem={undefined}
            value={useExisting}
            options={existingOfType}
            emptyOption="no, create a new one"
            onChange={setUseExisting}
          />
        ) : null
      }
      busy={form.busy}
      // Picking an existing service hides the fields, and with them their problems.
      problems={useExisting ? [] : form.problems}
      shows={KIND_FORMS.services.shows}
      onCancel={props.onCancel}
      onSubmit={() => {
        if (chainInto && useExisting) {
          props.onDone(chainService(doc, chainInto, useExisting), useExisting);
          return;
        }
        return form.submit((candidate) =>
          chainInto ? chainService(candidate, chainInto, form.value.name) : candidate,
        );
      }}
    >
      {useExisting ? null : <ServiceFields {...form.fields} />}
    </CreateForm>
  );
}

/** Drawing an edge between two networks: a policy attached to both, rules set here. */
export function ConnectDialog(props: CreateProps & { a: string; b: string }) {
  const { doc, a, b } = props;
  const initial = useMemo(() => connectionPolicy(doc, a, b), [doc, a, b]);
  const form = useNewObject("policies", () => initial, props);
  return (
    <CreateForm
      title={`Connect ${a} and ${b}`}
      wide
      submitLabel="Create policy"
      intro={
        <p className="muted small">
          A policy attached to both networks. Traffic between them passes only when both networks'
          rule lists allow it; the first matching rule wins.
        </p>
      }
      busy={form.busy}
      problems={form.problems}
      shows={KIND_FORMS.policies.shows}
      onCancel={props.onCancel}
      onSubmit={() => form.submit()}
    >
      <PolicyFields {...form.fields} />
    </CreateForm>
  );
}
