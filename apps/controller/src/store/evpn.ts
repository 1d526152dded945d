import {
  type CompileInput,
  compile,
  describeSkip,
  evpnExports,
  importLearnedRoutes,
  type NodeConfig,
  type TenantInput,
} from "@netloom/compiler";
import {
  type BgpSpec,
  bgpSchema,
  compareEvpnRoutes,
  type EvpnType5Route,
  type FabricExternalNetworkSpec,
  type LearnedEvpnRoute,
  learnedEvpnRouteSchema,
  NetloomError,
  type Problem,
  parseWithSchema,
  validateFabricEvpn,
} from "@netloom/model";
import { logStoreError } from "../db";
import type { Prisma } from "../generated/prisma/client";
import type { SqlRunner } from "../migrate";

/**
 * Issue 14, the store side of the BGP EVPN door: the Fabric file's `bgp` section, the type-5
 * routes each controller's speaker learned (a table, so every controller on one database
 * compiles the same union), and the routes to export, computed from compiled node configs.
 */

type Tx = Prisma.TransactionClient;

/** The Fabric file's `bgp` section as stored, or undefined when the operator configured none. */
export async function loadBgp(sql: SqlRunner): Promise<BgpSpec | undefined> {
  const rows = await sql.query<{ spec: unknown }>(`SELECT spec FROM "FabricBgp" WHERE id = 1`);
  const row = rows[0];
  return row ? bgpSchema.parse(row.spec) : undefined;
}

/** Writes (or, with null, removes) the `bgp` section inside a fabric change's transaction. */
export async function writeBgp(tx: Tx, bgp: BgpSpec | null): Promise<void> {
  if (bgp === null) {
    await tx.$executeRawUnsafe(`DELETE FROM "FabricBgp" WHERE id = 1`);
    return;
  }
  await tx.$executeRawUnsafe(
    `INSERT INTO "FabricBgp" (id, spec, "updatedAt") VALUES (1, $1::jsonb, now())
     ON CONFLICT (id) DO UPDATE SET spec = EXCLUDED.spec, "updatedAt" = now()`,
    JSON.stringify(bgp),
  );
}

/** Whether two `bgp` sections say the same (key order aside). */
export function sameBgp(a: BgpSpec | undefined, b: BgpSpec | undefined): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

interface LearnedRow {
  source: string;
  peer: string;
  prefix: string;
  vni: number;
  routerMac: string;
  nexthop: string;
  routeTarget: string;
}

const LEARNED_COLUMNS = `source, peer, prefix, vni, "routerMac", nexthop, "routeTarget"`;

const routeOf = (row: LearnedRow): LearnedEvpnRoute => ({
  prefix: row.prefix,
  vni: Number(row.vni),
  routerMac: row.routerMac,
  nexthop: row.nexthop,
  routeTarget: row.routeTarget,
  peer: row.peer,
});

/** Every learned route of every source, in compareEvpnRoutes order (duplicates across sources once). */
export async function loadLearnedRoutes(sql: SqlRunner): Promise<LearnedEvpnRoute[]> {
  const rows = await sql.query<LearnedRow>(`SELECT ${LEARNED_COLUMNS} FROM "EvpnLearnedRoute"`);
  const unique = new Map<string, LearnedEvpnRoute>();
  for (const route of rows.map(routeOf).sort(compareEvpnRoutes)) {
    unique.set(routeKey(route), route);
  }
  return [...unique.values()].sort(compareEvpnRoutes);
}

/** The primary key of a learned route within one source. */
function routeKey(route: LearnedEvpnRoute): string {
  return [route.peer, route.prefix, route.vni, route.nexthop, route.routeTarget].join(" ");
}

/**
 * A speaker's whole table checked route by route (INVALID naming `routes[i].field`), one route
 * per key (the last one given wins, as the last update GoBGP streamed would), sorted.
 */
export function parseLearnedRoutes(source: string, routes: readonly unknown[]): LearnedEvpnRoute[] {
  const problems: Problem[] = [];
  if (source.trim() === "") problems.push({ path: "source", message: "names the speaker" });
  const parsed = new Map<string, LearnedEvpnRoute>();
  routes.forEach((route, index) => {
    const result = parseWithSchema(learnedEvpnRouteSchema, route);
    if (!result.ok) {
      for (const problem of result.problems) {
        const at =
          problem.path === ""
            ? ""
            : problem.path.startsWith("[")
              ? problem.path
              : `.${problem.path}`;
        problems.push({ ...problem, path: `routes[${index}]${at}` });
      }
      return;
    }
    parsed.set(routeKey(result.value), result.value);
  });
  if (problems.length > 0) throw NetloomError.invalid(problems);
  return [...parsed.values()].sort(compareEvpnRoutes);
}

