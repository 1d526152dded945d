import type {
  FloatingIpPool,
  Network,
  Policy,
  ResourceKind,
  ResourceSpecs,
  Router,
  SecurityGroup,
  Service,
  Workload,
} from "@netloom/model";
import { assertNever } from "@netloom/model";
import type { ReactNode } from "react";
import type { IconKind } from "../canvas/icons";
import { useOverlay } from "../canvas/overlay";
import { findObject } from "../draft/ops";
import { useDraft } from "../draft/store";
import type { KindFieldsProps } from "../forms/fields";
import { type FormKind, KIND_FORMS } from "../forms/kinds";
import { NetworkFields } from "../forms/network";
import { PolicyFields } from "../forms/policy";
import { PoolFields } from "../forms/pool";
import { RouterFields } from "../forms/router";
import { SecurityGroupFields } from "../forms/securityGroup";
import { ServiceFields } from "../forms/service";
import { WorkloadFields } from "../forms/workload";
import { ConnectControl, NetworkStatusLine } from "./NetworkStatus";
import { Header, KIND_LABEL, useObjectEditor, useObjectProblems } from "./shared";

/**
 * The inspector: the selected object's form (forms/<kind>.tsx, the same one its create dialog
 * shows), editing the draft in place. Every field shows the problem whose path names it;
 * problems about the object as a whole show under its title.
 */
export function Inspector({ readOnly }: { readOnly: boolean }) {
  const selection = useDraft((s) => s.selection);
  const object = useDraft((s) =>
    s.doc && s.selection ? findObject(s.doc, s.selection.kind, s.selection.name) : undefined,
  );
  if (!selection || !object) {
    return (
      <div className="inspector empty">
        <p className="muted">
          Select a network, workload, service, router or policy edge on the canvas to inspect it.
        </p>
        <p className="muted small">
          Drag from the palette to add objects; draw from a network's right handle to another
          network to connect them with a policy.
        </p>
      </div>
    );
  }
  return (
    <section
      className="inspector"
      aria-label={`Inspector: ${KIND_LABEL[selection.kind]} ${selection.name}`}
    >
      <InspectorBody kind={selection.kind} object={object} readOnly={readOnly} />
    </section>
  );
}

function InspectorBody({
  kind,
  object,
  readOnly,
}: {
  kind: ResourceKind;
  object: ResourceSpecs[ResourceKind];
  readOnly: boolean;
}) {
  switch (kind) {
    case "networks": {
      const network = object as Network;
      return (
        <InspectedObject
          kind="networks"
          object={network}
          icon={network.external ? "external" : "network"}
          readOnly={readOnly}
          before={<NetworkStatusLine network={network.name} />}
          after={readOnly ? null : <ConnectControl network={network.name} />}
          fields={(props) => <NetworkFields {...props} />}
        />
      );
    }
    case "workloads":
      return (
        <InspectedObject
          kind="workloads"
          object={object as Workload}
          icon="workload"
          readOnly={readOnly}
          fields={(props) => <WorkloadFields {...props} />}
        />
      );
    case "policies":
      return (
        <InspectedObject
          kind="policies"
          object={object as Policy}
          icon="policy"
          readOnly={readOnly}
          fields={(props) => <PolicyFields {...props} />}
        />
      );
    case "services": {
      const service = object as Service;
      return (
        <InspectedObject
          kind="services"
          object={service}
          icon={service.type}
          readOnly={readOnly}
          fields={(props) => <ServiceFields {...props} />}
        />
      );
    }
    case "routers":
      return (
        <InspectedObject
          kind="routers"
          object={object as Router}
          icon="router"
          readOnly={readOnly}
          fields={(props) => <RouterFields {...props} />}
        />
      );
    case "securityGroups":
      return <SecurityGroupForm group={object as SecurityGroup} readOnly={readOnly} />;
    case "floatingIpPools":
      return (
        <InspectedObject
          kind="floatingIpPools"
          object={object as FloatingIpPool}
          icon="pool"
          readOnly={readOnly}
          fields={(props) => <PoolFields {...props} />}
        />
      );
    case "assertions":
      return <p className="muted">Assertions are edited in the Reachability tab.</p>;
    default:
      return assertNever(kind);
  }
}

/** A security group's form, also shown by the Security groups tab. */
export function SecurityGroupForm({
  group,
  readOnly,
}: {
  group: SecurityGroup;
  readOnly: boolean;
}) {
  return (
    <InspectedObject
      kind="securityGroups"
      object={group}
      icon="security-group"
      readOnly={readOnly}
      fields={(props) => <SecurityGroupFields {...props} />}
    />
  );
}

/**
 * The frame of an inspected object: the header (kind, name, delete, the problems no field
 * shows), then the kind's fields editing the draft, with rule hit counts where reported.
 */
function InspectedObject<K extends FormKind>({
  kind,
  object,
  icon,
  readOnly,
  before,
  after,
  fields,
}: {
  kind: K;
  object: ResourceSpecs[K];
  icon: IconKind;
  readOnly: boolean;
  before?: ReactNode;
  after?: ReactNode;
  fields: (props: KindFieldsProps<ResourceSpecs[K]>) => ReactNode;
}) {
  const onChange = useObjectEditor(kind, object.name);
  const problems = useObjectProblems(kind, object.name);
  const doc = useDraft((s) => s.doc);
  const hits = useOverlay((s) => s.hits);
  if (!doc) return null;
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind={kind}
        name={object.name}
        icon={icon}
        readOnly={readOnly}
        problems={problems}
        shown={KIND_FORMS[kind].shows}
      />
      {before}
      {fields({ value: object, onChange, problems, readOnly, doc, hits })}
      {after}
    </form>
  );
}
