import type { Protocol, Verdict } from "@netloom/model";
import type { CompiledFabric, PortRange } from "./config";
import { type IntervalSet, setContains } from "./ipv4";
import { aclMatchers, firewallMatchers, groupMatchers } from "./match";
import {
  type FlowEnd,
  FlowWalk,
  type IfaceRef,
  type NodeView,
  nodeView,
  pickInterfaces,
  type TenantIndex,
  tenantIndex,
} from "./trace";

/*
 * The reachability matrix over equivalence classes (atomic predicates, Yang & Lam): workloads
 * whose treatment is identical share a row, and ports split into the atomic ranges the tenant's
 * rules distinguish. Two workloads are equivalent when their interfaces, in order, sit on the
 * same networks with the same security groups and addresses inside exactly the same address sets
 * of the tenant's rules (policy, firewall and group remotes): no rule can tell them apart, so one
 * representative pair decides for every pair of the two classes. The answer stays compressed;
 * `expandMatrix` gives the per-pair form.
 */

/** A flow class: icmp, or a tcp/udp destination port range no rule splits. */
export interface FlowClass {
  protocol: Protocol;
  /** First port of the range (tcp/udp); every port of the range is treated alike. */
  port?: number;
  /** Last port of the range (tcp/udp). */
  portTo?: number;
}

/** The compressed all-pairs matrix of one tenant. */
export interface ClassMatrix {
  tenant: string;
  /** Every workload with an address, sorted by name. */
  workloads: string[];
  /** Each class's members (indexes into `workloads`), in the order of their first member. */
  classes: number[][];
  flows: FlowClass[];
  /** The distinct cells: each a sorted list of flow class indexes that are allowed. */
  palette: number[][];
  /**
   * `pairs[a][b]`: the palette index of the flows a member of class a reaches a member of class
   * b with (for a == b: between two distinct members).
   */
  pairs: number[][];
}

/** The per-pair form: `allowed[i][j]` lists the flow classes workload i reaches workload j with. */
export interface ExpandedMatrix {
  tenant: string;
  workloads: string[];
  flows: FlowClass[];
  allowed: number[][][];
}

/** Each workload's class index, from the members lists. */
export function classOfWorkload(matrix: ClassMatrix): Int32Array {
  const classOf = new Int32Array(matrix.workloads.length).fill(-1);
  matrix.classes.forEach((members, index) => {
    for (const member of members) classOf[member] = index;
  });
  return classOf;
}

/** The verdict of one cell (workload i to workload j, flow class k) of a compressed matrix. */
export function classVerdict(
  matrix: ClassMatrix,
  classOf: Int32Array,
  from: number,
  to: number,
  flow: number,
): Verdict {
  if (from === to) return "deny";
  const a = classOf[from] ?? -1;
  const b = classOf[to] ?? -1;
  const cell = matrix.palette[matrix.pairs[a]?.[b] ?? -1];
  return cell?.includes(flow) === true ? "allow" : "deny";
}

/**
 * Expands the compressed matrix to one cell per ordered pair (the diagonal empty). Pure: the
 * portal calls it; its size is workloads² cells, so expand only what is drawn.
 */
export function expandMatrix(matrix: ClassMatrix): ExpandedMatrix {
  const classOf = classOfWorkload(matrix);
  const count = matrix.workloads.length;
  const none: number[] = [];
  const allowed: number[][][] = [];
  for (let i = 0; i < count; i++) {
    const row: number[][] = [];
    const classRow = matrix.pairs[classOf[i] ?? -1];
    for (let j = 0; j < count; j++) {
      const cell = i === j ? undefined : matrix.palette[classRow?.[classOf[j] ?? -1] ?? -1];
      row.push(cell ?? none);
    }
    allowed.push(row);
  }
  return { tenant: matrix.tenant, workloads: matrix.workloads, flows: matrix.flows, allowed };
}

/**
 * What the tenant's rules can tell apart: tcp/udp port boundaries, and the address sets policy
 * lists and firewalls match on (`policySets`) and those security groups match remotes against
 * (`remoteSets`). Each piece is read once.
 */
interface RuleSpace {
  ports: { tcp: Set<number>; udp: Set<number> };
  policySets: IntervalSet[];
  remoteSets: IntervalSet[];
}

