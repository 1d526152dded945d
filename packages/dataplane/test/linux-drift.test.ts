import type { NodeConfig, TenantInput } from "@netloom/compiler";
import type { IntentFile } from "@netloom/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  destroyOwnedNamespaces,
  listNamespaces,
  mustRun,
  runCommand,
  tenantNamespace,
} from "../src/linux";
import { namespaceSnapshot } from "../src/linux/kernel-state";
import { nodeLinkLocal, nodeOverlayMac, portDevice } from "../src/linux/names";
import {
  compileFor,
  driverLab,
  intentOf,
  linuxSkipReason,
  tenantInput,
  testOwner,
  workloadNs,
} from "./linux-helpers";

/**
 * Issue 8 §4: the kernel holds exactly the intent. Reconcile compares what each namespace holds
 * with what the driver rendered, by content, and repairs every kind of in-place change; a seeded
 * run of random edits leaves the same kernel state as a from-scratch apply of the final intent.
 */

const skip = await linuxSkipReason();
if (skip) console.warn(`linux drift tests skipped: ${skip}`);

type Lab = Awaited<ReturnType<typeof driverLab>>;

async function applyTo(lab: Lab, configs: Record<string, NodeConfig>, generation: number) {
  for (const [i, node] of lab.nodes.entries()) {
    const config = configs[node.name] ?? { node: node.name, tenants: [] };
    await lab.drivers[i]?.apply(config as NodeConfig, generation);
  }
}

async function reconcileAll(lab: Lab, configs: Record<string, NodeConfig>) {
  const repaired: string[] = [];
  for (const [i, node] of lab.nodes.entries()) {
    const config = configs[node.name] ?? { node: node.name, tenants: [] };
    repaired.push(...((await lab.drivers[i]?.reconcile(config as NodeConfig))?.repaired ?? []));
  }
  return repaired;
}

/** Every namespace of the lab, by its name without the owner, to its normalized content. */
async function labSnapshot(owner: string): Promise<Record<string, Record<string, string>>> {
  const prefix = `nl-${owner}.`;
  const snapshot: Record<string, Record<string, string>> = {};
  for (const ns of (await listNamespaces(prefix)).sort()) {
    if (ns.endsWith("underlay")) continue;
    const name = ns.slice(prefix.length);
    const state = await namespaceSnapshot(ns);
    // A node namespace's underlay veth is the lab's, with a MAC of its own in every lab.
    if (/^n-\d+$/.test(name)) state.delete("link eth0");
    snapshot[name] = Object.fromEntries([...state].sort(([a], [b]) => a.localeCompare(b)));
  }
  return snapshot;
}

