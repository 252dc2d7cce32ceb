import { defineConfig } from "vitest/config";

// Stack evaluations load the azure-native modules (slow to import) and the fire drill starts real
// Prometheus/Alertmanager servers, so timeouts are generous; every test still bounds its own waits.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
