import {
  assertNever,
  type IntentFile,
  type Name,
  type Network,
  type Policy,
  type PolicyRule,
  RESOURCE_KIND_NOUNS,
  RESOURCE_KINDS,
  type ResourceKind,
  type ResourceSpecs,
  type Service,
} from "@netloom/model";

/**
 * Pure edits of a tenant document. The draft is the whole tenant file edited client side; each
 * edit returns a new document (never mutates) so undo/redo is a stack of documents and React can
 * compare by reference.
 */

/** Names are branded by the model; the UI only builds them from strings the schema has checked. */
export function asName(value: string): Name {
  return value as Name;
}

/** An object of the document, addressed the way the file addresses it. */
export interface ObjectRef {
  kind: ResourceKind;
  name: string;
}

export function emptyDocument(tenant: string): IntentFile {
  return { apiVersion: "netloom/v1", tenant: asName(tenant) };
}

export function listOf<K extends ResourceKind>(doc: IntentFile, kind: K): ResourceSpecs[K][] {
  return (doc[kind] ?? []) as ResourceSpecs[K][];
}

export function findObject<K extends ResourceKind>(
  doc: IntentFile,
  kind: K,
  name: string,
): ResourceSpecs[K] | undefined {
  return listOf(doc, kind).find((item) => item.name === name);
}

function withList<K extends ResourceKind>(
  doc: IntentFile,
  kind: K,
  list: ResourceSpecs[K][],
): IntentFile {
  return { ...doc, [kind]: list };
}

/** Appends an object; a name already taken in its kind is refused (spec: unique per kind). */
export function addObject<K extends ResourceKind>(
  doc: IntentFile,
  kind: K,
  object: ResourceSpecs[K],
): IntentFile {
  if (findObject(doc, kind, object.name)) {
    throw new Error(`${kind} ${object.name} already exists`);
  }
  return withList(doc, kind, [...listOf(doc, kind), object]);
}

/** Replaces an object in place (its position matters for policies), following a rename. */
export function replaceObject<K extends ResourceKind>(
  doc: IntentFile,
  kind: K,
  name: string,
  next: ResourceSpecs[K],
): IntentFile {
  const list = listOf(doc, kind);
  const index = list.findIndex((item) => item.name === name);
  if (index < 0) throw new Error(`${kind} ${name} does not exist`);
  const copy = [...list];
  copy[index] = next;
  let out = withList(doc, kind, copy);
  if (next.name !== name) out = renameReferences(out, kind, name, next.name);
  return out;
}

function swap(list: readonly string[] | undefined, from: string, to: string): Name[] | undefined {
  return list?.map((item) => asName(item === from ? to : item));
}

function swapEndpoint(value: string, from: string, to: string): string {
  return value === from ? to : value;
}

/** After a rename, every reference by name follows (networks, groups, services, pools). */
export function renameReferences(
  doc: IntentFile,
  kind: ResourceKind,
  from: string,
  to: string,
): IntentFile {
  switch (kind) {
    case "networks":
      return {
        ...doc,
        workloads: doc.workloads?.map((w) => ({
          ...w,
          interfaces: w.interfaces.map((i) =>
            i.network === from ? { ...i, network: asName(to) } : i,
          ),
        })),
        policies: doc.policies?.map((p) => ({
          ...p,
          attach: swap(p.attach, from, to) ?? [],
          rules: p.rules.map((r) => ({
            ...r,
            source: swapEndpoint(r.source, from, to),
            destination: swapEndpoint(r.destination, from, to),
          })),
        })),
        routers: doc.routers?.map((r) => ({ ...r, networks: swap(r.networks, from, to) ?? [] })),
        floatingIpPools: doc.floatingIpPools?.map((p) =>
          p.network === from ? { ...p, network: asName(to) } : p,
        ),
        services: doc.services?.map((s) => renameNetworkInService(s, from, to)),
      };
    case "securityGroups":
      return {
        ...doc,
        workloads: doc.workloads?.map((w) => ({
          ...w,
          interfaces: w.interfaces.map((i) => ({
            ...i,
            securityGroups: swap(i.securityGroups, from, to),
          })),
        })),
      };
    case "services":
      return {
        ...doc,
        policies: doc.policies?.map((p) => ({
          ...p,
          rules: p.rules.map((r) => ({ ...r, services: swap(r.services, from, to) })),
        })),
      };
    case "floatingIpPools":
      return {
        ...doc,
        workloads: doc.workloads?.map((w) => ({
          ...w,
          interfaces: w.interfaces.map((i) =>
            i.floatingIp?.pool === from
              ? { ...i, floatingIp: { ...i.floatingIp, pool: asName(to) } }
              : i,
          ),
        })),
      };
    case "workloads":
    case "policies":
    case "routers":
    case "assertions":
      return doc;
    default:
      return assertNever(kind);
  }
}

function renameNetworkInService(service: Service, from: string, to: string): Service {
  switch (service.type) {
    case "firewall":
      return service;
    case "load-balancer":
      return service.network === from ? { ...service, network: asName(to) } : service;
    case "nat":
      return {
        ...service,
        inside: swap(service.inside, from, to) ?? [],
        outside: asName(service.outside === from ? to : service.outside),
      };
    case "dns":
      return { ...service, networks: swap(service.networks, from, to) ?? [] };
    default:
      return assertNever(service);
  }
}

