// The fire drill: the real Alertmanager with the generated routing tree, the real Prometheus with the
// repository's rule files — both at exactly the versions the pinned chart deploys (.bin/, built by
// `npm run tools`; test/tools.test.ts checks the versions) — a fake agent-api exporter and a capture server
// standing in for PagerDuty, Slack and the dead man's switch. It proves end to end that
//   1. every severity lands at exactly the receivers the routing table promises, warnings split by business
//      hours, inhibition works by alert name, and the Watchdog feeds the heartbeat through the real
//      `url_file` webhook, which survives a failing heartbeat endpoint (alertmanager#3798);
//   2. an agent-api outage becomes a page: up == 0 → AgentCompleteOutage → Alertmanager → pagerduty-critical;
//   3. one outage is one page: the live Service losing its endpoints, the public probe failing and the
//      probe SLI burning its budget fire too, and are inhibited by their cause (CAUSE_INHIBITIONS),
//      counted per receiver.
//
// Bounded: everything listens on free ports of 127.0.0.1, lives in a temp dir, and every process started
// here is stopped in afterAll (SIGTERM, then SIGKILL), also when start-up fails half-way. The whole file
// takes about 4½ minutes, most of it the 2-minute `for` of AgentCompleteOutage (during which the routing
// checks run) and the 4-minute `for` of AgentProbeBudgetBurn.
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackConfig } from "../infra/config";
import {
  RECEIVERS,
  alertmanagerConfig,
  redirectReceivers,
  type AlertmanagerConfig,
  type BusinessHours,
  type Route,
} from "../infra/monitoring/alertmanager";
import { loadRuleFiles, ruleConstants } from "../infra/monitoring/rules";
import { run, tool } from "./tools";

const ROOT = path.resolve(__dirname, "..");
const HOST = "127.0.0.1";
/** AgentCompleteOutage has `for: 2m`; scrape + evaluation + group_wait add a few seconds. */
const OUTAGE_PAGE_DEADLINE_MS = 150_000;
/** AgentProbeBudgetBurn has `for: 4m`, the last symptom of the outage to fire (rules/slo.yaml). */
const PROBE_FIRING_DEADLINE_MS = 270_000;
/** Longer than the drill's group_wait + group_interval: after this, nothing else is going to arrive. */
const SETTLE_MS = 2_500;

// ------------------------------------------------------------------------------------------ helpers --

