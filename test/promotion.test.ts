/**
 * The promotion gate against a real Prometheus (the `prometheus` binary on PATH, 127.0.0.1 only) scraping
 * a small local exporter that plays several agent-api variants at once: one healthy, and one per way to be
 * unhealthy. Each variant is its own `job` (the app name), so one Prometheus serves every case.
 * The Automation API is a fake stack that records what it is asked to do.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACTIVE_COLOR_KEY,
  type AppConfig,
  type AutomationStack,
  type Color,
  evaluateGate,
  prometheusQuery,
  promoteCommand,
  rollbackCommand,
  statusCommand,
  type CommandDeps,
} from "../cli/bluegreen/promotionGate";
import { parseArgs } from "../cli/bluegreen/args";
import { npmRun } from "./cli";
import { flipTargets } from "../infra/apps/blueGreenPlan";
import { tool } from "./tools";

const WINDOW_SECONDS = 20;
const BUCKETS = ["0.1", "0.25", "0.5", "1", "2", "5", "10", "+Inf"];
// Cumulative share of requests at or below each bucket bound.
const FAST = [0.5, 0.9, 0.99, 1, 1, 1, 1, 1]; // p95 = 0.25 + 0.25 * (0.05 / 0.09) ≈ 0.389 s
const SLOW = [0, 0.02, 0.05, 0.1, 0.3, 0.97, 1, 1]; // p95 = 2 + 3 * (0.65 / 0.67) ≈ 4.91 s

interface Variant {
  rps: number;
  errorRatio: number;
  latency: number[];
  available: number;
  desired: number;
}
/** Per app name, the preview color (green) behaviour. Blue is always healthy. */
const VARIANTS: Record<string, Variant> = {
  "agent-api": { rps: 20, errorRatio: 0.002, latency: FAST, available: 3, desired: 3 },
  "errors-api": { rps: 20, errorRatio: 0.1, latency: FAST, available: 3, desired: 3 },
  "slow-api": { rps: 20, errorRatio: 0.002, latency: SLOW, available: 3, desired: 3 },
  "idle-api": { rps: 0.5, errorRatio: 0, latency: FAST, available: 3, desired: 3 },
  "unready-api": { rps: 20, errorRatio: 0.002, latency: FAST, available: 1, desired: 3 },
};
const HEALTHY: Variant = { rps: 10, errorRatio: 0.001, latency: FAST, available: 3, desired: 3 };

/** The exposition text at `t` seconds after start: counters grow linearly with the configured rates. */
function metricsText(t: number): string {
  const lines: string[] = [];
  for (const [app, green] of Object.entries(VARIANTS)) {
    for (const [color, v] of [
      ["blue", HEALTHY],
      ["green", green],
    ] as const) {
      const l = `job="${app}",namespace="agents",color="${color}",agent="planner"`;
      const requests = v.rps * t;
      lines.push(`agent_requests_total{${l}} ${requests}`);
      if (v.errorRatio > 0) lines.push(`agent_errors_total{${l}} ${requests * v.errorRatio}`);
      BUCKETS.forEach((le, i) =>
        lines.push(`agent_response_seconds_bucket{${l},le="${le}"} ${requests * v.latency[i]!}`),
      );
      lines.push(`agent_response_seconds_count{${l}} ${requests}`);
      const ksm = `job="kube-state-metrics",namespace="agents",deployment="${app}-${color}"`;
      lines.push(`kube_deployment_status_replicas_available{${ksm}} ${v.available}`);
      lines.push(`kube_deployment_spec_replicas{${ksm}} ${v.desired}`);
    }
  }
  return lines.join("\n") + "\n";
}

