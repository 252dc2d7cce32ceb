/**
 * Azure Monitor's own alerts (infra/azure/platformAlerts*.ts, docs/azure-alerts.md): the AMBA values as
 * typed here from the AMBA files (not from the plan), the notifier's routing against Alertmanager's, the
 * dead man's switch under the real promtool, the doc table, and both renders.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import {
  AZURE_ROUTES,
  NOTIFIER_SECRETS,
  NOTIFIER_TRIGGER,
  PAGERDUTY_EVENTS_URL,
  notifierDefinition,
} from "../infra/azure/alertNotifierPlan";
import {
  azureAlertNames,
  METRICS_MISSING_ALERT,
  metricAlertPlans,
  metricsMissingExpr,
  ourSeverity,
  serviceHealthCondition,
} from "../infra/azure/platformAlertsPlan";
import { regionDisplayName } from "../infra/regions";
import { loadDashboards } from "../infra/monitoring/dashboards";
import { run, tool } from "./tools";
import { renderResources } from "./renderFiles";

const ROOT = path.resolve(__dirname, "..");

// name: metric, operator, threshold, aggregation, window, frequency, Azure severity — from the AMBA files
// cited in infra/azure/platformAlertsPlan.ts (Redis: AMBA's Microsoft.Cache/Redis values, Maximum).
const AMBA: Record<string, [string, string, number, string, string, string, number]> = {
  AksNodeNotReady: ["kube_node_status_condition", "GreaterThan", 0, "Total", "PT5M", "PT1M", 3],
  AksNodeCpuHigh: ["node_cpu_usage_percentage", "GreaterThan", 95, "Average", "PT5M", "PT5M", 3],
  AksNodeMemoryWorkingSetHigh: [
    "node_memory_working_set_percentage",
    "GreaterThan",
    100,
    "Average",
    "PT5M",
    "PT5M",
    3,
  ],
  AksNodeDiskUsageHigh: ["node_disk_usage_percentage", "GreaterThan", 80, "Average", "PT5M", "PT1M", 2],
  AksPodsFailed: ["kube_pod_status_phase", "GreaterThan", 0, "Average", "PT5M", "PT1M", 3],
  PostgresCpuHigh: ["cpu_percent", "GreaterThan", 90, "Average", "PT5M", "PT1M", 2],
  PostgresMemoryHigh: ["memory_percent", "GreaterThan", 90, "Average", "PT5M", "PT1M", 2],
  PostgresStorageHigh: ["storage_percent", "GreaterThan", 90, "Average", "PT5M", "PT1M", 2],
  PostgresConnectionsFailed: ["connections_failed", "GreaterThan", 5, "Total", "PT5M", "PT1M", 3],
  PostgresNotAlive: ["is_db_alive", "LessThan", 1, "Maximum", "PT15M", "PT15M", 1],
  RedisServerLoadHigh: ["serverLoad", "GreaterThan", 85, "Maximum", "PT15M", "PT5M", 3],
  RedisUsedMemoryHigh: ["usedmemorypercentage", "GreaterThan", 90, "Maximum", "PT15M", "PT5M", 2],
  RedisErrors: ["errors", "GreaterThan", 0, "Maximum", "PT5M", "PT1M", 3],
  KeyVaultAvailabilityLow: ["Availability", "LessThan", 90, "Average", "PT5M", "PT1M", 1],
  KeyVaultSaturationHigh: ["SaturationShoebox", "GreaterThan", 75, "Average", "PT5M", "PT1M", 1],
  KeyVaultLatencyHigh: ["ServiceApiLatency", "GreaterThan", 1000, "Average", "PT5M", "PT5M", 3],
  RegistryStorageHigh: ["StorageUsed", "GreaterThan", 429496729600, "Average", "PT1H", "PT5M", 3],
};

describe("AMBA metric alerts", () => {
  it("carry AMBA's metric, threshold, window, frequency and severity", () => {
    const got = Object.fromEntries(
      metricAlertPlans("Premium").map((p) => [
        p.name,
        [
          p.metricName,
          p.operator,
          p.threshold,
          p.timeAggregation,
          p.windowSize,
          p.evaluationFrequency,
          p.azureSeverity,
        ],
      ]),
    );
    expect(got).toEqual(AMBA);
  });

  it("use AMBA's Standard-plan registry threshold below Premium", () => {
    const std = metricAlertPlans("Standard").find((p) => p.name === "RegistryStorageHigh")!;
    expect(std.threshold).toBe(50000000000);
    expect(metricAlertPlans("Basic").find((p) => p.name === "RegistryStorageHigh")!.threshold).toBe(
      50000000000,
    );
  });

  it("filter the AKS node condition and pod phase by AMBA's dimensions", () => {
    const dims = (n: string) => metricAlertPlans("Premium").find((p) => p.name === n)!.dimensions;
    expect(dims("AksNodeNotReady")).toEqual([
      { name: "status2", operator: "Include", values: ["NotReady", "Unknown"] },
    ]);
    expect(dims("AksPodsFailed")).toEqual([{ name: "phase", operator: "Include", values: ["Failed"] }]);
  });

  it("map Azure severities to our routing: 0-1 page, 2 warning, 3-4 info", () => {
    expect([0, 1, 2, 3, 4].map(ourSeverity)).toEqual(["critical", "critical", "warning", "info", "info"]);
  });

  it("link runbooks and dashboards that exist", () => {
    // The loader the program deploys dashboards with (uid = file stem, unique).
    const uids = new Set(loadDashboards(path.join(ROOT, "dashboards")).map((d) => d.uid));
    for (const p of metricAlertPlans("Premium")) {
      expect(
        fs.existsSync(path.join(ROOT, "docs/runbooks", `${p.runbook}.md`)),
        `${p.name} → ${p.runbook}.md`,
      ).toBe(true);
      expect(uids.has(p.dashboard), `${p.name} → /d/${p.dashboard}`).toBe(true);
    }
    for (const r of ["AzureServiceHealthIncident", "ClusterMetricsMissing"])
      expect(fs.existsSync(path.join(ROOT, "docs/runbooks", `${r}.md`)), r).toBe(true);
  });
});

describe("Service Health", () => {
  it("names our regions as Service Health does, and refuses one it does not know", () => {
    expect(["westeurope", "eastus2", "uksouth"].map(regionDisplayName)).toEqual([
      "West Europe",
      "East US 2",
      "UK South",
    ]);
    expect(() => regionDisplayName("westeruope")).toThrow(
      "westeruope is not one of the accepted Azure regions",
    );
  });

  it("matches incidents in our regions and in Azure's global services", () => {
    const c = serviceHealthCondition(["West Europe", "West Europe"]);
    expect(c.allOf).toEqual([
      { field: "category", equals: "ServiceHealth" },
      { field: "properties.incidentType", equals: "Incident" },
      {
        field: "properties.impactedServices[*].ImpactedRegions[*].RegionName",
        containsAny: ["West Europe", "Global"],
      },
    ]);
  });
});

describe("docs/azure-alerts.md", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/azure-alerts.md"), "utf8");
  const rows = [...doc.matchAll(/^\| `([A-Za-z]+)` +\|.*\[[A-Za-z]+\]\(runbooks\/([A-Za-z]+)\.md\)/gm)].map(
    (m) => [m[1]!, m[2]!],
  );

  it("has one row per Azure alert, each with its runbook", () => {
    const plans = new Map(metricAlertPlans("Premium").map((p) => [p.name, p.runbook]));
    plans.set("AzureServiceHealthIncident", "AzureServiceHealthIncident");
    plans.set("ClusterMetricsMissing", "ClusterMetricsMissing");
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(plans));
    expect(rows.map((r) => r[0]).sort()).toEqual(azureAlertNames("Premium").sort());
  });
});

/** Every action of the notifier, by Switch case: the URIs it posts to. */
function postsByCase(): Record<string, string[]> {
  const def = notifierDefinition() as {
    actions: {
      route: {
        cases: Record<string, { case: string; actions: Record<string, { inputs: { uri: string } }> }>;
        default: { actions: Record<string, { inputs: { uri: string } }> };
      };
    };
  };
  const uris = (a: Record<string, { inputs: { uri: string } }>) =>
    Object.values(a)
      .map((x) => x.inputs.uri)
      .sort();
  const out: Record<string, string[]> = {};
  for (const c of Object.values(def.actions.route.cases)) out[c.case] = uris(c.actions);
  out.default = uris(def.actions.route.default.actions);
  return out;
}

