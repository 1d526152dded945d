-- Fabric generations come from a sequence: taking the next one does not lock a row, so
-- transactions of different tenants commit in parallel instead of queueing on "FabricState"
-- (whose row the store raises after commit, coalesced; readers take the max with events).
-- Prisma does not model standalone sequences: this migration is hand-written, and keeps
-- working if the init migration is ever re-created with a later timestamp.
CREATE SEQUENCE IF NOT EXISTS "fabric_generation_seq";
DO $$
BEGIN
  IF to_regclass('"FabricState"') IS NOT NULL THEN
    PERFORM setval('"fabric_generation_seq"',
      COALESCE((SELECT generation FROM "FabricState" WHERE id = 1), 0) + 1, false);
  END IF;
END $$;
