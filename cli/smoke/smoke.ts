/**
 * The smoke check run after every deploy and every rebuild (the health check of reference document 004,
 * for this platform): Prometheus, Alertmanager, Grafana, both exporters, the live and preview Services of
 * the app, and the public URL over TLS. Each check is one small function over HTTP; the table and the exit
 * code come from their results.
 *
 * How it reaches in-cluster services: every endpoint can be passed as a URL flag. Not given, it starts
 *   kubectl -n <monitoring ns> port-forward svc/<service> :<port>   (Prometheus, Alertmanager, Grafana)
 *   kubectl proxy --port=0                                           (the Kubernetes API, for EndpointSlices)
 * with the current kubeconfig context (`az aks get-credentials` + kubelogin, README). port-forward goes
 * through the kubelet into the pod, so the namespace's NetworkPolicies do not block it; kubectl proxy
 * authenticates with the kubeconfig's credentials. Both are stopped when the check ends.
 *
 * API shapes relied on: Prometheus management API (/-/ready) and HTTP API (/api/v1/rules with rule
 * `health` ok|err|unknown and `lastError`; /api/v1/targets with `health` up|down|unknown),
 * prometheus.io/docs/prometheus/latest/querying/api/ and …/management_api/; Alertmanager /-/ready and the
 * v2 API /api/v2/status (`config.original`), github.com/prometheus/alertmanager api/v2/openapi.yaml;
 * Grafana HTTP API /api/health, /api/search?type=dash-db, /api/datasources and
 * /api/datasources/uid/<uid>/health, grafana.com/docs/grafana/latest/developers/http_api/; Kubernetes
 * discovery.k8s.io/v1 EndpointSlice list by the `kubernetes.io/service-name` label.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseStackConfig, type StackConfig } from "../../infra/config";
import { EXPORTER_JOBS } from "../../infra/data/exporters";
import { RECEIVERS } from "../../infra/monitoring/alertmanager";
import { RELEASE } from "../../infra/monitoring/helmValues";
import { readStackConfig } from "../shared/stackFile";
import { missingKubeconfig } from "../shared/kubeconfig";
import { USAGE } from "./usage";

export interface SmokeEndpoints {
  prometheus: string;
  alertmanager: string;
  grafana: string;
  kubeApi: string;
  publicUrl: string;
  /** Authorization header value for Grafana's API (Basic … or Bearer …). */
  grafanaAuth?: string;
}

export interface SmokeExpectations {
  /** Rule group names that must be loaded (rules/*.yaml). */
  ruleGroups: string[];
  /** Scrape jobs that must have targets, all up. */
  targetJobs: string[];
  /** The exporter jobs (also reported on their own row). */
  exporterJobs: string[];
  /** Receivers the running Alertmanager config must define. */
  receivers: string[];
  /** Dashboard uids Grafana must have (dashboards/<folder>/<uid>.json). */
  dashboardUids: string[];
  /** Namespace and names of the Services that need ready endpoints (live and preview). */
  services: { namespace: string; names: string[] };
}

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

type Fetch = typeof fetch;
const TIMEOUT_MS = 10_000;

