import { createSocket } from "node:dgram";
import { readFileSync, statSync } from "node:fs";
import { cidrContains } from "./address-sets";

/**
 * The DNS service's responder (spec 2 rule 8), run by the driver inside a tenant namespace
 * (see dns.ts): answers A queries for `<workload>.<domain>` with the address the asker's network
 * sees, re-reading its zone file whenever it changes. Anything it cannot parse gets FORMERR, so
 * a bare UDP probe to the gateway is answered too.
 */

/** The zone file's content (written by dns.ts `zoneOf`). */
export interface ResponderZone {
  records: { name: string; network: string; ip: string }[];
  networks: { name: string; cidrs: string[] }[];
}

const FLAGS_FORMERR = 0x8001;
const FLAGS_ANSWER = 0x8400;
const FLAGS_NXDOMAIN = 0x8403;
const TYPE_A = 1;
const TTL_SECONDS = 30;

/** A parsed question: its id, name (lower case), type, and the question's bytes to echo. */
export interface DnsQuestion {
  id: number;
  name: string;
  type: number;
  question: Buffer;
}

/** The question of a query, or the id alone when the query cannot be read. */
export function parseQuery(message: Buffer): DnsQuestion | { id: number } | undefined {
  if (message.length < 12) return undefined;
  const id = message.readUInt16BE(0);
  const labels: string[] = [];
  let offset = 12;
  while (offset < message.length && message[offset] !== 0 && labels.length < 64) {
    const length = message[offset] ?? 0;
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString());
    offset += length + 1;
  }
  if (offset + 5 > message.length) return { id };
  return {
    id,
    name: labels.join(".").toLowerCase(),
    type: message.readUInt16BE(offset + 1),
    question: message.subarray(12, offset + 5),
  };
}

/** The answer to `message` from `asker` under `zone`. */
export function answerQuery(message: Buffer, asker: string, zone: ResponderZone): Buffer {
  const query = parseQuery(message);
  if (query === undefined) return Buffer.alloc(12);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  if (!("question" in query)) {
    header.writeUInt16BE(FLAGS_FORMERR, 2);
    return header;
  }
  const network = zone.networks.find((candidate) =>
    candidate.cidrs.some((cidr) => cidrContains(cidr, asker)),
  )?.name;
  const matches = zone.records.filter((record) => record.name === query.name);
  const record = matches.find((candidate) => candidate.network === network) ?? matches[0];
  header.writeUInt16BE(record ? FLAGS_ANSWER : FLAGS_NXDOMAIN, 2);
  header.writeUInt16BE(1, 4);
  const answers: Buffer[] = [];
  if (record && query.type === TYPE_A) {
    const answer = Buffer.alloc(16);
    answer.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    answer.writeUInt16BE(TYPE_A, 2);
    answer.writeUInt16BE(1, 4); // class IN
    answer.writeUInt32BE(TTL_SECONDS, 6);
    answer.writeUInt16BE(4, 10);
    record.ip.split(".").forEach((octet, k) => {
      answer.writeUInt8(Number(octet), 12 + k);
    });
    answers.push(answer);
  }
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, query.question, ...answers]);
}

/** Serves `zoneFile` on udp/53 until killed. */
export function serveZone(zoneFile: string): void {
  let zone: ResponderZone = { records: [], networks: [] };
  let stamp = 0;
  const load = () => {
    try {
      const modified = statSync(zoneFile).mtimeMs;
      if (modified === stamp) return;
      zone = JSON.parse(readFileSync(zoneFile, "utf8")) as ResponderZone;
      stamp = modified;
    } catch (error) {
      // Keep answering from the last zone read; the driver rewrites the file atomically.
      process.stderr.write(`netloom-dns: cannot read ${zoneFile}: ${String(error)}\n`);
    }
  };
  const socket = createSocket("udp4");
  socket.on("message", (message, from) => {
    load();
    socket.send(answerQuery(message, from.address, zone), from.port, from.address);
  });
  socket.bind(53, "0.0.0.0");
}
