import { timingSafeEqual } from "node:crypto";
import { NetloomError } from "@netloom/model";
import { hashSecret, newSecret } from "../auth/crypto";
import type { PrismaClient } from "../generated/prisma/client";
import type { SqlRunner } from "../migrate";

/**
 * Node tokens: one secret per forwarding node, stored as SHA-256 in FabricNode.tokenHash like
 * API tokens. Issuing a new one revokes the old one.
 */
export async function issueNodeToken(prisma: PrismaClient, node: string): Promise<string> {
  const token = newSecret("nln");
  const updated = await prisma.fabricNode.updateMany({
    where: { name: node },
    data: { tokenHash: hashSecret(token) },
  });
  if (updated.count === 0) {
    throw new NetloomError("NOT_FOUND", `node ${node} not found`, [
      { path: "node", message: `node ${node} not found` },
    ]);
  }
  return token;
}

/** Whether `token` is the node token of `node`. Constant time in the token. */
export async function verifyNodeToken(
  prisma: PrismaClient,
  node: string,
  token: string,
): Promise<boolean> {
  const row = await prisma.fabricNode.findUnique({
    where: { name: node },
    select: { tokenHash: true },
  });
  if (!row?.tokenHash) return false;
  const expected = Buffer.from(row.tokenHash, "hex");
  const actual = Buffer.from(hashSecret(token), "hex");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Verifies node tokens against a snapshot of every node's token hash, read in one query and
 * kept `ttlMs`: a controller restart makes every agent reconnect at once, and a thousand
 * lookups would queue behind each other. A token issued here is seen at once; one issued or
 * revoked through another controller within `ttlMs`.
 */
export function createNodeTokenVerifier(sql: SqlRunner, ttlMs = 5000) {
  let hashes: Map<string, string> | undefined;
  let readAt = 0;
  let reading: Promise<Map<string, string>> | undefined;
  const load = async (): Promise<Map<string, string>> => {
    reading ??= sql
      .query<{ name: string; tokenHash: string | null }>(
        'SELECT name, "tokenHash" FROM "FabricNode"',
      )
      .then((rows) => {
        const next = new Map<string, string>();
        for (const row of rows) if (row.tokenHash) next.set(row.name, row.tokenHash);
        hashes = next;
        readAt = Date.now();
        return next;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  return {
    async verify(node: string, token: string): Promise<boolean> {
      const fresh = hashes !== undefined && Date.now() - readAt < ttlMs;
      let current = fresh && hashes ? hashes : await load();
      // Unknown in a cached snapshot but maybe just issued elsewhere: look again once.
      if (fresh && !current.has(node)) current = await load();
      const stored = current.get(node);
      if (!stored) return false;
      const expected = Buffer.from(stored, "hex");
      const actual = Buffer.from(hashSecret(token), "hex");
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
    /** Forgets the snapshot (after issuing a token here). */
    invalidate(): void {
      hashes = undefined;
    },
  };
}
