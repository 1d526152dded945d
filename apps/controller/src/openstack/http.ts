import { NetloomError } from "@netloom/model";
import type { FastifyReply, FastifyRequest } from "fastify";
import { faultOf, KeystoneFault, NeutronFault } from "./errors";
import type { Json, Workspace } from "./workspace";

/*
 * HTTP helpers of the Neutron routes: faults to answers, list answer cache, field picking,
 * the project and If-Match checks.
 */

/** A fault (or any error) as Neutron's answer; 5xx logged with the request. */
function fail(request: FastifyRequest, reply: FastifyReply, error: unknown) {
  if (error instanceof KeystoneFault) return reply.status(error.status).send(error.body());
  const fault =
    error instanceof NeutronFault
      ? error
      : error instanceof NetloomError
        ? faultOf(error)
        : new NeutronFault(500, "InternalServerError", "Request Failed: internal server error");
  if (fault.status >= 500)
    request.log.error({ err: error, url: request.url }, "neutron request failed");
  return reply.status(fault.status).send(fault.body());
}

/** A route handler whose faults become Neutron answers. */
export function handle(run: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return await run(request, reply);
    } catch (error) {
      return fail(request, reply, error);
    }
  };
}

/** Serialized list answers, the oldest dropped first. */
export class AnswerCache {
  private readonly answers = new Map<string, string>();

  constructor(private readonly limit: number) {}

  get(key: string): string | undefined {
    return this.answers.get(key);
  }

  set(key: string, answer: string): void {
    if (this.answers.size >= this.limit) {
      const [oldest] = this.answers.keys();
      if (oldest !== undefined) this.answers.delete(oldest);
    }
    this.answers.set(key, answer);
  }
}

export function pick(view: Json, fields: string[]): Json {
  const picked: Json = {};
  for (const field of fields) if (field in view) picked[field] = view[field];
  return picked;
}

/** A body naming another project is refused: objects are made in the token's project only. */
export function refuseForeignProject(body: Json, ws: Workspace): void {
  for (const field of ["project_id", "tenant_id"]) {
    const value = body[field];
    if (value !== undefined && value !== ws.projectId) {
      throw new NeutronFault(
        403,
        "PolicyNotAuthorized",
        `${field} must be the token's project (${ws.projectId}).`,
      );
    }
  }
}

/** `If-Match: revision_number=N` (a list allowed): 412 when the object's revision differs. */
export function checkIfMatch(request: FastifyRequest, view: Json): void {
  const header = request.headers["if-match"];
  if (typeof header !== "string") return;
  for (const part of header.split(",")) {
    const match = /^\s*revision_number=(\d+)\s*$/.exec(part);
    if (!match) continue;
    if (Number(match[1]) !== view.revision_number) {
      throw new NeutronFault(
        412,
        "RevisionNumberConstraintFailed",
        `Constrained to ${match[1]}, but current revision is ${String(view.revision_number)}`,
      );
    }
  }
}
