// The alert and recording rules are data checked by tools: promtool validates and unit-tests the files as
// they are, the loader enforces our conventions, and a PromQL parser proves the rules only read metrics
// from the contract (docs/metrics.md) or recording rules we define.
import { azureAlertNames, metricAlertPlans } from "../infra/azure/platformAlertsPlan";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { afterEach, describe, expect, it } from "vitest";
import {
  GRAFANA_URL_TOKEN,
  REQUIRED_ANNOTATIONS,
  RUNBOOK_BASE_URL_TOKEN,
  RuleFileError,
  SERVICES,
  SEVERITIES,
  isAlertingRule,
  loadRuleFiles,
  validateRuleLinks,
  type AlertingRule,
  type LoadedRuleFile,
  type RecordingRule,
  type RuleLoadOptions,
} from "../infra/monitoring/rules";
import { contractMetrics as readContractMetrics } from "./dashboardLint";
import { run, tool } from "./tools";

const ROOT = path.resolve(__dirname, "..");
const RULES_DIR = path.join(ROOT, "rules");
const RULE_TESTS_DIR = path.join(RULES_DIR, "tests");
const RUNBOOK_DIR = path.join(ROOT, "docs", "runbooks");
const DASHBOARDS_DIR = path.join(ROOT, "dashboards");
const METRICS_MD = path.join(ROOT, "docs", "metrics.md");
const ALERTS_MD = path.join(ROOT, "docs", "alerts.md");

/** The dashboards alerts may link to (dashboards/<folder>/<uid>.json). */
const DASHBOARD_UIDS = [
  "system-overview",
  "agent-performance",
  "infrastructure",
  "cost",
  "slo",
  "blue-green",
  "data",
];

const OPTS: RuleLoadOptions = {
  grafanaUrl: "https://grafana.test.example.com",
  runbookBaseUrl: "https://github.com/example-org/monitoring-platform/blob/main/docs/runbooks",
  constants: {},
};

const ruleFileNames = () =>
  fs
    .readdirSync(RULES_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => path.join("rules", f));
const ruleTestFileNames = () =>
  fs
    .readdirSync(RULE_TESTS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => path.join("rules", "tests", f));

