-- Fabric generations come from a sequence: taking the next one does not lock a row, so
-- transactions of different tenants commit in parallel instead of queueing on "FabricState"
-- (whose row the store raises after commit, coalesced; readers take the max with events).
-- Prisma does not model standalone sequences: this migration is hand-written.
CREATE SEQUENCE IF NOT EXISTS "fabric_generation_seq";
SELECT setval('"fabric_generation_seq"', COALESCE((SELECT generation FROM "FabricState" WHERE id = 1), 0) + 1, false);
