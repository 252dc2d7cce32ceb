// Rule-evaluation cost, measured by Prometheus itself: 30 days of synthetic agent-api history for 100 pods
// go into a TSDB (`promtool tsdb create-blocks-from openmetrics`), a real Prometheus on 127.0.0.1 serves
// it, and every rule expression, ours and Sloth's for the same two SLOs, is run once through the query
// API with `stats=all` at the last instant of the history. `totalQueryableSamples` is the number of
// samples the engine loaded for the query: the same work the rule manager does for that rule at each
// evaluation (Prometheus HTTP API docs, "Instant queries", `stats` parameter; the rule manager runs each
// rule's expr as an instant query at the evaluation time).
//
// History: the last 6 hours at the real 30 s scrape interval (what the 5-minute to 6-hour windows read);
// before that one sample every 10 minutes, which keeps 30 days x 100 pods at ~5.5 million samples (a few
// minutes on 2 shared cores) instead of ~95 million. Both rule sets read the same history, so the ratio
// is fair; absolute figures for windows longer than 6 hours are ~20x below production (30 s throughout).
// The recorded series that long windows read (ours and Sloth's 5-minute rates) get the same history.
import { spawn, execFileSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { tool } from "../shared/tools";
import { loadRuleFiles, type LoadedRuleFile } from "../../infra/monitoring/rules";
import {
  groupCosts,
  podSeries,
  recordedSeries,
  recordsReadAsRange,
  writeOpenMetrics,
  type BenchGroup,
  type BenchRule,
  type GroupCost,
  type HistoryShape,
} from "./ruleBench";

/** 100 pods, 30 days ending 2026-11-01T00:00:00Z (fixed, so no figure depends on the day it runs). */
export const SHAPE: HistoryShape = {
  pods: 100,
  end: Date.UTC(2026, 10, 1) / 1000,
  span: 30 * 86400,
  coarseStep: 600,
  denseSpan: 6 * 3600,
  denseStep: 30,
};

/** The two SLOs of rules/slo.yaml, as a Sloth prometheus/v1 spec (sloth.dev "SLO spec" reference). */
const SLOTH_SPEC = {
  version: "prometheus/v1",
  service: "agent-api",
  slos: [
    {
      name: "availability",
      objective: 99.9,
      sli: {
        events: {
          error_query: 'sum(rate(agent_errors_total{job="agent-api"}[{{.window}}]))',
          total_query: 'sum(rate(agent_requests_total{job="agent-api"}[{{.window}}]))',
        },
      },
      alerting: {
        name: "AgentErrorBudgetBurn",
        page_alert: { labels: { severity: "critical" } },
        ticket_alert: { labels: { severity: "warning" } },
      },
    },
    {
      name: "latency",
      objective: 99,
      sli: {
        events: {
          error_query:
            'sum(rate(agent_response_seconds_count{job="agent-api"}[{{.window}}])) - sum(rate(agent_response_seconds_bucket{job="agent-api", le=~"2|2.0"}[{{.window}}]))',
          total_query: 'sum(rate(agent_response_seconds_count{job="agent-api"}[{{.window}}]))',
        },
      },
      alerting: {
        name: "AgentLatencyBudgetBurn",
        page_alert: { labels: { severity: "critical" } },
        ticket_alert: { labels: { severity: "warning" } },
      },
    },
  ],
};

/** Our SLO groups (rules/slo.yaml): what Sloth's output replaces. */
const OUR_SLO_GROUPS = ["agent-slo-availability", "agent-slo-latency", "agent-slo-budget"];

/**
 * The version of `module` a Go binary was built from, read from its build info (`go version -m`). A
 * `go install …@v0.16.0` build of sloth prints "dev" from `sloth version` (its version is an ldflags
 * variable the release build sets), so the build info is the honest record of what ran.
 */
function moduleVersion(binary: string, module: string): string {
  try {
    const info = execFileSync("go", ["version", "-m", binary], { encoding: "utf8", stdio: "pipe" });
    const line = info.split("\n").find((l) => l.trim().split(/\s+/)[1] === module);
    if (line) return line.trim().split(/\s+/)[2]!;
  } catch {
    // no Go toolchain: fall back to what the binary says about itself
  }
  return execFileSync(binary, ["version"], { encoding: "utf8", stdio: "pipe" }).trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitReady(base: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited (${child.exitCode}):\n${fs.readFileSync(log, "utf8").slice(-2000)}`);
    }
    try {
      const res = await fetch(`${base}/-/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`prometheus not ready after 180 s:\n${fs.readFileSync(log, "utf8").slice(-2000)}`);
}

interface QueryResult {
  status: string;
  error?: string;
  data?: {
    result: { metric: Record<string, string> }[] | unknown;
    stats?: { samples?: { totalQueryableSamples?: number } };
  };
}

async function query(base: string, expr: string, time: number): Promise<QueryResult> {
  const body = new URLSearchParams({ query: expr, time: String(time), stats: "all" });
  const res = await fetch(`${base}/api/v1/query`, { method: "POST", body });
  const json = (await res.json()) as QueryResult;
  if (json.status !== "success") throw new Error(`query failed (${json.error ?? res.status}): ${expr}`);
  return json;
}

function asGroups(files: readonly LoadedRuleFile[]): BenchGroup[] {
  return files.flatMap((f) =>
    f.groups.map((g) => ({
      name: g.name,
      interval: g.interval,
      rules: g.rules.map((r) =>
        "alert" in r
          ? { alert: r.alert, expr: r.expr }
          : { record: r.record, expr: r.expr, labels: r.labels },
      ),
    })),
  );
}

function total(costs: readonly GroupCost[]): { perEvaluation: number; perHour: number } {
  return {
    perEvaluation: costs.reduce((s, c) => s + c.samplesPerEvaluation, 0),
    perHour: costs.reduce((s, c) => s + c.samplesPerHour, 0),
  };
}

/** Runs benchmark (c) and prints its figures. */
export async function benchRuleCost(root: string): Promise<void> {
  const promtool = tool("promtool");
  const prometheus = tool("prometheus");
  const sloth = tool("sloth");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rule-bench-"));
  let child: ChildProcess | undefined;
  try {
    // Sloth's rules for the same two SLOs, generated in this run.
    const specFile = path.join(tmp, "sloth.yaml");
    const slothOut = path.join(tmp, "sloth-rules.yaml");
    fs.writeFileSync(specFile, yaml.dump(SLOTH_SPEC));
    execFileSync(sloth, ["generate", "-i", specFile, "-o", slothOut], { stdio: "pipe" });
    const slothGroups = (yaml.load(fs.readFileSync(slothOut, "utf8")) as { groups: BenchGroup[] }).groups;
    const slothVersion = moduleVersion(sloth, "github.com/slok/sloth");

    const ours = asGroups(
      loadRuleFiles(path.join(root, "rules"), {
        grafanaUrl: "https://grafana.example.com",
        runbookBaseUrl: "https://example.com/runbooks",
        constants: {},
      }),
    );

    // History: raw agent-api series of every pod, plus the recorded series either rule set reads in a
    // range (ours: the 5-minute rates; Sloth: its 5-minute error ratios, read by its 30-day window).
    const ranged: BenchRule[] = [...recordsReadAsRange(ours), ...recordsReadAsRange(slothGroups)];
    const series = [
      ...Array.from({ length: SHAPE.pods }, (_, i) => podSeries(i, SHAPE.pods)).flat(),
      ...ranged.map((r) => recordedSeries(r, 0.001)),
    ];
    const om = path.join(tmp, "history.om");
    const fd = fs.openSync(om, "w");
    let t0 = Date.now();
    const samples = writeOpenMetrics(series, SHAPE, (chunk) => fs.writeSync(fd, chunk));
    fs.closeSync(fd);
    const generateMs = Date.now() - t0;

    const data = path.join(tmp, "data");
    t0 = Date.now();
    // 486h (~20 days) is the largest block range promtool accepts below 30 days: two or three passes over
    // the file instead of one per default 2-hour block.
    execFileSync(
      promtool,
      ["tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=500h", om, data],
      {
        stdio: "pipe",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const blocksMs = Date.now() - t0;
    fs.rmSync(om);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const config = path.join(tmp, "prometheus.yml");
    fs.writeFileSync(config, "global:\n  evaluation_interval: 30s\nscrape_configs: []\n");
    const log = path.join(tmp, "prometheus.log");
    const logFd = fs.openSync(log, "w");
    child = spawn(
      prometheus,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${data}`,
        "--storage.tsdb.retention.time=3650d",
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", logFd, logFd] },
    );
    await waitReady(base, child, log);
    const version = (
      (await (await fetch(`${base}/api/v1/status/buildinfo`)).json()) as { data: { version: string } }
    ).data.version;

    // The recorded series we synthesised must carry exactly the labels their rule would write.
    for (const r of ranged) {
      const res = await query(base, r.expr, SHAPE.end);
      const rows = (res.data?.result ?? []) as { metric: Record<string, string> }[];
      if (rows.length !== 1 || Object.keys(rows[0]!.metric).length > 0) {
        throw new Error(
          `recording rule ${r.record} does not aggregate to one label-less series; the bench cannot synthesise its history`,
        );
      }
    }

    const cost = new Map<string, number>();
    const samplesOf = async (r: BenchRule): Promise<void> => {
      if (cost.has(r.expr)) return;
      const res = await query(base, r.expr, SHAPE.end);
      cost.set(r.expr, res.data?.stats?.samples?.totalQueryableSamples ?? NaN);
    };
    for (const g of [...ours, ...slothGroups]) for (const r of g.rules) await samplesOf(r);
    const lookup = (r: BenchRule) => cost.get(r.expr) ?? NaN;
    if (process.env.BENCH_VERBOSE) {
      for (const g of [...ours, ...slothGroups]) {
        for (const r of g.rules)
          console.log(`  ${String(lookup(r)).padStart(9)}  ${g.name}  ${r.record ?? r.alert}`);
      }
    }
    const ourCosts = groupCosts(ours, lookup, 30);
    const ourSlo = ourCosts.filter((c) => OUR_SLO_GROUPS.includes(c.group));
    const slothCosts = groupCosts(slothGroups, lookup, 30);

    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log("");
    console.log(`(c) rule evaluation cost — Prometheus ${version}, sloth ${slothVersion}`);
    console.log(
      `    history: ${SHAPE.pods} pods x 30 days, ${fmt(samples)} samples (10 min step, last 6 h at 30 s); generated in ${(generateMs / 1000).toFixed(1)} s, blocks in ${(blocksMs / 1000).toFixed(1)} s`,
    );
    console.log(
      "    coarse step before the last 6 h: windows longer than 6 h read ~20x fewer samples than at 30 s in production, on both sides",
    );
    console.log(
      "    only agent-api series are synthesised: groups reading other sources (kube-state-metrics, exporters) count ~0 here",
    );
    const row = (c: GroupCost) =>
      `    ${c.group.padEnd(50)} ${String(c.intervalSeconds + "s").padStart(5)} ${String(c.rules).padStart(5)} ${fmt(c.samplesPerEvaluation).padStart(13)} ${fmt(c.samplesPerHour).padStart(15)}`;
    console.log(
      `    ${"group".padEnd(50)} ${"every".padStart(5)} ${"rules".padStart(5)} ${"samples/eval".padStart(13)} ${"samples/hour".padStart(15)}`,
    );
    for (const c of ourSlo) console.log(row(c));
    for (const c of slothCosts) console.log(row(c));
    const a = total(ourSlo);
    const b = total(slothCosts);
    const all = total(ourCosts);
    console.log(
      `    ours, SLO groups:     ${fmt(a.perEvaluation)} samples per evaluation of every group, ${fmt(a.perHour)} per hour`,
    );
    console.log(
      `    ours, all ${ourCosts.length} groups:  ${fmt(all.perEvaluation)} per evaluation, ${fmt(all.perHour)} per hour`,
    );
    console.log(
      `    sloth, same SLOs:     ${fmt(b.perEvaluation)} per evaluation, ${fmt(b.perHour)} per hour`,
    );
    const ratio = a.perEvaluation / b.perEvaluation;
    const ratioHour = a.perHour / b.perHour;
    const allRatio = all.perEvaluation / b.perEvaluation;
    const allRatioHour = all.perHour / b.perHour;
    const ok = [ratio, ratioHour, allRatio, allRatioHour].every((x) => x <= 1);
    console.log(
      `(c) ours ÷ sloth, SLO groups: ${ratio.toFixed(3)} per evaluation, ${ratioHour.toFixed(3)} per hour; all our groups: ${allRatio.toFixed(3)} per evaluation, ${allRatioHour.toFixed(3)} per hour  (target ≤ 1)  ${ok ? "OK" : "OVER"}`,
    );
  } finally {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child!.once("exit", r));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
