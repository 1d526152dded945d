import type { CompileInput, TenantInput } from "@netloom/compiler";
import type { IntentFile, LearnedEvpnRoute } from "@netloom/model";
import { objectsOf } from "./document";
import { type ExternalNetworkView, fabricNetworksUsed, specOf } from "./external";
import { nodeSpec, tenantInput } from "./load";
import type { FabricNodeView, TenantState } from "./types";

/** What the compiler's input is made from: the store's cached fabric and tenants. */
export interface CompileSourceView {
  readonly nodes: readonly FabricNodeView[];
  readonly externalNetworks: readonly ExternalNetworkView[];
  readonly learned: LearnedEvpnRoute[];
  /** Every tenant, by name. */
  listTenants(): TenantState[];
}

/** The first provisional VNI of a candidate's new networks (above any VNI handed out). */
const PROVISIONAL_VNI = 16_000_000;

/**
 * The compiler's input, made from the cache and kept between changes: after a change only the
 * changed tenant's input is rebuilt (states are replaced, never changed in place), not every
 * tenant's. `invalidate` after anything the input is made from changed.
 */
export class CompileInputs {
  private cached: CompileInput | null = null;
  /** Per cached tenant state, its compile input. */
  private tenantInputs = new WeakMap<TenantState, TenantInput>();
  /** The external networks those inputs were made against (re-read: new array, inputs remade). */
  private tenantInputsFor: readonly ExternalNetworkView[] = [];

  constructor(private readonly source: CompileSourceView) {}

  invalidate(): void {
    this.cached = null;
  }

  /** Every tenant and node, allocations made. */
  current(): CompileInput {
    if (!this.cached) {
      const { nodes, externalNetworks, learned } = this.source;
      this.cached = {
        fabric: {
          nodes: nodes.map(nodeSpec),
          externalNetworks: externalNetworks.map(specOf),
          ...(learned.length > 0 ? { learnedRoutes: learned } : {}),
        },
        tenants: this.source.listTenants().map((state) => this.tenantInputOf(state)),
      };
    }
    return this.cached;
  }

  /** The input with one tenant replaced by a candidate (dry runs, assertions). */
  withCandidate(
    state: TenantState,
    prepared: { intent: IntentFile; natAddresses: Record<string, string> },
  ): CompileInput {
    const current = this.current();
    const vnis: Record<string, number> = {};
    let provisional = PROVISIONAL_VNI;
    for (const network of objectsOf(prepared.intent, "networks")) {
      vnis[network.name] = state.vnis[network.name] ?? provisional++;
    }
    for (const network of fabricNetworksUsed(prepared.intent, this.source.externalNetworks)) {
      vnis[network.name] = network.vni;
    }
    const replacement: TenantInput = {
      id: state.id,
      intent: prepared.intent,
      vnis,
      natAddresses: prepared.natAddresses,
    };
    const others = current.tenants.filter((tenant) => tenant.id !== state.id);
    return { fabric: current.fabric, tenants: [...others, replacement] };
  }

  /** One tenant's input, made once per cached state; forgotten with its external networks. */
  private tenantInputOf(state: TenantState): TenantInput {
    const externalNetworks = this.source.externalNetworks;
    if (this.tenantInputsFor !== externalNetworks) {
      this.tenantInputs = new WeakMap();
      this.tenantInputsFor = externalNetworks;
    }
    let input = this.tenantInputs.get(state);
    if (!input) {
      input = tenantInput(state, externalNetworks);
      this.tenantInputs.set(state, input);
    }
    return input;
  }
}
