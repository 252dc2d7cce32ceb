/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run bench [-- rules|build]

Prints ratios measured in one run (median of BENCH_RUNS runs each, default 5), so the machine's speed
cancels out (docs/benchmarks.md):

  (none)  all three
  build   (a) offline render of prod ÷ bare require('@pulumi/pulumi'); (b) tsc of the project ÷ tsc of a
          one-file program with the same imports
  rules   (c) samples touched per evaluation of our SLO rules ÷ Sloth's for the same SLOs, counted by one
          Prometheus over 30 days of synthetic history (needs .bin/prometheus, promtool and sloth:
          npm run tools && npm run tools -- sloth)
  --help  print this help`;
