import { describe, expect, it } from "vitest";
import {
  canonicalIntent,
  type IntentFile,
  parseDocument,
  parseIntentFileOrThrow,
  stringifyIntent,
  validateIntent,
} from "../src/index";
import { THREE_TIER_YAML } from "./fixtures";

const threeTierText = THREE_TIER_YAML;
const load = (text: string): IntentFile => parseIntentFileOrThrow(parseDocument(text));

describe("canonical form", () => {
  it("keeps the three-tier example's content and order", () => {
    const file = load(threeTierText);
    expect(canonicalIntent(file)).toEqual(parseDocument(threeTierText));
    expect(JSON.stringify(canonicalIntent(file))).toBe(
      JSON.stringify(parseDocument(threeTierText)),
    );
  });

  it.each(["yaml", "json"] as const)("export → apply → export is byte-identical (%s)", (format) => {
    const first = stringifyIntent(load(threeTierText), format);
    const second = stringifyIntent(load(first), format);
    expect(second).toBe(first);
    expect(load(first)).toEqual(load(threeTierText));
    expect(validateIntent(load(first))).toEqual([]);
  });

  it("YAML and JSON exports read back to the same intent", () => {
    const file = load(threeTierText);
    expect(load(stringifyIntent(file, "yaml"))).toEqual(load(stringifyIntent(file, "json")));
  });

  it("puts keys in schema order and leaves out absent and empty optional fields", () => {
    const shuffled = {
      workloads: [
        {
          interfaces: [{ securityGroups: [], ip: "10.0.0.5", network: "n" }],
          name: "w",
          node: undefined,
        },
      ],
      networks: [{ subnets: [{ cidr: "10.0.0.0/24" }], name: "n" }],
      tenant: "t",
      policies: [],
      apiVersion: "netloom/v1",
    };
    const canonical = canonicalIntent(parseIntentFileOrThrow(shuffled));
    expect(JSON.stringify(canonical)).toBe(
      JSON.stringify({
        apiVersion: "netloom/v1",
        tenant: "t",
        networks: [{ name: "n", subnets: [{ cidr: "10.0.0.0/24" }] }],
        workloads: [{ name: "w", interfaces: [{ network: "n", ip: "10.0.0.5" }] }],
      }),
    );
  });

  it("orders each service's keys by its own type", () => {
    const file = parseIntentFileOrThrow({
      apiVersion: "netloom/v1",
      tenant: "t",
      services: [{ outside: "o", inside: ["i"], type: "nat", name: "s" }],
    });
    expect(Object.keys(canonicalIntent(file).services?.[0] ?? {})).toEqual([
      "name",
      "type",
      "inside",
      "outside",
    ]);
  });
});

describe("stringifyIntent", () => {
  it("prints readable YAML: block lists of objects, small rules on one line", () => {
    const yaml = stringifyIntent(load(threeTierText), "yaml");
    expect(yaml).toContain(
      "networks:\n  - name: web\n    subnets:\n      - { cidr: 10.10.1.0/24 }\n",
    );
    expect(yaml).toContain(
      '      - { action: allow, protocol: tcp, source: web, destination: app, ports: 8080, direction: ">" }\n',
    );
    expect(yaml).toContain("    attach: [ web, app ]\n");
    expect(yaml.endsWith("\n")).toBe(true);
  });

  it("never folds long lines, and long lists go one item a line", () => {
    const networks = Array.from({ length: 40 }, (_, i) => `network-number-${i}`);
    const file = parseIntentFileOrThrow({
      apiVersion: "netloom/v1",
      tenant: "t",
      routers: [{ name: "r", networks }],
      services: [
        {
          name: "dns",
          type: "dns",
          domain: `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}`,
          networks: ["x"],
        },
      ],
    });
    const yaml = stringifyIntent(file, "yaml");
    expect(yaml).toContain("    networks:\n      - network-number-0\n      - network-number-1\n");
    expect(yaml).toContain(`    domain: ${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}\n`);
    expect(load(yaml)).toEqual(file);
  });

  it("quotes names that YAML would read as numbers or booleans", () => {
    const file = parseIntentFileOrThrow({
      apiVersion: "netloom/v1",
      tenant: "123",
      networks: [{ name: "1e3", subnets: [{ cidr: "10.0.0.0/24" }] }],
      routers: [{ name: "true", networks: ["1e3"] }],
    });
    const yaml = stringifyIntent(file, "yaml");
    expect(load(yaml)).toEqual(file);
    expect(stringifyIntent(load(yaml), "yaml")).toBe(yaml);
  });

  it("prints JSON with two-space indent and a final newline", () => {
    const json = stringifyIntent(load(threeTierText), "json");
    expect(json.startsWith('{\n  "apiVersion": "netloom/v1",\n  "tenant": "shop",\n')).toBe(true);
    expect(json.endsWith("}\n")).toBe(true);
  });
});
