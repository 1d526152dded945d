import { assertNever, type IntentFile } from "@netloom/model";
import { ReactFlowProvider } from "@xyflow/react";
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import type { CanvasApi, CanvasIntents, PaletteItem } from "../canvas/canvasApi";
import { nodeId } from "../canvas/graph";
import { overlayStore } from "../canvas/overlay";
import { Palette, PolicyLibrary } from "../canvas/Palette";
import { TopologyCanvas } from "../canvas/TopologyCanvas";
import { asName, attachPolicy, findObject, kindLabel, removeObject } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { useValidation } from "../draft/validation";
import {
  ConnectDialog,
  NetworkDialog,
  PoolDialog,
  RouterDialog,
  ServiceDialog,
  WorkloadDialog,
} from "../forms/CreateDialogs";
import { Inspector } from "../inspector/Inspector";
import { SecurityGroups } from "../inspector/SecurityGroups";
import { connectRequests } from "../lib/connectRequest";
import type { TraceStart } from "../reach/flow";
import { announce, focusAfter } from "../ui/announce";
import { TabList, tabPanelProps } from "../ui/Tabs";
import { Loading } from "./App";
import { Toolbar } from "./Toolbar";
import { TopologyOutline } from "./TopologyOutline";
import type { Me } from "./types";
import {
  useDraftValidation,
  useLiveStatus,
  useTenantDocument,
  useValidator,
} from "./useTenantData";

const ReachPanel = lazy(() =>
  import("../reach/ReachPanel").then((m) => ({ default: m.ReachPanel })),
);
const PlanPanel = lazy(() => import("../plan/PlanPanel").then((m) => ({ default: m.PlanPanel })));
const HistoryPanel = lazy(() =>
  import("../plan/HistoryPanel").then((m) => ({ default: m.HistoryPanel })),
);

type PanelTab = "inspect" | "groups" | "reach" | "plan" | "history";

const PANEL_TABS = [
  ["inspect", "Inspector"],
  ["groups", "Security groups"],
  ["reach", "Reachability"],
  ["plan", "Plan"],
  ["history", "History"],
] as const satisfies readonly (readonly [PanelTab, string])[];

/** Opens the review and moves focus to its heading, so the keyboard lands where the work is. */
function review(setTab: (tab: PanelTab) => void): void {
  setTab("plan");
  focusAfter("#review-heading");
  announce("Review of the draft opened in the Plan panel.");
}

/** Skip links: first in the Tab order, straight to the canvas or the Inspector. */
function SkipLinks() {
  return (
    <nav className="skip-links" aria-label="Skip links">
      <button type="button" onClick={() => focusAfter("[role=application]")}>
        Skip to canvas
      </button>
      <button type="button" onClick={() => focusAfter("#inspector-aside")}>
        Skip to Inspector
      </button>
    </nav>
  );
}

type Pending =
  | { kind: "create"; item: PaletteItem; at: { x: number; y: number }; onto?: { network: string } }
  | {
      kind: "chain";
      item: "firewall" | "load-balancer" | "nat";
      policy: string;
      at: { x: number; y: number };
    }
  | { kind: "connect"; a: string; b: string };

/**
 * One tenant: palette and policy library on the left, the canvas, and the inspector,
 * reachability, plan and history on the right. Every edit lands in the client-side draft;
 * nothing reaches the fabric until the plan is reviewed and applied.
 */