/** Runs the pinned promtool (.bin/promtool) from the repository root; a missing promtool fails, never skips. */
async function promtool(args: string[]): Promise<string> {
  const r = await run(tool("promtool"), args, { cwd: ROOT, timeoutMs: 230_000 });
  if (r.code !== 0) throw new Error(`promtool ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function allRules(files: readonly LoadedRuleFile[]) {
  const alerts: AlertingRule[] = [];
  const records: RecordingRule[] = [];
  for (const file of files) {
    for (const group of file.groups) {
      for (const rule of group.rules) {
        if (isAlertingRule(rule)) alerts.push(rule);
        else records.push(rule);
      }
    }
  }
  return { alerts, records };
}

/** Seconds of a Prometheus duration such as `1h0m30s` or `1d`. */
function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  for (const m of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g))
    total += Number(m[1]) * (units[m[2] ?? ""] ?? NaN);
  return total;
}

/** Metric names read by a PromQL expression; throws if it does not parse. */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  let errorAt: number | undefined;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError && errorAt === undefined) errorAt = node.from;
      if (node.name === "VectorSelector") {
        const id = node.node.getChild("Identifier");
        // `{__name__="..."}` selectors would hide the metric from this check: we do not use them.
        names.push(
          id
            ? expr.slice(id.from, id.to)
            : `<selector without metric name: ${expr.slice(node.from, node.to)}>`,
        );
      }
    },
  });
  if (errorAt !== undefined) throw new Error(`PromQL does not parse at offset ${errorAt}: ${expr}`);
  return names;
}

/** The metric contract, parsed by the same function the dashboard lint uses. */
function contractMetrics(): Set<string> {
  return readContractMetrics(METRICS_MD);
}

/** uid of every dashboards/**\/*.json on disk. */
function dashboardUidsOnDisk(): Set<string> {
  const uids = new Set<string>();
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".json")) {
        const uid: unknown = (JSON.parse(fs.readFileSync(p, "utf8")) as { uid?: unknown }).uid;
        if (typeof uid === "string") uids.add(uid);
      }
    }
  };
  walk(DASHBOARDS_DIR);
  return uids;
}

describe("rule files under promtool", () => {
  it("pass `promtool check rules`", async () => {
    const out = await promtool(["check", "rules", ...ruleFileNames()]);
    expect(out).toContain("SUCCESS");
  });

  // One promtool run per file, so a failure names its file; the long scenarios (a quiet night, SLO windows of
  // hours) take tens of seconds on a loaded machine, hence the timeout.
  it.each(ruleTestFileNames())(
    "pass the promtool unit tests of %s (alerts fire at the `for` boundary, not before)",
    async (file) => {
      const out = await promtool(["test", "rules", file]);
      expect(out).toContain("SUCCESS");
      expect(out).not.toContain("FAILED");
    },
    240_000,
  );

  it("have a unit test in which every alert fires, at every severity it has", () => {
    const { alerts } = allRules(loadRuleFiles(RULES_DIR, OPTS));
    const tested = new Set<string>();
    for (const file of ruleTestFileNames()) {
      const doc = yaml.load(fs.readFileSync(path.join(ROOT, file), "utf8")) as {
        tests?: {
          alert_rule_test?: { alertname: string; exp_alerts?: { exp_labels?: Record<string, string> }[] }[];
        }[];
      };
      for (const test of doc.tests ?? []) {
        for (const check of test.alert_rule_test ?? []) {
          for (const exp of check.exp_alerts ?? [])
            tested.add(`${check.alertname}/${exp.exp_labels?.severity}`);
        }
      }
    }
    const untested = [...new Set(alerts.map((a) => `${a.alert}/${a.labels.severity}`))].filter(
      (k) => !tested.has(k),
    );
    expect(untested, "add an alert_rule_test with exp_alerts for these (alert/severity)").toEqual([]);
  });

  // kubernetes-mixin style: firing at the boundary proves little unless the evaluation before is silent.
  it("show every alert with a `for` silent one evaluation (30s) before it fires", () => {
    const { alerts } = allRules(loadRuleFiles(RULES_DIR, OPTS));
    const proven = new Set<string>();
    for (const file of ruleTestFileNames()) {
      const doc = yaml.load(fs.readFileSync(path.join(ROOT, file), "utf8")) as {
        tests?: {
          alert_rule_test?: {
            eval_time: string;
            alertname: string;
            exp_alerts?: { exp_labels?: Record<string, string> }[];
          }[];
        }[];
      };
      for (const test of doc.tests ?? []) {
        const checks = test.alert_rule_test ?? [];
        const severitiesAt = (alertname: string, t: number) =>
          checks
            .filter((c) => c.alertname === alertname && seconds(c.eval_time) === t)
            .map((c) => new Set((c.exp_alerts ?? []).map((e) => e.exp_labels?.severity)));
        for (const check of checks) {
          for (const exp of check.exp_alerts ?? []) {
            const severity = exp.exp_labels?.severity;
            const before = severitiesAt(check.alertname, seconds(check.eval_time) - 30);
            if (before.length > 0 && before.every((s) => !s.has(severity))) {
              proven.add(`${check.alertname}/${severity}`);
            }
          }
        }
      }
    }
    const unproven = [
      ...new Set(alerts.filter((a) => seconds(a.for) > 0).map((a) => `${a.alert}/${a.labels.severity}`)),
    ].filter((k) => !proven.has(k));
    expect(unproven, "add an alert_rule_test 30s before the firing one, without this severity").toEqual([]);
  });
});

describe("rule conventions", () => {
  const files = loadRuleFiles(RULES_DIR, OPTS);
  const { alerts, records } = allRules(files);

  it("loads every rules/*.yaml, named by its stem", () => {
    expect(files.map((f) => f.file)).toEqual(ruleFileNames().map((f) => path.basename(f)));
    expect(files.map((f) => f.name)).toContain("agent");
    expect(alerts.length).toBeGreaterThan(20);
  });

  it("gives every alert a `for`, a severity, a service and the four annotations", () => {
    for (const alert of alerts) {
      expect(alert.for, alert.alert).toMatch(/^(?:\d+[smhd])+$/);
      expect(SEVERITIES, alert.alert).toContain(alert.labels.severity);
      expect(SERVICES, alert.alert).toContain(alert.labels.service);
      for (const key of REQUIRED_ANNOTATIONS)
        expect(alert.annotations[key], `${alert.alert} ${key}`).toBeTruthy();
    }
  });

  it("links every alert to its own runbook and to a known dashboard uid", () => {
    expect(
      validateRuleLinks(files, { ...OPTS, runbookDir: RUNBOOK_DIR, dashboardUids: DASHBOARD_UIDS }),
    ).toEqual([]);
  });

  it("links only to dashboards that exist in dashboards/**/*.json", () => {
    const used = [...new Set(alerts.map((a) => a.annotations.dashboard_url.split("/d/")[1] ?? ""))].sort();
    const onDisk = dashboardUidsOnDisk();
    expect(
      used.filter((uid) => !onDisk.has(uid)),
      `dashboards found: ${[...onDisk].sort().join(", ") || "none"}`,
    ).toEqual([]);
  });

  // Alert runbooks are <AlertName>.md (PascalCase); lower-case kebab files are procedures (disaster-recovery.md).
  it("has no alert runbook without an alert", () => {
    // Prometheus alerts and the Azure Monitor alerts (docs/azure-alerts.md) share docs/runbooks/.
    const azureRunbooks = [
      ...metricAlertPlans("Premium").map((p) => p.runbook),
      ...azureAlertNames("Premium"),
    ];
    const names = new Set([...alerts.map((a) => a.alert), ...azureRunbooks].map((n) => `${n}.md`));
    expect(fs.readdirSync(RUNBOOK_DIR).filter((f) => /^[A-Z]/.test(f) && !names.has(f))).toEqual([]);
    expect(
      fs.readdirSync(RUNBOOK_DIR).filter((f) => !/^[A-Z]/.test(f) && !/^[a-z0-9-]+\.md$/.test(f)),
    ).toEqual([]);
  });

  it("reads only contract metrics and our recording rules", () => {
    const known = contractMetrics();
    for (const r of records) known.add(r.record);
    expect(known).toContain("agent_response_seconds_bucket");
    expect(known).toContain("kube_pod_container_status_restarts_total");
    const unknown = [...alerts, ...records].flatMap((rule) =>
      metricNames(rule.expr)
        .filter((m) => !known.has(m))
        .map((m) => `${isAlertingRule(rule) ? rule.alert : rule.record}: ${m}`),
    );
    expect(unknown, "add the metric to docs/metrics.md first, or use a contract metric").toEqual([]);
  });

  it("defines the recording rules the dashboards use", () => {
    const names = records.map((r) => r.record);
    for (const name of [
      "agent:requests:rate5m",
      "agent:errors:rate5m",
      "agent:error_ratio:rate5m",
      "agent:response_seconds:p50_5m",
      "agent:response_seconds:p95_5m",
      "agent:response_seconds:p99_5m",
      "agent:cache_hit_ratio:rate5m",
      "agent:http_error_ratio:rate5m",
      "agent:llm_tokens:increase24h",
      "agent:llm_budget_used:ratio",
      "agent:slo_availability_target:ratio",
      "agent:slo_latency_target:ratio",
      "agent:llm_token_budget:daily",
      ...["5m", "30m", "1h", "2h", "6h", "1d", "3d"].flatMap((w) => [
        `agent_slo:error_ratio:rate${w}`,
        `agent_slo:slow_ratio:rate${w}`,
      ]),
    ]) {
      expect(names).toContain(name);
    }
  });

  // An alert that reads a constant defined in another group sees nothing until that group has run, and
  // scalar(<nothing>) is NaN: every comparison is false and the alert is silently dead.
  it("defines constants, and the recording rules between them and an alert, earlier in the alert's group", () => {
    const byName = new Map(records.map((r) => [r.record, r]));
    const constants = new Set(records.filter((r) => /^vector\(/.test(r.expr)).map((r) => r.record));
    const problems: string[] = [];
    for (const file of files) {
      for (const group of file.groups) {
        const before = new Set<string>();
        for (const rule of group.rules) {
          if (isAlertingRule(rule)) {
            // Recording rules the alert depends on, transitively, up to a constant.
            const needed = new Set<string>();
            const visit = (name: string, chain: string[]): boolean => {
              if (constants.has(name)) {
                chain.forEach((n) => needed.add(n));
                needed.add(name);
                return true;
              }
              const rec = byName.get(name);
              return rec ? metricNames(rec.expr).some((m) => visit(m, [...chain, name])) : false;
            };
            metricNames(rule.expr).forEach((m) => visit(m, []));
            for (const n of needed) {
              if (!before.has(n))
                problems.push(`${file.file} ${group.name}: ${rule.alert} reads ${n} before it`);
            }
          } else {
            before.add(rule.record);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  // Issue 17, item 4: an SLO is blind when a series it reads disappears (renamed metric, re-bucketed
  // histogram), so AgentContractMetricMissing must cover every application series rules/slo.yaml reads,
  // with the same non-job matchers (the le="2" bucket is its own series). agent_errors_total is read
  // `or vector(0)` and may not exist before the first error (rules/agent.yaml explains).
  it("AgentContractMetricMissing covers every application series the SLO rules read", () => {
    const selectors = (expr: string, insideAbsentOnly: boolean): string[] => {
      const out: string[] = [];
      parser.parse(expr).iterate({
        enter: (ref) => {
          if (ref.name !== "VectorSelector") return;
          const node = ref.node;
          if (insideAbsentOnly) {
            const call = node.parent?.parent;
            const fn = call?.name === "FunctionCall" ? call.getChild("FunctionIdentifier") : null;
            if (!fn || expr.slice(fn.from, fn.to) !== "absent") return;
          }
          const id = node.getChild("Identifier");
          if (!id) return;
          const all = (node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []).map((m) =>
            expr.slice(m.from, m.to).replace(/\s+/g, ""),
          );
          // The application's series only: the probe SLI reads the blackbox exporter's, whose absence
          // BlackboxExporterDown reports.
          if (!all.includes('job="agent-api"')) return;
          const matchers = all.filter((m) => !m.startsWith("job=")).sort();
          out.push(`${expr.slice(id.from, id.to)}{${matchers.join(",")}}`);
        },
      });
      return out;
    };
    const slo = loadRuleFiles(RULES_DIR, OPTS).find((f) => f.file === "slo.yaml")!;
    const recorded = new Set(records.map((r) => r.record));
    const read = new Set(
      slo.groups
        .flatMap((g) => g.rules)
        .flatMap((r) => selectors(r.expr, false))
        .filter((sel) => !recorded.has(sel.replace(/\{.*$/, "")))
        .filter((sel) => !sel.startsWith("agent_errors_total{")),
    );
    expect([...read]).toContain('agent_response_seconds_bucket{le=~"2|2.0"}');
    const covered = new Set(
      alerts.filter((a) => a.alert === "AgentContractMetricMissing").flatMap((a) => selectors(a.expr, true)),
    );
    expect([...read].filter((sel) => !covered.has(sel))).toEqual([]);
  });

  it("are all listed in docs/alerts.md", () => {
    const doc = fs.readFileSync(ALERTS_MD, "utf8");
    const missing = [...new Set([...alerts.map((a) => a.alert), ...records.map((r) => r.record)])].filter(
      (name) => !doc.includes(`\`${name}\``),
    );
    expect(missing).toEqual([]);
  });

  it("never watch the AKS-managed control plane", () => {
    for (const rule of [...alerts, ...records]) {
      expect(rule.expr).not.toMatch(/scheduler|controller_manager|controller-manager|etcd/);
    }
  });
});

