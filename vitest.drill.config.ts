import { defineConfig } from "vitest/config";
import { DRILL_SUITES } from "./test/suites";

// `npm run test:drill`: the suites that start real Prometheus and Alertmanager servers on 127.0.0.1 and wait
// in real time (fire drill, smoke, promotion gate). One file at a time: each holds servers and ports for
// minutes and measures detection times, which two at once on 2 cores would distort.
export default defineConfig({
  test: {
    include: [...DRILL_SUITES],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
