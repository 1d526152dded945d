import type { IntentFile, Network, Policy, Workload } from "@netloom/model";
import { asName } from "../draft/ops";

type Position = { x: number; y: number };

/**
 * A synthetic tenant for the canvas benchmark: `nodes` canvas nodes (one network per five
 * nodes, the rest workloads with one interface each) and `edges` canvas edges (every interface
 * is an edge; the rest are two-network policies between neighbouring networks of the grid). Also a tidy layout:
 * networks on a grid, each with its workloads above it, as a user's saved layout would be.
 */
export function generateTenant(
  nodes: number,
  edges: number,
): { doc: IntentFile; positions: Record<string, Position> } {
  const networkCount = Math.max(2, Math.round(nodes / 5));
  const workloadCount = Math.max(0, nodes - networkCount);
  const networks: Network[] = [];
  const workloads: Workload[] = [];
  const policies: Policy[] = [];
  const positions: Record<string, Position> = {};
  const perRow = Math.ceil(Math.sqrt(networkCount * 2));
  for (let i = 0; i < networkCount; i++) {
    const name = `net-${i}`;
    networks.push({
      name: asName(name),
      subnets: [
        { cidr: `10.${Math.floor(i / 256)}.${i % 256}.0/24` as Network["subnets"][0]["cidr"] },
      ],
    });
    positions[`net:${name}`] = { x: (i % perRow) * 460, y: Math.floor(i / perRow) * 300 + 130 };
  }
  for (let i = 0; i < workloadCount; i++) {
    const network = i % networkCount;
    const slot = Math.floor(i / networkCount);
    const name = `vm-${i}`;
    workloads.push({ name: asName(name), interfaces: [{ network: asName(`net-${network}`) }] });
    const base = positions[`net:net-${network}`] ?? { x: 0, y: 0 };
    positions[`wl:${name}`] = {
      x: base.x + (slot % 2) * 185 - 10,
      y: base.y - 120 + Math.floor(slot / 2) * 56 - 56 * Math.floor(slot / 4),
    };
  }
  // Policies join grid neighbours (right, below, the two diagonals, then two steps away), as
  // they would in a tenant its users laid out themselves: edges are local, not random chords.
  const policyCount = Math.max(0, edges - workloadCount);
  const offsets = [1, perRow, perRow + 1, perRow - 1, 2, 2 * perRow];
  let made = 0;
  for (const offset of offsets) {
    for (let a = 0; a < networkCount && made < policyCount; a++) {
      const b = a + offset;
      const sameRow = Math.floor(a / perRow) === Math.floor(b / perRow);
      const colA = a % perRow;
      const colB = b % perRow;
      const valid = b < networkCount && (offset < perRow ? sameRow : Math.abs(colA - colB) <= 1);
      if (!valid) continue;
      policies.push({
        name: asName(`p-${made}`),
        attach: [asName(`net-${a}`), asName(`net-${b}`)],
        rules: [
          {
            action: "allow",
            protocol: "tcp",
            source: `net-${a}`,
            destination: `net-${b}`,
            ports: 443,
          },
        ],
      });
      made++;
    }
  }
  return {
    doc: { apiVersion: "netloom/v1", tenant: asName("bench"), networks, workloads, policies },
    positions,
  };
}
