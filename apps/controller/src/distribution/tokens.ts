import { timingSafeEqual } from "node:crypto";
import { NetloomError } from "@netloom/model";
import { hashSecret, newSecret } from "../auth/crypto";
import type { PrismaClient } from "../generated/prisma/client";

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