function ruleSpaceOf(index: TenantIndex): RuleSpace {
  const space: RuleSpace = {
    ports: { tcp: new Set([1]), udp: new Set([1]) },
    policySets: [],
    remoteSets: [],
  };
  const seen = new Set<object>();
  const keys = new Set<string>();
  const addSet = (list: IntervalSet[], prefix: string, set: IntervalSet) => {
    const key = `${prefix}${set.join(",")}`;
    if (keys.has(key)) return;
    keys.add(key);
    list.push(set);
  };
  const addPorts = (protocol: Protocol, ranges: readonly PortRange[]) => {
    for (const range of ranges) {
      for (const name of ["tcp", "udp"] as const) {
        if (protocol !== name && protocol !== "any") continue;
        space.ports[name].add(range.from);
        space.ports[name].add(range.to + 1);
      }
    }
  };
  for (const { config } of index.configs.values()) {
    for (const network of config.networks) {
      if (seen.has(network)) continue;
      seen.add(network);
      for (const matcher of aclMatchers(network)) {
        addPorts(matcher.protocol, matcher.ports);
        addSet(space.policySets, "p", matcher.sources);
        addSet(space.policySets, "p", matcher.destinations);
      }
    }
    for (const group of config.securityGroups) {
      if (seen.has(group)) continue;
      seen.add(group);
      const compiled = groupMatchers(group);
      for (const rule of [...compiled.ingress, ...compiled.egress]) {
        addPorts(rule.protocol, rule.ports);
        addSet(space.remoteSets, "r", rule.remotes);
      }
    }
    for (const firewall of config.firewalls) {
      if (seen.has(firewall)) continue;
      seen.add(firewall);
      for (const matcher of firewallMatchers(firewall)) {
        addPorts(matcher.protocol, matcher.ports);
        addSet(space.policySets, "p", matcher.sources);
        addSet(space.policySets, "p", matcher.destinations);
      }
    }
  }
  return space;
}

/** The flow classes: icmp, then each protocol's atomic port ranges, ascending. */
function flowClassesOf(space: RuleSpace): FlowClass[] {
  const flows: FlowClass[] = [{ protocol: "icmp" }];
  for (const protocol of ["tcp", "udp"] as const) {
    const starts = [...space.ports[protocol]].filter((port) => port <= 65535).sort((a, b) => a - b);
    starts.forEach((port, i) => {
      flows.push({ protocol, port, portTo: (starts[i + 1] ?? 65536) - 1 });
    });
  }
  return flows;
}

/** Interns which of a list of sets hold an address: equal ids, indistinguishable addresses. */
class Signatures {
  private readonly ids = new Map<string, number>();
  private readonly byAddress = new Map<number, number>();

  constructor(private readonly sets: readonly IntervalSet[]) {}

  of(address: number): number {
    let id = this.byAddress.get(address);
    if (id !== undefined) return id;
    const held: number[] = [];
    for (let s = 0; s < this.sets.length; s++) {
      const set = this.sets[s];
      if (set !== undefined && setContains(set, address)) held.push(s);
    }
    const key = held.join(",");
    id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    this.byAddress.set(address, id);
    return id;
  }
}

/** Interns strings as small numbers. */
class Interner {
  private readonly ids = new Map<string, number>();
  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(text, id);
    }
    return id;
  }
}

/** What a verdict factor needs of one interface, as small numbers. */
interface RefKey {
  id: number;
  ref: IfaceRef;
  view: NodeView | undefined;
  node: number;
  network: number;
  groups: number;
  policySignature: number;
  remoteSignature: number;
}

/** Packs small non-negative numbers (each below 2^20) into one exact key. */
const SLOT = 1 << 20;

/** A set of flow classes as bits: flow k is bit k % 32 of word k >> 5. */
type FlowBits = Int32Array;

/**
 * The three factors of a workload-to-workload verdict, each a bit per flow class and memoized
 * by exactly what it depends on: the source's egress groups and the destination's remote
 * signature; the two networks and their policy signatures; the destination's ingress groups
 * and the source's remote signature. Each factor is decided by trace's own FlowWalk steps.
 */
class VerdictFactors {
  private readonly walks: FlowWalk[];
  private readonly groupMasks = new Map<number, FlowBits>();
  /** By network pair, then by the two policy signatures. */
  private readonly policyMasks = new Map<number, Map<number, FlowBits>>();
  private readonly forwarding = new Map<number, boolean>();
  private readonly nodes = new Interner();
  private readonly policySigs: Signatures;
  private readonly remoteSigs: Signatures;
  private readonly networks = new Interner();
  private readonly groupLists = new Interner();
  private readonly keys = new Map<IfaceRef, RefKey>();
  readonly words: number;
  readonly all: FlowBits;

  constructor(
    private readonly index: TenantIndex,
    private readonly flows: readonly FlowClass[],
    space: RuleSpace,
  ) {
    this.walks = flows.map((flow) => new FlowWalk(index, flow.protocol, flow.port, false));
    this.policySigs = new Signatures(space.policySets);
    this.remoteSigs = new Signatures(space.remoteSets);
    this.words = (flows.length + 31) >> 5;
    this.all = this.bits(() => true);
  }