function stackMonitoring(stack: string): StackConfig["monitoring"] {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  return doc.config["monitoring-platform:monitoring"] as StackConfig["monitoring"];
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`,
      );
    }
    await sleep(200);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

// ---------------------------------------------------------------------------------------- processes --

interface Proc {
  name: string;
  child: ChildProcess;
  /** The last lines of output, shown when the process dies or a wait times out. */
  log: string[];
  exited: Promise<void>;
  running: boolean;
}

const procs: Proc[] = [];

// Last resort if the worker exits without running afterAll: no orphaned servers.
process.on("exit", () => {
  for (const p of procs) if (p.running) p.child.kill("SIGKILL");
});

function start(name: string, bin: string, args: string[]): Proc {
  const child = spawn(bin, args, { detached: false, stdio: ["ignore", "pipe", "pipe"] });
  const proc: Proc = { name, child, log: [], running: true, exited: Promise.resolve() };
  const keep = (chunk: Buffer) => {
    proc.log.push(...chunk.toString().split("\n").filter(Boolean));
    proc.log.splice(0, Math.max(0, proc.log.length - 40));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  proc.exited = new Promise((resolve) => {
    child.on("exit", () => {
      proc.running = false;
      resolve();
    });
    child.on("error", (e) => {
      proc.log.push(`spawn error: ${e.message}`);
      proc.running = false;
      resolve();
    });
  });
  procs.push(proc);
  return proc;
}

async function stop(proc: Proc): Promise<void> {
  if (!proc.running) return;
  proc.child.kill("SIGTERM");
  const exited = await Promise.race([proc.exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!exited) {
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
}

async function waitReady(proc: Proc, port: number): Promise<void> {
  await waitFor(`${proc.name} to become ready on ${HOST}:${port}`, 30_000, async () => {
    if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.log.join("\n")}`);
    const res = await fetch(`http://${HOST}:${port}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? true : undefined;
  }).catch((e: Error) => {
    throw new Error(`${e.message}\n--- ${proc.name} output ---\n${proc.log.join("\n")}`);
  });
}

// ------------------------------------------------------------------------------------ capture server --

interface Delivery {
  /** Which drill Alertmanager sent it. */
  am: string;
  receiver: string;
  at: number;
  status: string;
  /** The aggregation group that sent it (route and group labels), as the webhook payload names it. */
  groupKey?: string;
  alerts: { status: string; labels: Record<string, string>; startsAt?: string; endsAt?: string }[];
}

/**
 * Records every notification. `failFirst` maps `<am>/<receiver>` to a number of requests answered with
 * HTTP 500 before the endpoint recovers (counted down in place, recorded in `failed`).
 */
function captureServer(
  deliveries: Delivery[],
  failFirst: Map<string, number> = new Map(),
  failed: Delivery[] = [],
): http.Server {
  return http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const [, am = "", receiver = ""] = (req.url ?? "").split("/");
      const left = failFirst.get(`${am}/${receiver}`) ?? 0;
      if (left > 0) {
        failFirst.set(`${am}/${receiver}`, left - 1);
        failed.push({ am, receiver, at: Date.now(), status: "failed", alerts: [] });
        res.writeHead(500).end("drill: endpoint down\n");
        return;
      }
      try {
        const payload = JSON.parse(body) as Omit<Delivery, "am" | "at">;
        deliveries.push({
          am,
          receiver,
          at: Date.now(),
          status: payload.status,
          groupKey: payload.groupKey,
          alerts: payload.alerts,
        });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
}

// ------------------------------------------------------------------------------------ fake agent-api --

/**
 * Serves the metric contract (docs/metrics.md) of a healthy agent-api: steady traffic, no errors, fast
 * answers, a short queue. `color`, `namespace` and `pod` are target labels (as the ServiceMonitor's
 * relabelling makes them on AKS), so `up` carries them too. `healthy = false` is the outage: HTTP 503.
 */
function agentExporter(state: { healthy: boolean }): http.Server {
  let scrapes = 0;
  return http.createServer((_req, res) => {
    if (!state.healthy) {
      res.writeHead(503, { "content-type": "text/plain" }).end("service unavailable\n");
      return;
    }
    scrapes++;
    const requests = scrapes * 20;
    const buckets = [0.1, 0.25, 0.5, 1, 2, 5, 10];
    const cumulative = [0.5, 0.8, 0.95, 0.99, 1, 1, 1].map((share) => Math.round(requests * share));
    const lines = [
      "# TYPE agent_requests_total counter",
      `agent_requests_total{agent="support"} ${requests}`,
      "# TYPE agent_errors_total counter",
      `agent_errors_total{agent="support"} 0`,
      "# TYPE agent_response_seconds histogram",
      ...buckets.map((le, i) => `agent_response_seconds_bucket{agent="support",le="${le}"} ${cumulative[i]}`),
      `agent_response_seconds_bucket{agent="support",le="+Inf"} ${requests}`,
      `agent_response_seconds_sum{agent="support"} ${requests * 0.2}`,
      `agent_response_seconds_count{agent="support"} ${requests}`,
      "# TYPE agent_queue_depth gauge",
      "agent_queue_depth 3",
      "# TYPE agent_event_lag_seconds gauge",
      "agent_event_lag_seconds 1",
      "# TYPE agent_cache_hits_total counter",
      `agent_cache_hits_total ${requests * 0.8}`,
      "# TYPE agent_cache_misses_total counter",
      `agent_cache_misses_total ${requests * 0.2}`,
      "# TYPE agent_cache_hit_rate gauge",
      "agent_cache_hit_rate 0.8",
      "# TYPE http_requests_total counter",
      `http_requests_total{status="200",handler="/v1/agents",method="POST"} ${requests}`,
      "# TYPE agent_llm_tokens_total counter",
      `agent_llm_tokens_total{agent="support"} ${requests * 100}`,
      "",
    ];
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(lines.join("\n"));
  });
}

/**
 * The two other sources an agent-api outage shows in: kube-state-metrics' endpoint series of the live
 * Service (one kube_endpoint_address per ready address; with none left only kube_endpoint_info remains, as
 * kube-state-metrics exports them) and the blackbox exporter's probe of the public URL. `healthy = false`
 * is the same outage as the agent-api exporter's: no ready endpoint, the probe fails.
 */
function outageSources(state: { healthy: boolean }): http.Server {
  return http.createServer((req, res) => {
    const lines =
      req.url === "/probe"
        ? ["# TYPE probe_success gauge", `probe_success ${state.healthy ? 1 : 0}`]
        : [
            "# TYPE kube_endpoint_info gauge",
            'kube_endpoint_info{namespace="agents",endpoint="agent-api"} 1',
            "# TYPE kube_endpoint_address gauge",
            ...(state.healthy
              ? [
                  'kube_endpoint_address{namespace="agents",endpoint="agent-api",ip="10.0.0.7",ready="true"} 1',
                ]
              : []),
          ];
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end([...lines, ""].join("\n"));
  });
}

// ------------------------------------------------------------------------------ drill configuration --

const ALL_DAYS: BusinessHours["weekdays"] = [
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
];

/**
 * Business hours relative to the current time, so the drill is deterministic at any hour: a fixed-offset
 * zone in which it is now around noon, every day, with "inside" spanning 09:00-15:00 and "outside"
 * 15:00-18:00. Noon is at least two hours from either edge, far longer than the drill.
 */
function drillBusinessHours(now: Date, inside: boolean): BusinessHours {
  const offset = 12 - now.getUTCHours(); // hours to add to UTC to make it 12:xx; within -11 … +12
  // IANA's Etc/GMT zones have POSIX signs: Etc/GMT-3 is UTC+3.
  const timeZone = offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
  return inside
    ? { timeZone, weekdays: ALL_DAYS, start: "09:00", end: "15:00" }
    : { timeZone, weekdays: ALL_DAYS, start: "15:00", end: "18:00" };
}

/**
 * The real config for prod's channels and the given business hours, redirected to the capture server.
 * Only group_wait and group_interval are shortened (to 1s): the real ones (10s-1m and 1m-10m) would make
 * the drill take many minutes. The tree, matchers, continue flags, repeat intervals, time intervals and
 * inhibition stay exactly as deployed, and the heartbeat keeps its real webhook: `url_file`, here a file
 * in `dir` holding the capture server's URL.
 */
function drillConfig(
  businessHours: BusinessHours,
  am: string,
  capturePort: number,
  dir: string,
): AlertmanagerConfig {
  const prod = stackMonitoring("prod");
  const real = alertmanagerConfig({
    businessHours,
    slackChannels: prod.slackChannels,
    secretDir: "/etc/alertmanager/keyvault",
    grafanaUrl: prod.grafana.url,
  });
  const url = (receiver: string) => `http://${HOST}:${capturePort}/${am}/${receiver}`;
  const drill = redirectReceivers(real, url);
  const heartbeatFile = path.join(dir, "heartbeat-url");
  fs.writeFileSync(heartbeatFile, `${url(RECEIVERS.heartbeat)}\n`);
  const realHeartbeat = real.receivers.find((r) => r.name === RECEIVERS.heartbeat)!;
  drill.receivers = drill.receivers.map((r) =>
    r.name === RECEIVERS.heartbeat
      ? {
          name: r.name,
          webhook_configs: realHeartbeat.webhook_configs!.map((w) => {
            if (w.url_file === undefined) throw new Error("the heartbeat webhook no longer uses url_file");
            return { ...w, url_file: heartbeatFile };
          }),
        }
      : r,
  );
  const fast = (route: Route, isRoot: boolean) => {
    if (isRoot || route.group_wait !== undefined) route.group_wait = "1s";
    if (isRoot || route.group_interval !== undefined) route.group_interval = "1s";
    route.routes?.forEach((r) => fast(r, false));
  };
  fast(drill.route, true);
  return drill;
}

