import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "apps/*/test/**/*.test.ts",
      "apps/*/test/**/*.test.tsx",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // A test that asserts nothing passes whatever the code does: make it fail instead.
    expect: { requireAssertions: true },
  },
});
