// The smoke check, end to end through `npm run -s smoke`, against:
//   - a REAL Prometheus (pinned, .bin/prometheus) loading the repository's rule files and scraping stand-in
//     agent-api / postgres-exporter / redis-exporter targets on 127.0.0.1, alerting to
//   - a REAL Alertmanager (pinned, .bin/alertmanager) running the generated routing config, with the
//     receivers redirected to a local capture server (so the Watchdog heartbeat is really delivered);
//   - in-test HTTP servers for what cannot run here, speaking the real APIs' response formats: Grafana
//     (/api/health, /api/search, /api/datasources, /api/datasources/uid/<uid>/health) and the Kubernetes
//     API (discovery.k8s.io/v1 EndpointSliceList); and an in-test HTTPS server with a certificate from a
//     throwaway CA (openssl) standing in for the public URL.
// Everything listens on 127.0.0.1, lives in a temp dir, and is stopped in afterAll.
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertmanagerConfig, redirectReceivers } from "../infra/monitoring/alertmanager";
import { loadRuleFiles, ruleConstants } from "../infra/monitoring/rules";
import { counterSum } from "../cli/smoke/smoke";
import type { StackConfig } from "../infra/config";
import { ROOT } from "./mocks";
import { npmRun } from "./cli";
import { makeCa, signedCert } from "./testPki";
import { tool } from "./tools";

const HOST = "127.0.0.1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function prodMonitoring(): StackConfig["monitoring"] {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  return doc.config["monitoring-platform:monitoring"] as StackConfig["monitoring"];
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

async function waitFor(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (e) {
      last = e;
    }
    await sleep(300);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

const procs: ChildProcess[] = [];
const logs: Record<string, string[]> = {};
function start(name: string, bin: string, args: string[]): void {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  logs[name] = [];
  const keep = (b: Buffer) => logs[name]!.push(...b.toString().split("\n").filter(Boolean).slice(-40));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  procs.push(child);
}
process.on("exit", () => procs.forEach((p) => p.kill("SIGKILL")));

/** A /metrics endpoint; `up.value` false makes it answer 503, so the target goes down. */
function exporter(state: { up: boolean }, body: () => string): http.Server {
  return http.createServer((_req, res) => {
    if (!state.up) res.writeHead(503).end("down\n");
    else res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body());
  });
}

const DASHBOARD_UIDS = fs
  .readdirSync(path.join(ROOT, "dashboards"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => fs.readdirSync(path.join(ROOT, "dashboards", d.name)).map((f) => f.replace(/\.json$/, "")));

/** Grafana's HTTP API, as far as the smoke check uses it (response shapes of Grafana 11/12). */
function fakeGrafana(state: { datasourceOk: boolean }): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    const send = (code: number, body: unknown) =>
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/api/health")
      return send(200, { commit: "abc", database: "ok", version: "12.1.0" });
    // Like Grafana, everything else needs credentials.
    if (req.headers.authorization !== `Basic ${Buffer.from("admin:smoke-pw").toString("base64")}`)
      return send(401, { message: "Unauthorized" });
    if (url.pathname === "/api/search")
      return send(
        200,
        DASHBOARD_UIDS.map((uid, i) => ({ id: i + 1, uid, title: uid, type: "dash-db", url: `/d/${uid}` })),
      );
    if (url.pathname === "/api/datasources")
      return send(200, [
        {
          id: 1,
          uid: "prometheus",
          name: "Prometheus",
          type: "prometheus",
          url: "http://kube-prometheus-stack-prometheus.monitoring:9090/",
        },
      ]);
    if (url.pathname === "/api/datasources/uid/prometheus/health")
      return state.datasourceOk
        ? send(200, { status: "OK", message: "Successfully queried the Prometheus API." })
        : send(400, {
            status: "ERROR",
            message: 'Post "http://…/api/v1/query": dial tcp: connection refused',
          });
    return send(404, { message: "Not found" });
  });
}

