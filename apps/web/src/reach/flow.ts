import type { RouterOutputs } from "@netloom/controller/types";
import type { Protocol } from "@netloom/model";

/** What the controller answers to a trace, and the all-pairs matrix. */
export type TraceResult = RouterOutputs["reach"]["trace"];
export type Matrix = RouterOutputs["reach"]["matrix"];

export const PROTOCOLS: readonly Protocol[] = ["tcp", "udp", "icmp", "any"];

/** The flow being traced, as typed in the trace form. */
export interface FlowForm {
  from: string;
  to: string;
  protocol: Protocol;
  port: string;
}

/** A request to trace from a workload, made on the canvas; each request is a new object. */
export interface TraceStart {
  workload: string;
}
