-- The canvas layout document: node positions per tenant, shared by its users (router/layout.ts).
-- Kept apart from the intent tables so saving a layout never touches a tenant's generation.
CREATE TABLE IF NOT EXISTS "TenantLayout" (
    "tenantId" TEXT NOT NULL,
    "positions" JSONB NOT NULL DEFAULT '{}',
    "revision" INTEGER NOT NULL DEFAULT 0,
    "updatedBy" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TenantLayout_pkey" PRIMARY KEY ("tenantId")
);