/**
 * Removes an object and the references that would otherwise dangle where dropping them keeps the
 * rest meaningful (attach lists, router legs, service chains). A workload left without interfaces
 * is removed too.
 */
export function removeObject(doc: IntentFile, kind: ResourceKind, name: string): IntentFile {
  const out = withList(
    doc,
    kind,
    listOf(doc, kind).filter((item) => item.name !== name),
  );
  switch (kind) {
    case "networks":
      return {
        ...out,
        workloads: out.workloads
          ?.map((w) => ({ ...w, interfaces: w.interfaces.filter((i) => i.network !== name) }))
          .filter((w) => w.interfaces.length > 0),
        policies: out.policies?.map((p) => ({ ...p, attach: p.attach.filter((a) => a !== name) })),
        routers: out.routers?.map((r) => ({
          ...r,
          networks: r.networks.filter((n) => n !== name),
        })),
      };
    case "services":
      return {
        ...out,
        policies: out.policies?.map((p) => ({
          ...p,
          rules: p.rules.map((r) => dropService(r, name)),
        })),
      };
    case "securityGroups":
      return {
        ...out,
        workloads: out.workloads?.map((w) => ({
          ...w,
          interfaces: w.interfaces.map((i) => ({
            ...i,
            securityGroups: i.securityGroups?.filter((g) => g !== name),
          })),
        })),
      };
    case "workloads":
    case "policies":
    case "routers":
    case "floatingIpPools":
    case "assertions":
      return out;
    default:
      return assertNever(kind);
  }
}

function dropService(rule: PolicyRule, service: string): PolicyRule {
  if (!rule.services?.includes(asName(service))) return rule;
  const services = rule.services.filter((s) => s !== service);
  const { services: _dropped, ...rest } = rule;
  return services.length > 0 ? { ...rest, services } : rest;
}

/** A name not yet used in the kind: `base`, `base-2`, `base-3`… */
export function freeName(doc: IntentFile, kind: ResourceKind, base: string): string {
  const taken = new Set(listOf(doc, kind).map((item) => item.name));
  if (!taken.has(asName(base))) return base;
  for (let i = 2; ; i++) {
    const candidate = `${base}-${i}`;
    if (!taken.has(asName(candidate))) return candidate;
  }
}

/** The default rule a new connection starts with: tcp, any port, both ways. */
export function defaultConnectionRule(a: string, b: string): PolicyRule {
  return { action: "allow", protocol: "tcp", source: a, destination: b, direction: "<>" };
}

/** The policy drawing an edge from network `a` to `b` creates. */
export function connectionPolicy(doc: IntentFile, a: string, b: string, rules?: PolicyRule[]) {
  const policy: Policy = {
    name: asName(freeName(doc, "policies", `${a}-${b}`.slice(0, 40).replace(/-+$/, ""))),
    attach: [asName(a), asName(b)],
    rules: rules ?? [defaultConnectionRule(a, b)],
  };
  return policy;
}

/** Puts a service at the end of the chain of every allow rule of a policy (deny rules take none). */
export function chainService(doc: IntentFile, policyName: string, service: string): IntentFile {
  const policy = findObject(doc, "policies", policyName);
  if (!policy) throw new Error(`policy ${policyName} does not exist`);
  const rules = policy.rules.map((rule): PolicyRule => {
    if (rule.action !== "allow") return rule;
    const services = rule.services ?? [];
    if (services.includes(asName(service))) return rule;
    return { ...rule, services: [...services, asName(service)] };
  });
  return replaceObject(doc, "policies", policyName, { ...policy, rules });
}

/** Attaches a policy to one more network (no-op when already attached). */
export function attachPolicy(doc: IntentFile, policyName: string, network: string): IntentFile {
  const policy = findObject(doc, "policies", policyName);
  if (!policy) throw new Error(`policy ${policyName} does not exist`);
  if (policy.attach.includes(asName(network))) return doc;
  return replaceObject(doc, "policies", policyName, {
    ...policy,
    attach: [...policy.attach, asName(network)],
  });
}

/** Moves item `from` to index `to` (rule order is semantic: first match wins). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const copy = [...list];
  const [item] = copy.splice(from, 1);
  if (item === undefined) return copy;
  copy.splice(Math.max(0, Math.min(to, copy.length)), 0, item);
  return copy;
}

/** The first subnet of a network, as shown on its node. */
export function primaryCidr(network: Network): string {
  return network.subnets[0]?.cidr ?? "";
}

/**
 * A comparison key: equal documents give equal strings. Order-sensitive on purpose: policy order
 * is semantic (spec section 2), and every document here comes from one canonical form.
 */
export function documentKey(doc: IntentFile): string {
  return JSON.stringify(doc);
}

/** Empty lists are dropped so an untouched document compares equal to the stored one. */
export function normalizeDocument(doc: IntentFile): IntentFile {
  const out: IntentFile = { apiVersion: doc.apiVersion, tenant: doc.tenant };
  for (const kind of RESOURCE_KINDS) {
    const list = doc[kind];
    if (list && list.length > 0) Object.assign(out, { [kind]: list });
  }
  return out;
}

/** "policy" for `policies`; unknown kinds (from the wire) pass through. */
export function kindLabel(kind: string): string {
  return (RESOURCE_KIND_NOUNS as Record<string, string>)[kind] ?? kind;
}