/** The Kubernetes API's EndpointSlice list for `kubernetes.io/service-name=<svc>` (discovery.k8s.io/v1). */
function fakeKubeApi(ready: Record<string, boolean>): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${HOST}`);
    const m = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/.exec(url.pathname);
    const svc = /^kubernetes\.io\/service-name=(.+)$/.exec(url.searchParams.get("labelSelector") ?? "")?.[1];
    if (!m || !svc) return res.writeHead(404).end();
    const items =
      svc in ready
        ? [
            {
              apiVersion: "discovery.k8s.io/v1",
              kind: "EndpointSlice",
              metadata: {
                name: `${svc}-x7k2p`,
                namespace: m[1],
                labels: { "kubernetes.io/service-name": svc },
              },
              addressType: "IPv4",
              endpoints: [0, 1, 2].map((i) => ({
                addresses: [`10.244.1.${i + 10}`],
                conditions: { ready: ready[svc], serving: ready[svc], terminating: false },
              })),
              ports: [{ name: "http", port: 8000, protocol: "TCP" }],
            },
          ]
        : [];
    return res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSliceList", items }));
  });
}

let tmp = "";
const servers: (http.Server | https.Server)[] = [];
const redis = { up: true };
/** Turns on a second series that makes the extra "smoke-test" recording rule fail at evaluation. */
const ruleError = { on: false };
const grafanaState = { datasourceOk: true };
const ready: Record<string, boolean> = { "agent-api": true, "agent-api-preview": true };
const urls: Record<string, string> = {};
let caFile = "";
let heartbeats = 0;

beforeAll(async () => {
  const prometheusBin = tool("prometheus");
  const alertmanagerBin = tool("alertmanager");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));

  // A throwaway CA and a certificate for 127.0.0.1 signed by it: the "valid TLS" of the public URL is
  // relative to the CA the smoke process trusts (NODE_EXTRA_CA_CERTS), as with a public CA in real use.
  makeCa(tmp, "smoke test CA", 2);
  signedCert(tmp, "leaf", { subject: "/CN=127.0.0.1", days: 2, subjectAltName: "IP:127.0.0.1" });
  caFile = path.join(tmp, "ca.crt");
  const publicApp = https.createServer(
    { key: fs.readFileSync(path.join(tmp, "leaf.key")), cert: fs.readFileSync(path.join(tmp, "leaf.crt")) },
    (req, res) => (req.url === "/health" ? res.writeHead(200).end("ok\n") : res.writeHead(404).end()),
  );
  servers.push(publicApp);
  urls.public = `https://${HOST}:${await listen(publicApp)}/health`;

  const capture = http.createServer((req, res) => {
    if ((req.url ?? "").endsWith("/heartbeat")) heartbeats++;
    req.resume();
    req.on("end", () => res.writeHead(200).end());
  });
  servers.push(capture);
  const capturePort = await listen(capture);

  const exporters: Record<string, number> = {};
  for (const [job, body, state] of [
    [
      "agent-api",
      () => `agent_requests_total 1\nsmoke_a 1\n${ruleError.on ? "smoke_b 1\n" : ""}`,
      { up: true },
    ],
    ["postgres-exporter", () => "pg_up 1\n", { up: true }],
    ["redis-exporter", () => "redis_up 1\n", redis],
  ] as const) {
    const s = exporter(state, body);
    servers.push(s);
    exporters[job] = await listen(s);
  }
  const grafana = fakeGrafana(grafanaState);
  const kube = fakeKubeApi(ready);
  servers.push(grafana, kube);
  urls.grafana = `http://${HOST}:${await listen(grafana)}`;
  urls.kube = `http://${HOST}:${await listen(kube)}`;

  // Alertmanager with the real generated routing, receivers redirected to the capture server.
  const prod = prodMonitoring();
  const amConfig = redirectReceivers(
    alertmanagerConfig({
      businessHours: prod.businessHours,
      slackChannels: prod.slackChannels,
      secretDir: "/etc/alertmanager/keyvault",
      grafanaUrl: prod.grafana.url,
    }),
    (receiver) => `http://${HOST}:${capturePort}/${receiver}`,
  );
  fs.writeFileSync(path.join(tmp, "alertmanager.yaml"), yaml.dump(amConfig, { lineWidth: -1, noRefs: true }));
  const amPort = await freePort();
  start("alertmanager", alertmanagerBin, [
    `--config.file=${path.join(tmp, "alertmanager.yaml")}`,
    `--storage.path=${path.join(tmp, "am-data")}`,
    `--web.listen-address=${HOST}:${amPort}`,
    "--cluster.listen-address=",
    "--log.level=warn",
  ]);
  urls.alertmanager = `http://${HOST}:${amPort}`;

  // Prometheus with the repository's rules, as the chart gets them (tokens substituted).
  const ruleDir = path.join(tmp, "rules");
  fs.mkdirSync(ruleDir);
  const ruleFiles = loadRuleFiles(path.join(ROOT, "rules"), {
    grafanaUrl: prod.grafana.url,
    runbookBaseUrl: prod.runbookBaseUrl,
    constants: ruleConstants(prod),
  }).map((f) => {
    const file = path.join(ruleDir, `${f.name}.yaml`);
    fs.writeFileSync(file, yaml.dump({ groups: f.groups }, { lineWidth: -1, noRefs: true }));
    return file;
  });
  // One extra group that evaluation can break on demand: both series renamed to the record name collide
  // ("vector contains metrics with the same labelset after applying rule labels").
  const extra = path.join(ruleDir, "smoke-test.yaml");
  fs.writeFileSync(
    extra,
    yaml.dump({
      groups: [
        { name: "smoke-test", rules: [{ record: "smoke:ab", expr: '{__name__=~"smoke_a|smoke_b"}' }] },
      ],
    }),
  );
  ruleFiles.push(extra);
  const promConfig = {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: ruleFiles,
    alerting: {
      alertmanagers: [{ api_version: "v2", static_configs: [{ targets: [`${HOST}:${amPort}`] }] }],
    },
    scrape_configs: Object.entries(exporters).map(([job, port]) => ({
      job_name: job,
      static_configs: [{ targets: [`${HOST}:${port}`] }],
    })),
  };
  fs.writeFileSync(path.join(tmp, "prometheus.yml"), yaml.dump(promConfig));
  const promPort = await freePort();
  start("prometheus", prometheusBin, [
    `--config.file=${path.join(tmp, "prometheus.yml")}`,
    `--storage.tsdb.path=${path.join(tmp, "prom-data")}`,
    `--web.listen-address=${HOST}:${promPort}`,
    "--log.level=warn",
  ]);
  urls.prometheus = `http://${HOST}:${promPort}`;

  // Healthy baseline before the first check: targets scraped, rules evaluating, a heartbeat delivered.
  await waitFor("Prometheus to scrape all targets and evaluate rules", 120_000, async () => {
    const t = (await (await fetch(`${urls.prometheus}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: { health: string }[] };
    };
    const r = (await (await fetch(`${urls.prometheus}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { health: string }[] }[] };
    };
    return (
      t.data.activeTargets.length === 3 &&
      t.data.activeTargets.every((x) => x.health === "up") &&
      r.data.groups.length > 0 &&
      r.data.groups.some((g) => g.name === "smoke-test" && g.rules.every((x) => x.health === "ok"))
    );
  }).catch((e: Error) => {
    throw new Error(`${e.message}\n${JSON.stringify(logs)}`);
  });
  await waitFor(
    "the Watchdog heartbeat to reach the capture server",
    60_000,
    async () => heartbeats > 0,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${JSON.stringify(logs)}`);
  });
});

afterAll(async () => {
  for (const p of procs) p.kill("SIGTERM");
  await sleep(300);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function smoke(extraEnv: NodeJS.ProcessEnv = {}) {
  return npmRun(
    "smoke",
    [
      "--stack",
      "prod",
      "--prometheus-url",
      urls.prometheus!,
      "--alertmanager-url",
      urls.alertmanager!,
      "--grafana-url",
      urls.grafana!,
      "--kube-api-url",
      urls.kube!,
      "--public-url",
      urls.public!,
    ],
    {
      env: {
        GRAFANA_USER: "admin",
        GRAFANA_PASSWORD: "smoke-pw",
        NODE_EXTRA_CA_CERTS: caFile,
        ...extraEnv,
      },
      timeoutMs: 120_000,
    },
  );
}

const row = (out: string, check: string) =>
  out.split("\n").find((l) => l.startsWith(check)) ?? `(no row ${check})`;

describe("npm run smoke", () => {
  it("passes every check on a healthy platform and prints the table", async () => {
    const r = await smoke();
    expect(r.stderr).toBe("");
    expect(r.code, r.stdout).toBe(0);
    for (const check of [
      "prometheus ready",
      "prometheus rules",
      "prometheus targets",
      "alertmanager ready + config",
      "alertmanager heartbeat",
      "grafana health",
      "grafana dashboards",
      "grafana datasource",
      "exporters up",
      "service agents/agent-api ",
      "service agents/agent-api-preview",
      "public url (TLS)",
    ]) {
      expect(row(r.stdout, check), check).toMatch(/\bPASS\b/);
    }
    expect(row(r.stdout, "prometheus rules")).toMatch(/\d+ groups, \d+ rules, no evaluation errors/);
    expect(row(r.stdout, "grafana dashboards")).toContain(`${DASHBOARD_UIDS.length} dashboards present`);
    expect(r.stdout).toContain("all 12 checks passed");
  });

  it("fails (exit 1) naming each broken part: a failing rule, an exporter down, no ready preview endpoint, a dead datasource, an untrusted certificate", async () => {
    redis.up = false;
    ready["agent-api-preview"] = false;
    grafanaState.datasourceOk = false;
    ruleError.on = true;
    try {
      await waitFor("Prometheus to see redis-exporter down", 20_000, async () => {
        const t = (await (await fetch(`${urls.prometheus}/api/v1/targets?state=active`)).json()) as {
          data: { activeTargets: { labels: { job: string }; health: string }[] };
        };
        const r = (await (await fetch(`${urls.prometheus}/api/v1/rules`)).json()) as {
          data: { groups: { name: string; rules: { health: string }[] }[] };
        };
        return (
          t.data.activeTargets.some((x) => x.labels.job === "redis-exporter" && x.health === "down") &&
          r.data.groups.some((g) => g.name === "smoke-test" && g.rules.some((x) => x.health === "err"))
        );
      });
      const r = await smoke({ NODE_EXTRA_CA_CERTS: "" });
      expect(r.code).toBe(1);
      expect(row(r.stdout, "prometheus targets")).toMatch(/FAIL .*1 of 3 targets down: redis-exporter/);
      expect(row(r.stdout, "exporters up")).toMatch(/FAIL .*not up: redis-exporter/);
      expect(row(r.stdout, "service agents/agent-api-preview")).toMatch(
        /FAIL .*no ready endpoints \(3 total\)/,
      );
      expect(row(r.stdout, "service agents/agent-api ")).toMatch(/PASS/);
      expect(row(r.stdout, "grafana datasource")).toMatch(/FAIL/);
      expect(row(r.stdout, "public url (TLS)")).toMatch(
        /FAIL .*(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify)/i,
      );
      expect(row(r.stdout, "prometheus rules")).toMatch(
        /FAIL .*1 rule\(s\) failing evaluation: smoke-test\/smoke:ab \(.*same labelset/,
      );
      expect(r.stdout).toMatch(/6 of 12 checks FAILED/);
    } finally {
      redis.up = true;
      ready["agent-api-preview"] = true;
      grafanaState.datasourceOk = true;
      ruleError.on = false;
    }
  });

  it("needs --stack", async () => {
    const r = await npmRun("smoke", []);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--stack is required/);
  });
});

describe("counterSum (Prometheus text format)", () => {
  it("sums the series whose labels match", () => {
    const text = [
      "# TYPE alertmanager_notifications_total counter",
      'alertmanager_notifications_total{integration="webhook"} 4',
      'alertmanager_notifications_total{integration="slack"} 9',
      'alertmanager_notifications_failed_total{integration="webhook",reason="other"} 1',
    ].join("\n");
    expect(counterSum(text, "alertmanager_notifications_total", { integration: "webhook" })).toBe(4);
    expect(counterSum(text, "alertmanager_notifications_failed_total", { integration: "webhook" })).toBe(1);
    expect(counterSum(text, "alertmanager_notifications_total", { integration: "email" })).toBe(0);
  });
});
