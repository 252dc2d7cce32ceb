/**
 * The real-process suites: they start the pinned Prometheus/Alertmanager (.bin/) on 127.0.0.1 and wait in
 * real time, so they run in `npm run test:drill`, not in `npm test`. test/suites.test.ts checks that every
 * test file is in exactly one of the two runs.
 */
export const DRILL_SUITES = [
  "test/firedrill.test.ts",
  "test/hadrill.test.ts",
  "test/smoke.test.ts",
  "test/promotion.test.ts",
] as const;

/**
 * `npm run test:apiserver`: every object of both renders through a real kube-apiserver + etcd
 * (vitest.apiserver.config.ts); needs `npm run tools -- kube-apiserver etcd crds`.
 */
export const APISERVER_SUITES = ["test/apiserver.test.ts"] as const;

/** What `npm test` leaves to the other two runs. */
export const SEPARATE_SUITES = [...DRILL_SUITES, ...APISERVER_SUITES] as const;
