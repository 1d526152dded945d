import { describe, expect, it } from "vitest";
import {
  formatPath,
  MAX_DOCUMENT_BYTES,
  NetloomError,
  type Problem,
  parseDocument,
  parseExpectFile,
  parseExpectFileOrThrow,
  parseFabricFile,
  parseIntentFile,
  parseIntentFileOrThrow,
} from "../src/index";

/** The error parseDocument throws, or a failed test. */
function documentError(source: string | Uint8Array, maxBytes?: number): NetloomError {
  try {
    parseDocument(source, maxBytes === undefined ? {} : { maxBytes });
  } catch (error) {
    if (error instanceof NetloomError) return error;
    throw error;
  }
  throw new Error("parseDocument accepted the document");
}

function intentProblems(input: unknown): Problem[] {
  const result = parseIntentFile(input);
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

const lines = (problems: readonly Problem[]) =>
  problems.map((problem) => `${problem.path}: ${problem.message}`);

function file(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "netloom/v1",
    tenant: "acme",
    networks: [{ name: "web", subnets: [{ cidr: "10.1.0.0/24" }] }],
    ...extra,
  };
}

describe("formatPath", () => {
  it("formats keys and indexes like spec section 3", () => {
    expect(formatPath(["networks", 1, "subnets", 0, "cidr"])).toBe("networks[1].subnets[0].cidr");
    expect(formatPath([])).toBe("");
    expect(formatPath([2])).toBe("[2]");
    expect(formatPath(["tenant"])).toBe("tenant");
  });

  it("quotes keys that are not identifiers, escaping control and bidi characters", () => {
    expect(formatPath(["networks", 0, "a b"])).toBe('networks[0]["a b"]');
    expect(formatPath(["x\u202ey"])).toBe('["x\\u202ey"]');
  });
});

describe("parseDocument", () => {
  it("reads YAML and JSON to the same data", () => {
    const yaml = parseDocument("apiVersion: netloom/v1\ntenant: acme\nnetworks: []\n");
    const json = parseDocument('{"apiVersion": "netloom/v1", "tenant": "acme", "networks": []}');
    expect(yaml).toEqual({ apiVersion: "netloom/v1", tenant: "acme", networks: [] });
    expect(json).toEqual(yaml);
  });

  it("reads bytes, and flow-style YAML that is not strict JSON", () => {
    expect(parseDocument(new TextEncoder().encode("a: 1\n"))).toEqual({ a: 1 });
    expect(parseDocument("{a: 1, b: [x, y,]} # comment")).toEqual({ a: 1, b: ["x", "y"] });
  });

  it("names line and column of malformed YAML", () => {
    const error = documentError("tenant: acme\nnetworks: [web\nworkloads: []\n");
    expect(error.code).toBe("INVALID");
    expect(error.problems[0]?.path).toBe("");
    expect(error.problems[0]?.message).toMatch(/^line 3, column 1: /);
  });

  it("names line and column of malformed JSON", () => {
    const error = documentError('{\n  "tenant": "acme",,\n  "networks": []\n}');
    expect(error.code).toBe("INVALID");
    expect(error.problems[0]?.message).toBe("line 2, column 20: Unexpected , in flow map");
  });

  it("refuses duplicate keys in YAML", () => {
    const error = documentError("tenant: a\ntenant: b\n");
    expect(error.problems[0]?.message).toBe("line 2, column 1: Map keys must be unique");
  });

  it("refuses a file over the limit with TOO_LARGE before reading it", () => {
    const big = `tenant: acme\n# ${"x".repeat(MAX_DOCUMENT_BYTES)}\n`;
    const error = documentError(big);
    expect(error.code).toBe("TOO_LARGE");
    expect(error.message).toBe(`the file is larger than 10 MiB (${big.length} bytes)`);
    expect(documentError("a: 1\n", 4).code).toBe("TOO_LARGE");
  });

  it("counts the limit in UTF-8 bytes, not characters", () => {
    const text = "a: é\n"; // 6 bytes, 5 characters
    expect(documentError(text, 5).code).toBe("TOO_LARGE");
    expect(parseDocument(text, { maxBytes: 6 })).toEqual({ a: "é" });
    expect(documentError(new Uint8Array(11), 10).code).toBe("TOO_LARGE");
  });

  it("refuses empty files, bytes that are not UTF-8 and alias bombs", () => {
    expect(documentError("  \n").problems[0]?.message).toBe("the file is empty");
    expect(documentError(new Uint8Array([0x61, 0x3a, 0x20, 0xff])).problems[0]?.message).toBe(
      "the file is not UTF-8 text",
    );
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    ].join("\n");
    const error = documentError(bomb);
    expect(error.code).toBe("INVALID");
    expect(error.problems[0]?.message).toMatch(/^the file could not be read: .*alias/i);
  });
});

