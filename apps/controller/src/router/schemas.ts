import { ERROR_CODES, nameSchema } from "@netloom/model";
import { z } from "zod";

/** A problem on the wire. */
export const problemSchema = z.object({ path: z.string(), message: z.string() });

/** The `tenant` every tenant-scoped input names. */
export const tenantRef = z.object({ tenant: nameSchema });

export const okSchema = z.object({ ok: z.literal(true) });

export const errorCodeSchema = z.enum(ERROR_CODES);

export const roleSchema = z.enum(["tenant_admin", "tenant_viewer"]);
export const globalRoleSchema = z.enum(["none", "cloud_admin", "cloud_viewer"]);

/** Email-ish user names: printable, no spaces, no control or bidi characters. */
export const emailSchema = z
  .string()
  .min(3)
  .max(254)
  .regex(/^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+$/u, { message: "is not an email address" });

/** Free text shown to people (token names, display names): no control or bidi characters. */
export const labelSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, { message: "must not contain control or formatting characters" });

/** OpenAPI metadata of a procedure served under /api (REST view, trpc-to-openapi). */
export function api(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: `/${string}`,
  summary: string,
): {
  openapi: {
    method: "GET" | "POST" | "PUT" | "DELETE";
    path: `/${string}`;
    protect: true;
    summary: string;
    tags: string[];
  };
} {
  const tag = path.split("/")[path.startsWith("/tenants/{tenant}/") ? 3 : 1] ?? "api";
  return { openapi: { method, path, protect: true, summary, tags: [tag] } };
}