/** The routes one source holds now, sorted. */
export async function learnedRoutesOf(sql: SqlRunner, source: string): Promise<LearnedEvpnRoute[]> {
  const rows = await sql.query<LearnedRow>(
    `SELECT ${LEARNED_COLUMNS} FROM "EvpnLearnedRoute" WHERE source = $1`,
    [source],
  );
  return rows.map(routeOf).sort(compareEvpnRoutes);
}

/** Whether two sorted route lists are the same routes. */
export function sameRoutes(a: readonly LearnedEvpnRoute[], b: readonly LearnedEvpnRoute[]) {
  return canonicalJson(a) === canonicalJson(b);
}

/** Replaces one source's rows inside a fabric change's transaction. */
export async function writeLearnedRoutes(
  tx: Tx,
  source: string,
  routes: readonly LearnedEvpnRoute[],
): Promise<void> {
  await tx.$executeRawUnsafe(`DELETE FROM "EvpnLearnedRoute" WHERE source = $1`, source);
  // Chunks of 500 rows (7 parameters each) stay far below PostgreSQL's 65535-parameter limit.
  for (let start = 0; start < routes.length; start += 500) {
    const chunk = routes.slice(start, start + 500);
    const values: unknown[] = [];
    const tuples = chunk.map((route, index) => {
      values.push(
        source,
        route.peer,
        route.prefix,
        route.vni,
        route.routerMac,
        route.nexthop,
        route.routeTarget,
      );
      const base = index * 7;
      return `(${[1, 2, 3, 4, 5, 6, 7].map((offset) => `$${base + offset}`).join(", ")})`;
    });
    await tx.$executeRawUnsafe(
      `INSERT INTO "EvpnLearnedRoute" (${LEARNED_COLUMNS}) VALUES ${tuples.join(", ")}`,
      ...values,
    );
  }
}

/**
 * Refuses an external network's L3 VNI that another network already uses: a tenant network's
 * VNI (from the database) or another fabric external network's. Problems name the field.
 */
export async function checkEvpnVnis(
  sql: SqlRunner,
  desired: readonly FabricExternalNetworkSpec[],
  others: readonly { name: string; vni: number }[],
): Promise<Problem[]> {
  const wanted = desired.flatMap((network, index) =>
    network.evpn ? [{ index, name: network.name, vni: network.evpn.vni }] : [],
  );
  if (wanted.length === 0) return [];
  const taken = await sql.query<{ vni: number }>(
    `SELECT vni FROM "VniAllocation" WHERE vni = ANY($1::int[])`,
    [wanted.map((entry) => entry.vni)],
  );
  const tenantVnis = new Set(taken.map((row) => Number(row.vni)));
  const problems: Problem[] = [];
  for (const entry of wanted) {
    const path = `externalNetworks[${entry.index}].evpn.vni`;
    if (tenantVnis.has(entry.vni)) {
      problems.push({ path, message: `VNI ${entry.vni} is a tenant network's VNI` });
      continue;
    }
    const other = others.find(
      (network) => network.name !== entry.name && network.vni === entry.vni,
    );
    if (other) {
      problems.push({
        path,
        message: `VNI ${entry.vni} is the VNI of external network ${other.name}`,
      });
    }
  }
  return problems;
}

/**
 * The tenants whose compiled configs can hold exported routes: users of an evpn network (its L3
 * VNI among their VNIs) and tenants named in an `exportTenantSubnets`. The others add nothing.
 */
function exportingTenants(input: CompileInput): CompileInput["tenants"] {
  const evpnVnis = new Set<number>();
  const named = new Set<string>();
  for (const network of input.fabric.externalNetworks ?? []) {
    if (!network.evpn) continue;
    evpnVnis.add(network.evpn.vni);
    for (const entry of network.evpn.exportTenantSubnets ?? []) named.add(entry.tenant);
  }
  if (evpnVnis.size === 0) return [];
  return input.tenants.filter(
    (tenant) =>
      named.has(tenant.intent.tenant) ||
      Object.values(tenant.vnis).some((vni) => evpnVnis.has(vni)),
  );
}

/**
 * The type-5 routes this fabric exports, computed from compiled node configs of the tenants that
 * can contribute, remembered per tenant by its input object (a tenant's configs do not depend on
 * other tenants): after a change only the changed tenant is compiled again (the
 * store hands unchanged tenants over as the same objects where it can). A fabric change (nodes,
 * external networks) forgets everything.
 */
export class EvpnExportCompiler {
  private fabricKey = "";
  private byTenant = new WeakMap<TenantInput, EvpnType5Route[]>();