export function TenantWorkspace({
  tenant,
  me,
  forceReadOnly,
}: {
  tenant: string;
  me: Me;
  forceReadOnly?: boolean;
}) {
  const role = me.memberships.find((m) => m.tenant === tenant)?.role;
  const readOnly =
    Boolean(forceReadOnly) || !(me.globalRole === "cloud_admin" || role === "tenant_admin");
  const exported = useTenantDocument(tenant, readOnly);
  const doc = useDraft((s) => (s.tenant === tenant ? s.doc : null));
  const dirty = useDraft(isDirty);
  useDraftValidation(tenant, doc, dirty, !readOnly);
  useLiveStatus(tenant, doc);
  const validate = useValidator(tenant);
  const [tab, setTab] = useState<PanelTab>("inspect");
  const [pending, setPending] = useState<Pending | null>(null);
  const [traceStart, setTraceStart] = useState<TraceStart | null>(null);
  const canvasApi = useRef<CanvasApi | null>(null);
  const selection = useDraft((s) => s.selection);
  // Rule tables (policies, security groups, firewalls) need the room: the panel widens for them
  // rather than truncating selects or hiding delete buttons behind a scroll.
  const widePanel =
    tab === "groups" ||
    (tab === "inspect" &&
      (selection?.kind === "policies" ||
        selection?.kind === "securityGroups" ||
        selection?.kind === "services"));

  // Selecting something on the canvas brings the inspector forward.
  useEffect(() => {
    if (selection && selection.kind !== "assertions")
      setTab(selection.kind === "securityGroups" ? "groups" : "inspect");
  }, [selection]);

  useEffect(() => () => overlayStore.patch({ trace: null, search: null, problems: new Set() }), []);

  // Opening a tenant puts focus on its heading once it is drawn (never left on <body>).
  const loaded = doc !== null;
  useEffect(() => {
    if (!loaded) return;
    const active = document.activeElement;
    if (active && active !== document.body) return;
    focusAfter("main h1");
  }, [loaded]);

  const intents = useMemo<CanvasIntents>(
    () => ({
      onCreate: (item, at, onto) =>
        setPending({ kind: "create", item, at, ...(onto ? { onto } : {}) }),
      onDropOnPolicy: (item, policy, at) => {
        if (item === "firewall" || item === "load-balancer" || item === "nat") {
          setPending({ kind: "chain", item, policy, at });
        }
      },
      onConnect: (source, target) => connectObjects(source, target, setPending),
      onAttachPolicy: (policy, network) => draftStore.edit((d) => attachPolicy(d, policy, network)),
      onTraceFrom: (workload) => {
        setTraceStart({ workload });
        setTab("reach");
        announce(`Tracing from ${workload}: choose the destination.`);
        focusAfter('form[aria-label="Trace a flow"] input[name="to"]');
      },
    }),
    [],
  );

  useKeyboardShortcuts(readOnly, canvasApi);

  // The Inspector's "Connect to…" (a keyboard path to what drawing an edge does).
  useEffect(
    () =>
      connectRequests.subscribe(() => {
        const request = connectRequests.getState().request;
        if (!request) return;
        connectRequests.set({ request: null });
        setPending({ kind: "connect", a: request.a, b: request.b });
      }),
    [],
  );

  if (exported.error) {
    return (
      <div className="page-error" role="alert">
        Cannot open tenant {tenant}: {exported.error.message}
      </div>
    );
  }
  if (!doc) return <Loading />;

  const policies = doc.policies ?? [];
  return (
    <ReactFlowProvider>
      <SkipLinks />
      <main className="workspace" id="workspace-main" tabIndex={-1}>
        <Toolbar
          tenant={tenant}
          readOnly={readOnly}
          canvas={canvasApi}
          onReview={() => review(setTab)}
        />
        <div className="workspace-body">
          <aside className="sidebar" aria-label="Tools">
            {readOnly ? (
              <div className="readonly-note" role="note">
                Read only: {forceReadOnly ? "operator view" : "viewer role"}
              </div>
            ) : null}
            <Palette
              disabled={readOnly}
              onActivate={(item) =>
                setPending({
                  kind: "create",
                  item,
                  at: canvasApi.current?.center() ?? { x: 0, y: 0 },
                })
              }
            />
            <PolicyLibrary
              policies={policies}
              disabled={readOnly}
              onSelect={(name) => draftStore.select({ kind: "policies", name })}
            />
          </aside>
          <div className="canvas-column">
            <TopologyCanvas
              tenant={tenant}
              readOnly={readOnly}
              intents={intents}
              onReady={(api) => {
                canvasApi.current = api;
              }}
            />
            <TopologyOutline />
          </div>
          <aside
            className={`panel${widePanel ? " wide" : ""}`}
            aria-label="Details"
            id="inspector-aside"
            tabIndex={-1}
          >
            <TabList
              label="Panels"
              idPrefix="details"
              tabs={PANEL_TABS}
              selected={tab}
              onSelect={setTab}
              extra={(id) => (id === "plan" && dirty ? <PlanBadge /> : null)}
            />
            <div className="tab-body" {...tabPanelProps("details", tab)}>
              <Suspense fallback={<Loading />}>
                {tab === "inspect" ? <Inspector readOnly={readOnly} /> : null}
                {tab === "groups" ? <SecurityGroups readOnly={readOnly} /> : null}
                {tab === "reach" ? (
                  <ReachPanel
                    tenant={tenant}
                    readOnly={readOnly}
                    canvas={canvasApi}
                    startFrom={traceStart}
                  />
                ) : null}
                {tab === "plan" ? <PlanPanel tenant={tenant} readOnly={readOnly} /> : null}
                {tab === "history" ? (
                  <HistoryPanel
                    tenant={tenant}
                    readOnly={readOnly}
                    onReview={() => review(setTab)}
                  />
                ) : null}
              </Suspense>
            </div>
          </aside>
        </div>
        {pending ? (
          <PendingDialog
            pending={pending}
            doc={doc}
            validate={validate}
            onCancel={() => setPending(null)}
            onDone={(next, created) => {
              if ((pending.kind === "create" || pending.kind === "chain") && created?.nodeId) {
                canvasApi.current?.placeNode(created.nodeId, pending.at);
              }
              draftStore.replaceDocument(next);
              if (created) draftStore.select(created.ref);
              setPending(null);
            }}
          />
        ) : null}
      </main>
    </ReactFlowProvider>
  );
}