describe("the notifier Logic App", () => {
  it("routes as Alertmanager does: critical pages and posts to #incidents, warning #on-call, info #alerts", () => {
    expect(postsByCase()).toEqual({
      critical: [PAGERDUTY_EVENTS_URL, "@parameters('slackCritical')"].sort(),
      warning: ["@parameters('slackWarning')"],
      info: ["@parameters('slackInfo')"],
      // An unknown severity shows up in #on-call and never pages (Alertmanager's root receiver).
      default: ["@parameters('slackWarning')"],
    });
    expect(AZURE_ROUTES.default).not.toContain("pagerdutyRoutingKey");
  });

  it("declares every parameter it reads as SecureString, and only those", () => {
    const def = notifierDefinition();
    const text = JSON.stringify(def);
    const used = new Set([...text.matchAll(/parameters\('([A-Za-z]+)'\)/g)].map((m) => m[1]));
    const declared = def.parameters as Record<string, { type: string }>;
    expect([...used].sort()).toEqual(Object.keys(NOTIFIER_SECRETS).sort());
    for (const p of Object.values(declared)) expect(p.type).toBe("SecureString");
  });

  it("opens a PagerDuty incident on Fired and resolves the same one on Resolved", () => {
    const text = JSON.stringify(notifierDefinition());
    expect(text).toContain(
      `"event_action":"@if(equals(triggerBody()?['data']?['essentials']?['monitorCondition'], 'Resolved'), 'resolve', 'trigger')"`,
    );
    expect(text).toContain(`"dedup_key":"@triggerBody()?['data']?['essentials']?['alertId']"`);
    expect(Object.keys((notifierDefinition() as { triggers: object }).triggers)).toEqual([NOTIFIER_TRIGGER]);
  });

  it("hides every HTTP action's inputs (the webhook URLs and the routing key) from run history", () => {
    const http: { runtimeConfiguration?: unknown }[] = [];
    const walk = (v: unknown) => {
      if (v && typeof v === "object") {
        if ((v as { type?: string }).type === "Http") http.push(v as { runtimeConfiguration?: unknown });
        Object.values(v).forEach(walk);
      }
    };
    walk(notifierDefinition());
    expect(http.length).toBe(5);
    for (const a of http) expect(a.runtimeConfiguration).toEqual({ secureData: { properties: ["inputs"] } });
  });

  it("has balanced expressions (every @{ … } and ( … ) closes)", () => {
    const strings: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === "string") strings.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(notifierDefinition());
    for (const s of strings.filter((x) => x.includes("@"))) {
      let depth = 0;
      for (const ch of s.replace(/'[^']*'/g, "''")) {
        if (ch === "(" || ch === "{") depth++;
        if (ch === ")" || ch === "}") depth--;
        expect(depth, s).toBeGreaterThanOrEqual(0);
      }
      expect(depth, s).toBe(0);
    }
  });
});

