import { formatCidr, parseIpv4, prefixMask } from "@netloom/model";
import { ipJson, mustRun, runCommand } from "./exec";
import { NFT_TABLE } from "./names";

/**
 * What one namespace holds, normalized so that what the driver rendered and what the kernel
 * reports compare by content (issue 8 §4): object key (`address lo 10.50.4.1/32`, `route
 * 10.1.0.0/24`, `neighbour vx100 169.254.0.12`, `fdb vx100 02:4e:… 198.18.0.12`, `link vx100`)
 * to its content. Only what the driver manages is read: IPv4 addresses, main-table IPv4 routes,
 * permanent neighbours, VXLAN FDB entries with a destination, and links.
 */
export type NormalState = Map<string, string>;

/** Attributes of a link the driver sets; a desired link names only those it cares about. */
export interface LinkAttributes {
  mac?: string;
  mtu?: number;
  up?: boolean;
  vni?: number;
  local?: string;
  port?: number;
  learning?: boolean;
}

/** One object whose kernel content is not what was rendered. */
export interface Difference {
  key: string;
  kind: "missing" | "extra" | "differs";
}

const words = (line: string) => line.trim().split(/\s+/);
const after = (tokens: readonly string[], word: string) => {
  const index = tokens.indexOf(word);
  return index < 0 ? undefined : tokens[index + 1];
};
/** The route the kernel adds for an interface address `a.b.c.d/n` (none for a /32). */
function connectedRoute(address: string): string | undefined {
  const [ip = "", lengthText = "32"] = address.split("/");
  const value = parseIpv4(ip);
  const length = Number(lengthText);
  if (value === undefined || !Number.isInteger(length) || length >= 32) return undefined;
  return formatCidr({ network: (value & prefixMask(length)) >>> 0, length });
}

/** A route's destination as the kernel names it in keys: `default` or a CIDR. */
const routeKey = (dst: string) => (dst === "default" || dst.includes("/") ? dst : `${dst}/32`);

/**
 * The state the driver's own `ip -batch` and `bridge -batch` lines render, plus what the kernel
 * adds for them (loopback's 127.0.0.1/8, the connected route of every address shorter than /32).
 */
export function renderedState(
  ipLines: readonly string[],
  fdbLines: readonly string[],
  links: ReadonlyMap<string, LinkAttributes>,
): NormalState {
  const state: NormalState = new Map([["address lo 127.0.0.1/8", ""]]);
  const linkAttributes = new Map<string, LinkAttributes>();
  for (const [name, attributes] of links) linkAttributes.set(name, { ...attributes });
  for (const line of ipLines) {
    const tokens = words(line);
    const [object, verb, subject = ""] = tokens;
    const device = after(tokens, "dev") ?? "";
    if (object === "addr" && verb === "replace") {
      state.set(`address ${device} ${subject}`, "");
      const connected = connectedRoute(subject);
      if (connected !== undefined) state.set(`route ${connected}`, `dev ${device}`);
    } else if (object === "route" && verb === "replace") {
      const via = after(tokens, "via");
      state.set(`route ${routeKey(subject)}`, `dev ${device}${via ? ` via ${via}` : ""}`);
    } else if (object === "neigh" && verb === "replace") {
      state.set(`neighbour ${device} ${subject}`, after(tokens, "lladdr") ?? "");
    } else if (object === "link" && verb === "set") {
      const attributes = linkAttributes.get(subject) ?? {};
      const mtu = after(tokens, "mtu");
      if (mtu !== undefined) attributes.mtu = Number(mtu);
      const mac = after(tokens, "address");
      if (mac !== undefined) attributes.mac = mac;
      if (tokens.includes("up")) attributes.up = true;
      linkAttributes.set(subject, attributes);
    }
  }
  for (const [name, attributes] of linkAttributes) {
    state.set(`link ${name}`, JSON.stringify(sorted(attributes)));
  }
  for (const line of fdbLines) {
    const tokens = words(line);
    const mac = tokens[2] ?? "";
    state.set(`fdb ${after(tokens, "dev") ?? ""} ${mac} ${after(tokens, "dst") ?? ""}`, "");
  }
  return state;
}

