import { NetloomError } from "@netloom/model";
import type { FastifyRequest } from "fastify";

/**
 * The portal's Content Security Policy: scripts only from this origin (the built portal has no
 * inline script), no framing, no plugins. Styles allow inline attributes: the canvas positions
 * its nodes with `style`, which cannot run code.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers every answer carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Whether the request came over https, directly or through a proxy that says so. */
export function isHttps(request: FastifyRequest): boolean {
  if (request.protocol === "https") return true;
  const forwarded = request.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  return first === "https";
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Refuses cross-site and non-JSON state changes of cookie-authenticated (browser) callers:
 * the session cookie is sent by the browser on any site's form post, a bearer token is not.
 * - `Sec-Fetch-Site` (every current browser sends it) must be `same-origin` or `none`;
 * - without it, an `Origin` must name this host (`Host`, or `X-Forwarded-Host` behind a proxy);
 * - the body must be JSON (a form or `text/plain` post needs no CORS preflight).
 * Requests with neither header nor cookie are not browsers acting for a user: left alone.
 * Login is guarded too (no cookie yet): a foreign page must not log a visitor in.
 */
export function refuseCrossSite(
  request: FastifyRequest,
  hasBearer: boolean,
  hasSession: boolean,
): NetloomError | undefined {
  if (hasBearer || !STATE_CHANGING.has(request.method)) return undefined;
  const site = headerOf(request, "sec-fetch-site");
  const origin = headerOf(request, "origin");
  if (site !== undefined) {
    if (site !== "same-origin" && site !== "none") return crossSite(`Sec-Fetch-Site: ${site}`);
  } else if (origin !== undefined) {
    const host = headerOf(request, "x-forwarded-host") ?? headerOf(request, "host");
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || originHost !== host) return crossSite(`Origin: ${origin}`);
  }
  const browserLike = hasSession || site !== undefined || origin !== undefined;
  const length = Number(headerOf(request, "content-length") ?? "0");
  const hasBody = length > 0 || headerOf(request, "transfer-encoding") !== undefined;
  if (browserLike && hasBody) {
    const type = headerOf(request, "content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      return new NetloomError(
        "UNSUPPORTED_MEDIA_TYPE",
        `a browser session may only send application/json, not ${type ?? "an untyped body"}`,
        [{ path: "", message: "content-type must be application/json" }],
      );
    }
  }
  return undefined;
}

function crossSite(evidence: string): NetloomError {
  return new NetloomError("FORBIDDEN", `cross-site request refused (${evidence})`, [
    { path: "", message: "state changes with a session cookie must come from the portal itself" },
  ]);
}
