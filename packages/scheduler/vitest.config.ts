import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Property tests from a fixed seed (FC_SEED overrides it).
    setupFiles: ["../../test-support/fast-check-seed.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