describe("parseIntentFile", () => {
  it("accepts a minimal file", () => {
    const result = parseIntentFile(file());
    expect(result.ok).toBe(true);
  });

  it("names an unknown field, suggesting the likely one", () => {
    const input = file({
      networks: [{ name: "web", colour: "red", subnet: [], subnets: [{ cidr: "10.1.0.0/24" }] }],
    });
    expect(lines(intentProblems(input))).toEqual([
      "networks[0].colour: unknown field",
      "networks[0].subnet: unknown field (did you mean subnets?)",
    ]);
  });

  it("names unknown fields inside a service by its type", () => {
    const input = file({
      services: [{ name: "n", type: "nat", inside: ["web"], outsde: "web", outside: "web" }],
    });
    expect(lines(intentProblems(input))).toEqual([
      "services[0].outsde: unknown field (did you mean outside?)",
    ]);
  });

  it("names a malformed prefix and host bits by path", () => {
    const input = file({
      networks: [
        { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
        { name: "db", subnets: [{ cidr: "10.1.0.0/33" }, { cidr: "10.2.0.5/24" }] },
      ],
    });
    expect(lines(intentProblems(input))).toEqual([
      "networks[1].subnets[0].cidr: 10.1.0.0/33 is not an IPv4 prefix",
      "networks[1].subnets[1].cidr: 10.2.0.5/24 has host bits set (did you mean 10.2.0.0/24?)",
    ]);
  });

  it("shows the offending value of names, enums, literals and types", () => {
    const input = {
      apiVersion: "netloom/v2",
      tenant: "acme",
      networks: [{ name: "web", external: "yes", subnets: [{ cidr: "10.1.0.0/24" }] }],
      workloads: [
        { name: "web-1", interfaces: [{ network: "web" }] },
        { name: "web-2", interfaces: [{ network: "web" }] },
        { name: "Web", interfaces: [{ network: "web", ip: "10.1.0.256" }] },
      ],
      securityGroups: [{ name: "sg", rules: [{ direction: "in", protocol: "tcpp" }] }],
    };
    expect(lines(intentProblems(input))).toEqual([
      'apiVersion: "netloom/v2" must be "netloom/v1"',
      'networks[0].external: must be true or false, not "yes"',
      `workloads[2].name: "Web" must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit`,
      "workloads[2].interfaces[0].ip: 10.1.0.256 is not an IPv4 address",
      'securityGroups[0].rules[0].direction: "in" is not one of ingress, egress',
      'securityGroups[0].rules[0].protocol: "tcpp" is not one of any, tcp, udp, icmp',
    ]);
  });

  it("names missing fields, empty lists and unknown service types", () => {
    const input = {
      apiVersion: "netloom/v1",
      networks: [{ name: "web", subnets: [] }],
      services: [{ name: "x", type: "router" }, { name: "y" }],
    };
    expect(lines(intentProblems(input))).toEqual([
      "tenant: is required",
      "networks[0].subnets: needs at least one subnet",
      'services[0].type: "router" is not one of firewall, load-balancer, nat, dns',
      "services[1].type: is required (one of firewall, load-balancer, nat, dns)",
    ]);
  });

  it("refuses a whole document that is not an object", () => {
    expect(lines(intentProblems(["a"]))).toEqual([": must be an object, not a list"]);
  });

  it("checks ports' form: range, list syntax, type", () => {
    const input = file({
      securityGroups: [
        {
          name: "sg",
          rules: [
            { direction: "ingress", protocol: "tcp", ports: 70000 },
            { direction: "ingress", protocol: "tcp", ports: "9000-8000" },
            { direction: "ingress", protocol: "tcp", ports: true },
          ],
        },
      ],
      services: [
        {
          name: "lb",
          type: "load-balancer",
          network: "web",
          vip: "10.1.0.100",
          protocol: "tcp",
          port: 0,
          members: ["w"],
          memberPort: 65536,
        },
      ],
    });
    expect(lines(intentProblems(input))).toEqual([
      "securityGroups[0].rules[0].ports: 70000 is not a port (1-65535)",
      "securityGroups[0].rules[1].ports: 9000-8000: range 9000-8000 ends before it starts",
      "securityGroups[0].rules[2].ports: must be a number or a string, not true",
      "services[0].port: 0 is not a port (1-65535)",
      "services[0].memberPort: 65536 is not a port (1-65535)",
    ]);
  });

  it("refuses a Unicode bidirectional override in any string field", () => {
    const input = file({
      networks: [{ name: "w\u202eeb", subnets: [{ cidr: "10.1.0.0/24" }] }],
      policies: [
        {
          name: "p",
          attach: ["web"],
          rules: [{ action: "allow", source: "web\u202e", destination: "any" }],
        },
      ],
      services: [{ name: "d", type: "dns", domain: "acme\u2066.internal", networks: ["web"] }],
      assertions: [
        { name: "a", from: "web-1\u202e", to: "10.1.0.5", protocol: "any", verdict: "allow" },
      ],
    });
    expect(lines(intentProblems(input))).toEqual([
      "networks[0].name: contains a Unicode bidirectional control character (U+202E)",
      "policies[0].rules[0].source: contains a Unicode bidirectional control character (U+202E)",
      "services[0].domain: contains a Unicode bidirectional control character (U+2066)",
      "assertions[0].from: contains a Unicode bidirectional control character (U+202E)",
    ]);
  });

  it("refuses control characters in free strings (endpoints, ports, addresses)", () => {
    const input = file({
      networks: [{ name: "web", subnets: [{ cidr: "10.1.0.0/24\u0000" }] }],
      securityGroups: [
        {
          name: "sg",
          rules: [
            { direction: "ingress", protocol: "tcp", ports: "80\u0007", remote: "any\u001b[31m" },
          ],
        },
      ],
    });
    expect(lines(intentProblems(input))).toEqual([
      "networks[0].subnets[0].cidr: contains a control character (U+0000)",
      "securityGroups[0].rules[0].ports: contains a control character (U+0007)",
      "securityGroups[0].rules[0].remote: contains a control character (U+001B)",
    ]);
  });

  it("escapes a bidi override in an unknown key instead of printing it", () => {
    const problems = intentProblems(file({ "te\u202enant": "x" }));
    expect(lines(problems)).toEqual(['["te\\u202enant"]: unknown field (did you mean tenant?)']);
  });

  it("checks endpoint forms: name, CIDR or any", () => {
    const input = file({
      policies: [
        {
          name: "p",
          attach: ["web"],
          rules: [
            { action: "allow", source: "10.1.0.5", destination: "10.1.0.0/16" },
            { action: "allow", source: "10.1.0.1/16", destination: "Web!" },
          ],
        },
      ],
    });
    expect(lines(intentProblems(input))).toEqual([
      'policies[0].rules[0].source: 10.1.0.5 is not a name, a CIDR or "any" (did you mean 10.1.0.5/32?)',
      "policies[0].rules[1].source: 10.1.0.1/16 has host bits set (did you mean 10.1.0.0/16?)",
      'policies[0].rules[1].destination: "Web!" is not a name, a CIDR or "any"',
    ]);
  });

  it("has a throwing variant that lists every problem", () => {
    expect(() => parseIntentFileOrThrow(file({ tenant: "A" }))).toThrow(NetloomError);
    try {
      parseIntentFileOrThrow(file({ tenant: "A", extra: 1 }));
    } catch (error) {
      if (!(error instanceof NetloomError)) throw error;
      expect(error.code).toBe("INVALID");
      expect(error.problems.map((problem) => problem.path)).toEqual(["tenant", "extra"]);
      expect(error.message.split("\n")).toHaveLength(2);
    }
    expect(parseIntentFileOrThrow(file()).tenant).toBe("acme");
  });
});

describe("fabric and expect files", () => {
  it("parses the fabric file and names bad underlays", () => {
    const ok = parseFabricFile({
      apiVersion: "netloom/v1",
      kind: "Fabric",
      nodes: [{ name: "compute-1", underlay: "198.18.0.11" }],
    });
    expect(ok.ok).toBe(true);
    const bad = parseFabricFile({
      apiVersion: "netloom/v1",
      kind: "Fabric",
      nodes: [{ name: "compute-1", underlay: "198.18.0" }],
    });
    expect(bad).toEqual({
      ok: false,
      problems: [{ path: "nodes[0].underlay", message: "198.18.0 is not an IPv4 address" }],
    });
  });

  it("parses expectations and names bad flow ends and ports", () => {
    const input = {
      expect: [
        { from: "web-1", to: "10.1.0.5", protocol: "tcp", port: 80, verdict: "allow" },
        { from: "Web 1", to: "db-1", protocol: "tcp", port: 0, verdict: "maybe" },
      ],
    };
    const result = parseExpectFile(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(lines(result.problems)).toEqual([
        'expect[1].from: "Web 1" is neither a workload name nor an IPv4 address',
        "expect[1].port: 0 is not a port (1-65535)",
        'expect[1].verdict: "maybe" is not one of allow, deny',
      ]);
    }
    expect(parseExpectFileOrThrow({ expect: [input.expect[0]] }).expect).toHaveLength(1);
  });
});
