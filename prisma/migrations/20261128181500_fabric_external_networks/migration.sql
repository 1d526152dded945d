-- Spec 1.1: external networks the operator declares in the Fabric file, usable by every tenant
-- (or the listed ones). Their VNIs are fabric-wide like tenant networks', handed out from the
-- top of the VNI space down so they never meet the tenant allocations growing from 4096.
-- Addresses on them live in "IpAllocation" under the tenant id '*fabric*', so that the primary
-- key makes each one unique across tenants.
CREATE TABLE "FabricExternalNetwork" (
    "name" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "vni" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FabricExternalNetwork_pkey" PRIMARY KEY ("name")
);

CREATE UNIQUE INDEX "FabricExternalNetwork_vni_key" ON "FabricExternalNetwork"("vni");