function PlanBadge() {
  const status = useValidation((s) => s.status);
  const count = useValidation((s) => s.problems.length);
  return (
    <span className={`badge ${status === "invalid" ? "badge-bad" : "badge-draft"}`}>
      <span aria-hidden="true">{status === "invalid" ? count : "•"}</span>
      <span className="visually-hidden">
        {status === "invalid" ? `, ${count} problems` : ", unapplied changes"}
      </span>
    </span>
  );
}

type Created = {
  nodeId: string;
  ref: {
    kind: "networks" | "workloads" | "services" | "routers" | "policies" | "floatingIpPools";
    name: string;
  };
};

function PendingDialog({
  pending,
  doc,
  validate,
  onCancel,
  onDone,
}: {
  pending: Pending;
  doc: IntentFile;
  validate: (doc: IntentFile) => Promise<import("@netloom/model").Problem[]>;
  onCancel: () => void;
  onDone: (doc: IntentFile, created: Created | null) => void;
}) {
  // What every dialog takes; `done` says what the new object is once it exists.
  const shared = { doc, validate, onCancel };
  const done = (created: (name: string) => Created) => (next: IntentFile, name: string) =>
    onDone(next, created(name));
  if (pending.kind === "connect") {
    return (
      <ConnectDialog
        {...shared}
        a={pending.a}
        b={pending.b}
        onDone={done((name) => ({ nodeId: "", ref: { kind: "policies", name } }))}
      />
    );
  }
  if (pending.kind === "chain") {
    return (
      <ServiceDialog
        {...shared}
        type={pending.item}
        chainInto={pending.policy}
        onDone={done((name) => ({
          nodeId: nodeId.service(name),
          ref: { kind: "policies", name: pending.policy },
        }))}
      />
    );
  }
  const item = pending.item;
  switch (item) {
    case "network":
    case "external":
      return (
        <NetworkDialog
          {...shared}
          external={item === "external"}
          onDone={done((name) => ({
            nodeId: nodeId.network(name),
            ref: { kind: "networks", name },
          }))}
        />
      );
    case "workload":
      return (
        <WorkloadDialog
          {...shared}
          {...(pending.onto ? { network: pending.onto.network } : {})}
          onDone={done((name) => ({
            nodeId: nodeId.workload(name),
            ref: { kind: "workloads", name },
          }))}
        />
      );
    case "pool":
      return (
        <PoolDialog
          {...shared}
          onDone={done((name) => ({
            nodeId: nodeId.pool(name),
            ref: { kind: "floatingIpPools", name },
          }))}
        />
      );
    case "router":
      return (
        <RouterDialog
          {...shared}
          onDone={done((name) => ({ nodeId: nodeId.router(name), ref: { kind: "routers", name } }))}
        />
      );
    case "firewall":
    case "load-balancer":
    case "nat":
    case "dns":
      return (
        <ServiceDialog
          {...shared}
          type={item}
          onDone={done((name) => ({
            nodeId: nodeId.service(name),
            ref: { kind: "services", name },
          }))}
        />
      );
    default:
      return assertNever(item);
  }
}