describe.skipIf(skip !== undefined)("the kernel holds exactly the intent", () => {
  const TAG = testOwner("tk");
  let lab: Lab;
  let configs: Record<string, NodeConfig>;
  const intent = intentOf({
    tenant: "drift",
    networks: [
      { name: "net", subnets: [{ cidr: "10.50.1.0/24" }] },
      { name: "other", subnets: [{ cidr: "10.50.4.0/24" }] },
    ],
    workloads: [
      {
        name: "a",
        node: "compute-1",
        interfaces: [{ network: "net", ip: "10.50.1.10", securityGroups: ["ssh"] }],
      },
      { name: "b", node: "compute-2", interfaces: [{ network: "net", ip: "10.50.1.11" }] },
      { name: "c", node: "compute-1", interfaces: [{ network: "other", ip: "10.50.4.10" }] },
    ],
    securityGroups: [
      {
        name: "ssh",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: 22, remote: "0.0.0.0/0" },
          { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
        ],
      },
    ],
  });
  const node1 = () => lab.nodes[0]?.namespace ?? "";
  const tenantNs = () =>
    tenantNamespace(node1(), configs["compute-1"]?.tenants[0]?.tenantKey ?? "");
  const ip = (ns: string, ...args: string[]) => mustRun(["ip", "-n", ns, ...args]);
  const portOf = (workload: string) => {
    const port = configs["compute-1"]?.tenants[0]?.localInterfaces.find(
      (candidate) => candidate.workload === workload,
    );
    if (!port) throw new Error(`no port of ${workload} on compute-1`);
    return port;
  };
  const vni = (network: string) =>
    configs["compute-1"]?.tenants[0]?.networks.find((n) => n.name === network)?.vni ?? 0;
  const underlay2 = () => lab.nodes[1]?.underlay ?? "";

  beforeAll(async () => {
    lab = await driverLab(TAG, 2);
    configs = compileFor(lab.nodes, [tenantInput(intent, "t-drift", 8500)]).nodes;
    await applyTo(lab, configs, 1);
  }, 60_000);

  afterAll(async () => {
    for (const driver of lab?.drivers ?? []) await driver.teardown();
    await destroyOwnedNamespaces(TAG);
  });

  it("finds nothing to repair right after an apply", async () => {
    expect(await reconcileAll(lab, configs)).toEqual([]);
  });

  const cases: [string, () => Promise<void>, RegExp][] = [
    [
      "a rule's port set replaced in place",
      async () => {
        const listing = await mustRun([
          "ip",
          "netns",
          "exec",
          tenantNs(),
          "nft",
          "-a",
          "list",
          "chain",
          "inet",
          "netloom",
          "g_0_i",
        ]);
        const handle = /tcp dport 22 .*# handle (\d+)/.exec(listing)?.[1];
        expect(handle).toBeDefined();
        await mustRun([
          "ip",
          "netns",
          "exec",
          tenantNs(),
          "nft",
          "replace",
          "rule",
          "inet",
          "netloom",
          "g_0_i",
          "handle",
          handle ?? "",
          "meta",
          "l4proto",
          "tcp",
          "th",
          "dport",
          "{22,23,80}",
          "meta",
          "mark",
          "set",
          "1",
          "return",
        ]);
      },
      /nft inet chain g_0_i repaired/,
    ],
    [
      "a flushed permanent neighbour",
      async () => {
        await ip(tenantNs(), "neigh", "flush", "dev", `vx${vni("net")}`, "nud", "permanent");
      },
      /neighbour vx\d+ 169\.254\.\d+\.\d+ restored/,
    ],
    [
      "a removed gateway address and an added stale one",
      async () => {
        await ip(tenantNs(), "addr", "del", "10.50.1.1/32", "dev", "lo");
        await ip(tenantNs(), "addr", "add", "10.50.9.1/32", "dev", "lo");
      },
      /address lo 10\.50\.9\.1\/32 removed/,
    ],
    [
      "a removed route",
      async () => {
        await ip(tenantNs(), "route", "del", "10.50.1.11/32");
      },
      /route 10\.50\.1\.11\/32 restored/,
    ],
    [
      "a removed FDB entry",
      async () => {
        await mustRun([
          "bridge",
          "-n",
          tenantNs(),
          "fdb",
          "del",
          nodeOverlayMac(underlay2()),
          "dev",
          `vx${vni("net")}`,
          "dst",
          underlay2(),
          "self",
        ]);
      },
      /fdb vx\d+ \S+ \S+ restored/,
    ],
    [
      "changed link attributes (a port's MTU, a workload's MAC)",
      async () => {
        await ip(tenantNs(), "link", "set", portDevice(portOf("a").portId), "mtu", "1400");
        const workload = workloadNs(
          lab.nodes[0] ?? { name: "", namespace: "", underlay: "" },
          "t-drift",
          "a",
        );
        await ip(workload, "link", "set", "eth0", "address", "02:00:00:aa:bb:cc");
      },
      /link v\S+ repaired/,
    ],
  ];
  for (const [name, change, report] of cases) {
    it(`repairs ${name}`, async () => {
      const before = await labSnapshot(TAG);
      await change();
      expect(await labSnapshot(TAG)).not.toEqual(before);
      const repaired = await reconcileAll(lab, configs);
      expect(repaired.join("\n")).toMatch(report);
      expect(await labSnapshot(TAG)).toEqual(before);
      expect(await reconcileAll(lab, configs)).toEqual([]);
    }, 60_000);
  }

  it("puts the gateway address back too", async () => {
    const addresses = await ip(tenantNs(), "-4", "addr", "show", "dev", "lo");
    expect(addresses).toContain("10.50.1.1/32");
    expect(addresses).not.toContain("10.50.9.1");
    expect(nodeLinkLocal(underlay2())).toMatch(/^169\.254\./);
  });
});