describe("the dead man's switch in the metrics workspace (promtool)", () => {
  it("fires 5 minutes after the cluster's last sample went stale, not before, and not for another cluster", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deadman-"));
    const rules = {
      groups: [
        {
          name: "deadman",
          interval: "1m",
          rules: [
            {
              alert: METRICS_MISSING_ALERT.name,
              expr: metricsMissingExpr("aks-agents-prod"),
              // PT5M, as the rule group says it.
              for: METRICS_MISSING_ALERT.for.replace(/^PT(\d+)M$/, "$1m"),
              labels: { severity: METRICS_MISSING_ALERT.severity },
            },
          ],
        },
      ],
    };
    // absent() keeps the equality matcher's label: the page names the cluster.
    const missing = {
      exp_labels: { alertname: "ClusterMetricsMissing", cluster: "aks-agents-prod", severity: "critical" },
    };
    const tests = {
      rule_files: ["deadman.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          // The cluster writes for 10 minutes and then stops; another cluster keeps writing.
          input_series: [
            { series: 'up{cluster="aks-agents-prod",job="kubelet"}', values: "1x10" },
            { series: 'up{cluster="aks-agents-dev",job="kubelet"}', values: "1x40" },
          ],
          alert_rule_test: [
            { eval_time: "9m", alertname: "ClusterMetricsMissing", exp_alerts: [] },
            // Last sample at 10m; absent() from 15m (the 5-minute lookback); pending 5m more.
            { eval_time: "19m", alertname: "ClusterMetricsMissing", exp_alerts: [] },
            { eval_time: "21m", alertname: "ClusterMetricsMissing", exp_alerts: [missing] },
          ],
        },
      ],
    };
    fs.writeFileSync(path.join(dir, "deadman.yaml"), yaml.dump(rules));
    fs.writeFileSync(path.join(dir, "deadman_test.yaml"), yaml.dump(tests));
    const r = await run(tool("promtool"), ["test", "rules", "deadman_test.yaml"], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

    // A wrong expectation fails: the check is not vacuous.
    tests.tests[0]!.alert_rule_test[1] = {
      eval_time: "19m",
      alertname: "ClusterMetricsMissing",
      exp_alerts: [missing],
    };
    fs.writeFileSync(path.join(dir, "deadman_test.yaml"), yaml.dump(tests));
    const bad = await run(tool("promtool"), ["test", "rules", "deadman_test.yaml"], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(bad.code).not.toBe(0);
  });
});

