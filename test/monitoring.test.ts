/**
 * kube-prometheus-stack: pure values tests, then the component inside the prod stack under mocks.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../infra/config";
import { BLACKBOX_CHART, blackboxValues } from "../infra/monitoring/blackbox";
import { CHART_VERSIONS } from "../infra/monitoring/chartVersions";
import {
  ALERTMANAGER_SECRET_DIR,
  APP_ROUTING_INGRESS_CLASS,
  CHART,
  DEPLOYED,
  GRAFANA_ADMIN_SECRET,
  GRAFANA_TLS_SECRET,
  CHART_ALERT_RULE_GROUPS,
  grafanaOrgMapping,
  helmValues,
  podDisruptionBudget,
  SELECTOR_LABELS,
  versionOfImageTag,
} from "../infra/monitoring/helmValues";
import { evaluateStack, stackConfig, type StackRun } from "./mocks";

const prod = parseStackConfig(stackConfig("prod").config);
const values = helmValues({
  monitoring: prod.monitoring,
  zoneRedundant: true,
  alertmanagerConfig: { route: { receiver: "x" } },
  workloadIdentityClientId: "client-id",
  cluster: "aks-agents-prod",
  environment: "prod",
  tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
  clusterIssuer: "letsencrypt",
}) as any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Chart versions we have vetted, with the operator (CRD) version each ships (Chart.yaml appVersion). A
 * chart bump must add its row after applying the new CRDs (scripts/upgrade-crds.sh).
 */
const VETTED = { "67.8.0": "v0.79.2", "91.8.2": "v0.94.1" } as Record<string, string>;

// ------------------------------------------------------------------------------ chart values keys --

type Tree = Record<string, unknown> | null;
const FIXTURES = path.join(__dirname, "fixtures/chart-values");
const keyTree = (chart: string) =>
  yaml.load(fs.readFileSync(path.join(FIXTURES, `${chart}.yaml`), "utf8")) as Record<string, Tree>;

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Every key path of `values` that the chart's key tree does not have. A tree leaf (`~`) takes free-form
 * content, so the walk stops there; `subcharts` maps a top-level key to the subchart's own tree.
 */
function unknownKeys(
  values: Record<string, unknown>,
  tree: Record<string, Tree>,
  subcharts: Record<string, Record<string, Tree>> = {},
  at = "",
): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const where = at ? `${at}.${key}` : key;
    const sub = at === "" ? subcharts[key] : undefined;
    if (sub && isMap(value)) {
      // A subchart reads its own keys plus what the parent chart adds under its name.
      const parentAdds = isMap(tree[key]) ? (tree[key] as Record<string, Tree>) : {};
      return unknownKeys(value, { ...sub, ...parentAdds }, {}, where);
    }
    if (!(key in tree)) return [where];
    const node = tree[key];
    return isMap(node) && isMap(value) ? unknownKeys(value, node as Record<string, Tree>, {}, where) : [];
  });
}

describe("chart values are keys the charts read (Helm ignores unknown keys silently)", () => {
  const kps = keyTree("kube-prometheus-stack");
  const subcharts = { grafana: keyTree("grafana"), "kube-state-metrics": keyTree("kube-state-metrics") };

  it("every kube-prometheus-stack value we set is in the chart's (or its subcharts') values.yaml", () => {
    expect(unknownKeys(values, kps, subcharts)).toEqual([]);
  });

  it("every blackbox exporter value we set is in its chart's values", () => {
    expect(unknownKeys(blackboxValues(), keyTree("prometheus-blackbox-exporter"))).toEqual([]);
  });

  it("the check fails on a misspelt or misplaced key", () => {
    const wrong = {
      ...values,
      grafana: { ...values.grafana, deploymentStratgy: { type: "Recreate" } },
      prometheus: { prometheusSpec: { ...values.prometheus.prometheusSpec, retentionsize: "1GB" } },
      alertmanagerSpec: {},
    };
    expect(unknownKeys(wrong, kps, subcharts)).toEqual([
      "prometheus.prometheusSpec.retentionsize",
      "grafana.deploymentStratgy",
      "alertmanagerSpec",
    ]);
  });
});