/**
 * An edge drawn on the canvas: network–network opens the policy dialog; workload–network adds
 * an interface; router/DNS/NAT–network adds a leg.
 */
function connectObjects(source: string, target: string, setPending: (p: Pending) => void) {
  const [a, b] = [source, target];
  const isNet = (id: string) => id.startsWith("net:");
  const name = (id: string) => id.slice(id.indexOf(":") + 1);
  if (isNet(a) && isNet(b)) {
    setPending({ kind: "connect", a: name(a), b: name(b) });
    return;
  }
  const network = isNet(a) ? name(a) : isNet(b) ? name(b) : null;
  const other = isNet(a) ? b : a;
  if (!network) return;
  draftStore.edit((doc) => {
    if (other.startsWith("wl:")) {
      const workload = findObject(doc, "workloads", name(other));
      if (!workload || workload.interfaces.some((i) => i.network === network)) return doc;
      const next = {
        ...workload,
        interfaces: [...workload.interfaces, { network: asName(network) }],
      };
      return {
        ...doc,
        workloads: (doc.workloads ?? []).map((w) => (w.name === workload.name ? next : w)),
      };
    }
    if (other.startsWith("rtr:")) {
      const router = findObject(doc, "routers", name(other));
      if (!router || router.networks.includes(asName(network))) return doc;
      const next = { ...router, networks: [...router.networks, asName(network)] };
      return {
        ...doc,
        routers: (doc.routers ?? []).map((r) => (r.name === router.name ? next : r)),
      };
    }
    if (other.startsWith("svc:")) {
      const service = findObject(doc, "services", name(other));
      if (!service) return doc;
      const next =
        service.type === "dns" && !service.networks.includes(asName(network))
          ? { ...service, networks: [...service.networks, asName(network)] }
          : service.type === "nat" && !service.inside.includes(asName(network))
            ? { ...service, inside: [...service.inside, asName(network)] }
            : service;
      return {
        ...doc,
        services: (doc.services ?? []).map((s) => (s.name === service.name ? next : s)),
      };
    }
    return doc;
  });
}

/** Delete / Backspace removes the selection; Ctrl+Z undo; Ctrl+Shift+Z or Ctrl+Y redo; F fits; / searches. */
function useKeyboardShortcuts(readOnly: boolean, canvas: React.RefObject<CanvasApi | null>) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing =
        target &&
        (target.tagName === "INPUT" ||
          target.tagName === "TEXTAREA" ||
          target.tagName === "SELECT" ||
          target.isContentEditable);
      if (typing || document.querySelector("[role=dialog]")) return;
      const mod = event.ctrlKey || event.metaKey;
      if (mod && event.key.toLowerCase() === "z" && !event.shiftKey) {
        event.preventDefault();
        if (!readOnly) draftStore.undo();
      } else if (
        mod &&
        (event.key.toLowerCase() === "y" || (event.key.toLowerCase() === "z" && event.shiftKey))
      ) {
        event.preventDefault();
        if (!readOnly) draftStore.redo();
      } else if ((event.key === "Delete" || event.key === "Backspace") && !readOnly) {
        const selection = draftStore.getState().selection;
        if (!selection) return;
        event.preventDefault();
        draftStore.edit((doc) => removeObject(doc, selection.kind, selection.name));
        draftStore.select(null);
        announce(`Removed ${kindLabel(selection.kind)} ${selection.name} from the draft.`, {
          label: "Undo",
          run: () => draftStore.undo(),
        });
        focusAfter("[role=application]");
      } else if (event.key === "f" && !mod) {
        canvas.current?.fit();
      } else if (event.key === "/") {
        event.preventDefault();
        document.querySelector<HTMLInputElement>("input[type=search]")?.focus();
      } else if (event.key === "Escape") {
        draftStore.select(null);
        overlayStore.patch({ trace: null });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [readOnly, canvas]);
}
