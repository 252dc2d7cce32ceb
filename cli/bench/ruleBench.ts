// Pure parts of the rule-cost benchmark (`npm run bench`): the synthetic agent-api history as OpenMetrics
// text, the recorded series that rule windows read, and the bookkeeping of Prometheus' query statistics.
// No process is started here; cli/bench/main.ts wires these to promtool, prometheus and sloth.
import { parser } from "@prometheus-io/lezer-promql";

/** A rule as Prometheus loads it (plain rule-file format). */
export interface BenchRule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}

/** A rule group as Prometheus loads it. */
export interface BenchGroup {
  name: string;
  interval?: string;
  rules: BenchRule[];
}

/** Shape of the synthetic history. */
export interface HistoryShape {
  /** Number of agent-api pods (half blue, half green). */
  pods: number;
  /** Unix seconds of the last sample; the benchmark evaluates the rules at this instant. */
  end: number;
  /** How far back the history reaches, seconds (30 days). */
  span: number;
  /** Step of the old part of the history, seconds. */
  coarseStep: number;
  /** Length of the recent part sampled at the real scrape interval, seconds. */
  denseSpan: number;
  /** The real scrape interval, seconds (30 s in our clusters). */
  denseStep: number;
}

/** Histogram buckets of agent_response_seconds (docs/metrics.md: 2 s is a bucket boundary by contract). */
export const BUCKETS = ["0.1", "0.25", "0.5", "1", "2", "5", "10", "+Inf"] as const;
/** Share of requests at or under each bucket boundary (a healthy service: 99.5 % under 2 s). */
const BUCKET_SHARE = [0.3, 0.6, 0.85, 0.95, 0.995, 0.999, 1, 1] as const;
/** Requests per second per pod, and the share that fails (0.05 %, inside a 99.9 % SLO). */
const RPS_PER_POD = 2;
const ERROR_SHARE = 0.0005;

/** Sample timestamps, ascending: coarse steps up to the dense tail, then the scrape interval. */
export function timestamps(shape: HistoryShape): number[] {
  const start = shape.end - shape.span;
  const denseStart = shape.end - shape.denseSpan;
  const out: number[] = [];
  for (let t = start; t < denseStart; t += shape.coarseStep) out.push(t);
  for (let t = denseStart; t <= shape.end; t += shape.denseStep) out.push(t);
  return out;
}

/** One synthetic series: labels and the value at time t (seconds since the history began). */
export interface SyntheticSeries {
  metric: string;
  labels: Record<string, string>;
  value: (elapsed: number) => number;
}

/** The raw agent-api series of one pod: the counters and histogram the SLO rules read. */
export function podSeries(index: number, pods: number): SyntheticSeries[] {
  const color = index < pods / 2 ? "blue" : "green";
  const base = {
    job: "agent-api",
    namespace: "agents",
    color,
    pod: `agent-api-${color}-${index}`,
    instance: `10.244.${Math.floor(index / 250)}.${index % 250}:8000`,
    agent: "chat",
  };
  const requests = (s: number) => RPS_PER_POD * s;
  const series: SyntheticSeries[] = [
    { metric: "agent_requests_total", labels: base, value: requests },
    { metric: "agent_errors_total", labels: base, value: (s) => requests(s) * ERROR_SHARE },
    { metric: "agent_response_seconds_count", labels: base, value: requests },
  ];
  BUCKETS.forEach((le, i) =>
    series.push({
      metric: "agent_response_seconds_bucket",
      labels: { ...base, le },
      value: (s) => requests(s) * (BUCKET_SHARE[i] ?? 1),
    }),
  );
  return series;
}

/**
 * Recording rules whose output another rule reads through a range selector (`x[1d]`): their stored
 * history is what long windows cost, so the benchmark must hold it. Returned with the labels the rule
 * adds (the rules read here aggregate to no labels of their own; cli/bench/ruleCostRun.ts checks that).
 * One record name may be written by several rules that differ in their labels (Sloth writes
 * `slo:sli_error:ratio_rate5m` once per SLO, told apart by `sloth_slo`): every one of them is returned.
 */
export function recordsReadAsRange(groups: readonly BenchGroup[]): BenchRule[] {
  const records = new Map<string, BenchRule[]>();
  for (const g of groups) {
    for (const r of g.rules) if (r.record) records.set(r.record, [...(records.get(r.record) ?? []), r]);
  }
  const read = new Set<string>();
  for (const g of groups) {
    for (const r of g.rules) {
      for (const name of rangeSelectorMetrics(r.expr)) if (records.has(name)) read.add(name);
    }
  }
  return [...read].sort().flatMap((name) => records.get(name)!);
}

/** Metric names read through a range selector (`name{...}[w]`) in a PromQL expression. */
export function rangeSelectorMetrics(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name !== "MatrixSelector") return;
      const selector = node.node.getChild("VectorSelector");
      const id = selector?.getChild("Identifier");
      if (id) names.push(expr.slice(id.from, id.to));
    },
  });
  return names;
}

/** A recorded series for the history: constant value (what it costs depends on samples, not values). */
export function recordedSeries(rule: BenchRule, value: number): SyntheticSeries {
  return { metric: rule.record!, labels: rule.labels ?? {}, value: () => value };
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`,
  );
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

/**
 * Writes the history as OpenMetrics text through `write`, grouped by metric family as the format requires
 * (`promtool tsdb create-blocks-from openmetrics` rejects interleaved families). Counters are written as
 * untyped series so their names may end in _total/_bucket without family declarations. Returns the number
 * of samples written.
 */
export function writeOpenMetrics(
  series: readonly SyntheticSeries[],
  shape: HistoryShape,
  write: (chunk: string) => void,
): number {
  const ts = timestamps(shape);
  const start = shape.end - shape.span;
  const byMetric = new Map<string, SyntheticSeries[]>();
  for (const s of series) byMetric.set(s.metric, [...(byMetric.get(s.metric) ?? []), s]);
  let samples = 0;
  for (const [metric, members] of byMetric) {
    for (const s of members) {
      const prefix = `${metric}${labelText(s.labels)} `;
      const lines: string[] = [];
      for (const t of ts) {
        lines.push(`${prefix}${round(s.value(t - start))} ${t}`);
        if (lines.length >= 4096) {
          write(lines.join("\n") + "\n");
          lines.length = 0;
        }
      }
      if (lines.length > 0) write(lines.join("\n") + "\n");
      samples += ts.length;
    }
    void metric;
  }
  write("# EOF\n");
  return samples;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(4);
}

/** Seconds of a Prometheus duration (`30s`, `5m`, `1h30m`). */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  for (const m of d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * (units[m[2]!] ?? NaN);
  return total;
}

/** Samples touched by one evaluation of a group, and per hour at the group's interval. */
export interface GroupCost {
  group: string;
  intervalSeconds: number;
  rules: number;
  samplesPerEvaluation: number;
  samplesPerHour: number;
}

/** Sums per-rule sample counts into per-group costs. */
export function groupCosts(
  groups: readonly BenchGroup[],
  samplesOf: (rule: BenchRule) => number,
  defaultInterval: number,
): GroupCost[] {
  return groups.map((g) => {
    const intervalSeconds = g.interval ? durationSeconds(g.interval) : defaultInterval;
    const samplesPerEvaluation = g.rules.reduce((sum, r) => sum + samplesOf(r), 0);
    return {
      group: g.name,
      intervalSeconds,
      rules: g.rules.length,
      samplesPerEvaluation,
      samplesPerHour: samplesPerEvaluation * (3600 / intervalSeconds),
    };
  });
}
