import { defineConfig } from "vitest/config";
import { DRILL_SUITES } from "./test/suites";

// `npm run test:drill`: the suites that start real Prometheus and Alertmanager servers on 127.0.0.1 and wait
// in real time (fire drill, HA drill, smoke, promotion gate). Two files at a time: the drills spend their
// minutes waiting on `for` durations and Alertmanager timers, not computing (two fire drills at once were
// both green at 251 s each on 2 cores, against 249 s alone), and the HA drill alone runs about 7 minutes
// on the deployed timers; one after the other they would take 13.
export default defineConfig({
  test: {
    include: [...DRILL_SUITES],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
    minWorkers: 1,
  },
});
