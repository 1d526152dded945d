import { NetloomError } from "@netloom/model";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hashSecret } from "../auth/crypto";
import type { Principal } from "../auth/principal";
import { type AuthService, SESSION_TTL_MS } from "../auth/service";
import type { Db } from "../db";
import type { Store } from "../store/store";
import type { TenantState } from "../store/types";
import { KeystoneFault } from "./errors";
import { baseUrlOf, type Credentials, projectRoles, resolveToken, scopedToken } from "./tokens";

/** The one domain netloom has: Keystone's `Default`. */
const DEFAULT_DOMAIN = { id: "default", name: "Default" };

export interface IdentityDeps {
  store: Store;
  auth: AuthService;
  db: Db;
}

interface AuthBody {
  identity: {
    methods: string[];
    password?: { user: { id?: string; name?: string; domain?: DomainRef; password: string } };
    token?: { id: string };
  };
  scope?: { project?: { id?: string; name?: string; domain?: DomainRef } } | "unscoped";
}

interface DomainRef {
  id?: string;
  name?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads the part of an auth request Keystone's password and token methods use. */
function parseAuthBody(body: unknown): AuthBody {
  const auth = isRecord(body) && isRecord(body.auth) ? body.auth : undefined;
  const identity = auth && isRecord(auth.identity) ? auth.identity : undefined;
  if (!auth || !identity || !Array.isArray(identity.methods)) {
    throw new KeystoneFault(400, "Bad Request", "Expecting to find auth.identity.methods.");
  }
  return auth as unknown as AuthBody;
}

function checkDomain(domain: DomainRef | undefined): void {
  if (!domain) return;
  const ok =
    (domain.id === undefined || domain.id === DEFAULT_DOMAIN.id) &&
    (domain.name === undefined || domain.name === DEFAULT_DOMAIN.name);
  if (!ok) throw KeystoneFault.unauthorized("The request you have made requires authentication.");
}

/**
 * Keystone v3 under /identity: version documents, and tokens issued, validated and revoked.
 * A token is a netloom login session (same expiry, revocation and login rate limits) with the
 * project it is scoped to appended (`<session>.<project id>`).
 */
export function registerIdentity(app: FastifyInstance, deps: IdentityDeps): void {
  const { store, auth, db } = deps;

  const send = (reply: FastifyReply, error: unknown, request: FastifyRequest) => {
    if (error instanceof KeystoneFault) return reply.status(error.status).send(error.body());
    if (error instanceof NetloomError) {
      const status =
        error.code === "RATE_LIMITED"
          ? 429
          : error.code === "UNAUTHENTICATED" || error.code === "NOT_FOUND"
            ? 401
            : error.code === "FORBIDDEN"
              ? 403
              : error.code === "INVALID"
                ? 400
                : 500;
      if (status === 500) request.log.error({ err: error }, "keystone request failed");
      const title =
        status === 401 ? "Unauthorized" : status === 429 ? "Too Many Requests" : "Error";
      const message =
        status === 401 ? "The request you have made requires authentication." : error.message;
      return reply.status(status).send(new KeystoneFault(status, title, message).body());
    }
    request.log.error({ err: error }, "keystone request failed");
    return reply
      .status(500)
      .send(new KeystoneFault(500, "Internal Server Error", "internal error").body());
  };

  const versionDocument = (request: FastifyRequest) => ({
    id: "v3.14",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${baseUrlOf(request)}/identity/v3/` }],
    "media-types": [
      { base: "application/json", type: "application/vnd.openstack.identity-v3+json" },
    ],
  });

  app.get("/identity", async (request, reply) =>
    reply.status(300).send({ versions: { values: [versionDocument(request)] } }),
  );
  app.get("/identity/", async (request, reply) =>
    reply.status(300).send({ versions: { values: [versionDocument(request)] } }),
  );
  app.get("/identity/v3", async (request) => ({ version: versionDocument(request) }));
  app.get("/identity/v3/", async (request) => ({ version: versionDocument(request) }));

  /** The user a password method names: by id, or by name = email, email's local part or display name. */
  const findUser = async (user: { id?: string; name?: string }) => {
    if (user.id) return db.prisma.user.findUnique({ where: { id: user.id } });
    const name = user.name ?? "";
    if (name === "") return null;
    const candidates = await db.prisma.user.findMany({
      where: {
        OR: [{ email: name }, { email: { startsWith: `${name}@` } }, { displayName: name }],
      },
    });
    const exact = candidates.find((candidate) => candidate.email === name);
    if (exact) return exact;
    return candidates.length === 1 ? (candidates[0] ?? null) : null;
  };

  const projectOf = (principal: Principal, scope: AuthBody["scope"]): TenantState | null => {
    if (!scope || scope === "unscoped" || !scope.project) return null;
    checkDomain(scope.project.domain);
    const state = scope.project.id
      ? store.tenantById(scope.project.id)
      : scope.project.name
        ? store.tenant(scope.project.name)
        : undefined;
    if (!state || projectRoles(principal, state).length === 0) {
      throw KeystoneFault.unauthorized(
        `User ${principal.userId} has no access to project ${scope.project.id ?? scope.project.name}.`,
      );
    }
    return state;
  };

  const tokenBody = async (
    credentials: Credentials,
    methods: string[],
    request: FastifyRequest,
  ) => {
    const { principal, project, secret } = credentials;
    const user = await db.prisma.user.findUnique({ where: { id: principal.userId } });
    const session = secret.startsWith("nls_")
      ? await db.prisma.session.findUnique({ where: { id: hashSecret(secret) } })
      : null;
    const now = new Date();
    const expires = session?.expiresAt ?? new Date(now.getTime() + 24 * 3600 * 1000);
    const issued = session ? new Date(session.expiresAt.getTime() - SESSION_TTL_MS) : now;
    const roles = project ? projectRoles(principal, project) : [];
    return {
      token: {
        methods,
        expires_at: keystoneTime(expires),
        issued_at: keystoneTime(issued),
        audit_ids: [hashSecret(secret).slice(0, 22)],
        user: {
          id: principal.userId,
          name: user?.email ?? principal.email,
          domain: DEFAULT_DOMAIN,
          password_expires_at: null,
        },
        ...(project
          ? { project: { id: project.id, name: project.name, domain: DEFAULT_DOMAIN } }
          : {}),
        roles: roles.map((role) => ({ id: role, name: role })),
        is_domain: false,
        catalog: [
          {
            type: "network",
            name: "neutron",
            id: "network",
            endpoints: ["public", "internal", "admin"].map((iface) => ({
              id: `network-${iface}`,
              interface: iface,
              region: "RegionOne",
              region_id: "RegionOne",
              url: `${baseUrlOf(request)}/network`,
            })),
          },
          {
            type: "identity",
            name: "keystone",
            id: "identity",
            endpoints: ["public", "internal", "admin"].map((iface) => ({
              id: `identity-${iface}`,
              interface: iface,
              region: "RegionOne",
              region_id: "RegionOne",
              url: `${baseUrlOf(request)}/identity/v3`,
            })),
          },
        ],
      },
    };
  };

  app.post("/identity/v3/auth/tokens", async (request, reply) => {
    try {
      const body = parseAuthBody(request.body);
      const methods = body.identity.methods;
      let secret: string;
      let principal: Principal;
      if (methods.includes("password")) {
        const password = body.identity.password?.user;
        if (!password || typeof password.password !== "string") {
          throw new KeystoneFault(400, "Bad Request", "Expecting to find password in identity.");
        }
        checkDomain(password.domain);
        const user = await findUser(password);
        if (!user) throw KeystoneFault.unauthorized();
        const login = await auth.login(user.email, password.password);
        secret = login.session;
        principal = login.principal;
      } else if (methods.includes("token")) {
        const id = body.identity.token?.id;
        const resolved = id ? await resolveToken(store, auth, id) : null;
        if (!resolved) throw KeystoneFault.unauthorized();
        secret = resolved.secret;
        principal = resolved.principal;
      } else {
        throw KeystoneFault.unauthorized(`Unsupported authentication method: ${methods.join(",")}`);
      }
      const project = projectOf(principal, body.scope);
      const token = scopedToken(secret, project);
      const credentials: Credentials = { principal, project, secret, token };
      reply.header("x-subject-token", token);
      return reply.status(201).send(await tokenBody(credentials, methods, request));
    } catch (error) {
      return send(reply, error, request);
    }
  });

  const validate = async (request: FastifyRequest): Promise<Credentials> => {
    const caller = request.headers["x-auth-token"];
    const subject = request.headers["x-subject-token"];
    if (typeof caller !== "string" || !(await resolveToken(store, auth, caller))) {
      throw KeystoneFault.unauthorized();
    }
    const resolved = typeof subject === "string" ? await resolveToken(store, auth, subject) : null;
    if (!resolved) throw new KeystoneFault(404, "Not Found", "Could not find token.");
    return resolved;
  };

  app.get("/identity/v3/auth/tokens", { exposeHeadRoute: false }, async (request, reply) => {
    try {
      const credentials = await validate(request);
      reply.header("x-subject-token", credentials.token);
      return reply.send(await tokenBody(credentials, ["password"], request));
    } catch (error) {
      return send(reply, error, request);
    }
  });
  app.head("/identity/v3/auth/tokens", async (request, reply) => {
    try {
      await validate(request);
      return reply.status(200).send();
    } catch (error) {
      if (error instanceof KeystoneFault) return reply.status(error.status).send();
      return send(reply, error, request);
    }
  });
  app.delete("/identity/v3/auth/tokens", async (request, reply) => {
    try {
      const credentials = await validate(request);
      if (credentials.secret.startsWith("nls_")) await auth.logout(credentials.secret);
      else auth.invalidate();
      return reply.status(204).send();
    } catch (error) {
      return send(reply, error, request);
    }
  });
}

/** Keystone's timestamp form: microseconds, `Z`. */
function keystoneTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}.${String(date.getMilliseconds()).padStart(3, "0")}000Z`;
}