interface KernelLink {
  ifname: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; local?: string; port?: number; learning?: boolean };
  };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}
interface KernelRoute {
  dst: string;
  dev?: string;
  gateway?: string;
}
interface KernelNeighbour {
  dst: string;
  dev: string;
  lladdr?: string;
}
interface KernelFdb {
  mac: string;
  ifname: string;
  dst?: string;
}

function sorted(attributes: LinkAttributes): LinkAttributes {
  return Object.fromEntries(
    Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)),
  ) as LinkAttributes;
}

/** What the namespace (undefined: this process's) holds, normalized as {@link renderedState}. */
export async function kernelState(namespace: string): Promise<NormalState> {
  const [links, addresses, routes, neighbours, fdbText] = await Promise.all([
    ipJson(namespace, ["-d", "link", "show"]) as Promise<KernelLink[]>,
    ipJson(namespace, ["-4", "addr", "show"]) as Promise<KernelLink[]>,
    ipJson(namespace, ["-4", "route", "show", "table", "main"]) as Promise<KernelRoute[]>,
    ipJson(namespace, ["-4", "neigh", "show", "nud", "permanent"]) as Promise<KernelNeighbour[]>,
    mustRun(["bridge", "-n", namespace, "-j", "fdb", "show"]),
  ]);
  const state: NormalState = new Map();
  for (const link of links) {
    const data = link.linkinfo?.info_kind === "vxlan" ? link.linkinfo.info_data : undefined;
    const attributes: LinkAttributes = {
      ...(link.address === undefined ? {} : { mac: link.address }),
      ...(link.mtu === undefined ? {} : { mtu: link.mtu }),
      up: (link.flags ?? []).includes("UP"),
      ...(data ? { vni: data.id ?? 0, local: data.local ?? "", port: data.port ?? 0 } : {}),
      ...(data ? { learning: data.learning ?? true } : {}),
    };
    state.set(`link ${link.ifname}`, JSON.stringify(sorted(attributes)));
  }
  for (const link of addresses) {
    for (const info of link.addr_info ?? []) {
      if (info.family === "inet") {
        state.set(`address ${link.ifname} ${info.local}/${info.prefixlen}`, "");
      }
    }
  }
  for (const route of routes) {
    const via = route.gateway ? ` via ${route.gateway}` : "";
    state.set(`route ${routeKey(route.dst)}`, `dev ${route.dev ?? ""}${via}`);
  }
  for (const neighbour of neighbours) {
    state.set(`neighbour ${neighbour.dev} ${neighbour.dst}`, neighbour.lladdr ?? "");
  }
  const fdb = (fdbText.trim() === "" ? [] : JSON.parse(fdbText)) as KernelFdb[];
  for (const entry of fdb) {
    // Only entries toward a VTEP are the driver's; the rest are the kernel's own multicast.
    if (entry.dst !== undefined) state.set(`fdb ${entry.ifname} ${entry.mac} ${entry.dst}`, "");
  }
  return state;
}

/**
 * What differs between the rendered and the actual state. A link compares only on the
 * attributes the rendered state names for it.
 */
export function compareStates(rendered: NormalState, actual: NormalState): Difference[] {
  const differences: Difference[] = [];
  for (const [key, want] of rendered) {
    const have = actual.get(key);
    if (have === undefined) differences.push({ key, kind: "missing" });
    else if (key.startsWith("link ") ? !linkMatches(want, have) : have !== want) {
      differences.push({ key, kind: "differs" });
    }
  }
  for (const key of actual.keys()) {
    if (!rendered.has(key)) differences.push({ key, kind: "extra" });
  }
  return differences;
}

function linkMatches(want: string, have: string): boolean {
  const wanted = JSON.parse(want) as Record<string, unknown>;
  const held = JSON.parse(have) as Record<string, unknown>;
  return Object.entries(wanted).every(([name, value]) => held[name] === value);
}

