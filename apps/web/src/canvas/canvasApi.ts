/** The canvas's contract with its owner: what it asks for, and the handles it gives. */

export type Position = { x: number; y: number };

/** What the canvas asks its owner to do: creating things needs a dialog the owner renders. */
export interface CanvasIntents {
  /**
   * A palette item dropped on the canvas at a flow position; `onto` names the network it was
   * dropped on, if any (a workload dropped on a network defaults to it).
   */
  onCreate?: (item: PaletteItem, at: { x: number; y: number }, onto?: { network: string }) => void;
  /** A firewall / LB / NAT dropped on a policy edge: put it in that policy's service chain. */
  onDropOnPolicy?: (item: PaletteItem, policy: string, at: { x: number; y: number }) => void;
  /** Two objects joined by drawing an edge. */
  onConnect?: (source: string, target: string) => void;
  /** A policy from the library dropped on a network. */
  onAttachPolicy?: (policy: string, network: string) => void;
  /** "Trace from here" on a workload: the trace panel opens with it as the source. */
  onTraceFrom?: (workload: string) => void;
}

export type PaletteItem =
  | "network"
  | "external"
  | "workload"
  | "firewall"
  | "load-balancer"
  | "nat"
  | "dns"
  | "router"
  | "pool";

export const PALETTE_MIME = "application/x-netloom-palette";
export const POLICY_MIME = "application/x-netloom-policy";

/** Imperative handles the toolbar and panels use. */
export interface CanvasApi {
  fit: () => void;
  /** Runs the auto-layout (undoable); answers the milliseconds the layout took. */
  layout: () => Promise<number>;
  /** A new object was dropped at `at`: its node goes to the nearest free spot there. */
  placeNode: (id: string, at: Position) => void;
  focus: (id: string) => void;
  /** Fits the view to these nodes (a traced path). */
  fitNodes: (ids: string[]) => void;
  center: () => Position;
}
