// The pure parts of the rule-cost benchmark (cli/bench/ruleBench.ts). The measurement itself needs
// prometheus, promtool and sloth and runs in `npm run bench -- rules`.
import * as path from "path";
import { describe, expect, it } from "vitest";
import { loadRuleFiles } from "../infra/monitoring/rules";
import {
  groupCosts,
  podSeries,
  rangeSelectorMetrics,
  recordsReadAsRange,
  timestamps,
  writeOpenMetrics,
  type BenchGroup,
} from "../cli/bench/ruleBench";

const ours: BenchGroup[] = loadRuleFiles(path.resolve(__dirname, "..", "rules"), {
  grafanaUrl: "https://grafana.example.com",
  runbookBaseUrl: "https://example.com/runbooks",
  constants: {},
}).flatMap((f) => f.groups.map((g) => ({ name: g.name, interval: g.interval, rules: g.rules })));

describe("rule-cost benchmark helpers", () => {
  it("samples coarsely, then at the scrape interval for the recent part, ending exactly at `end`", () => {
    const ts = timestamps({
      pods: 1,
      end: 10_000,
      span: 3_000,
      coarseStep: 600,
      denseSpan: 60,
      denseStep: 30,
    });
    expect(ts).toEqual([7_000, 7_600, 8_200, 8_800, 9_400, 9_940, 9_970, 10_000]);
  });

  it("finds the metrics read through range selectors, not instant ones", () => {
    expect(
      rangeSelectorMetrics(
        "sum_over_time(a:b:rate5m[1d]) / sum_over_time(c[1d]) > scalar(d) + sum(rate(e[5m] offset 1h))",
      ),
    ).toEqual(["a:b:rate5m", "c", "e"]);
    expect(rangeSelectorMetrics("sum(rate(x_total[5m])) / y")).toEqual(["x_total"]);
  });

  // The point of the SLO design: long windows read a handful of recorded series, never raw counters.
  // Four request-based rates and the probe SLI's error ratio (rules/slo.yaml).
  it("lists exactly our five 5-minute SLO rates as the recorded series read over long windows", () => {
    expect(recordsReadAsRange(ours).map((r) => r.record)).toEqual([
      "agent_slo:errors:rate5m",
      "agent_slo:probe_error_ratio:rate5m",
      "agent_slo:requests:rate5m",
      "agent_slo:responses:rate5m",
      "agent_slo:slow_responses:rate5m",
    ]);
    for (const g of ours.filter((g) => g.name.startsWith("agent-slo"))) {
      for (const r of g.rules) {
        // ALERTS (Prometheus' own series, one per alert: AgentProbeBudgetBurn's `unless`) is not a counter.
        const raw = rangeSelectorMetrics(r.expr).filter((m) => !m.includes(":") && m !== "ALERTS");
        const window = /\[(\w+)\]/.exec(r.expr)?.[1];
        // Only the page windows read raw counters (rules/slo.yaml says why); day-long ones never do.
        if (raw.length > 0)
          expect(["5m", "30m", "1h"], `${r.record ?? r.alert} reads raw series`).toContain(window);
      }
    }
  });

  it("keeps every rule writing a ranged record name, told apart by labels (Sloth: one per SLO)", () => {
    const groups: BenchGroup[] = [
      {
        name: "sli",
        rules: [
          { record: "slo:ratio5m", expr: "a", labels: { slo: "availability" } },
          { record: "slo:ratio5m", expr: "b", labels: { slo: "latency" } },
          { record: "unread", expr: "c" },
        ],
      },
      {
        name: "long",
        rules: [{ record: "slo:ratio30d", expr: 'avg_over_time(slo:ratio5m{slo="latency"}[30d])' }],
      },
    ];
    expect(recordsReadAsRange(groups).map((r) => r.labels?.slo)).toEqual(["availability", "latency"]);
  });

  it("writes OpenMetrics grouped by metric family, ending in # EOF", () => {
    const chunks: string[] = [];
    const n = writeOpenMetrics(
      podSeries(0, 2),
      { pods: 2, end: 1_000, span: 120, coarseStep: 60, denseSpan: 30, denseStep: 30 },
      (c) => chunks.push(c),
    );
    const lines = chunks.join("").trimEnd().split("\n");
    expect(lines.at(-1)).toBe("# EOF");
    const families = lines.slice(0, -1).map((l) => l.split("{")[0]);
    // Each family is one contiguous run.
    const runs = families.filter((f, i) => i === 0 || families[i - 1] !== f);
    expect(new Set(runs).size).toBe(runs.length);
    expect(n).toBe(lines.length - 1);
    expect(lines[0]).toMatch(/^agent_requests_total\{job="agent-api",.*pod="agent-api-blue-0".*\} 0 880$/);
  });

  it("adds group costs up per evaluation and per hour at each group's interval", () => {
    const groups: BenchGroup[] = [
      {
        name: "a",
        rules: [
          { record: "x", expr: "1" },
          { alert: "Y", expr: "2" },
        ],
      },
      { name: "b", interval: "5m", rules: [{ record: "z", expr: "3" }] },
    ];
    const costs = groupCosts(groups, (r) => Number(r.expr) * 10, 30);
    expect(costs).toEqual([
      { group: "a", intervalSeconds: 30, rules: 2, samplesPerEvaluation: 30, samplesPerHour: 3600 },
      { group: "b", intervalSeconds: 300, rules: 1, samplesPerEvaluation: 30, samplesPerHour: 360 },
    ]);
  });
});
