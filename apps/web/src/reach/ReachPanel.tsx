import { useEffect, useState } from "react";
import type { CanvasApi } from "../canvas/canvasApi";
import { useOverlay } from "../canvas/overlay";
import { AssertionsEditor } from "./AssertionsEditor";
import type { FlowForm, TraceStart } from "./flow";
import { MatrixView } from "./MatrixView";
import { TraceView } from "./TraceView";

/**
 * Reachability, always answered by the controller (the compiled model), never decided here:
 * trace one flow and draw it on the canvas, the all-pairs matrix, and the stored assertions.
 */
export function ReachPanel({
  tenant,
  readOnly,
  canvas,
  startFrom,
}: {
  tenant: string;
  readOnly: boolean;
  canvas: React.RefObject<CanvasApi | null>;
  /** "Trace from here" on the canvas: a new request (a new object) restarts the trace from it. */
  startFrom?: TraceStart | null;
}) {
  const [view, setView] = useState<"trace" | "matrix" | "assertions">("trace");
  const [flow, setFlow] = useState<FlowForm>(() => ({
    from: startFrom?.workload ?? "",
    to: "",
    protocol: "tcp",
    port: "",
  }));
  useEffect(() => {
    if (!startFrom) return;
    setView("trace");
    setFlow((current) => ({ ...current, from: startFrom.workload }));
  }, [startFrom]);
  return (
    <div className="reach">
      <fieldset className="segmented" aria-label="Reachability view">
        {(["trace", "matrix", "assertions"] as const).map((v) => (
          <button
            key={v}
            type="button"
            aria-pressed={view === v}
            className={view === v ? "active" : ""}
            onClick={() => setView(v)}
          >
            {v === "trace" ? "Trace" : v === "matrix" ? "Matrix" : "Assertions"}
          </button>
        ))}
      </fieldset>
      {view === "trace" ? (
        <TraceView tenant={tenant} flow={flow} setFlow={setFlow} canvas={canvas} />
      ) : null}
      {view === "matrix" ? (
        <MatrixView
          tenant={tenant}
          onPick={(next) => {
            setFlow(next);
            setView("trace");
          }}
        />
      ) : null}
      {view === "assertions" ? <AssertionsEditor tenant={tenant} readOnly={readOnly} /> : null}
    </div>
  );
}

/** The current trace's verdict, for status bars. */
export function useTraceVerdict() {
  return useOverlay((s) => s.trace?.verdict ?? null);
}
