import path from "node:path";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { defineConfig } from "prisma/config";

// Prisma's native engines cannot be downloaded here: the CLI runs on the JS engine through a
// driver adapter. Migrations are made and applied against the embedded PGlite database.
export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  experimental: { adapter: true },
  engine: "js",
  async adapter() {
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    const dir = process.env.NETLOOM_MIGRATE_DATA ?? path.join(".netloom", "migrate-db");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    // pglite-prisma-adapter bundles its own copy of the adapter interface types.
    return new PrismaPGlite(new PGlite(dir)) as unknown as SqlMigrationAwareDriverAdapterFactory;
  },
});
