import {
  formatProblem,
  type IntentFile,
  type IntentFormat,
  NetloomError,
  parseDocument,
  parseIntentFile,
  stringifyIntent,
} from "@netloom/model";
import { useState } from "react";
import type { CanvasApi } from "../canvas/canvasApi";
import { nodeOfRef } from "../canvas/graph";
import { overlayStore } from "../canvas/overlay";
import { normalizeDocument } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { useValidation } from "../draft/validation";
import { DiscardDialog } from "../plan/DiscardDialog";
import { announce } from "../ui/announce";

/**
 * Reads an imported intent file (YAML or JSON, as the CLI takes it) for `tenant`: the model's
 * parser and schema, so problems name the field (`networks[1].subnets[0].cidr`).
 */
export function readIntentFile(
  text: string,
  tenant: string,
): { ok: true; doc: IntentFile } | { ok: false; message: string } {
  let data: unknown;
  try {
    data = parseDocument(text);
  } catch (error) {
    const failure = NetloomError.fromWire(error);
    return {
      ok: false,
      message: failure.problems.map(formatProblem).join("; ") || failure.message,
    };
  }
  const parsed = parseIntentFile(data);
  if (!parsed.ok)
    return { ok: false, message: parsed.problems.slice(0, 5).map(formatProblem).join("; ") };
  if (parsed.value.tenant !== tenant) {
    return {
      ok: false,
      message: `tenant: the file is for tenant ${parsed.value.tenant}, not ${tenant}`,
    };
  }
  return { ok: true, doc: parsed.value };
}

/** Downloads the draft as the CLI's file format: YAML (as `netloom export`) or JSON. */
function ExportButton({ tenant, format }: { tenant: string; format: IntentFormat }) {
  return (
    <button
      type="button"
      onClick={() => {
        const doc = draftStore.getState().doc;
        if (!doc) return;
        const blob = new Blob([stringifyIntent(doc, format)], {
          type: format === "yaml" ? "application/yaml" : "application/json",
        });
        const url = URL.createObjectURL(blob);
        const a = document.createElement("a");
        a.href = url;
        a.download = `${tenant}.${format}`;
        a.click();
        URL.revokeObjectURL(url);
      }}
    >
      Export {format.toUpperCase()}
    </button>
  );
}

/**
 * The tenant toolbar: draft state with undo/redo, review and discard (asked, undoable); layout,
 * fit and search; import and export of the intent file in YAML or JSON.
 */
export function Toolbar({
  tenant,
  readOnly,
  canvas,
  onReview,
}: {
  tenant: string;
  readOnly: boolean;
  canvas: React.RefObject<CanvasApi | null>;
  onReview: () => void;
}) {
  const dirty = useDraft(isDirty);
  const canUndo = useDraft((s) => s.past.length > 0);
  const canRedo = useDraft((s) => s.future.length > 0);
  const generation = useDraft((s) => s.baseGeneration);
  const status = useValidation((s) => s.status);
  const problemCount = useValidation((s) => s.problems.length);
  const [importError, setImportError] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [discarding, setDiscarding] = useState(false);

  const search = (text: string) => {
    setQuery(text);
    const doc = draftStore.getState().doc;
    const needle = text.trim().toLowerCase();
    if (!doc || needle === "") {
      overlayStore.patch({ search: null });
      return;
    }
    const hits = new Set<string>();
    for (const kind of [
      "networks",
      "workloads",
      "services",
      "routers",
      "floatingIpPools",
    ] as const) {
      for (const item of doc[kind] ?? []) {
        const text = JSON.stringify(item).toLowerCase();
        if (item.name.includes(needle) || text.includes(needle)) {
          const id = nodeOfRef(kind, item.name);
          if (id) hits.add(id);
        }
      }
    }
    overlayStore.patch({ search: hits });
  };

  return (
    <div className="toolbar" role="toolbar" aria-label="Tenant toolbar">
      <h1 className="tenant-name" tabIndex={-1}>
        {tenant}
      </h1>
      <span className="muted small">gen {generation}</span>
      <div className="sep" />
      <button
        type="button"
        onClick={() => draftStore.undo()}
        disabled={readOnly || !canUndo}
        aria-label="Undo"
        title="Undo (Ctrl+Z)"
      >
        ↶
      </button>
      <button
        type="button"
        onClick={() => draftStore.redo()}
        disabled={readOnly || !canRedo}
        aria-label="Redo"
        title="Redo (Ctrl+Shift+Z)"
      >
        ↷
      </button>
      {readOnly ? null : (
        <div
          className={`draft-state ${dirty ? (status === "invalid" ? "bad" : "draft") : "clean"}`}
          role="status"
          aria-live="polite"
        >
          {!dirty
            ? "No unapplied changes"
            : status === "checking"
              ? "Draft: checking…"
              : status === "invalid"
                ? `Draft: ${problemCount} problem${problemCount === 1 ? "" : "s"}`
                : status === "error"
                  ? "Draft: controller unreachable"
                  : "Draft: valid, not applied"}
        </div>
      )}
      {readOnly ? null : (
        <>
          <button type="button" className="primary" disabled={!dirty} onClick={onReview}>
            Review &amp; apply
          </button>
          <button type="button" disabled={!dirty} onClick={() => setDiscarding(true)}>
            Discard
          </button>
          {discarding ? <DiscardDialog onDone={() => setDiscarding(false)} /> : null}
        </>
      )}
      <div className="grow" />
      <input
        type="search"
        aria-label="Search objects"
        placeholder="Search ( / )"
        value={query}
        onChange={(e) => search(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            const first = [...(overlayStore.getState().search ?? [])][0];
            if (first) canvas.current?.focus(first);
          }
          if (e.key === "Escape") search("");
        }}
      />
      <button type="button" onClick={() => void canvas.current?.layout()} title="Auto-layout (elk)">
        Auto-layout
      </button>
      <button type="button" onClick={() => canvas.current?.fit()} title="Zoom to fit (F)">
        Fit
      </button>
      <ExportButton tenant={tenant} format="yaml" />
      <ExportButton tenant={tenant} format="json" />
      {readOnly ? null : (
        <label className="button-like">
          Import
          <input
            type="file"
            accept=".yaml,.yml,.json,application/yaml,application/json"
            aria-label="Import intent file (YAML or JSON)"
            className="visually-hidden"
            onChange={async (event) => {
              const file = event.target.files?.[0];
              event.target.value = "";
              if (!file) return;
              setImportError(null);
              const outcome = readIntentFile(await file.text(), tenant);
              if (!outcome.ok) {
                setImportError(outcome.message);
                return;
              }
              draftStore.replaceDocument(normalizeDocument(outcome.doc));
              announce(`Imported ${file.name}. Review and apply to make it real.`, {
                label: "Undo import",
                run: () => draftStore.undo(),
              });
            }}
          />
        </label>
      )}
      {importError ? (
        <div className="toolbar-error" role="alert">
          Import refused: {importError}
        </div>
      ) : null}
    </div>
  );
}