function appConfig(name: string, over: Partial<AppConfig> = {}): AppConfig {
  return {
    name,
    namespace: "agents",
    image: "acr.example.io/agent-api",
    port: 8000,
    probes: { livenessPath: "/health", readinessPath: "/health" },
    runAsUser: 10001,
    ingress: {
      hostname: "agents.example.com",
      dnsZoneId: "/subscriptions/s/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/example.com",
      acmeEmail: "sre@example.com",
      acmeServer: "staging",
    },
    ingressNamespace: "app-routing-system",
    httpsEgressCidrs: [],
    httpsEgressFqdns: [],
    activeColor: "blue",
    blue: { tag: "1.5.1", replicas: 3 },
    green: { tag: "1.5.2", replicas: 3 },
    autoscaling: { minReplicas: 3, maxReplicas: 15, cpuUtilization: 70 },
    resources: { cpuRequest: "500m", memoryRequest: "512Mi", cpuLimit: "2", memoryLimit: "1Gi" },
    promotion: { window: `${WINDOW_SECONDS}s`, maxErrorRatio: 0.01, maxP95Seconds: 2, minRequests: 50 },
    ...over,
  };
}

/** A fake Automation stack: remembers every setConfig and up. */
function fakeStack(current: Color, upResult = "succeeded") {
  const calls = {
    set: [] as [string, { value: string }, boolean | undefined][],
    up: 0,
    targets: [] as string[][],
  };
  const stack: AutomationStack = {
    getConfig: async () => ({ value: current }),
    setConfig: async (key, value, p) => {
      calls.set.push([key, value, p]);
      current = value.value as Color;
    },
    up: async (opts) => {
      calls.up++;
      calls.targets.push(opts?.target ?? []);
      opts?.onOutput?.("Updating (test):\n    ~ kubernetes:core/v1:Service agent-api update [diff: ~spec]\n");
      if (upResult === "throw") throw new Error("code: 255 stderr: error: update failed");
      return { summary: { result: upResult } };
    },
  };
  return { stack, calls };
}

