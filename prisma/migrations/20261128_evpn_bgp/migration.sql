-- Issue 14: the controller as a BGP EVPN speaker.
-- The Fabric file's `bgp` section (one row, id 1). The `evpn` sections of external networks live
-- in "FabricExternalNetwork".spec with the rest of the network.
CREATE TABLE "FabricBgp" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "spec" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FabricBgp_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "FabricBgp_one_row" CHECK ("id" = 1)
);

-- An external network's L3 VNI is its own across every controller on this database.
CREATE UNIQUE INDEX "FabricExternalNetwork_evpn_vni_key"
    ON "FabricExternalNetwork" ((("spec"->'evpn'->>'vni')::integer));

-- EVPN type-5 routes learned by each controller's speaker (`source` = its speaker id). The union
-- over sources is what compiles; a speaker replaces its own rows as a whole.
CREATE TABLE "EvpnLearnedRoute" (
    "source" TEXT NOT NULL,
    "peer" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "vni" INTEGER NOT NULL,
    "routerMac" TEXT NOT NULL,
    "nexthop" TEXT NOT NULL,
    "routeTarget" TEXT NOT NULL,
    "learnedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EvpnLearnedRoute_pkey" PRIMARY KEY ("source", "peer", "prefix", "vni", "nexthop", "routeTarget")
);
