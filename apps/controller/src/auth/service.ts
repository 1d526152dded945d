import { NetloomError } from "@netloom/model";
import type { Db } from "../db";
import { hashPassword, hashSecret, newSecret, verifyPassword } from "./crypto";
import { LoginLimiter } from "./limiter";
import type { GlobalRole, Principal, TenantRole } from "./principal";
import { PrincipalCache } from "./principal-cache";
import { StreamRegistry } from "./streams";

/** How long a login session lasts. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
/** Resolved principals are cached this long; grants and revocations clear the cache at once. */
const PRINCIPAL_CACHE_MS = 30_000;
/** A principal used this close to its expiry is looked up again in the background. */
const PRINCIPAL_REFRESH_AHEAD_MS = 5_000;

export interface UserView {
  id: string;
  email: string;
  displayName: string;
  globalRole: GlobalRole;
  memberships: { tenant: string; role: TenantRole }[];
}

export interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** One audited login attempt (the server logs it through pino and counts it). */
export interface LoginAudit {
  outcome: "success" | "failure" | "rate_limited";
  email: string;
  address: string | undefined;
}

/** Users, password logins, sessions and API tokens. */
export class AuthService {
  private readonly cache = new PrincipalCache({
    ttlMs: PRINCIPAL_CACHE_MS,
    refreshAheadMs: PRINCIPAL_REFRESH_AHEAD_MS,
    onRefreshError: (error) => this.onRefreshError(error),
  });
  /** Open subscription streams; revocations end them. */
  readonly streams = new StreamRegistry();
  readonly limiter: LoginLimiter;
  /** Called for every login attempt; the server logs and counts them. */
  onLoginAudit: (event: LoginAudit) => void = () => undefined;
  /** A background lookup of a cached principal failed; the server logs and counts it. */
  onRefreshError: (error: unknown) => void = (error) => {
    console.error("netloom: refreshing a cached principal failed", error);
  };
  /** A real hash to check unknown emails against, so they take as long as known ones. */
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    options: { limiter?: LoginLimiter } = {},
  ) {
    this.limiter = options.limiter ?? new LoginLimiter();
  }

  /**
   * On an empty store, creates the cloud admin and gives it `token` (or a generated one).
   * Returns the token when it made one, null when users already existed.
   */
  async bootstrap(token?: string): Promise<{ email: string; token: string } | null> {
    const prisma = this.db.prisma;
    if ((await prisma.user.count()) > 0) return null;
    const secret = token && token.length > 0 ? token : newSecret("nlt");
    const email = "admin@netloom.local";
    await prisma.user.create({
      data: {
        email,
        displayName: "Cloud admin",
        globalRole: "cloud_admin",
        tokens: { create: { name: "bootstrap", tokenHash: hashSecret(secret) } },
      },
    });
    return { email, token: secret };
  }

  /** The caller behind a bearer token or a session cookie, or null. */
  async authenticate(credentials: {
    token?: string | undefined;
    session?: string | undefined;
  }): Promise<Principal | null> {
    return (await this.authenticateCredential(credentials))?.principal ?? null;
  }

  /**
   * The caller and the key of the credential it used (`t:` or `s:` and the secret's hash: the
   * principal cache and stream ownership), or null. One hash serves both: per request, hashing
   * is a measurable share of a cached read.
   */
  async authenticateCredential(credentials: {
    token?: string | undefined;
    session?: string | undefined;
  }): Promise<{ principal: Principal; credential: string } | null> {
    const secret = credentials.token ?? credentials.session;
    if (!secret) return null;
    const kind = credentials.token ? "t" : "s";
    const secretHash = hashSecret(secret);
    const credential = `${kind}:${secretHash}`;
    const principal = await this.cache.resolve(credential, () =>
      kind === "t" ? this.fromToken(secretHash) : this.fromSession(secretHash),
    );
    if (!principal) return null;
    return { principal, credential };
  }

  private async fromToken(tokenHash: string): Promise<Principal | null> {
    const token = await this.db.prisma.apiToken.findUnique({ where: { tokenHash } });
    if (!token) return null;
    await this.db.prisma.apiToken.update({
      where: { id: token.id },
      data: { lastUsedAt: new Date() },
    });
    return this.principalOf(token.userId);
  }

  private async fromSession(sessionHash: string): Promise<Principal | null> {
    const session = await this.db.prisma.session.findUnique({ where: { id: sessionHash } });
    if (!session || session.expiresAt.getTime() < Date.now()) return null;
    return this.principalOf(session.userId);
  }

  private async principalOf(userId: string): Promise<Principal | null> {
    const user = await this.db.prisma.user.findUnique({
      where: { id: userId },
      include: { memberships: true },
    });
    if (!user) return null;
    return {
      userId: user.id,
      email: user.email,
      globalRole: user.globalRole,
      memberships: new Map(user.memberships.map((m) => [m.tenantId, m.role])),
    };
  }

  /**
   * Checks a password; returns a new session secret for the cookie. Rate-limited per account
   * and per source `address` (RATE_LIMITED while locked); an unknown email costs the same
   * scrypt as a known one; every attempt is audited.
   */
  async login(
    email: string,
    password: string,
    address?: string | undefined,
  ): Promise<{ session: string; principal: Principal }> {
    try {
      this.limiter.check(email, address);
    } catch (error) {
      this.onLoginAudit({ outcome: "rate_limited", email, address });
      throw error;
    }
    const user = await this.db.prisma.user.findUnique({ where: { email } });
    this.decoyHash ??= hashPassword(newSecret("decoy"));
    const stored = user?.passwordHash ?? (await this.decoyHash);
    const ok = (await verifyPassword(password, stored)) && Boolean(user?.passwordHash);
    if (!user || !ok) {
      this.limiter.failed(email, address);
      this.onLoginAudit({ outcome: "failure", email, address });
      throw new NetloomError("UNAUTHENTICATED", "wrong email or password");
    }
    this.limiter.succeeded(email);
    this.onLoginAudit({ outcome: "success", email, address });
    const session = newSecret("nls");
    await this.db.prisma.session.create({
      data: {
        id: hashSecret(session),
        userId: user.id,
        expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      },
    });
    const principal = await this.principalOf(user.id);
    if (!principal) throw new NetloomError("UNAUTHENTICATED", "wrong email or password");
    return { session, principal };
  }

  /** Ends the session, and with it every stream it opened. */
  async logout(session: string): Promise<void> {
    await this.db.prisma.session.deleteMany({ where: { id: hashSecret(session) } });
    this.cache.delete(`s:${hashSecret(session)}`);
    this.streams.endCredential(`s:${hashSecret(session)}`, "logged out");
  }

  async createToken(userId: string, name: string): Promise<TokenView & { token: string }> {
    const token = newSecret("nlt");
    const row = await this.db.prisma.apiToken.create({
      data: { userId, name, tokenHash: hashSecret(token) },
    });
    return { ...tokenView(row), token };
  }

  async listTokens(userId: string): Promise<TokenView[]> {
    const rows = await this.db.prisma.apiToken.findMany({
      where: { userId },
      orderBy: { createdAt: "asc" },
    });
    return rows.map(tokenView);
  }

  /** Revokes one of the user's own tokens; another user's token answers NOT_FOUND. */
  async revokeToken(userId: string, id: string): Promise<void> {
    const token = await this.db.prisma.apiToken.findFirst({ where: { id, userId } });
    const { count } = await this.db.prisma.apiToken.deleteMany({ where: { id, userId } });
    if (count === 0 || !token) throw new NetloomError("NOT_FOUND", `token ${id} not found`);
    this.cache.clear();
    this.streams.endCredential(`t:${token.tokenHash}`, "token revoked");
  }

  async listUsers(): Promise<UserView[]> {
    const users = await this.db.prisma.user.findMany({
      orderBy: { email: "asc" },
      include: { memberships: { include: { tenant: true } } },
    });
    return users.map((user) => ({
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      globalRole: user.globalRole,
      memberships: user.memberships.map((m) => ({ tenant: m.tenant.name, role: m.role })),
    }));
  }

  async createUser(input: {
    email: string;
    displayName: string;
    password?: string | undefined;
    globalRole: GlobalRole;
  }): Promise<UserView> {
    const existing = await this.db.prisma.user.findUnique({ where: { email: input.email } });
    if (existing) {
      throw new NetloomError("CONFLICT", `user ${input.email} exists`, [
        { path: "email", message: `${input.email} is taken` },
      ]);
    }
    const user = await this.db.prisma.user.create({
      data: {
        email: input.email,
        displayName: input.displayName,
        globalRole: input.globalRole,
        passwordHash: input.password ? await hashPassword(input.password) : null,
      },
    });
    return { ...user, memberships: [] };
  }

  /** Sets (or replaces) a user's login password. */
  async setPassword(email: string, password: string): Promise<void> {
    const user = await this.db.prisma.user.findUnique({ where: { email } });
    if (!user) throw userNotFound(email);
    const passwordHash = await hashPassword(password);
    await this.db.prisma.user.update({ where: { id: user.id }, data: { passwordHash } });
  }

  /** Sets a user's cloud-wide role. NOT_FOUND (path `email`) for an unknown user. */
  async setGlobalRole(email: string, globalRole: GlobalRole): Promise<UserView> {
    const user = await this.db.prisma.user.findUnique({ where: { email } });
    if (!user) throw userNotFound(email);
    await this.db.prisma.user.update({ where: { id: user.id }, data: { globalRole } });
    this.cache.clear();
    this.streams.endUser(user.id, "role changed");
    const view = (await this.listUsers()).find((candidate) => candidate.id === user.id);
    if (!view) throw userNotFound(email);
    return view;
  }

  /** Gives (or with role null, takes away) a user's role in a tenant. */
  async grant(email: string, tenantId: string, role: TenantRole | null): Promise<void> {
    const user = await this.db.prisma.user.findUnique({ where: { email } });
    if (!user) throw userNotFound(email);
    if (role === null) {
      await this.db.prisma.membership.deleteMany({ where: { userId: user.id, tenantId } });
    } else {
      await this.db.prisma.membership.upsert({
        where: { userId_tenantId: { userId: user.id, tenantId } },
        create: { userId: user.id, tenantId, role },
        update: { role },
      });
    }
    this.cache.clear();
    // Streams authorized under the old role end; a reconnect is authorized under the new one.
    this.streams.endUser(user.id, "membership changed");
  }

  /** Drops every cached principal (after grants, revocations, tenant deletion). */
  invalidate(): void {
    this.cache.clear();
  }
}

function userNotFound(email: string): NetloomError {
  return new NetloomError("NOT_FOUND", `user ${email} not found`, [
    { path: "email", message: `user ${email} not found` },
  ]);
}

function tokenView(row: {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}): TokenView {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt ? row.lastUsedAt.toISOString() : null,
  };
}
