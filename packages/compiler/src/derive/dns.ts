import type { Workload } from "@netloom/model";
import type { DnsZone } from "../config";
import {
  type Hasher,
  type IfaceInfo,
  indexOf,
  type NetInfo,
  type RouteInfo,
  type TenantDerived,
  type ZonePiece,
} from "./pieces";
import { sameItems, sameStrings } from "./reuse";
import type { ReadonlyIndex } from "./shardedMap";

/*
 * Stage 5: DNS zones. Each asker network sees each workload at its address on that network,
 * else at its first address on a network the asker's network has a route to.
 */

export interface ZoneInputs {
  dnsServices: readonly { name: string; domain: string; networks: string[] }[];
  workloads: readonly Workload[];
  /** The workloads' names in file order (the previous list when equal). */
  workloadNames: string[];
  nets: ReadonlyMap<string, NetInfo>;
  ifacesByWorkload: ReadonlyIndex<IfaceInfo[]>;
  /** The same, its lists shared with the previous derivation where equal. */
  sharedByWorkload: ReadonlyIndex<IfaceInfo[]>;
  routesFrom: ReadonlyMap<string, RouteInfo[]>;
  sharedRoutesFrom: ReadonlyMap<string, RouteInfo[]>;
  prior: TenantDerived | undefined;
  hasher: Hasher;
}

export function deriveDnsZones(from: ZoneInputs): ZonePiece[] {
  const { prior } = from;
  // A zone's records derive from the workloads' order, their interfaces and the askers'
  // routes: when all of those are the previous objects, so is the zone.
  const sameRecordInputs =
    prior !== undefined &&
    prior.workloadNames === from.workloadNames &&
    (prior.ifacesByWorkload === from.sharedByWorkload ||
      sameAddresses(prior.ifacesByWorkload, from.sharedByWorkload, from.workloadNames));
  const zones: ZonePiece[] = [];
  for (let zoneIndex = 0; zoneIndex < from.dnsServices.length; zoneIndex++) {
    const dns = from.dnsServices[zoneIndex];
    if (dns === undefined) continue;
    const askers = dns.networks.map((network) => indexOf(from.nets, network));
    const before = prior?.dnsZones[zoneIndex];
    if (
      sameRecordInputs &&
      before !== undefined &&
      before.value.ruleId === `dns:${dns.name}` &&
      before.value.domain === dns.domain &&
      sameStrings(before.value.networks, dns.networks) &&
      sameItems(before.networks, askers) &&
      dns.networks.every(
        (asker) => prior.routesFrom.get(asker) === from.sharedRoutesFrom.get(asker),
      )
    ) {
      zones.push(before);
      continue;
    }
    const zone: DnsZone = {
      ruleId: `dns:${dns.name}`,
      domain: dns.domain,
      networks: dns.networks,
      records: zoneRecords(dns, from, before?.value.records ?? NO_RECORDS),
    };
    zones.push({ ...from.hasher.hashed(zone), networks: askers });
  }
  return zones;
}

type ZoneRecord = DnsZone["records"][number];
const NO_RECORDS: readonly ZoneRecord[] = [];
/** How far past the last reused record an equal one is looked for. */
const LOOKAHEAD = 4;

/**
 * The zone's records; a record equal to one of the previous zone's (found near the last one
 * reused: records keep their order when a workload is added, removed or readdressed) is that
 * object, so a rebuilt zone allocates only its changed records.
 */
function zoneRecords(
  dns: { domain: string; networks: string[] },
  from: ZoneInputs,
  previous: readonly ZoneRecord[],
): DnsZone["records"] {
  const records: DnsZone["records"] = [];
  let cursor = 0;
  // Indexed loops: one zone rebuilt walks every workload per asker, mostly unoptimized, where
  // every for-of step allocates its result object.
  for (let a = 0; a < dns.networks.length; a++) {
    const asker = dns.networks[a] ?? "";
    const routed = new Set(
      (from.routesFrom.get(asker) ?? []).map((route) => route.hashed.value.to),
    );
    for (let w = 0; w < from.workloads.length; w++) {
      const workload = from.workloads[w];
      if (workload === undefined) continue;
      const list = from.ifacesByWorkload.get(workload.name) ?? [];
      const iface = answeringInterface(list, asker, routed);
      if (iface === undefined) continue;
      const ip = iface.local.value.ip;
      const end = Math.min(previous.length, cursor + LOOKAHEAD);
      let reused: ZoneRecord | undefined;
      for (let at = cursor; at < end && reused === undefined; at++) {
        const record = previous[at];
        if (record !== undefined && sameRecord(record, workload.name, dns.domain, asker, ip)) {
          reused = record;
          cursor = at + 1;
        }
      }
      records.push(reused ?? { name: `${workload.name}.${dns.domain}`, network: asker, ip });
    }
  }
  return records;
}

/**
 * The workload's interface on the asker network, else its first on a network the asker routes
 * to. Loops, not two `find` closures: this runs per workload and asker of a rebuilt zone.
 */
function answeringInterface(
  list: readonly IfaceInfo[],
  asker: string,
  routed: ReadonlySet<string>,
): IfaceInfo | undefined {
  for (let i = 0; i < list.length; i++) if (list[i]?.network === asker) return list[i];
  for (let i = 0; i < list.length; i++) {
    const iface = list[i];
    if (iface !== undefined && routed.has(iface.network)) return iface;
  }
  return undefined;
}

/** Whether a record is `<workload>.<domain>` on the asker network at the address. */
function sameRecord(
  record: ZoneRecord,
  workload: string,
  domain: string,
  network: string,
  ip: string,
): boolean {
  const name = record.name;
  return (
    record.ip === ip &&
    record.network === network &&
    name.length === workload.length + 1 + domain.length &&
    name.startsWith(workload) &&
    name.charCodeAt(workload.length) === 46 &&
    name.endsWith(domain)
  );
}

/** Whether each workload has the same interfaces' networks and addresses in both maps. */
function sameAddresses(
  before: ReadonlyIndex<IfaceInfo[]>,
  after: ReadonlyIndex<IfaceInfo[]>,
  workloads: readonly string[],
): boolean {
  for (let w = 0; w < workloads.length; w++) {
    const name = workloads[w] ?? "";
    const x = before.get(name);
    const y = after.get(name);
    if (x === y) continue;
    if (x === undefined || y === undefined || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const a = x[i];
      const b = y[i];
      if (a === undefined || b === undefined) return false;
      if (a.network !== b.network || a.local.value.ip !== b.local.value.ip) return false;
    }
  }
  return true;
}