// The chart's recording rules feed its dashboards; its alerts are replaced by ours (rules/platform.yaml,
// rules/datasources.yaml) so that nothing pages twice and every alert has our runbook and dashboard links.
// (That the chart's alert groups are off and its recording groups on is tested with the Helm values, in
// test/monitoring.test.ts.)
describe("kube-prometheus-stack default rules", () => {
  it("replaces the chart's self-monitoring alerts with ours", () => {
    const names = new Set(allRules(loadRuleFiles(RULES_DIR, OPTS)).alerts.map((a) => a.alert));
    for (const name of [
      "Watchdog",
      "TargetDown",
      "PrometheusBadConfig",
      "PrometheusNotConnectedToAlertmanagers",
      "PrometheusRuleEvaluationFailures",
      "PrometheusMissedRuleEvaluations",
      "PrometheusNotificationsDropped",
      "AlertmanagerFailedReload",
      "PrometheusOperatorRejectedResources",
      "PrometheusOperatorReconcileErrors",
      "ConfigReloaderSidecarErrors",
      "KubeStateMetricsDown",
      "KubePodCrashLooping",
      "KubePersistentVolumeFillingUp",
      "NodeFilesystemAlmostFull",
    ])
      expect(names, name).toContain(name);
  });
});

describe("loadRuleFiles", () => {
  const tmpDirs: string[] = [];
  afterEach(() => {
    for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A temp rules dir with the given files. */
  function rulesDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rules-test-"));
    tmpDirs.push(dir);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  const alert = (overrides: { labels?: string; annotations?: string } = {}) => `
groups:
  - name: test
    rules:
      - alert: TestAlert
        expr: up == 0
        for: 1m
        labels:
${overrides.labels ?? "          severity: warning\n          service: agent-api"}
        annotations:
${
  overrides.annotations ??
  [
    "          summary: s",
    "          description: d {{ $value }}",
    '          runbook_url: "${RUNBOOK_BASE_URL}/TestAlert.md"',
    '          dashboard_url: "${GRAFANA_URL}/d/system-overview"',
  ].join("\n")
}
`;

  function loadError(dir: string, opts: RuleLoadOptions = OPTS): RuleFileError {
    try {
      loadRuleFiles(dir, opts);
    } catch (e) {
      expect(e).toBeInstanceOf(RuleFileError);
      return e as RuleFileError;
    }
    throw new Error("expected loadRuleFiles to throw");
  }

  it("names the file and line of malformed YAML", () => {
    const dir = rulesDir({
      "broken.yaml": "groups:\n  - name: test\n    rules:\n      - alert: X\n        expr: [up\n",
    });
    const err = loadError(dir);
    expect(err.message).toContain(path.join(dir, "broken.yaml"));
    expect(err.line).toBeGreaterThanOrEqual(5);
    expect(err.message).toMatch(new RegExp(`broken\\.yaml:${err.line}: is not valid YAML`));
  });

  it("rejects an alert without a severity, saying which values are allowed", () => {
    const dir = rulesDir({ "a.yaml": alert({ labels: "          service: agent-api" }) });
    const err = loadError(dir);
    expect(err.message).toContain("a.yaml:5:");
    expect(err.message).toContain("alert TestAlert has no labels.severity");
    expect(err.message).toContain("critical|warning|info");
  });

  it("rejects an unknown severity or service", () => {
    expect(
      loadError(
        rulesDir({ "a.yaml": alert({ labels: "          severity: page\n          service: agent-api" }) }),
      ).message,
    ).toContain('severity "page" is not one of critical, warning, info');
    expect(
      loadError(rulesDir({ "a.yaml": alert({ labels: "          severity: info\n          service: api" }) }))
        .message,
    ).toContain('service "api" is not one of');
  });

  it("rejects an alert without a runbook_url", () => {
    const dir = rulesDir({
      "a.yaml": alert({
        annotations:
          '          summary: s\n          description: d\n          dashboard_url: "${GRAFANA_URL}/d/slo"',
      }),
    });
    const err = loadError(dir);
    expect(err.message).toContain("alert TestAlert has no annotations.runbook_url");
    expect(err.message).toContain("docs/runbooks/<AlertName>.md");
  });

  it("rejects an alert without `for`, and a rule with both alert and record", () => {
    expect(loadError(rulesDir({ "a.yaml": alert().replace("        for: 1m\n", "") })).message).toContain(
      "alert TestAlert has no `for`",
    );
    expect(
      loadError(rulesDir({ "a.yaml": alert().replace("expr: up == 0", "record: x:y:z\n        expr: up") }))
        .message,
    ).toContain("has both `alert` and `record`");
  });

  it("rejects a constant that has no recording rule", () => {
    const err = loadError(rulesDir({ "a.yaml": alert() }), {
      ...OPTS,
      constants: { "agent:missing:ratio": 1 },
    });
    expect(err.message).toContain("constant agent:missing:ratio has no recording rule");
    expect(err.message).toContain("vector(<default>)");
  });

  it("rejects the same alert name in two files", () => {
    const err = loadError(
      rulesDir({ "a.yaml": alert(), "b.yaml": alert().replace("name: test", "name: other") }),
    );
    expect(err.message).toContain("b.yaml");
    expect(err.message).toContain("alert TestAlert is also defined in a.yaml");
  });

  it("rejects an unknown placeholder and a PrometheusRule resource", () => {
    expect(
      loadError(rulesDir({ "a.yaml": alert().replace("${GRAFANA_URL}/d", "${GRAFANA}/d") })).message,
    ).toContain("unknown placeholder ${GRAFANA}");
    expect(
      loadError(
        rulesDir({
          "a.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups: []\n",
        }),
      ).message,
    ).toContain("keep only the content of spec");
  });

  it("overrides constants from stack config", () => {
    const files = loadRuleFiles(RULES_DIR, {
      ...OPTS,
      constants: {
        "agent:slo_availability_target:ratio": 0.995,
        "agent:slo_latency_target:ratio": 0.98,
        "agent:llm_token_budget:daily": 2_000_000,
      },
    });
    const exprOf = (name: string) => allRules(files).records.find((r) => r.record === name)?.expr;
    expect(exprOf("agent:slo_availability_target:ratio")).toBe("vector(0.995)");
    expect(exprOf("agent:slo_latency_target:ratio")).toBe("vector(0.98)");
    expect(exprOf("agent:llm_token_budget:daily")).toBe("vector(2000000)");
    // Without overrides the defaults in the files stay: they are what promtool tests against.
    const defaults = allRules(loadRuleFiles(RULES_DIR, OPTS)).records;
    expect(defaults.find((r) => r.record === "agent:slo_availability_target:ratio")?.expr).toBe(
      "vector(0.999)",
    );
    expect(defaults.find((r) => r.record === "agent:llm_token_budget:daily")?.expr).toBe("vector(1000000)");
  });

  it("rejects overriding a recording rule that is not a constant", () => {
    const dir = rulesDir({
      "r.yaml": "groups:\n  - name: r\n    rules:\n      - record: job:up:sum\n        expr: sum(up)\n",
    });
    const err = loadError(dir, { ...OPTS, constants: { "job:up:sum": 1 } });
    expect(err.message).toContain("recording rule job:up:sum is not a constant");
  });

  it("replaces every placeholder: no `${` is left after loading", () => {
    const files = loadRuleFiles(RULES_DIR, OPTS);
    const text = JSON.stringify(files);
    expect(text).not.toContain("${");
    const { alerts } = allRules(files);
    const outage = alerts.find((a) => a.alert === "AgentCompleteOutage");
    expect(outage?.annotations.runbook_url).toBe(`${OPTS.runbookBaseUrl}/AgentCompleteOutage.md`);
    expect(outage?.annotations.dashboard_url).toBe(`${OPTS.grafanaUrl}/d/system-overview`);
    // The raw files do carry the tokens (that is what promtool sees).
    const raw = fs.readFileSync(path.join(RULES_DIR, "agent.yaml"), "utf8");
    expect(raw).toContain(RUNBOOK_BASE_URL_TOKEN);
    expect(raw).toContain(GRAFANA_URL_TOKEN);
  });
});