async function get(f: Fetch, url: string, headers: Record<string, string> = {}): Promise<Response> {
  return f(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
}

async function json<T>(f: Fetch, url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await get(f, url, headers);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Why a fetch failed, including TLS reasons Node keeps in `cause` (e.g. SELF_SIGNED_CERT_IN_CHAIN). */
function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause ? ` (${err.cause.code ?? err.cause.message ?? ""})` : "";
  return `${err.message}${cause}`;
}

async function check(name: string, fn: () => Promise<string>): Promise<CheckResult> {
  try {
    return { check: name, ok: true, detail: await fn() };
  } catch (e) {
    return { check: name, ok: false, detail: reason(e) };
  }
}

const fail = (msg: string): never => {
  throw new Error(msg);
};

// ---------------------------------------------------------------------------------------- checks --

/** Prometheus answers /-/ready with 200 once it can serve queries (Prometheus management API). */
export function prometheusReady(f: Fetch, base: string) {
  return check("prometheus ready", async () => {
    const res = await get(f, `${base}/-/ready`);
    return res.ok ? "ready" : fail(`/-/ready answered HTTP ${res.status}`);
  });
}

interface RulesResponse {
  data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
}

/**
 * /api/v1/rules: every expected group loaded and no rule with health "err" (its lastError says why). A rule
 * not evaluated yet is "unknown" — a group with a long `interval` (rules/slo.yaml: 5m) stays so for minutes
 * after a fresh start — which is not an error; the detail counts them.
 */
export function prometheusRules(f: Fetch, base: string, expected: string[]) {
  return check("prometheus rules", async () => {
    const { data } = await json<RulesResponse>(f, `${base}/api/v1/rules`);
    const loaded = new Set(data.groups.map((g) => g.name));
    const missing = expected.filter((g) => !loaded.has(g));
    if (missing.length) fail(`rule groups not loaded: ${missing.join(", ")}`);
    const rules = data.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
    const bad = rules.filter((r) => r.health === "err");
    if (bad.length) {
      fail(
        `${bad.length} rule(s) failing evaluation: ` +
          bad
            .slice(0, 3)
            .map((r) => `${r.group}/${r.name}${r.lastError ? ` (${r.lastError})` : ""}`)
            .join("; "),
      );
    }
    const pending = rules.filter((r) => r.health !== "ok").length;
    return (
      `${data.groups.length} groups, ${rules.length} rules, no evaluation errors` +
      (pending ? ` (${pending} not evaluated yet)` : "")
    );
  });
}

interface TargetsResponse {
  data: {
    activeTargets: { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[];
  };
}

async function targets(f: Fetch, base: string) {
  return (await json<TargetsResponse>(f, `${base}/api/v1/targets?state=active`)).data.activeTargets;
}

/** /api/v1/targets: every expected job has targets and every active target is up. */
export function prometheusTargets(f: Fetch, base: string, jobs: string[]) {
  return check("prometheus targets", async () => {
    const active = await targets(f, base);
    const missing = jobs.filter((j) => !active.some((t) => t.labels.job === j));
    if (missing.length) fail(`no targets for job(s): ${missing.join(", ")}`);
    const down = active.filter((t) => t.health !== "up");
    if (down.length) {
      fail(
        `${down.length} of ${active.length} targets down: ` +
          down
            .slice(0, 3)
            .map(
              (t) => `${t.labels.job} ${t.scrapeUrl} (${t.health}${t.lastError ? `: ${t.lastError}` : ""})`,
            )
            .join("; "),
      );
    }
    return `${active.length} targets up`;
  });
}

export function exportersUp(f: Fetch, base: string, jobs: string[]) {
  return check("exporters up", async () => {
    const active = await targets(f, base);
    const notUp = jobs.filter((j) => {
      const ts = active.filter((t) => t.labels.job === j);
      return ts.length === 0 || ts.some((t) => t.health !== "up");
    });
    return notUp.length ? fail(`not up: ${notUp.join(", ")}`) : `${jobs.join(", ")} up`;
  });
}

/** Alertmanager /-/ready, and the running config (/api/v2/status) defines our receivers. */
export function alertmanagerReady(f: Fetch, base: string, receivers: string[]) {
  return check("alertmanager ready + config", async () => {
    const ready = await get(f, `${base}/-/ready`);
    if (!ready.ok) fail(`/-/ready answered HTTP ${ready.status}`);
    const status = await json<{ config: { original: string } }>(f, `${base}/api/v2/status`);
    const cfg = yaml.load(status.config.original) as { receivers?: { name: string }[] };
    const names = new Set((cfg.receivers ?? []).map((r) => r.name));
    const missing = receivers.filter((r) => !names.has(r));
    return missing.length
      ? fail(`running config lacks receiver(s): ${missing.join(", ")}`)
      : `${names.size} receivers`;
  });
}

/** Sums a counter over all series matching `labels` in Prometheus text exposition. */
export function counterSum(text: string, metric: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) continue;
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const ls = Object.fromEntries(
      [...(m[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => ls[k] === v)) sum += Number(m[2]);
  }
  return sum;
}

/**
 * The Watchdog heartbeat was delivered: the heartbeat receiver is the only webhook integration in our
 * routing (infra/monitoring/alertmanager.ts), so alertmanager_notifications_total{integration="webhook"}
 * minus ..._failed_total is the number of successful pings. (Receiver names only appear in these metrics
 * behind a feature flag: alertmanager notify/metrics.go, v0.35.0.)
 */
export function heartbeatDelivered(f: Fetch, base: string) {
  return check("alertmanager heartbeat", async () => {
    const res = await get(f, `${base}/metrics`);
    if (!res.ok) fail(`/metrics answered HTTP ${res.status}`);
    const text = await res.text();
    const total = counterSum(text, "alertmanager_notifications_total", { integration: "webhook" });
    const failed = counterSum(text, "alertmanager_notifications_failed_total", { integration: "webhook" });
    return total - failed > 0
      ? `${total - failed} heartbeat(s) delivered${failed ? `, ${failed} failed` : ""}`
      : fail(
          `no heartbeat delivered (${total} attempted, ${failed} failed): is the Watchdog firing and the heartbeat URL right?`,
        );
  });
}

/** Grafana /api/health (database ok), our dashboards by uid, and every Prometheus datasource healthy. */
export function grafanaHealthy(f: Fetch, base: string, uids: string[], auth?: string) {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  return [
    check("grafana health", async () => {
      const h = await json<{ database: string; version?: string }>(f, `${base}/api/health`);
      return h.database === "ok"
        ? `database ok${h.version ? `, ${h.version}` : ""}`
        : fail(`database ${h.database}`);
    }),
    check("grafana dashboards", async () => {
      const found = await json<{ uid: string }[]>(f, `${base}/api/search?type=dash-db&limit=5000`, headers);
      const have = new Set(found.map((d) => d.uid));
      const missing = uids.filter((u) => !have.has(u));
      return missing.length
        ? fail(`missing dashboard(s): ${missing.join(", ")}`)
        : `${uids.length} dashboards present`;
    }),
    check("grafana datasource", async () => {
      const all = await json<{ uid: string; name: string; type: string }[]>(
        f,
        `${base}/api/datasources`,
        headers,
      );
      const prom = all.filter((d) => d.type === "prometheus");
      if (prom.length === 0) fail("no Prometheus datasource");
      for (const d of prom) {
        const h = await json<{ status: string; message?: string }>(
          f,
          `${base}/api/datasources/uid/${d.uid}/health`,
          headers,
        );
        if (h.status !== "OK") fail(`datasource ${d.name}: ${h.status} ${h.message ?? ""}`);
      }
      return `${prom.map((d) => d.name).join(", ")} OK`;
    }),
  ];
}

interface EndpointSliceList {
  items: { endpoints?: { conditions?: { ready?: boolean } }[] }[];
}

/** Each Service has at least one ready endpoint (discovery.k8s.io/v1 EndpointSlices of the Service). */
export function servicesReady(f: Fetch, kubeApi: string, services: SmokeExpectations["services"]) {
  return services.names.map((svc) =>
    check(`service ${services.namespace}/${svc}`, async () => {
      const selector = encodeURIComponent(`kubernetes.io/service-name=${svc}`);
      const list = await json<EndpointSliceList>(
        f,
        `${kubeApi}/apis/discovery.k8s.io/v1/namespaces/${services.namespace}/endpointslices?labelSelector=${selector}`,
      );
      const endpoints = list.items.flatMap((s) => s.endpoints ?? []);
      // An unset `ready` counts as ready: "The nil value indicates an unknown state. In most cases consumers
      // should interpret this unknown state as ready" (Kubernetes API reference, EndpointSlice v1, EndpointConditions).
      const ready = endpoints.filter((e) => e.conditions?.ready !== false).length;
      return ready > 0
        ? `${ready}/${endpoints.length} endpoints ready`
        : fail(`no ready endpoints (${endpoints.length} total)`);
    }),
  );
}

/** The public URL answers 2xx over TLS that verifies against the trusted CAs. */
export function publicUrl(f: Fetch, url: string) {
  return check("public url (TLS)", async () => {
    if (!url.startsWith("https://")) fail(`${url} is not https`);
    const res = await get(f, url);
    return res.ok ? `HTTP ${res.status}, certificate valid` : fail(`HTTP ${res.status}`);
  });
}

/** All checks, in table order. */
export async function smokeChecks(
  e: SmokeEndpoints,
  x: SmokeExpectations,
  f: Fetch = fetch,
): Promise<CheckResult[]> {
  return Promise.all([
    prometheusReady(f, e.prometheus),
    prometheusRules(f, e.prometheus, x.ruleGroups),
    prometheusTargets(f, e.prometheus, x.targetJobs),
    alertmanagerReady(f, e.alertmanager, x.receivers),
    heartbeatDelivered(f, e.alertmanager),
    ...grafanaHealthy(f, e.grafana, x.dashboardUids, e.grafanaAuth),
    exportersUp(f, e.prometheus, x.exporterJobs),
    ...servicesReady(f, e.kubeApi, x.services),
    publicUrl(f, e.publicUrl),
  ]);
}

export function formatTable(results: CheckResult[]): string {
  const w = Math.max(...results.map((r) => r.check.length), 5);
  const lines = [
    `${"CHECK".padEnd(w)}  RESULT  DETAIL`,
    ...results.map((r) => `${r.check.padEnd(w)}  ${r.ok ? "PASS  " : "FAIL  "}  ${r.detail}`),
  ];
  const failed = results.filter((r) => !r.ok).length;
  lines.push(
    "",
    failed ? `${failed} of ${results.length} checks FAILED` : `all ${results.length} checks passed`,
  );
  return lines.join("\n");
}

// --------------------------------------------------------------------------------- expectations --

function ruleGroupNames(root: string): string[] {
  const dir = path.join(root, "rules");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) =>
      (
        (yaml.load(fs.readFileSync(path.join(dir, f), "utf8")) as { groups?: { name: string }[] })?.groups ??
        []
      ).map((g) => g.name),
    );
}