  private bits(pass: (k: number) => boolean): FlowBits {
    const bits = new Int32Array(this.words);
    for (let k = 0; k < this.flows.length; k++) {
      if (pass(k)) bits[k >> 5] = (bits[k >> 5] ?? 0) | (1 << (k & 31));
    }
    return bits;
  }

  keyOf(ref: IfaceRef): RefKey {
    let key = this.keys.get(ref);
    if (key === undefined) {
      key = {
        id: this.keys.size,
        ref,
        view: nodeView(this.index, ref.node),
        node: this.nodes.id(ref.node),
        network: this.networks.id(ref.iface.network),
        groups: this.groupLists.id(ref.iface.securityGroups.join(",")),
        policySignature: this.policySigs.of(ref.address),
        remoteSignature: this.remoteSigs.of(ref.address),
      };
      this.keys.set(ref, key);
    }
    return key;
  }

  /** Which flows the interface's groups pass in a direction, towards or from `remote`. */
  groups(side: RefKey, direction: "ingress" | "egress", remote: RefKey): FlowBits {
    const view = side.view;
    if (side.ref.iface.securityGroups.length === 0 || view === undefined) return this.all;
    const key =
      (side.groups * SLOT + remote.remoteSignature) * 2 + (direction === "egress" ? 1 : 0);
    let mask = this.groupMasks.get(key);
    if (mask === undefined) {
      mask = this.bits(
        (k) =>
          this.walks[k]?.groups(
            view,
            side.ref.iface,
            direction,
            remote.ref.address,
            this.flows[k]?.port,
          ) === undefined,
      );
      this.groupMasks.set(key, mask);
    }
    return mask;
  }

  /** Which flows the two networks' policy lists, route and service chain pass. */
  policies(view: NodeView, source: RefKey, destination: RefKey): FlowBits {
    const pair = source.network * SLOT + destination.network;
    let byPair = this.policyMasks.get(pair);
    if (byPair === undefined) {
      byPair = new Map();
      this.policyMasks.set(pair, byPair);
    }
    const key = source.policySignature * SLOT + destination.policySignature;
    let mask = byPair.get(key);
    if (mask === undefined) {
      const from = source.ref.iface.network;
      const to = destination.ref.iface.network;
      mask = this.bits(
        (k) =>
          this.walks[k]?.policies(
            view,
            from,
            to,
            source.ref.address,
            destination.ref.address,
            this.flows[k]?.port,
          ) === undefined,
      );
      byPair.set(key, mask);
    }
    return mask;
  }

  /** Whether the source's node forwards to the destination interface at all. */
  forwards(source: RefKey, destination: RefKey): boolean {
    const view = source.view;
    if (view === undefined) return false;
    const key = source.node * SLOT * 16 + destination.id;
    let forwards = this.forwarding.get(key);
    if (forwards === undefined) {
      forwards = this.walks[0]?.forward(view, destination.ref) === undefined;
      this.forwarding.set(key, forwards);
    }
    return forwards;
  }
}

/** One class as matrix rows see it: its representative's interfaces and their networks. */
interface ClassSide {
  /** The representative and, for pairs within the class, a second member. */
  first: FlowEnd;
  second: FlowEnd | undefined;
  keys: RefKey[];
  secondKeys: RefKey[];
  /** Interned list of the interfaces' networks (what the interface choice depends on). */
  networks: number;
}

/** The interfaces (by position) two workloads use: spec section 2, memoized by networks. */
class InterfaceChoice {
  private readonly chosen = new Map<number, [number, number] | undefined>();

  pick(
    from: ClassSide,
    fromEnd: FlowEnd,
    to: ClassSide,
    toEnd: FlowEnd,
  ): [number, number] | undefined {
    if (fromEnd.kind !== "workload" || toEnd.kind !== "workload") return undefined;
    if (fromEnd.ifaces.length === 1 && toEnd.ifaces.length === 1) return [0, 0];
    const key = from.networks * 1048576 + to.networks;
    if (this.chosen.has(key)) return this.chosen.get(key);
    const [source, destination] = pickInterfaces(fromEnd, toEnd);
    const choice: [number, number] | undefined =
      source.kind === "iface" && destination.kind === "iface"
        ? [fromEnd.ifaces.indexOf(source.ref), toEnd.ifaces.indexOf(destination.ref)]
        : undefined;
    this.chosen.set(key, choice);
    return choice;
  }
}