describe("in the renders", () => {
  const resources = (stack: string) => renderResources(stack as "dev" | "prod");

  it.each(["dev", "prod"])(
    "%s: one action group, every AMBA alert on its action group, Service Health",
    (stack) => {
      const rs = resources(stack);
      const ofType = (t: string) => rs.filter((r) => r.type === t);
      expect(ofType("azure-native:monitor:ActionGroup")).toHaveLength(1);
      const sku = stack === "prod" ? "Premium" : "Standard";
      expect(
        ofType("azure-native:monitor:MetricAlert")
          .map((r) => r.inputs.ruleName)
          .sort(),
      ).toEqual(
        metricAlertPlans(sku)
          .map((p) => p.name)
          .sort(),
      );
      expect(ofType("azure-native:monitor:ActivityLogAlert")).toHaveLength(1);
      // The notifier's secrets and its signed trigger URL are never in the render.
      const workflow = ofType("azure-native:logic:Workflow")[0]!;
      expect(workflow.inputs.parameters).toBe("[secret]");
      expect(ofType("azure-native:monitor:ActionGroup")[0]!.inputs.logicAppReceivers).toBe("[secret]");
    },
  );

  it("prod remote-writes and has the dead man's switch; dev has neither", () => {
    const groups = (s: string) =>
      resources(s).filter((r) => r.type === "azure-native:alertsmanagement:PrometheusRuleGroup");
    expect(groups("dev")).toEqual([]);
    const [g] = groups("prod");
    const rules = g!.inputs.rules as { alert: string; expression: string }[];
    expect(rules.map((r) => [r.alert, r.expression])).toEqual([
      ["ClusterMetricsMissing", 'absent(up{cluster="aks-agents-prod"})'],
    ]);
  });
});