function dashboardUids(root: string): string[] {
  const dir = path.join(root, "dashboards");
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(dir, d.name))
        .filter((f) => f.endsWith(".json"))
        .map((f) => f.slice(0, -5)),
    )
    .sort();
}

/** What a healthy deployment of `cfg` has, from the same code and files the program deploys. */
export function expectations(root: string, cfg: StackConfig): SmokeExpectations {
  const exporters = [EXPORTER_JOBS.postgres, EXPORTER_JOBS.redis];
  return {
    ruleGroups: ruleGroupNames(root),
    // The app's ServiceMonitor sets job=<app name> (infra/apps/blueGreenPlan.ts).
    targetJobs: [cfg.app.name, ...exporters],
    exporterJobs: exporters,
    receivers: Object.values(RECEIVERS),
    dashboardUids: dashboardUids(root),
    services: { namespace: cfg.app.namespace, names: [cfg.app.name, `${cfg.app.name}-preview`] },
  };
}

// ------------------------------------------------------------------------------------- command --

const FLAGS = [
  "stack",
  "kubeconfig",
  "prometheus-url",
  "alertmanager-url",
  "grafana-url",
  "kube-api-url",
  "public-url",
  "config",
];

function parseArgs(argv: string[]): Record<string, string> & { stack: string } {
  const a: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--") || !FLAGS.includes(arg.slice(2)))
      throw new Error(`unknown argument "${arg}"\n${USAGE}`);
    const v = argv[++i];
    if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value\n${USAGE}`);
    a[arg.slice(2)] = v;
  }
  if (!a.stack) throw new Error(`--stack is required\n${USAGE}`);
  return { ...a, stack: a.stack };
}

/** Starts a kubectl subprocess and resolves with the local URL it prints (port-forward or proxy). */
function kubectlUrl(args: string[], pattern: RegExp, procs: ChildProcess[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("kubectl", args, { stdio: ["ignore", "pipe", "pipe"] });
    procs.push(child);
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`kubectl ${args.join(" ")}: no local port after 30 s\n${out}`)),
      30_000,
    );
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`kubectl not runnable (${e.message}): install it, or pass the URLs as flags`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl ${args.join(" ")} exited ${code}:\n${out}`));
    });
  });
}

