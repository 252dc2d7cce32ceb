/**
 * The real-process suites: they start the pinned Prometheus/Alertmanager (.bin/) on 127.0.0.1 and wait in
 * real time, so they run in `npm run test:drill`, not in `npm test`. test/suites.test.ts checks that every
 * test file is in exactly one of the two runs.
 */
export const DRILL_SUITES = [
  "test/firedrill.test.ts",
  "test/smoke.test.ts",
  "test/promotion.test.ts",
] as const;