/**
 * The repository's rule files as the chart would get them (tokens substituted, constants from prod's stack
 * config, as infra/monitoring/monitoringStack.ts passes them), written as plain rule files for Prometheus.
 */
function writeRuleFiles(dir: string): string[] {
  const prod = stackMonitoring("prod");
  const files = loadRuleFiles(path.join(ROOT, "rules"), {
    grafanaUrl: prod.grafana.url,
    runbookBaseUrl: prod.runbookBaseUrl,
    constants: ruleConstants(prod),
  });
  fs.mkdirSync(dir);
  return files.map((f) => {
    const file = path.join(dir, `${f.name}.yaml`);
    const text = yaml.dump({ groups: f.groups }, { lineWidth: -1, noRefs: true });
    if (text.includes("${"))
      throw new Error(`rules/${f.file}: a \${TOKEN} was left unsubstituted by loadRuleFiles`);
    fs.writeFileSync(file, text);
    return file;
  });
}

/**
 * Prometheus for the drill: 1 s scrape and evaluation (the deployed 30 s would only add latency, the rules
 * and their `for` durations are unchanged), the fake agent-api as job `agent-api`, alerts to the
 * "inside business hours" Alertmanager.
 */
function prometheusConfig(
  ruleFiles: string[],
  exporterPort: number,
  sourcesPort: number,
  alertmanagerPort: number,
) {
  return {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: ruleFiles,
    alerting: {
      alertmanagers: [{ api_version: "v2", static_configs: [{ targets: [`${HOST}:${alertmanagerPort}`] }] }],
    },
    scrape_configs: [
      {
        job_name: "agent-api",
        static_configs: [
          {
            targets: [`${HOST}:${exporterPort}`],
            labels: { color: "blue", namespace: "agents", pod: "agent-api-blue-0" },
          },
        ],
      },
      // The series' own namespace/endpoint labels, as the chart's kube-state-metrics ServiceMonitor keeps
      // them (honorLabels); no target label collides here.
      { job_name: "kube-state-metrics", static_configs: [{ targets: [`${HOST}:${sourcesPort}`] }] },
      // The Probe's job: `service` is the Probe's static target label (infra/monitoring/blackbox.ts).
      {
        job_name: "blackbox",
        metrics_path: "/probe",
        static_configs: [
          {
            targets: [`${HOST}:${sourcesPort}`],
            labels: { service: "agent-api", instance: "https://agents.example.com/healthz" },
          },
        ],
      },
    ],
  };
}