/** `npm run smoke`: prints the table; 0 when every check passed, 1 otherwise, 2 on bad usage. */
export async function runSmoke(
  argv: string[],
  io: { root: string; log: (l: string) => void },
): Promise<number> {
  const a = parseArgs(argv);
  const cfg = parseStackConfig(readStackConfig(io.root, a.stack, a.config).config, a.stack);
  const needsKubectl = ["prometheus-url", "alertmanager-url", "grafana-url", "kube-api-url"].some(
    (k) => !a[k],
  );
  const noKubeconfig =
    needsKubectl &&
    missingKubeconfig(
      a.stack,
      a.kubeconfig,
      process.env,
      os.homedir(),
      undefined,
      "pass --kubeconfig <file>, or pass every URL flag (--prometheus-url, --alertmanager-url, --grafana-url, --kube-api-url)",
    );
  if (noKubeconfig) throw new Error(noKubeconfig);
  const procs: ChildProcess[] = [];
  try {
    const ns = cfg.monitoring.namespace;
    const kubeconfig = a.kubeconfig ? ["--kubeconfig", a.kubeconfig] : [];
    // Service names of the pinned kube-prometheus-stack with fullnameOverride = RELEASE (helmValues.ts).
    const forward = (svc: string, port: number) =>
      kubectlUrl(
        [...kubeconfig, "-n", ns, "port-forward", `svc/${svc}`, `:${port}`],
        /Forwarding from 127\.0\.0\.1:(\d+)/,
        procs,
      );
    const endpoints: SmokeEndpoints = {
      prometheus: a["prometheus-url"] ?? (await forward(`${RELEASE}-prometheus`, 9090)),
      alertmanager: a["alertmanager-url"] ?? (await forward(`${RELEASE}-alertmanager`, 9093)),
      grafana: a["grafana-url"] ?? (await forward(`${RELEASE}-grafana`, 80)),
      kubeApi:
        a["kube-api-url"] ??
        (await kubectlUrl(
          [...kubeconfig, "proxy", "--port=0"],
          /Starting to serve on 127\.0\.0\.1:(\d+)/,
          procs,
        )),
      publicUrl: a["public-url"] ?? `https://${cfg.app.ingress.hostname}${cfg.app.probes.readinessPath}`,
      grafanaAuth: process.env.GRAFANA_TOKEN
        ? `Bearer ${process.env.GRAFANA_TOKEN}`
        : process.env.GRAFANA_USER
          ? `Basic ${Buffer.from(`${process.env.GRAFANA_USER}:${process.env.GRAFANA_PASSWORD ?? ""}`).toString("base64")}`
          : undefined,
    };
    const results = await smokeChecks(endpoints, expectations(io.root, cfg));
    io.log(`smoke check of stack ${a.stack}`);
    io.log(formatTable(results));
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    for (const p of procs) p.kill("SIGTERM");
  }
}
