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
import { findObject } from "../draft/ops";
import { useDraft } from "../draft/store";
import { NetworkForm } from "./NetworkForm";
import { PoolForm, RouterForm, SecurityGroupForm } from "./OtherForms";
import { PolicyForm } from "./PolicyForm";
import { ServiceForm } from "./ServiceForm";
import { KIND_LABEL } from "./shared";
import { WorkloadForm } from "./WorkloadForm";

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
    case "networks":
      return <NetworkForm network={object as Network} readOnly={readOnly} />;
    case "workloads":
      return <WorkloadForm workload={object as Workload} readOnly={readOnly} />;
    case "policies":
      return <PolicyForm policy={object as Policy} readOnly={readOnly} />;
    case "services":
      return <ServiceForm service={object as Service} readOnly={readOnly} />;
    case "routers":
      return <RouterForm router={object as Router} readOnly={readOnly} />;
    case "securityGroups":
      return <SecurityGroupForm group={object as SecurityGroup} readOnly={readOnly} />;
    case "floatingIpPools":
      return <PoolForm pool={object as FloatingIpPool} readOnly={readOnly} />;
    case "assertions":
      return <p className="muted">Assertions are edited in the Reachability tab.</p>;
    default:
      return assertNever(kind);
  }
}

export { SecurityGroupForm };
