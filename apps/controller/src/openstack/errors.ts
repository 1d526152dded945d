import { assertNever, type NetloomError } from "@netloom/model";

/**
 * A Neutron fault: HTTP status plus the `type` Neutron names it with (neutron_lib
 * `api/faults.py`, `exceptions.py`). Thrown by the OpenStack handlers and answered in the
 * `{"NeutronError": {...}}` shape.
 */
export class NeutronFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly detail = "",
  ) {
    super(message);
    this.name = "NeutronFault";
  }

  static notFound(kind: string, id: string): NeutronFault {
    const type = `${kind
      .split(/[_ ]/)
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join("")}NotFound`;
    return new NeutronFault(404, type, `${kind.replace(/_/g, " ")} ${id} could not be found.`);
  }

  static badRequest(message: string): NeutronFault {
    return new NeutronFault(400, "BadRequest", message);
  }

  static conflict(type: string, message: string): NeutronFault {
    return new NeutronFault(409, type, message);
  }

  static inUse(kind: string, id: string, why: string): NeutronFault {
    const type = `${kind.charAt(0).toUpperCase()}${kind.slice(1)}InUse`;
    return new NeutronFault(409, type, `Unable to complete operation on ${kind} ${id}. ${why}`);
  }

  body(): { NeutronError: { type: string; message: string; detail: string } } {
    return { NeutronError: { type: this.type, message: this.message, detail: this.detail } };
  }
}

/** The Neutron fault for a netloom error raised underneath (validation, quotas, auth). */
export function faultOf(error: NetloomError): NeutronFault {
  const detail = error.problems.map((problem) => `${problem.path}: ${problem.message}`).join("; ");
  const code = error.code;
  switch (code) {
    case "INVALID":
      return new NeutronFault(400, "BadRequest", error.message, detail);
    case "NOT_FOUND":
      return new NeutronFault(404, "NotFound", error.message, detail);
    case "CONFLICT":
      return new NeutronFault(409, "Conflict", error.message, detail);
    case "UNAUTHENTICATED":
      return new NeutronFault(401, "NotAuthorized", "Authentication required", detail);
    case "FORBIDDEN":
      return new NeutronFault(403, "PolicyNotAuthorized", error.message, detail);
    case "QUOTA_EXCEEDED":
      return new NeutronFault(409, "OverQuota", error.message, detail);
    case "EXHAUSTED":
      return new NeutronFault(409, "IpAddressGenerationFailure", error.message, detail);
    case "ASSERTION_FAILED":
      return new NeutronFault(409, "Conflict", error.message, detail);
    case "TOO_LARGE":
      return new NeutronFault(413, "RequestEntityTooLarge", error.message, detail);
    case "UNSUPPORTED_MEDIA_TYPE":
      return new NeutronFault(415, "UnsupportedMediaType", error.message, detail);
    case "PRECONDITION_FAILED":
      return new NeutronFault(412, "RevisionNumberConstraintFailed", error.message, detail);
    case "RATE_LIMITED":
      return new NeutronFault(429, "OverLimit", error.message, detail);
    case "BUDGET_EXCEEDED":
      return new NeutronFault(409, "Conflict", error.message, detail);
    case "UNAVAILABLE":
      return new NeutronFault(503, "ServiceUnavailable", error.message, detail);
    case "INTERNAL":
      return new NeutronFault(500, "InternalServerError", "Request Failed: internal server error");
    default:
      return assertNever(code, "error code");
  }
}

/** Keystone's error shape (`{"error": {code, title, message}}`). */
export class KeystoneFault extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = "KeystoneFault";
  }

  static unauthorized(
    message = "The request you have made requires authentication.",
  ): KeystoneFault {
    return new KeystoneFault(401, "Unauthorized", message);
  }

  body(): { error: { code: number; title: string; message: string } } {
    return { error: { code: this.status, title: this.title, message: this.message } };
  }
}