  exports(input: CompileInput): EvpnType5Route[] {
    const { learnedRoutes: _learned, ...fabric } = input.fabric;
    const key = JSON.stringify(fabric);
    if (key !== this.fabricKey) {
      this.fabricKey = key;
      this.byTenant = new WeakMap();
    }
    const networks = fabric.externalNetworks ?? [];
    const contributing = exportingTenants(input);
    const missing = contributing.filter((tenant) => !this.byTenant.has(tenant));
    if (missing.length > 0) {
      // One compile for all of them, then each tenant's configs apart (node by node).
      const perTenant = new Map<string, NodeConfig[]>();
      for (const node of Object.values(compile({ fabric, tenants: missing }).nodes)) {
        for (const config of node.tenants) {
          const list = perTenant.get(config.tenantId) ?? [];
          list.push({ node: node.node, underlay: node.underlay, tenants: [config] });
          perTenant.set(config.tenantId, list);
        }
      }
      for (const tenant of missing) {
        this.byTenant.set(tenant, evpnExports(perTenant.get(tenant.id) ?? [], networks));
      }
    }
    const routes = new Map<string, EvpnType5Route>();
    for (const tenant of contributing) {
      for (const route of this.byTenant.get(tenant) ?? []) {
        routes.set(`${route.vni} ${route.prefix} ${route.nexthop}`, route);
      }
    }
    return [...routes.values()].sort(compareEvpnRoutes);
  }
}

/** The exports of a compile input, from scratch (one whole compile of the contributing tenants). */
export function computeEvpnExports(input: CompileInput): EvpnType5Route[] {
  const tenants = exportingTenants(input);
  if (tenants.length === 0) return [];
  const { learnedRoutes: _learned, ...fabric } = input.fabric;
  return evpnExports(compile({ fabric, tenants }).nodes, input.fabric.externalNetworks ?? []);
}

/**
 * Keeps the exported routes and tells listeners when they change. `poke` after anything that may
 * change them (a committed change, a refresh from another controller); the work runs once per
 * compile input (the store replaces its cached input on every change).
 */
export class EvpnExportWatch {
  private lastInput: CompileInput | undefined;
  private exports: EvpnType5Route[] = [];
  private readonly compiler = new EvpnExportCompiler();
  private readonly listeners = new Set<(routes: EvpnType5Route[]) => void>();

  constructor(private readonly input: () => CompileInput) {}

  /** The current exports (recomputed if the compile input changed since). */
  current(): EvpnType5Route[] {
    const input = this.input();
    if (input !== this.lastInput) {
      this.exports = this.compiler.exports(input);
      this.lastInput = input;
    }
    return this.exports;
  }

  /** Calls `listener` with the new exports each time they change; answers the unsubscribe. */
  subscribe(listener: (routes: EvpnType5Route[]) => void): () => void {
    this.listeners.add(listener);
    // The baseline the listener's changes are measured from.
    if (this.listeners.size === 1) this.current();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Recomputes (when someone listens) and tells the listeners if the exports changed. */
  poke(): void {
    if (this.listeners.size === 0) return;
    const before = this.exports;
    let after: EvpnType5Route[];
    try {
      after = this.current();
    } catch (error) {
      // A fabric that does not compile exports what it exported before; distribution reports it.
      logStoreError(error, "computing EVPN exports");
      return;
    }
    if (canonicalJson(before) === canonicalJson(after)) return;
    for (const listener of this.listeners) {
      try {
        listener(after);
      } catch (error) {
        logStoreError(error, "an EVPN exports listener failed");
      }
    }
  }
}

/** JSON with object keys sorted, so equal values compare equal however they were built. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : item,
  );
}

/** The cross-field rules of a Fabric file's `evpn` and `bgp` sections (model's validateFabricEvpn). */
export function validateFabricBgp(
  externalNetworks: readonly FabricExternalNetworkSpec[] | undefined,
  bgp: BgpSpec | null | undefined,
): Problem[] {
  return validateFabricEvpn({
    ...(externalNetworks ? { externalNetworks: [...externalNetworks] } : {}),
    ...(bgp ? { bgp } : {}),
  });
}

/** A learned route and what became of it (the operator view and `netloom status` show it). */
export interface LearnedRouteView extends LearnedEvpnRoute {
  imported: boolean;
  /** Why it is not programmed, when it is not. */
  reason?: string;
}

/** Every learned route with its import decision, in compareEvpnRoutes order. */
export function learnedRouteViews(input: CompileInput): LearnedRouteView[] {
  const learned = input.fabric.learnedRoutes ?? [];
  if (learned.length === 0) return [];
  const skipped = new Map(
    importLearnedRoutes(input.fabric).skipped.map((entry) => [entry.route, entry.reason]),
  );
  return learned.map((route) => {
    const reason = skipped.get(route);
    return reason === undefined
      ? { ...route, imported: true }
      : { ...route, imported: false, reason: describeSkip(reason) };
  });
}