/** A small deterministic PRNG (mulberry32): the same seed, the same edit run. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface EditState {
  networks: number[];
  workloads: { name: string; node: number; network: number; host: number; guarded: boolean }[];
  sgPort: number;
  policyPort: number | undefined;
  nextWorkload: number;
}

function intentOfState(state: EditState): IntentFile {
  const networks = [...state.networks].sort((a, b) => a - b);
  const policy =
    state.policyPort !== undefined && networks.length >= 2
      ? [
          {
            name: "p",
            attach: [`n${networks[0]}`, `n${networks[1]}`],
            rules: [
              {
                action: "allow",
                protocol: "tcp",
                source: `n${networks[0]}`,
                destination: `n${networks[1]}`,
                ports: state.policyPort,
              },
            ],
          },
        ]
      : [];
  return intentOf({
    tenant: "edits",
    networks: networks.map((n) => ({ name: `n${n}`, subnets: [{ cidr: `10.60.${n}.0/24` }] })),
    workloads: state.workloads.map((w) => ({
      name: w.name,
      node: `compute-${w.node}`,
      interfaces: [
        {
          network: `n${w.network}`,
          ip: `10.60.${w.network}.${w.host}`,
          ...(w.guarded ? { securityGroups: ["g"] } : {}),
        },
      ],
    })),
    securityGroups: [
      {
        name: "g",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: state.sgPort, remote: "10.60.0.0/16" },
          { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
        ],
      },
    ],
    policies: policy,
  });
}

function edit(state: EditState, next: () => number): string {
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(next() * items.length)];
  const freeHost = (network: number) => {
    const used = new Set(state.workloads.filter((w) => w.network === network).map((w) => w.host));
    let host = 10 + Math.floor(next() * 40);
    while (used.has(host)) host += 1;
    return host;
  };
  const kind = Math.floor(next() * 8);
  const workload = pick(state.workloads);
  switch (kind) {
    case 0: {
      const candidates = [0, 1, 2, 3, 4].filter((n) => !state.networks.includes(n));
      const network = pick(candidates);
      if (network === undefined || state.networks.length >= 4) break;
      state.networks.push(network);
      return `add network n${network}`;
    }
    case 1: {
      const network = pick(state.networks);
      if (network === undefined || state.networks.length <= 1) break;
      state.networks = state.networks.filter((n) => n !== network);
      state.workloads = state.workloads.filter((w) => w.network !== network);
      return `remove network n${network}`;
    }
    case 2: {
      const network = pick(state.networks);
      if (network === undefined || state.workloads.length >= 6) break;
      const name = `w${state.nextWorkload++}`;
      const node = next() < 0.5 ? 1 : 2;
      state.workloads.push({ name, node, network, host: freeHost(network), guarded: next() < 0.5 });
      return `add ${name}`;
    }
    case 3:
      if (!workload) break;
      state.workloads = state.workloads.filter((w) => w !== workload);
      return `remove ${workload.name}`;
    case 4:
      if (!workload) break;
      workload.node = workload.node === 1 ? 2 : 1;
      return `move ${workload.name}`;
    case 5:
      if (!workload) break;
      workload.host = freeHost(workload.network);
      return `readdress ${workload.name}`;
    case 6:
      state.sgPort = state.sgPort === 22 ? 2222 : 22;
      if (workload) workload.guarded = !workload.guarded;
      return "change security group";
    default:
      state.policyPort = state.policyPort === undefined ? 80 + Math.floor(next() * 3) : undefined;
      return "toggle policy";
  }
  return "no-op";
}

describe.skipIf(skip !== undefined)("a seeded random edit run", () => {
  const SEED = 8_4;
  const STEPS = 24;
  const incremental = testOwner("ti");
  const scratch = testOwner("tf");
  let labs: Lab[] = [];

  afterAll(async () => {
    for (const lab of labs) for (const driver of lab.drivers) await driver.teardown();
    await destroyOwnedNamespaces(incremental);
    await destroyOwnedNamespaces(scratch);
  });

  it(`leaves the kernel as a from-scratch apply of the final intent (seed ${SEED})`, async () => {
    const next = random(SEED);
    const state: EditState = {
      networks: [0, 1],
      workloads: [
        { name: "w0", node: 1, network: 0, host: 10, guarded: true },
        { name: "w1", node: 2, network: 1, host: 10, guarded: false },
      ],
      sgPort: 22,
      policyPort: 80,
      nextWorkload: 2,
    };
    const compiled = (s: EditState): Record<string, NodeConfig> => {
      const input: TenantInput = tenantInput(intentOfState(s), "t-edits", 8600);
      return compileFor(labs[0]?.nodes ?? [], [input]).nodes;
    };
    const live = await driverLab(incremental, 2);
    labs = [live];
    await applyTo(live, compiled(state), 1);
    const log: string[] = [];
    for (let step = 0; step < STEPS; step += 1) {
      log.push(edit(state, next));
      await applyTo(live, compiled(state), step + 2);
    }
    expect(log.filter((entry) => entry !== "no-op").length).toBeGreaterThan(STEPS / 2);
    const fresh = await driverLab(scratch, 2);
    labs.push(fresh);
    await applyTo(fresh, compiled(state), 1);
    const [got, want] = [await labSnapshot(incremental), await labSnapshot(scratch)];
    expect(Object.keys(got).length).toBeGreaterThan(2);
    expect({ log, state: got }).toEqual({ log, state: want });
    // And nothing left to repair.
    expect(await reconcileAll(live, compiled(state))).toEqual([]);
    expect((await runCommand(["true"])).code).toBe(0);
  }, 300_000);
});