interface PromAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
}

// ------------------------------------------------------------------------------------------ the drill --

describe("fire drill", () => {
  const deliveries: Delivery[] = [];
  /** The heartbeat endpoint of the "inside" Alertmanager answers 500 to its first two pings. */
  const failFirst = new Map([[`inside/${RECEIVERS.heartbeat}`, 2]]);
  const failedDeliveries: Delivery[] = [];
  const exporterState = { healthy: true };
  const servers: http.Server[] = [];
  const timings: Record<string, string> = {};
  let tmp = "";
  const am = { inside: { port: 0 }, outside: { port: 0 } };
  let cleanedUp = false;
  let prometheusPort = 0;
  let outageAt = 0;

  async function cleanup(): Promise<void> {
    if (cleanedUp) return;
    cleanedUp = true;
    await Promise.all(procs.map(stop));
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }

  beforeAll(async () => {
    try {
      // Never skipped: tool() throws "run npm run tools" when a binary is missing.
      const alertmanagerBin = tool("alertmanager");
      const prometheusBin = tool("prometheus");
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "firedrill-"));

      const capture = captureServer(deliveries, failFirst, failedDeliveries);
      servers.push(capture);
      const capturePort = await listen(capture);

      const now = new Date();
      for (const name of ["inside", "outside"] as const) {
        const dir = path.join(tmp, `alertmanager-${name}`);
        fs.mkdirSync(dir);
        const configFile = path.join(dir, "alertmanager.yaml");
        const cfg = drillConfig(drillBusinessHours(now, name === "inside"), name, capturePort, dir);
        fs.writeFileSync(configFile, yaml.dump(cfg, { lineWidth: -1, noRefs: true }));
        am[name].port = await freePort();
        start(`alertmanager-${name}`, alertmanagerBin, [
          `--config.file=${configFile}`,
          `--storage.path=${path.join(dir, "data")}`,
          `--web.listen-address=${HOST}:${am[name].port}`,
          "--cluster.listen-address=", // empty: no gossip cluster, no extra port
          "--log.level=warn",
        ]);
      }

      const exporter = agentExporter(exporterState);
      servers.push(exporter);
      const exporterPort = await listen(exporter);
      const promDir = path.join(tmp, "prometheus");
      fs.mkdirSync(promDir);
      const ruleFiles = writeRuleFiles(path.join(promDir, "rules"));
      const promConfig = path.join(promDir, "prometheus.yml");
      const sources = outageSources(exporterState);
      servers.push(sources);
      const sourcesPort = await listen(sources);
      fs.writeFileSync(
        promConfig,
        yaml.dump(prometheusConfig(ruleFiles, exporterPort, sourcesPort, am.inside.port)),
      );
      prometheusPort = await freePort();
      start("prometheus", prometheusBin, [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${path.join(promDir, "data")}`,
        `--web.listen-address=${HOST}:${prometheusPort}`,
        // Prometheus evaluates its rules before its Alertmanager discovery has finished, drops that first
        // batch (prometheus_notifications_dropped_total) and, by default, re-sends a firing alert only after
        // 1 minute: the Watchdog would reach the heartbeat a minute late. A long-running Prometheus never
        // notices; the drill starts from cold, so it re-sends sooner. Not sooner than 10 s: each alert Prometheus
        // sends is valid until 4 x max(evaluation_interval, resend-delay) (rules/alerting.go, sendAlerts), so at
        // 2 s an alert expired 8 s after a send, and a machine that stalled longer than that made Alertmanager
        // resolve AgentCompleteOutage at a flush and page again when it came back (CI counted two pages). At
        // 10 s it stays valid for 40 s; production's 1m default gives 4 minutes. Rules and `for` are unchanged.
        "--rules.alert.resend-delay=10s",
        "--log.level=warn",
      ]);

      const ports = [am.inside.port, am.outside.port, prometheusPort];
      await Promise.all(procs.map((p, i) => waitReady(p, ports[i]!)));
    } catch (e) {
      await cleanup();
      throw e;
    }
  }, 60_000);

  afterAll(async () => {
    await cleanup();
    if (Object.keys(timings).length) {
      console.log(
        "fire drill timings:\n" +
          Object.entries(timings)
            .map(([k, v]) => `  ${k}: ${v}`)
            .join("\n"),
      );
    }
  }, 30_000);

  /** Posts alerts through the v2 API, as Prometheus does. */
  async function post(name: keyof typeof am, labels: Record<string, string>): Promise<number> {
    const at = Date.now();
    const res = await fetch(`http://${HOST}:${am[name].port}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        {
          labels,
          annotations: {
            summary: `drill ${labels.alertname}`,
            runbook_url: "https://runbooks.example/drill.md",
          },
          startsAt: new Date(at).toISOString(),
        },
      ]),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status, await res.text()).toBe(200);
    return at;
  }

  const receiversOf = (amName: string, match: (labels: Record<string, string>) => boolean) =>
    new Set(
      deliveries
        .filter((d) => d.am === amName && d.alerts.some((a) => match(a.labels)))
        .map((d) => d.receiver),
    );

  it("puts now inside the business hours of one Alertmanager and outside those of the other", () => {
    const now = new Date();
    const localTime = (tz: string) =>
      new Intl.DateTimeFormat("en-GB", {
        timeZone: tz,
        hour: "2-digit",
        minute: "2-digit",
        hour12: false,
      }).format(now);
    const inside = drillBusinessHours(now, true);
    const outside = drillBusinessHours(now, false);
    const t = localTime(inside.timeZone);
    expect(t >= inside.start && t < inside.end, `${t} in ${inside.timeZone}`).toBe(true);
    expect(t >= outside.start && t < outside.end, `${t} in ${outside.timeZone}`).toBe(false);
  });

  const promQuery = (q: string) =>
    getJson<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(
      `http://${HOST}:${prometheusPort}/api/v1/query?${new URLSearchParams({ query: q })}`,
    ).then((r) => r.data.result);
  const isPrometheusWatchdog = (l: Record<string, string>) =>
    l.alertname === "Watchdog" && l.service === "monitoring";

  it("before the outage: agent-api is up, the Watchdog feeds the heartbeat, nothing critical has fired", async () => {
    await waitFor("Prometheus to scrape agent-api successfully", 20_000, async () =>
      (await promQuery('up{job="agent-api",color="blue"}'))[0]?.value[1] === "1" ? true : undefined,
    );
    const start = Date.now();
    // The first Watchdog Prometheus sends can be dropped (see resend-delay above): the next comes 10 s later.
    await waitFor("the Watchdog from Prometheus at the heartbeat", 30_000, () =>
      receiversOf("inside", isPrometheusWatchdog).has(RECEIVERS.heartbeat) ? true : undefined,
    );
    timings["Prometheus Watchdog → heartbeat, after agent-api was first up"] = `${Date.now() - start} ms`;
    expect([...receiversOf("inside", isPrometheusWatchdog)]).toEqual([RECEIVERS.heartbeat]);

    const critical = await getJson<AmAlert[]>(
      `http://${HOST}:${am.inside.port}/api/v2/alerts?${new URLSearchParams({ filter: 'severity="critical"' })}`,
    );
    expect(critical.map((a) => a.labels.alertname)).toEqual([]);
    const paged = deliveries.filter(
      (d) => d.receiver === RECEIVERS.pagerdutyCritical || d.receiver === RECEIVERS.slackIncidents,
    );
    expect(paged).toEqual([]);
  });

  it("injects the outage: the exporter answers 503 and Prometheus sees agent-api down", async () => {
    exporterState.healthy = false;
    outageAt = Date.now();
    await waitFor("up == 0 for agent-api", 10_000, async () =>
      (await promQuery('up{job="agent-api"}'))[0]?.value[1] === "0" ? true : undefined,
    );
    timings["outage → Prometheus sees up == 0"] = `${Date.now() - outageAt} ms`;
  });

  // The routing checks below run while AgentCompleteOutage is pending (its `for` is 2 minutes).

  // [severity label, alertname, receivers inside business hours, receivers outside]
  const CASES: [string, string, string[], string[]][] = [
    [
      "critical",
      "DrillCritical",
      [RECEIVERS.pagerdutyCritical, RECEIVERS.slackIncidents],
      [RECEIVERS.pagerdutyCritical, RECEIVERS.slackIncidents],
    ],
    ["warning", "DrillWarning", [RECEIVERS.pagerdutyWarning], [RECEIVERS.slackOnCall]],
    ["info", "DrillInfo", [RECEIVERS.slackAlerts], [RECEIVERS.slackAlerts]],
    ["info", "Watchdog", [RECEIVERS.heartbeat], [RECEIVERS.heartbeat]],
  ];

  it.each(CASES)(
    "routes the %s alert %s to exactly %j in business hours and %j outside",
    async (severity, alertname, inside, outside) => {
      // A service of its own keeps each case apart from anything Prometheus sends (its Watchdog has
      // service=monitoring) and from the other cases: the critical case would otherwise inhibit the
      // warning and info cases, exactly as it should in production.
      const service = `drill-${alertname.toLowerCase()}`;
      const labels = { alertname, severity, service };
      const mine = (l: Record<string, string>) => l.alertname === alertname && l.service === service;
      const posted = { inside: await post("inside", labels), outside: await post("outside", labels) };
      for (const [name, expected] of [
        ["inside", inside],
        ["outside", outside],
      ] as const) {
        await waitFor(`${alertname} at ${expected.join(", ")} (${name} business hours)`, 15_000, () =>
          expected.every((r) => receiversOf(name, mine).has(r)) ? true : undefined,
        );
        for (const r of expected) {
          const first = deliveries.find(
            (d) => d.am === name && d.receiver === r && d.alerts.some((a) => mine(a.labels)),
          );
          timings[`${severity} ${alertname} → ${r} (${name} business hours)`] =
            `${first!.at - posted[name]} ms`;
        }
      }
      await sleep(SETTLE_MS);
      expect([...receiversOf("inside", mine)].sort()).toEqual([...inside].sort());
      expect([...receiversOf("outside", mine)].sort()).toEqual([...outside].sort());
    },
  );

  it("lets a critical alert silence the warning of the same name and service, not another name, never the Watchdog", async () => {
    const service = "drill-inhibit";
    await post("inside", { alertname: "DrillInhibited", severity: "critical", service });
    await waitFor("the inhibiting critical alert to be paged", 15_000, () =>
      receiversOf("inside", (l) => l.alertname === "DrillInhibited" && l.severity === "critical").has(
        RECEIVERS.pagerdutyCritical,
      )
        ? true
        : undefined,
    );
    await post("inside", { alertname: "DrillInhibited", severity: "warning", service });
    // Another alert of the same service: a critical disk alert of `kubernetes` must not mute a node warning.
    await post("inside", { alertname: "DrillOtherName", severity: "warning", service });
    await post("inside", { alertname: "Watchdog", severity: "info", service });
    const state = (alertname: string, severity = "warning") =>
      getJson<AmAlert[]>(
        `http://${HOST}:${am.inside.port}/api/v2/alerts?${new URLSearchParams({ filter: `alertname="${alertname}"` })}`,
      ).then((alerts) => alerts.find((a) => a.labels.service === service && a.labels.severity === severity));
    const inhibited = await waitFor("the warning to be inhibited", 10_000, async () => {
      const a = await state("DrillInhibited");
      return a?.status.state === "suppressed" ? a : undefined;
    });
    expect(inhibited.status.inhibitedBy).toHaveLength(1);
    await waitFor("the warning of another name at pagerduty-warning", 10_000, () =>
      receiversOf("inside", (l) => l.alertname === "DrillOtherName").has(RECEIVERS.pagerdutyWarning)
        ? true
        : undefined,
    );
    expect((await state("DrillOtherName"))?.status.state).toBe("active");
    await waitFor("the Watchdog of the same service at the heartbeat", 10_000, () =>
      receiversOf("inside", (l) => l.alertname === "Watchdog" && l.service === service).has(
        RECEIVERS.heartbeat,
      )
        ? true
        : undefined,
    );
    expect((await state("Watchdog", "info"))?.status.state).toBe("active");
    await sleep(SETTLE_MS);
    expect(
      receiversOf("inside", (l) => l.alertname === "DrillInhibited" && l.severity === "warning").size,
    ).toBe(0);
  });

  it("survives a heartbeat endpoint answering 500 through url_file, and retries (alertmanager#3798)", async () => {
    // Alertmanager 0.26-0.27 panicked on a non-2xx reply to a `url_file` webhook; fixed in 0.28.0 (#3800).
    await waitFor("both failed heartbeat pings", 30_000, () =>
      failedDeliveries.filter((d) => d.am === "inside").length >= 2 ? true : undefined,
    );
    const lastFailure = Math.max(...failedDeliveries.map((d) => d.at));
    await waitFor("a heartbeat ping after the endpoint recovered", 60_000, () =>
      deliveries.some((d) => d.am === "inside" && d.receiver === RECEIVERS.heartbeat && d.at > lastFailure)
        ? true
        : undefined,
    );
    const inside = procs.find((p) => p.name === "alertmanager-inside")!;
    expect(inside.running, inside.log.join("\n")).toBe(true);
    const res = await fetch(`http://${HOST}:${am.inside.port}/-/healthy`, {
      signal: AbortSignal.timeout(2_000),
    });
    expect(res.ok).toBe(true);
  });

  it(
    "pages for the outage: AgentCompleteOutage reaches Alertmanager, pagerduty-critical and slack-incidents",
    async () => {
      expect(outageAt, "the outage was injected").toBeGreaterThan(0);
      const deadline = OUTAGE_PAGE_DEADLINE_MS - (Date.now() - outageAt);
      const outage = (l: Record<string, string>) => l.alertname === "AgentCompleteOutage";
      const since = (label: string) => () =>
        (timings[label] = `${((Date.now() - outageAt) / 1000).toFixed(1)} s`);
      await Promise.all([
        waitFor("AgentCompleteOutage firing in Prometheus", deadline, async () => {
          const { data } = await getJson<{ data: { alerts: PromAlert[] } }>(
            `http://${HOST}:${prometheusPort}/api/v1/alerts`,
          );
          return data.alerts.some((a) => outage(a.labels) && a.state === "firing") ? true : undefined;
        }).then(since("outage → AgentCompleteOutage firing in Prometheus")),
        waitFor("AgentCompleteOutage in Alertmanager", deadline, async () => {
          const alerts = await getJson<AmAlert[]>(
            `http://${HOST}:${am.inside.port}/api/v2/alerts?${new URLSearchParams({ filter: 'alertname="AgentCompleteOutage"' })}`,
          );
          return alerts.some((a) => a.labels.severity === "critical") ? true : undefined;
        }).then(since("outage → AgentCompleteOutage in Alertmanager")),
        ...[RECEIVERS.pagerdutyCritical, RECEIVERS.slackIncidents].map((receiver) =>
          waitFor(`AgentCompleteOutage at ${receiver}`, deadline, () =>
            receiversOf("inside", outage).has(receiver) ? true : undefined,
          ).then(since(`outage → AgentCompleteOutage at ${receiver}`)),
        ),
      ]);
      await sleep(SETTLE_MS);
      expect([...receiversOf("inside", outage)].sort()).toEqual([
        RECEIVERS.pagerdutyCritical,
        RECEIVERS.slackIncidents,
      ]);
      const page = deliveries.find(
        (d) => d.receiver === RECEIVERS.pagerdutyCritical && d.alerts.some((a) => outage(a.labels)),
      );
      expect(page?.alerts[0]?.labels).toMatchObject({
        severity: "critical",
        service: "agent-api",
        job: "agent-api",
      });
    },
    OUTAGE_PAGE_DEADLINE_MS + 15_000,
  );

  it(
    "pages once for the outage: the live Service without endpoints, the failing probe and the probe SLI's burn are inhibited",
    async () => {
      expect(outageAt, "the outage was injected").toBeGreaterThan(0);
      const deadline = PROBE_FIRING_DEADLINE_MS - (Date.now() - outageAt);
      const symptoms = ["AgentLiveServiceNoEndpoints", "AgentExternalProbeFailing", "AgentProbeBudgetBurn"];
      // Every symptom fires in Prometheus (the probe SLI's burn last: `for: 4m`) and reaches Alertmanager ...
      for (const name of symptoms) {
        await waitFor(`${name} firing in Prometheus`, deadline, async () => {
          const { data } = await getJson<{ data: { alerts: PromAlert[] } }>(
            `http://${HOST}:${prometheusPort}/api/v1/alerts`,
          );
          return data.alerts.some((a) => a.labels.alertname === name && a.state === "firing")
            ? true
            : undefined;
        });
        timings[`outage → ${name} firing in Prometheus`] = `${((Date.now() - outageAt) / 1000).toFixed(1)} s`;
        // ... where they are suppressed, by exactly one alert: AgentCompleteOutage's fingerprint.
        const suppressed = await waitFor(`${name} suppressed in Alertmanager`, 15_000, async () => {
          const alerts = await getJson<AmAlert[]>(
            `http://${HOST}:${am.inside.port}/api/v2/alerts?${new URLSearchParams({ filter: `alertname="${name}"` })}`,
          );
          return alerts.find((a) => a.status.state === "suppressed");
        });
        expect(suppressed.status.inhibitedBy.length).toBeGreaterThanOrEqual(1);
      }
      // amtool, the tool the on-call uses, agrees: it lists exactly the symptoms as inhibited.
      const r = await run(
        tool("amtool"),
        [
          "alert",
          "query",
          "--inhibited",
          `--alertmanager.url=http://${HOST}:${am.inside.port}`,
          "-o",
          "json",
          "service=agent-api",
        ],
        { timeoutMs: 20_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      const listed = (JSON.parse(r.stdout) as AmAlert[])
        .filter((a) => a.status.state === "suppressed")
        .map((a) => a.labels.alertname)
        .sort();
      expect(listed).toEqual([...symptoms].sort());

      await sleep(SETTLE_MS);
      // Pages per receiver for the whole outage (service agent-api, firing notifications): exactly one.
      const pages = (receiver: string) =>
        deliveries.filter(
          (d) =>
            d.am === "inside" &&
            d.receiver === receiver &&
            d.status === "firing" &&
            d.alerts.some((a) => a.labels.service === "agent-api"),
        );
      const counted = Object.fromEntries(
        Object.values(RECEIVERS)
          .filter((r) => r !== RECEIVERS.heartbeat)
          .map((r) => [r, pages(r).length]),
      );
      timings["notifications per receiver during the outage"] = JSON.stringify(counted);
      // On a wrong count, every notification the inside Alertmanager sent for agent-api since the outage,
      // resolved ones included: which group sent it, and each alert's status and validity.
      const sent = deliveries
        .filter((d) => d.am === "inside" && d.at >= outageAt && d.receiver !== RECEIVERS.heartbeat)
        .map(
          (d) =>
            `  +${((d.at - outageAt) / 1000).toFixed(1)} s ${d.receiver} ${d.status} ${d.groupKey ?? "?"}: ` +
            d.alerts
              .map((a) => `${a.labels.alertname} ${a.status} starts ${a.startsAt} ends ${a.endsAt}`)
              .join("; "),
        );
      expect(counted, `notifications sent during the outage:\n${sent.join("\n")}`).toEqual({
        [RECEIVERS.pagerdutyCritical]: 1,
        [RECEIVERS.pagerdutyWarning]: 0,
        [RECEIVERS.slackIncidents]: 1,
        [RECEIVERS.slackOnCall]: 0,
        [RECEIVERS.slackAlerts]: 0,
      });
      expect(pages(RECEIVERS.pagerdutyCritical)[0]!.alerts.map((a) => a.labels.alertname)).toEqual([
        "AgentCompleteOutage",
      ]);
    },
    PROBE_FIRING_DEADLINE_MS + 45_000,
  );

  it("pinged the heartbeat steadily throughout (repeat_interval 1m)", () => {
    const pings = deliveries.filter(
      (d) => d.receiver === RECEIVERS.heartbeat && d.alerts.some((a) => isPrometheusWatchdog(a.labels)),
    );
    expect(pings.length).toBeGreaterThanOrEqual(2);
    const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
    timings["heartbeat pings (Prometheus Watchdog)"] =
      `${pings.length}, gaps ${gaps.map((g) => `${(g / 1000).toFixed(1)} s`).join(", ")}`;
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(90_000);
    expect(Date.now() - pings[pings.length - 1]!.at).toBeLessThanOrEqual(90_000);
  });
});
