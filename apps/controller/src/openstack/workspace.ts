import type {
  FabricExternalNetworkSpec,
  IntentFile,
  Network,
  ResourceKind,
  ResourceSpecs,
} from "@netloom/model";
import type { Principal } from "../auth/principal";
import type { TenantState } from "../store/types";
import { NeutronFault } from "./errors";
import { uuidOf } from "./ids";
import {
  FABRIC_KEY_PREFIX,
  FABRIC_SCOPE,
  type SideAttributes,
  type SideKind,
  type SideRows,
  type SideWrite,
} from "./side";

/** A JSON object as Neutron sends and answers it. */
export type Json = Record<string, unknown>;

/** Timestamps for objects never touched through Neutron (netloom keeps no creation time). */
const EPOCH = "1970-01-01T00:00:00Z";

/** An external network a project may use: its own `external: true` network or the fabric's. */
export interface ExternalNetwork {
  name: string;
  subnets: { cidr: string; gateway?: string | undefined }[];
  /** Tenant id owning it, or null for a fabric external network. */
  owner: string | null;
  /** A fabric external network's `tenants` (who may use it), when the operator limited it. */
  tenants?: readonly string[] | undefined;
}

/**
 * A change of the fabric's external networks (spec 1.1) a plan asks for: the network as it
 * should be, or its name to remove. Applied through `Store.applyFabric` before side rows.
 */
export type FabricChange =
  | { kind: "upsert"; network: FabricExternalNetworkSpec }
  | { kind: "remove"; name: string };

/** The side-row key of a fabric object (read from every project, written by the cloud admin). */
export function fabricKey(key: string): string {
  return `${FABRIC_KEY_PREFIX}${key}`;
}

/**
 * One project's objects as Neutron sees them, at one moment: the intent document, the side
 * rows, and (when writing) the side writes the change will make. Views and changes of every
 * collection are built on it, so a read and a write see the same mapping.
 */
export class Workspace {
  /** Side writes recorded by `put` and `remove` (applied after the intent change commits). */
  readonly writes: SideWrite[] = [];
  /** Whether the intent was handed out for change (else only side rows change). */
  intentTouched = false;
  /** The change of the fabric's external networks this plan makes, if any. */
  fabricChange: FabricChange | null = null;
  /** Whether any project uses a fabric external network (set by writers that may remove one). */
  fabricInUse: (name: string) => boolean = () => false;

  constructor(
    readonly principal: Principal,
    readonly state: TenantState,
    readonly doc: IntentFile,
    readonly side: SideRows,
    readonly fabricExternal: readonly ExternalNetwork[],
    readonly now: string,
  ) {}

  get projectId(): string {
    return this.state.id;
  }

  id(kind: SideKind, key: string): string {
    return uuidOf(this.state.id, kind, key);
  }

  /** The mutable list of a kind (marks the intent as changing). */
  list<K extends ResourceKind>(kind: K): ResourceSpecs[K][] {
    this.intentTouched = true;
    const record = this.doc as unknown as Record<string, ResourceSpecs[K][] | undefined>;
    let list = record[kind];
    if (!list) {
      list = [];
      record[kind] = list;
    }
    return list;
  }

  /** The list of a kind without creating it (reads). */
  peek<K extends ResourceKind>(kind: K): readonly ResourceSpecs[K][] {
    const record = this.doc as unknown as Record<string, ResourceSpecs[K][] | undefined>;
    return record[kind] ?? [];
  }

  network(name: string): Network | undefined {
    return this.peek("networks").find((network) => network.name === name);
  }

  /** The netloom revision of a stored object (0 when not stored yet). */
  revisionOf(kind: ResourceKind, name: string): number {
    return this.state.resources.get(`${kind}/${name}`)?.revision ?? 0;
  }

  /** Every external network this project may use, its own first. */
  externalNetworks(): ExternalNetwork[] {
    const own = this.peek("networks")
      .filter((network) => network.external)
      .map((network) => ({ name: network.name, subnets: network.subnets, owner: this.state.id }));
    const ownNames = new Set<string>(own.map((network) => network.name));
    return [...own, ...this.fabricExternal.filter((network) => !ownNames.has(network.name))];
  }

  /**
   * The standard attributes of an object: `id`, project, `name` (the Neutron name, else the
   * netloom name), description, tags, timestamps, and a revision that grows with every change
   * through Neutron and with every netloom revision of the object holding it.
   */
  standard(kind: SideKind, key: string, fallbackName: string, netloomRevision: number): Json {
    const attributes = this.side.get(kind, key);
    return {
      id: this.id(kind, key),
      name: attributes?.name ?? fallbackName,
      tenant_id: this.projectId,
      project_id: this.projectId,
      description: attributes?.description ?? "",
      tags: attributes?.tags ?? [],
      created_at: attributes?.createdAt ?? EPOCH,
      updated_at: attributes?.updatedAt ?? EPOCH,
      revision_number: (attributes?.revision ?? 0) + Math.max(0, netloomRevision - 1),
    };
  }

  extra(kind: SideKind, key: string): Record<string, unknown> {
    return this.side.get(kind, key)?.extra ?? {};
  }

  /** Records a new object's side row. */
  create(kind: SideKind, key: string, body: Json, fallbackName: string, extra: Json = {}): void {
    this.put(kind, key, {
      name: typeof body.name === "string" ? body.name : fallbackName,
      description: typeof body.description === "string" ? body.description : "",
      tags: stringList(body.tags),
      createdAt: this.now,
      updatedAt: this.now,
      revision: 0,
      extra,
    });
  }

  /** Applies a Neutron update's standard attributes and bumps the revision. */
  touch(kind: SideKind, key: string, body: Json, fallbackName: string, extra?: Json): void {
    const current = this.side.get(kind, key);
    this.put(kind, key, {
      name: typeof body.name === "string" ? body.name : (current?.name ?? fallbackName),
      description:
        typeof body.description === "string" ? body.description : (current?.description ?? ""),
      tags: Array.isArray(body.tags) ? stringList(body.tags) : (current?.tags ?? []),
      createdAt: current?.createdAt ?? this.now,
      updatedAt: this.now,
      revision: (current?.revision ?? 0) + 1,
      extra: { ...(current?.extra ?? {}), ...(extra ?? {}) },
    });
  }

  put(kind: SideKind, key: string, attributes: SideAttributes): void {
    this.side.set(kind, key, attributes);
    this.writes.push({ ...this.scopeOf(key), kind, attributes });
  }

  remove(kind: SideKind, key: string): void {
    if (!this.side.get(kind, key)) return;
    this.side.delete(kind, key);
    this.writes.push({ ...this.scopeOf(key), kind, attributes: null });
  }

  /** Where a key's row lives: the project's rows, or the fabric's (the cloud admin's only). */
  private scopeOf(key: string): { tenantId: string; key: string } {
    if (!key.startsWith(FABRIC_KEY_PREFIX)) return { tenantId: this.state.id, key };
    if (this.principal.globalRole !== "cloud_admin") {
      throw new NeutronFault(
        403,
        "PolicyNotAuthorized",
        "The fabric's networks are the operator's.",
      );
    }
    return { tenantId: FABRIC_SCOPE, key: key.slice(FABRIC_KEY_PREFIX.length) };
  }

  /** Moves a side row to a new key (an object whose netloom identity changed). */
  rekey(kind: SideKind, from: string, to: string): void {
    const attributes = this.side.get(kind, from);
    if (!attributes || from === to) return;
    this.remove(kind, from);
    this.put(kind, to, attributes);
  }
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === "string")
    : [];
}