describe("kube-prometheus-stack values (pure)", () => {
  it("creates the chart's rules with every alerting group off and no recording group touched", () => {
    expect(values.defaultRules.create).toBe(true);
    expect(values.defaultRules.rules).toEqual(
      Object.fromEntries(CHART_ALERT_RULE_GROUPS.map((g) => [g, false])),
    );
    // Recording groups (defaults true in the chart) must not be switched off by accident.
    for (const recording of ["k8sPodOwner", "kubePrometheusNodeRecording", "nodeExporterRecording", "node"])
      expect(values.defaultRules.rules[recording], recording).toBeUndefined();
  });

  it("pins the chart version and repository; a version bump must update the CRD version too", () => {
    expect(CHART.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(CHART.repo).toBe("https://prometheus-community.github.io/helm-charts");
    expect(
      VETTED[CHART.version],
      `chart ${CHART.version}: apply its CRDs (scripts/upgrade-crds.sh) and record the operator version here`,
    ).toBe(CHART.operatorVersion);
  });

  it("records once what the pinned chart deploys: operator, Prometheus and Alertmanager versions", () => {
    expect(CHART).toMatchObject({
      name: "kube-prometheus-stack",
      version: "91.8.2",
      operatorVersion: "v0.94.1",
    });
    expect(DEPLOYED).toEqual({ prometheus: "3.15.0", alertmanager: "0.34.1" });
    expect(CHART_VERSIONS.kubePrometheusStack.grafanaChart.repository).toBe(
      "oci://ghcr.io/grafana-community/helm-charts",
    );
    expect(versionOfImageTag("v0.34.1")).toBe("0.34.1");
    expect(() => versionOfImageTag("latest")).toThrow(/cannot read a version from image tag "latest"/);
  });

  it("upgrade-crds.sh applies the CRDs of the operator version the chart ships", () => {
    const script = fs.readFileSync(path.join(__dirname, "../scripts/upgrade-crds.sh"), "utf8");
    expect(script).toContain("infra/monitoring/chartVersions.ts");
    expect(script).toContain("--server-side");
  });

  it("does not scrape or alert on what AKS manages (scheduler, controller-manager, etcd) nor kube-proxy", () => {
    for (const k of ["kubeEtcd", "kubeScheduler", "kubeControllerManager", "kubeProxy"])
      expect(values[k].enabled, k).toBe(false);
  });

  it("sizes Prometheus from config: replicas, retention time and size, PVC, resources, intervals", () => {
    const p = values.prometheus.prometheusSpec;
    expect(p).toMatchObject({
      replicas: 2,
      retention: "32d",
      retentionSize: "200GB",
      scrapeInterval: "30s",
      evaluationInterval: "30s",
    });
    expect(p.storageSpec.volumeClaimTemplate.spec).toMatchObject({
      storageClassName: "managed-csi-premium",
      resources: { requests: { storage: "256Gi" } },
    });
    expect(p.resources.limits.memory).toBe("8Gi");
    expect(p.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
  });

  it("gives Prometheus and Alertmanager a disruption budget that lets a drain take one pod at a time (prod)", () => {
    expect(values.prometheus.podDisruptionBudget).toEqual({
      enabled: true,
      minAvailable: 1,
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
    expect(values.alertmanager.podDisruptionBudget).toEqual({
      enabled: true,
      minAvailable: 2,
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
  });

  it.each([
    [1, false],
    [2, true],
    [3, true],
  ])("with %d replica(s) the budget is %s, and it never forbids every eviction", (replicas, enabled) => {
    const pdb = podDisruptionBudget(replicas);
    expect(pdb.enabled).toBe(enabled);
    // A budget with minAvailable >= replicas blocks every drain (AKS upgrades hang).
    if (pdb.enabled) expect(pdb.minAvailable).toBeLessThan(replicas);
    expect(pdb).not.toHaveProperty("maxUnavailable");
  });

  it("dev (one Prometheus, one Alertmanager) has no budget that would block its drains", () => {
    const dev = parseStackConfig(stackConfig("dev").config);
    const v = helmValues({
      monitoring: dev.monitoring,
      zoneRedundant: false,
      alertmanagerConfig: { route: { receiver: "x" } },
      workloadIdentityClientId: "client-id",
      cluster: "aks-agents-dev",
      environment: "dev",
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      clusterIssuer: "letsencrypt",
    }) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(dev.monitoring.prometheus.replicas).toBe(1);
    expect(v.prometheus.podDisruptionBudget).toEqual({ enabled: false });
    expect(v.alertmanager.podDisruptionBudget).toEqual({ enabled: false });
  });

  it("keeps Grafana on one Prometheus replica per client (sticky sessions on the Prometheus Service)", () => {
    expect(values.prometheus.service).toEqual({
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    });
    expect(values.prometheus.prometheusSpec.replicas).toBeGreaterThan(1);
  });

  it("selects rules and monitors labelled for this release", () => {
    expect(values.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues).toBe(true);
    expect(SELECTOR_LABELS).toEqual({ release: "kube-prometheus-stack" });
  });

  it("runs Alertmanager HA with receiver secrets mounted from Key Vault", () => {
    const am = values.alertmanager.alertmanagerSpec;
    expect(am.replicas).toBe(3);
    expect(am.volumeMounts).toEqual([
      { name: "keyvault", mountPath: ALERTMANAGER_SECRET_DIR, readOnly: true },
    ]);
    expect(am.volumes[0].csi.driver).toBe("secrets-store.csi.k8s.io");
    expect(am.podMetadata.labels["azure.workload.identity/use"]).toBe("true");
  });

  it("keeps Grafana's admin for provisioning only: credentials from Key Vault, no login form", () => {
    const g = values.grafana;
    expect(g.admin).toEqual({
      existingSecret: GRAFANA_ADMIN_SECRET,
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
    expect(g.adminPassword).toBeUndefined();
    expect(g["grafana.ini"].auth.disable_login_form).toBe(true);
    expect(g["grafana.ini"]["auth.anonymous"].enabled).toBe(false);
    expect(g.service.type).toBe("ClusterIP");
    expect(g.persistence).toMatchObject({ enabled: true, size: "10Gi", accessModes: ["ReadWriteOnce"] });
    expect(g.sidecar.dashboards).toMatchObject({
      enabled: true,
      label: "grafana_dashboard",
      folderAnnotation: "grafana_folder",
    });
  });
});

describe("Grafana for people (pure)", () => {
  const g = values.grafana;

  it("rolls out with Recreate: the ReadWriteOnce disk cannot be attached to two pods", () => {
    expect(g.deploymentStrategy).toEqual({ type: "Recreate" });
    expect(g.replicas).toBe(1);
  });

  it("is served through the app-routing ingress with a cert-manager certificate for the configured URL", () => {
    expect(g.ingress).toEqual({
      enabled: true,
      ingressClassName: APP_ROUTING_INGRESS_CLASS,
      annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" },
      hosts: ["grafana.platform.example.com"],
      path: "/",
      pathType: "Prefix",
      tls: [{ secretName: GRAFANA_TLS_SECRET, hosts: ["grafana.platform.example.com"] }],
    });
    // One value: the URL people and alert links use is the host the ingress serves.
    expect(g["grafana.ini"].server).toEqual({
      root_url: prod.monitoring.grafana.url,
      domain: "grafana.platform.example.com",
    });
  });

  it("signs people in through Entra ID, restricted to the tenant and the configured groups", () => {
    const az = g["grafana.ini"]["auth.azuread"];
    const e = prod.monitoring.grafana.entra;
    expect(az).toMatchObject({
      enabled: true,
      client_id: e.clientId,
      client_secret: "$__file{/mnt/keyvault/grafana-entra-client-secret}",
      auth_url:
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize",
      token_url: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
      allowed_organizations: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      role_attribute_strict: true,
      allow_assign_grafana_admin: false,
    });
    expect(az.allowed_groups.split(" ").sort()).toEqual(
      [...e.adminGroupObjectIds, ...e.editorGroupObjectIds, ...e.viewerGroupObjectIds].sort(),
    );
    // The secret is a file of the Key Vault mount, never a value.
    expect(JSON.stringify(values)).not.toMatch(/client_secret":"(?!\$__file)/);
    expect(g.extraSecretMounts[0].mountPath).toBe("/mnt/keyvault");
  });

  it("maps Entra groups to Grafana roles in the default organization (org_mapping)", () => {
    const e = {
      clientId: "c",
      adminGroupObjectIds: ["a1", "a2"],
      editorGroupObjectIds: [],
      viewerGroupObjectIds: ["v1"],
    };
    expect(grafanaOrgMapping(e)).toEqual(["a1:1:Admin", "a2:1:Admin", "v1:1:Viewer"]);
    expect(JSON.parse(g["grafana.ini"]["auth.azuread"].org_mapping)).toEqual(
      grafanaOrgMapping(prod.monitoring.grafana.entra),
    );
  });
});

describe("monitoring config checks", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const withMonitoring = (patch: (m: any) => void) => {
    const raw = stackConfig("prod").config;
    const m = JSON.parse(raw["monitoring-platform:monitoring"]!);
    patch(m);
    return () => parseStackConfig({ ...raw, "monitoring-platform:monitoring": JSON.stringify(m) });
  };

  it("refuses a Prometheus retentionSize above 85 % of its volume, naming the key and the fix", () => {
    const parse = withMonitoring((m) => {
      m.prometheus.storageSize = "100Gi";
      m.prometheus.retentionSize = "90GB";
    });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(
      /monitoring-platform:monitoring\.prometheus\.retentionSize is 90GB, more than 85 % of monitoring\.prometheus\.storageSize 100Gi.*pulumi config set --path 'monitoring-platform:monitoring\.prometheus\.retentionSize' 85GB/,
    );
    expect(
      withMonitoring((m) => {
        m.prometheus.storageSize = "100Gi";
        m.prometheus.retentionSize = "85GB";
      }),
    ).not.toThrow();
  });

  it("refuses a Grafana URL with a path: the ingress serves the host root", () => {
    expect(withMonitoring((m) => (m.grafana.url = "https://example.com/grafana"))).toThrow(
      /monitoring-platform:monitoring\.grafana\.url must be a bare https:\/\/<host>/,
    );
  });

  it("refuses a group listed for two roles", () => {
    expect(
      withMonitoring((m) => (m.grafana.entra.viewerGroupObjectIds = m.grafana.entra.adminGroupObjectIds)),
    ).toThrow(/is listed for more than one Grafana role/);
  });
});

describe("monitoring in the prod stack (mocks)", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await evaluateStack("prod");
  });

  it("installs the pinned chart as a Helm release with prod values", () => {
    const r = run.inputsOf(run.one("kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack"));
    expect(r).toMatchObject({
      chart: "kube-prometheus-stack",
      version: CHART.version,
      repositoryOpts: { repo: CHART.repo },
      namespace: "monitoring",
    });
    expect(r.values.prometheus.prometheusSpec.replicas).toBe(2);
    expect(r.values.alertmanager.config.route.receiver).toBeTruthy();
  });

  it("turns every rule file into a PrometheusRule with the release label and substituted links", () => {
    const rules = run.all("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const r of rules) {
      const i = run.inputsOf(r);
      expect(i.metadata.labels.release).toBe("kube-prometheus-stack");
      expect(JSON.stringify(i.spec)).not.toContain("${");
    }
    const all = JSON.stringify(rules.map((r) => r.inputs));
    expect(all).toContain("https://grafana.platform.seeded.dev/d/"); // example.com, made deployable (test/mocks.ts)
    expect(all).toContain("vector(0.999)");
  });

  it("provisions every dashboard as a labelled ConfigMap in its folder", () => {
    const cms = run
      .all("kubernetes:core/v1:ConfigMap")
      .filter((c) => c.name.startsWith("monitoring-dashboard-"));
    expect(cms).toHaveLength(7);
    for (const c of cms) {
      const i = run.inputsOf(c);
      expect(i.metadata.labels.grafana_dashboard).toBe("1");
      expect(["agents", "platform", "cost"]).toContain(i.metadata.annotations.grafana_folder);
    }
  });

  it("creates the SecretProviderClass that mirrors only the Grafana admin into a Secret", () => {
    const spc = run.inputsOf(
      run.one(
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
        "monitoring-secret-provider-class",
      ),
    );
    expect(spc.spec.provider).toBe("azure");
    expect(spc.spec.secretObjects).toHaveLength(1);
    expect(spc.spec.secretObjects[0].secretName).toBe(GRAFANA_ADMIN_SECRET);
    expect(spc.spec.parameters.objects).toContain("grafana-entra-client-secret");
  });

  it("probes the public endpoint through a pinned blackbox exporter", () => {
    const releases = run.all("kubernetes:helm.sh/v3:Release").map((r) => run.inputsOf(r));
    const blackbox = releases.find((r) => r.chart === "prometheus-blackbox-exporter");
    expect(blackbox).toMatchObject({ version: BLACKBOX_CHART.version, namespace: "monitoring" });
    expect(blackbox!.values.config.modules.https_2xx.http.fail_if_not_ssl).toBe(true);
    const probe = run.inputsOf(run.one("kubernetes:monitoring.coreos.com/v1:Probe"));
    expect(probe.metadata.labels.release).toBe("kube-prometheus-stack");
    expect(probe.spec).toMatchObject({
      jobName: "blackbox",
      module: "https_2xx",
      prober: { url: "blackbox-exporter.monitoring.svc:9115" },
      targets: {
        staticConfig: {
          static: ["https://agents.platform.seeded.dev/health"],
          labels: { service: "agent-api" },
        },
      },
    });
  });

  it("creates no Kubernetes Secret with a literal value", () => {
    expect(run.all("kubernetes:core/v1:Secret")).toEqual([]);
  });
});