let promUrl = "";
let prom: ChildProcess | undefined;
let promLog = "";
let exporter: http.Server | undefined;
let tmp = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}\nprometheus log:\n${promLog.slice(-3000)}`);
}

function deps(app: AppConfig, stack: AutomationStack, log: string[]): CommandDeps {
  return {
    app,
    stackName: "test",
    query: prometheusQuery(promUrl),
    openStack: async () => stack,
    log: (line) => log.push(line),
    confirm: async () => true,
  };
}

beforeAll(async () => {
  // .bin/prometheus at the chart's version (never a system copy); tool() throws "run npm run tools" when it
  // is missing: this test never skips.
  const prometheusBin = tool("prometheus");
  const started = Date.now();
  exporter = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
    res.end(metricsText((Date.now() - started) / 1000));
  });
  await new Promise<void>((resolve) => exporter!.listen(0, "127.0.0.1", resolve));
  const exporterPort = (exporter.address() as net.AddressInfo).port;

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "promotion-gate-"));
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: fake-cluster",
    // Keep the exporter's job/namespace labels: it plays several apps and kube-state-metrics.
    "    honor_labels: true",
    "    static_configs:",
    `      - targets: ["127.0.0.1:${exporterPort}"]`,
  ].join("\n");
  fs.writeFileSync(path.join(tmp, "prometheus.yml"), config);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    prometheusBin,
    [
      `--config.file=${path.join(tmp, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(tmp, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  prom.stdout!.on("data", (d) => (promLog += d));
  prom.stderr!.on("data", (d) => (promLog += d));
  await waitFor("Prometheus to be ready", 20_000, async () => (await fetch(`${promUrl}/-/ready`)).ok);
  // Wait until every series covers more than the gate window, so rate()/increase() see a full window.
  const query = prometheusQuery(promUrl);
  await waitFor(`${WINDOW_SECONDS}s of samples`, 60_000, async () => {
    const n = await query(`min(count_over_time(agent_requests_total[${WINDOW_SECONDS + 3}s]))`);
    return n !== undefined && n >= WINDOW_SECONDS + 2;
  });
}, 100_000);

afterAll(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once("exit", r));
    prom.kill("SIGTERM");
    const timer = setTimeout(() => prom!.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  await new Promise((r) => (exporter ? exporter.close(r) : r(undefined)));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("promotion gate against a real Prometheus", () => {
  it("passes a healthy preview color with the measured numbers", async () => {
    const r = await evaluateGate(prometheusQuery(promUrl), appConfig("agent-api"), "green");
    const v = Object.fromEntries(r.checks.map((c) => [c.name, c.value]));
    console.log(`healthy gate: ${r.checks.map((c) => `${c.name}=${c.measured}`).join(", ")}`);
    expect(r.healthy).toBe(true);
    expect(v.errorRatio).toBeCloseTo(0.002, 4);
    expect(v.p95Latency).toBeCloseTo(0.389, 2);
    expect(v.traffic).toBeGreaterThan(20 * WINDOW_SECONDS * 0.8);
    expect(v.readyPods).toBe(3);
  });

  it("promote: flips activeColor through the Automation stack and runs exactly one up", async () => {
    const { stack, calls } = fakeStack("blue");
    const log: string[] = [];
    expect(await promoteCommand(deps(appConfig("agent-api"), stack, log))).toBe(0);
    expect(calls.set).toEqual([[ACTIVE_COLOR_KEY, { value: "green" }, true]]);
    expect(ACTIVE_COLOR_KEY).toBe("monitoring-platform:app.activeColor");
    expect(calls.up).toBe(1);
    // Only the two Services are planned: unrelated drift can neither block nor ride along with a flip.
    expect(calls.targets).toEqual([flipTargets("monitoring-platform", "test", "agent-api")]);
    expect(log.join("\n")).toMatch(/promote done: agent-api is live on GREEN/);
  });

  it.each([
    [
      "a high error ratio",
      "errors-api",
      "errorRatio",
      /errorRatio 10\.000% \(0\.100\) \(needs <= 1\.000% \(0\.01\)\)/,
    ],
    ["a high p95 latency", "slow-api", "p95Latency", /p95Latency 4\.9\d\d s \(needs <= 2 s\)/],
    ["too little traffic", "idle-api", "traffic", /traffic 1\d requests in 20s \(needs >= 50\)/],
    ["pods not ready", "unready-api", "readyPods", /readyPods 1\/3 available/],
  ])("promote refuses %s with the failing numbers and never runs up", async (_what, app, check, message) => {
    const { stack, calls } = fakeStack("blue");
    const log: string[] = [];
    expect(await promoteCommand(deps(appConfig(app), stack, log))).toBe(2);
    const out = log.join("\n");
    console.log(`${app}: ${out.split("\n").pop()}`);
    expect(out).toMatch(/refusing to promote green/);
    expect(out).toMatch(message);
    expect(out).toMatch(new RegExp(`FAIL\\s+${check}`));
    expect(calls.set).toEqual([]);
    expect(calls.up).toBe(0);
  });

  it("rollback flips back without the gate, printing the state it rolls back to", async () => {
    const { stack, calls } = fakeStack("green");
    const log: string[] = [];
    // errors-api's green is broken: roll back to blue.
    expect(await rollbackCommand(deps(appConfig("errors-api", { activeColor: "green" }), stack, log))).toBe(
      0,
    );
    expect(calls.set).toEqual([[ACTIVE_COLOR_KEY, { value: "blue" }, true]]);
    expect(calls.up).toBe(1);
    expect(log.join("\n")).toMatch(/state of blue .* before rollback/);
  });

  it("rollback still works when Prometheus is unreachable", async () => {
    const { stack, calls } = fakeStack("green");
    const log: string[] = [];
    const d = { ...deps(appConfig("errors-api", { activeColor: "green" }), stack, log) };
    d.query = prometheusQuery("http://127.0.0.1:9", 1000);
    expect(await rollbackCommand(d)).toBe(0);
    expect(calls.up).toBe(1);
    expect(log.join("\n")).toMatch(/could not read blue's health .* rolling back anyway/);
  });

  it("refuses to promote to or roll back to a parked color, touching nothing", async () => {
    for (const cmd of [promoteCommand, rollbackCommand]) {
      const { stack, calls } = fakeStack("blue");
      const log: string[] = [];
      expect(
        await cmd(deps(appConfig("agent-api", { green: { tag: "1.5.2", replicas: 0 } }), stack, log)),
      ).toBe(1);
      expect(log.join("\n")).toMatch(/green is parked/);
      expect(calls.set).toEqual([]);
      expect(calls.up).toBe(0);
    }
  });

  it("refuses when the stack was flipped since the config was read", async () => {
    const { stack, calls } = fakeStack("green");
    const log: string[] = [];
    expect(await promoteCommand(deps(appConfig("agent-api"), stack, log))).toBe(1);
    expect(log.join("\n")).toMatch(/stack config says activeColor is "green", expected "blue"/);
    expect(calls.up).toBe(0);
  });

  it("reports a failed update with exit code 3 and how to recover", async () => {
    const { stack } = fakeStack("blue", "throw");
    const log: string[] = [];
    expect(await promoteCommand(deps(appConfig("agent-api"), stack, log))).toBe(3);
    expect(log.join("\n")).toMatch(/pulumi up FAILED: .*update failed/);
  });

  it("status prints the live color and both colors' health without changing anything", async () => {
    const log: string[] = [];
    let opened = false;
    const d = deps(appConfig("unready-api"), fakeStack("blue").stack, log);
    d.openStack = async () => {
      opened = true;
      return fakeStack("blue").stack;
    };
    expect(await statusCommand(d)).toBe(0);
    const out = log.join("\n");
    expect(out).toMatch(/unready-api is live on BLUE \(preview: green\)/);
    expect(out).toMatch(/blue \(live\)[\s\S]*=> healthy/);
    expect(out).toMatch(/green \(preview\)[\s\S]*FAIL\s+readyPods\s+1\/3 available[\s\S]*=> NOT healthy/);
    expect(opened).toBe(false);
  });
});

/** Runs the real CLI through the npm script users type. */
function cli(args: string[]): Promise<{ code: number; out: string }> {
  return npmRun("bluegreen", args, { env: { PROMETHEUS_URL: "" } });
}

describe("bluegreen CLI", () => {
  it("parses commands and options, and explains its usage on bad input", () => {
    expect(parseArgs(["promote", "--stack", "prod", "--prometheus-url", "http://p:9090", "--yes"])).toEqual({
      command: "promote",
      stack: "prod",
      prometheusUrl: "http://p:9090",
      prometheusUrlOrigin: "flag",
      yes: true,
    });
    expect(parseArgs(["status", "--stack", "dev"], { PROMETHEUS_URL: "http://q:9090" })).toMatchObject({
      prometheusUrl: "http://q:9090",
      prometheusUrlOrigin: "env",
    });
    expect(parseArgs(["status", "--stack", "dev"], {})).toMatchObject({ prometheusUrlOrigin: "default" });
    expect(() => parseArgs(["deploy", "--stack", "dev"])).toThrow(
      /unknown command "deploy": status, promote or rollback\n\nusage:/,
    );
    expect(() => parseArgs(["status"])).toThrow(/--stack is required/);
    expect(() => parseArgs(["status", "--stack"])).toThrow(/--stack needs a value/);
    expect(() => parseArgs(["status", "--stack", "dev", "--force"])).toThrow(/unknown option --force/);
  });

  it("status reads the dev stack file and prints both colors from Prometheus", async () => {
    const r = await cli(["status", "--stack", "dev", "--prometheus-url", promUrl]);
    expect(r.out).toMatch(/stack dev: agent-api is live on BLUE \(preview: green\)/);
    expect(r.out).toMatch(/green \(preview\) tag 1\.5\.2/);
    expect(r.code).toBe(0);
  });

  it("promote never flips without confirmation when not on a terminal", async () => {
    const r = await cli(["promote", "--stack", "dev", "--prometheus-url", promUrl]);
    expect(r.out).toMatch(/gate for green/);
    expect(r.out).toMatch(/not a terminal: pass --yes/);
    expect(r.code).toBe(1);
  });
});