/** The allowed flows of one class pair (from one representative pair) into `cell`. */
function cellOf(
  factors: VerdictFactors,
  source: RefKey | undefined,
  destination: RefKey | undefined,
  cell: FlowBits,
): void {
  cell.fill(0);
  if (source === undefined || destination === undefined) return;
  const view = source.view;
  if (view === undefined || destination.view === undefined) return;
  const egress = factors.groups(source, "egress", destination);
  const policy =
    source.network === destination.network
      ? factors.all
      : factors.policies(view, source, destination);
  let any = 0;
  for (let w = 0; w < cell.length; w++) {
    const bits = (egress[w] ?? 0) & (policy[w] ?? 0);
    cell[w] = bits;
    any |= bits;
  }
  if (any === 0) return;
  if (!factors.forwards(source, destination)) {
    cell.fill(0);
    return;
  }
  const ingress = factors.groups(destination, "ingress", source);
  for (let w = 0; w < cell.length; w++) cell[w] = (cell[w] ?? 0) & (ingress[w] ?? 0);
}

/** Distinct cells, found word by word in a trie of maps (no key text per lookup). */
class Palette {
  readonly cells: number[][] = [];
  private readonly root = new Map<number, unknown>();

  constructor(private readonly flowCount: number) {}

  idOf(cell: FlowBits): number {
    let level = this.root;
    for (let w = 0; w < cell.length - 1; w++) {
      const word = cell[w] ?? 0;
      let next = level.get(word) as Map<number, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(word, next);
      }
      level = next;
    }
    const last = cell[cell.length - 1] ?? 0;
    let id = level.get(last) as number | undefined;
    if (id === undefined) {
      id = this.cells.length;
      const flows: number[] = [];
      for (let k = 0; k < this.flowCount; k++) {
        if (((cell[k >> 5] ?? 0) >>> (k & 31)) & 1) flows.push(k);
      }
      this.cells.push(flows);
      level.set(last, id);
    }
    return id;
  }
}

/** The compressed reachability matrix of a tenant's workloads, on the compiled configs. */
export function reachClasses(compiled: CompiledFabric, tenant: string): ClassMatrix {
  const index = tenantIndex(compiled, tenant);
  if (index === undefined) {
    return { tenant, workloads: [], classes: [], flows: [], palette: [], pairs: [] };
  }
  const workloads = [...index.byWorkload.keys()].sort();
  const space = ruleSpaceOf(index);
  const flows = flowClassesOf(space);
  const factors = new VerdictFactors(index, flows, space);
  const classIds = new Map<string, number>();
  const classes: number[][] = [];
  const refsOf = (name: string | undefined) => index.byWorkload.get(name ?? "") ?? [];
  workloads.forEach((name, i) => {
    const refs = refsOf(name);
    const key = refs
      .map((ref) => {
        const key = factors.keyOf(ref);
        return `${key.network}/${key.groups}/${key.policySignature}/${key.remoteSignature}`;
      })
      .join(" ");
    let id = classIds.get(key);
    if (id === undefined) {
      id = classes.length;
      classIds.set(key, id);
      classes.push([]);
    }
    classes[id]?.push(i);
  });
  const networkLists = new Interner();
  const endOf = (member: number | undefined): FlowEnd | undefined => {
    const name = workloads[member ?? -1];
    return name === undefined ? undefined : { kind: "workload", name, ifaces: refsOf(name) };
  };
  const sides: ClassSide[] = classes.map((members) => {
    const first = endOf(members[0]) ?? { kind: "unknown", text: "" };
    const second = endOf(members[1]);
    const ifaces = first.kind === "workload" ? first.ifaces : [];
    const secondIfaces = second?.kind === "workload" ? second.ifaces : [];
    return {
      first,
      second,
      keys: ifaces.map((ref) => factors.keyOf(ref)),
      secondKeys: secondIfaces.map((ref) => factors.keyOf(ref)),
      networks: networkLists.id(ifaces.map((ref) => ref.iface.network).join(",")),
    };
  });
  const choice = new InterfaceChoice();
  const palette = new Palette(flows.length);
  const cell = new Int32Array(factors.words);
  const pairs: number[][] = [];
  for (let a = 0; a < sides.length; a++) {
    const from = sides[a];
    const row: number[] = [];
    for (let b = 0; b < sides.length; b++) {
      const to = sides[b];
      // One representative pair of distinct workloads; a class of one has no pair with itself.
      const toEnd = a === b ? to?.second : to?.first;
      const toKeys = a === b ? to?.secondKeys : to?.keys;
      const picked =
        from === undefined || to === undefined || toEnd === undefined
          ? undefined
          : choice.pick(from, from.first, to, toEnd);
      cellOf(
        factors,
        picked === undefined ? undefined : from?.keys[picked[0]],
        picked === undefined ? undefined : toKeys?.[picked[1]],
        cell,
      );
      row.push(palette.idOf(cell));
    }
    pairs.push(row);
  }
  return { tenant, workloads, classes, flows, palette: palette.cells, pairs };
}
