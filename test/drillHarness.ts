// Shared by the real-process drills (test/firedrill.test.ts, test/hadrill.test.ts): starting and stopping
// the pinned servers on 127.0.0.1, the capture server standing in for PagerDuty/Slack/heartbeat, the fake
// agent-api exporter and outage sources, and the drill's Alertmanager and Prometheus configuration built from
// the real generators (infra/monitoring). Each drill file runs in its own process (vitest.drill.config.ts:
// forks, one file at a time), so the process registry below is per drill.
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import * as yaml from "js-yaml";
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

export const ROOT = path.resolve(__dirname, "..");
export const HOST = "127.0.0.1";

// ------------------------------------------------------------------------------------------ helpers --

export function stackMonitoring(stack: string): StackConfig["monitoring"] {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  return doc.config["monitoring-platform:monitoring"] as StackConfig["monitoring"];
}

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
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

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

// ---------------------------------------------------------------------------------------- processes --

export interface Proc {
  name: string;
  child: ChildProcess;
  /** The last lines of output, shown when the process dies or a wait times out. */
  log: string[];
  exited: Promise<void>;
  running: boolean;
}

export const procs: Proc[] = [];

// Last resort if the worker exits without running afterAll: no orphaned servers.
process.on("exit", () => {
  for (const p of procs) if (p.running) p.child.kill("SIGKILL");
});

export function start(name: string, bin: string, args: string[]): Proc {
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

export async function stop(proc: Proc): Promise<void> {
  if (!proc.running) return;
  proc.child.kill("SIGTERM");
  const exited = await Promise.race([proc.exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!exited) {
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
}

export async function waitReady(proc: Proc, port: number): Promise<void> {
  await waitFor(`${proc.name} to become ready on ${HOST}:${port}`, 30_000, async () => {
    if (!proc.running) throw new Error(`${proc.name} exited:\n${proc.log.join("\n")}`);
    const res = await fetch(`http://${HOST}:${port}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? true : undefined;
  }).catch((e: Error) => {
    throw new Error(`${e.message}\n--- ${proc.name} output ---\n${proc.log.join("\n")}`);
  });
}

// ------------------------------------------------------------------------------------ capture server --

export interface Delivery {
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
export function captureServer(
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
export function agentExporter(state: { healthy: boolean }): http.Server {
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
export function outageSources(state: { healthy: boolean }): http.Server {
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

export const ALL_DAYS: BusinessHours["weekdays"] = [
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
export function drillBusinessHours(now: Date, inside: boolean): BusinessHours {
  const offset = 12 - now.getUTCHours(); // hours to add to UTC to make it 12:xx; within -11 … +12
  // IANA's Etc/GMT zones have POSIX signs: Etc/GMT-3 is UTC+3.
  const timeZone = offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
  return inside
    ? { timeZone, weekdays: ALL_DAYS, start: "09:00", end: "15:00" }
    : { timeZone, weekdays: ALL_DAYS, start: "15:00", end: "18:00" };
}

/**
 * The real config for prod's channels and the given business hours, redirected to the capture server.
 * With `timers: "fast"` (the fire drill's), only group_wait and group_interval are shortened (to 1s): the
 * real ones (10s-1m and 1m-10m) would make the drill take many minutes. `"deployed"` (the HA drill's) keeps
 * them: clustered peers notify in turn, peer-timeout (15 s) apart, and only a group_interval longer than
 * the last peer's wait keeps their flushes aligned, as in production. The tree, matchers, continue flags,
 * repeat intervals, time intervals and inhibition stay exactly as deployed, and the heartbeat keeps its
 * real webhook: `url_file`, here a file in `dir` holding the capture server's URL.
 */
export function drillConfig(
  businessHours: BusinessHours,
  am: string,
  capturePort: number,
  dir: string,
  timers: "fast" | "deployed" = "fast",
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
  if (timers === "fast") fast(drill.route, true);
  return drill;
}

/**
 * The repository's rule files as the chart would get them (tokens substituted, constants from prod's stack
 * config, as infra/monitoring/monitoringStack.ts passes them), written as plain rule files for Prometheus.
 */
export function writeRuleFiles(dir: string): string[] {
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
 * and their `for` durations are unchanged), the fake agent-api as job `agent-api`, alerts to every
 * Alertmanager given (as the operator's generated config lists every Alertmanager pod). `replica`: the
 * external labels and alert relabelling the operator gives a replica of a highly available Prometheus.
 */
export function prometheusConfig(
  ruleFiles: string[],
  exporterPort: number,
  sourcesPort: number,
  alertmanagerPorts: number[],
  replica?: { externalLabels: Record<string, string>; alertRelabelConfigs: Record<string, string>[] },
) {
  return {
    global: {
      scrape_interval: "1s",
      scrape_timeout: "1s",
      evaluation_interval: "1s",
      ...(replica ? { external_labels: replica.externalLabels } : {}),
    },
    rule_files: ruleFiles,
    alerting: {
      ...(replica ? { alert_relabel_configs: replica.alertRelabelConfigs } : {}),
      alertmanagers: [
        { api_version: "v2", static_configs: [{ targets: alertmanagerPorts.map((p) => `${HOST}:${p}`) }] },
      ],
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

export interface PromAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}

export interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
}

/** Stops every process started here, closes the servers, removes the temp dir (`tmp()`, read when called). */
export async function stopAll(servers: http.Server[], tmp: () => string): Promise<void> {
  await Promise.all(procs.map(stop));
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  if (tmp()) fs.rmSync(tmp(), { recursive: true, force: true });
}

/** Prints a drill's measured timings, one per line, under `title` (nothing if none was measured). */
export function logTimings(title: string, timings: Record<string, string>): void {
  if (!Object.keys(timings).length) return;
  console.log(
    `${title}:\n${Object.entries(timings)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join("\n")}`,
  );
}

/**
 * Posts one alert to an Alertmanager's v2 API, as Prometheus does; returns when it was sent and the
 * response (callers assert the 200).
 */
export async function postAlert(
  port: number,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): Promise<{ at: number; status: number; text: string }> {
  const at = Date.now();
  const res = await fetch(`http://${HOST}:${port}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ labels, annotations, startsAt: new Date(at).toISOString() }]),
    signal: AbortSignal.timeout(5_000),
  });
  return { at, status: res.status, text: await res.text() };
}
