import { intentFileSchema } from "@netloom/model";
import { useState } from "react";
import { nodeOfRef } from "../canvas/graph";
import { overlayStore } from "../canvas/overlay";
import type { CanvasApi } from "../canvas/TopologyCanvas";
import { normalizeDocument } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { useValidation } from "../draft/validation";
import { pathOf } from "../errors";

/**
 * The tenant toolbar: draft state with undo/redo, review and discard; layout, fit and search;
 * import and export of the intent file (JSON; the file format also accepts YAML on the command
 * line).
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
      <h1 className="tenant-name">{tenant}</h1>
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
          <button type="button" disabled={!dirty} onClick={() => draftStore.discard()}>
            Discard
          </button>
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
      <button
        type="button"
        onClick={() => {
          const doc = draftStore.getState().doc;
          if (!doc) return;
          const blob = new Blob([`${JSON.stringify(normalizeDocument(doc), null, 2)}\n`], {
            type: "application/json",
          });
          const url = URL.createObjectURL(blob);
          const a = document.createElement("a");
          a.href = url;
          a.download = `${tenant}.json`;
          a.click();
          URL.revokeObjectURL(url);
        }}
      >
        Export
      </button>
      {readOnly ? null : (
        <label className="button-like">
          Import
          <input
            type="file"
            accept=".json,application/json"
            aria-label="Import intent file"
            className="visually-hidden"
            onChange={async (event) => {
              const file = event.target.files?.[0];
              event.target.value = "";
              if (!file) return;
              setImportError(null);
              try {
                const parsed = intentFileSchema.safeParse(JSON.parse(await file.text()));
                if (!parsed.success) {
                  const issue = parsed.error.issues[0];
                  setImportError(
                    issue ? `${pathOf(issue.path)}: ${issue.message}` : "not an intent file",
                  );
                  return;
                }
                if (parsed.data.tenant !== tenant) {
                  setImportError(`the file is for tenant ${parsed.data.tenant}, not ${tenant}`);
                  return;
                }
                draftStore.replaceDocument(normalizeDocument(parsed.data));
              } catch (error) {
                setImportError(`not JSON: ${String(error)}`);
              }
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
