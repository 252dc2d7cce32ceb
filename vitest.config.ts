import { defineConfig } from "vitest/config";
import { SEPARATE_SUITES } from "./test/suites";

// `npm test`: everything but the real-process drills (vitest.drill.config.ts, `npm run test:drill`) and the
// API server suite (vitest.apiserver.config.ts, `npm run test:apiserver`). Stack
// evaluations load the azure-native modules (slow to import), so timeouts are generous; every test still
// bounds its own waits. Both stacks are rendered once, before any file runs (test/globalSetup.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [...SEPARATE_SUITES],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // vitest's default on 2 cores is one fork (CPUs − 1); most files spend their time waiting on child
    // processes (npm run …, promtool, amtool), so two forks overlap one file's waits with another's work.
    maxWorkers: 2,
    minWorkers: 1,
    globalSetup: ["test/globalSetup.ts"],
  },
});
