/**
 * kube-prometheus-stack: pure values tests, then the component inside the prod stack under mocks.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../infra/config";
import {
  ALERTMANAGER_SECRET_DIR,
  CHART,
  GRAFANA_ADMIN_SECRET,
  helmValues,
  SELECTOR_LABELS,
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
}) as any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Chart versions we have vetted, with the operator (CRD) version each ships. */
const VETTED = { "67.8.0": "v0.79.2" } as Record<string, string>;

describe("kube-prometheus-stack values (pure)", () => {
  it("pins the chart version and repository; a version bump must update the CRD version too", () => {
    expect(CHART.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(CHART.repo).toBe("https://prometheus-community.github.io/helm-charts");
    expect(
      VETTED[CHART.version],
      `chart ${CHART.version}: apply its CRDs (scripts/upgrade-crds.sh) and record the operator version here`,
    ).toBe(CHART.operatorVersion);
  });

  it("does not scrape or alert on what AKS manages (scheduler, controller-manager, etcd) nor kube-proxy", () => {
    for (const k of ["kubeEtcd", "kubeScheduler", "kubeControllerManager", "kubeProxy"])
      expect(values[k].enabled, k).toBe(false);
  });

  it("sizes Prometheus from config: replicas, retention time and size, PVC, resources, intervals", () => {
    const p = values.prometheus.prometheusSpec;
    expect(p).toMatchObject({
      replicas: 2,
      retention: "15d",
      retentionSize: "90GB",
      scrapeInterval: "30s",
      evaluationInterval: "30s",
    });
    expect(p.storageSpec.volumeClaimTemplate.spec).toMatchObject({
      storageClassName: "managed-csi-premium",
      resources: { requests: { storage: "100Gi" } },
    });
    expect(p.resources.limits.memory).toBe("8Gi");
    expect(p.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
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

  it("takes Grafana's admin credentials from the Key Vault-synced secret and keeps Grafana private", () => {
    const g = values.grafana;
    expect(g.admin).toEqual({
      existingSecret: GRAFANA_ADMIN_SECRET,
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
    expect(g.adminPassword).toBeUndefined();
    expect(g.service.type).toBe("ClusterIP");
    expect(g.ingress.enabled).toBe(false);
    expect(g.persistence).toMatchObject({ enabled: true, size: "10Gi" });
    expect(g.sidecar.dashboards).toMatchObject({
      enabled: true,
      label: "grafana_dashboard",
      folderAnnotation: "grafana_folder",
    });
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
  });

  it("probes the public endpoint through a pinned blackbox exporter", () => {
    const releases = run.all("kubernetes:helm.sh/v3:Release").map((r) => run.inputsOf(r));
    const blackbox = releases.find((r) => r.chart === "prometheus-blackbox-exporter");
    expect(blackbox).toMatchObject({ version: "9.0.1", namespace: "monitoring" });
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
