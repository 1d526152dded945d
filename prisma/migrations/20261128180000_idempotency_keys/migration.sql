-- Idempotency-Key: a retried create or apply returns the first answer instead of acting twice.
-- A row is written in the same transaction as the change it answers for, so it exists exactly
-- when the change committed. Kept for a day (the store purges older rows).
CREATE TABLE "IdempotencyKey" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "fabricGeneration" INTEGER NOT NULL,
    "changes" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyKey_pkey" PRIMARY KEY ("scope", "key")
);

CREATE INDEX "IdempotencyKey_createdAt_idx" ON "IdempotencyKey"("createdAt");