/**
 * The commands removing what a namespace holds beyond its rendered state: `ip -batch` lines
 * (links, addresses, routes, neighbours) and `bridge -batch` lines (FDB entries). Links go last:
 * whatever sat on them goes with them.
 */
export function removalLines(
  differences: readonly Difference[],
  actual: NormalState,
): { ip: string[]; bridge: string[] } {
  const ip: string[] = [];
  const links: string[] = [];
  const bridge: string[] = [];
  // FDB entries of a link that goes go with it: deleting them after it (bridge runs after ip)
  // would fail on the missing device.
  const removedLinks = new Set(
    differences
      .filter(({ key, kind }) => kind === "extra" && key.startsWith("link "))
      .map(({ key }) => key.split(" ")[1]),
  );
  for (const { key, kind } of differences) {
    if (kind !== "extra") continue;
    const [object = "", first = "", second = "", third = ""] = key.split(" ");
    switch (object) {
      case "address":
        ip.push(`addr del ${second} dev ${first}`);
        break;
      case "route":
        ip.push(`route del ${first} ${actual.get(key) ?? ""}`.trim());
        break;
      case "neighbour":
        ip.push(`neigh del ${second} dev ${first}`);
        break;
      case "link":
        links.push(`link del ${first}`);
        break;
      case "fdb":
        if (!removedLinks.has(first))
          bridge.push(`fdb del ${second} dev ${first} dst ${third} self`);
        break;
    }
  }
  return { ip: [...ip, ...links], bridge };
}

/** One readable line per object repaired, for the RepairReport. */
export function describeDifference(namespace: string, { key, kind }: Difference): string {
  const what =
    kind === "extra" ? "removed (not in the intent)" : kind === "missing" ? "restored" : "repaired";
  return `${namespace}: ${key} ${what}`;
}

/**
 * `nft -s list table` output (counter values left out) split into its objects, keyed
 * `nft <family> <chain|set|map|counter> <name>`, each normalized: whitespace collapsed and set
 * elements sorted (a hash set lists its elements in no fixed order).
 */
export function nftObjects(family: string, listing: string): NormalState {
  const objects: NormalState = new Map();
  let current: { key: string; lines: string[] } | undefined;
  for (const raw of listing.split("\n")) {
    const line = raw.trim();
    const opening = /^(chain|set|map|counter) (\S+) \{$/.exec(line);
    if (opening && current === undefined) {
      current = { key: `nft ${family} ${opening[1]} ${opening[2]}`, lines: [] };
    } else if (line === "}" && current !== undefined) {
      objects.set(current.key, normalizeBlock(current.lines.join(" ")));
      current = undefined;
    } else if (current !== undefined && line !== "") {
      current.lines.push(line);
    }
  }
  return objects;
}

function normalizeBlock(text: string): string {
  return text
    .replace(/elements = \{([^}]*)\}/g, (_, body: string) => {
      const elements = body
        .split(",")
        .map((element) => element.trim())
        .filter((element) => element !== "")
        .sort();
      return `elements = { ${elements.join(", ")} }`;
    })
    .replace(/\s+/g, " ");
}

/** The driver's nft tables in a namespace, listed without counter values, object by object. */
export async function listedTables(namespace: string): Promise<NormalState> {
  const objects: NormalState = new Map();
  for (const family of ["inet", "arp"]) {
    const result = await runCommand([
      "ip",
      "netns",
      "exec",
      namespace,
      "nft",
      "-s",
      "list",
      "table",
      family,
      NFT_TABLE,
    ]);
    if (result.code !== 0) continue;
    for (const [key, value] of nftObjects(family, result.stdout)) objects.set(key, value);
  }
  return objects;
}

/** Everything the driver manages in one namespace, normalized: links to nft objects. */
export async function namespaceSnapshot(namespace: string): Promise<NormalState> {
  const [state, tables] = await Promise.all([kernelState(namespace), listedTables(namespace)]);
  for (const [key, value] of tables) state.set(key, value);
  return state;
}
