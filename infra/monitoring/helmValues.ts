/**
 * Pure: the kube-prometheus-stack release (pinned chart) and its values, computed from stack config.
 */
import type { StackConfig } from "../config";

/**
 * The chart, pinned. Chart 67.8.0 ships prometheus-operator v0.79.2.
 *
 * CRD upgrades: Helm installs the CRDs on first install but never upgrades them. When this version
 * moves, apply the CRDs of the new operator version first (server-side, they exceed the client-side
 * annotation limit) and only then run `pulumi up`:
 *   scripts/upgrade-crds.sh <operator-version>
 * test/monitoring.test.ts fails if CHART.version changes without CHART.operatorVersion being updated.
 */
export const CHART = {
  name: "kube-prometheus-stack",
  version: "67.8.0",
  operatorVersion: "v0.79.2",
  repo: "https://prometheus-community.github.io/helm-charts",
} as const;

/** Release name; the chart labels its selectors `release: <name>`, and so do our rules and monitors. */
export const RELEASE = "kube-prometheus-stack";
export const SELECTOR_LABELS = { release: RELEASE } as const;

/** Where the Key Vault CSI volume is mounted in Alertmanager (receiver secrets are files there). */
export const ALERTMANAGER_SECRET_DIR = "/etc/alertmanager/keyvault";
/** The service account federated to the monitoring workload identity (Grafana and Alertmanager). */
export const MONITORING_SERVICE_ACCOUNT = "monitoring-secrets";
/** SecretProviderClass (Key Vault → files + the mirrored `grafana-admin` Secret). */
export const MONITORING_SECRET_PROVIDER_CLASS = "monitoring-keyvault";
export const GRAFANA_ADMIN_SECRET = "grafana-admin";

export interface HelmValuesInput {
  monitoring: StackConfig["monitoring"];
  zoneRedundant: boolean;
  /** The Alertmanager configuration (infra/monitoring/alertmanager.ts). */
  alertmanagerConfig: Record<string, unknown>;
  /** Client id of the monitoring workload identity. */
  workloadIdentityClientId: string;
  cluster: string;
  environment: string;
}

const csiVolume = {
  name: "keyvault",
  csi: {
    driver: "secrets-store.csi.k8s.io",
    readOnly: true,
    volumeAttributes: { secretProviderClass: MONITORING_SECRET_PROVIDER_CLASS },
  },
};
const workloadIdentityLabel = { "azure.workload.identity/use": "true" };

/** Spread replicas across zones (and nodes): one zone outage must not take all replicas. */
function spread(selector: Record<string, string>, zoneRedundant: boolean) {
  return [
    ...(zoneRedundant
      ? [
          {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: { matchLabels: selector },
          },
        ]
      : []),
    {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: selector },
    },
  ];
}

export function helmValues(i: HelmValuesInput): Record<string, unknown> {
  const m = i.monitoring;
  return {
    fullnameOverride: RELEASE,
    crds: { enabled: true },
    // AKS runs the scheduler, controller-manager and etcd for us; they are not reachable from the
    // cluster, so scraping them only produces "target down" noise and the default alerts fire falsely.
    // kube-proxy is replaced by Cilium (CNI dataplane). Our own rules live in rules/*.yaml.
    kubeEtcd: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeControllerManager: { enabled: false },
    kubeProxy: { enabled: false },
    // The chart's default rules would duplicate ours (crash loops, CPU, disk, Watchdog) and page twice
    // without our runbook and dashboard links; rules/*.yaml is the single source of alerts.
    defaultRules: { create: false },
    prometheus: {
      prometheusSpec: {
        replicas: m.prometheus.replicas,
        retention: m.prometheus.retention,
        retentionSize: m.prometheus.retentionSize,
        scrapeInterval: m.prometheus.scrapeInterval,
        evaluationInterval: m.prometheus.evaluationInterval,
        externalLabels: { cluster: i.cluster, environment: i.environment },
        resources: {
          requests: { cpu: m.prometheus.cpuRequest, memory: m.prometheus.memoryRequest },
          limits: { memory: m.prometheus.memoryLimit },
        },
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              storageClassName: m.prometheus.storageClass,
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: m.prometheus.storageSize } },
            },
          },
        },
        // Select only objects labelled for this release: ours carry SELECTOR_LABELS.
        ruleSelectorNilUsesHelmValues: true,
        serviceMonitorSelectorNilUsesHelmValues: true,
        podMonitorSelectorNilUsesHelmValues: true,
        probeSelectorNilUsesHelmValues: true,
        probeNamespaceSelector: {},
        ruleNamespaceSelector: {},
        serviceMonitorNamespaceSelector: {},
        topologySpreadConstraints: spread({ "app.kubernetes.io/name": "prometheus" }, i.zoneRedundant),
      },
    },
    alertmanager: {
      config: i.alertmanagerConfig,
      serviceAccount: { create: false, name: MONITORING_SERVICE_ACCOUNT },
      alertmanagerSpec: {
        replicas: m.alertmanager.replicas,
        podMetadata: { labels: workloadIdentityLabel },
        // Receiver secrets (PagerDuty key, Slack URL, heartbeat URL) as files from Key Vault.
        volumes: [csiVolume],
        volumeMounts: [{ name: "keyvault", mountPath: ALERTMANAGER_SECRET_DIR, readOnly: true }],
        storage: {
          volumeClaimTemplate: {
            spec: {
              storageClassName: m.prometheus.storageClass,
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: m.alertmanager.storageSize } },
            },
          },
        },
        topologySpreadConstraints: spread({ "app.kubernetes.io/name": "alertmanager" }, i.zoneRedundant),
      },
    },
    grafana: {
      // One replica on a persistent volume: dashboards and datasources are provisioned from code, so
      // the volume only holds user preferences; several replicas would need an external database.
      replicas: 1,
      admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
      serviceAccount: { create: false, name: MONITORING_SERVICE_ACCOUNT },
      podLabels: workloadIdentityLabel,
      // Mounting the CSI volume is what makes the driver mirror Key Vault into the grafana-admin Secret.
      extraSecretMounts: [
        { name: "keyvault", mountPath: "/mnt/keyvault", readOnly: true, csi: csiVolume.csi },
      ],
      persistence: {
        enabled: true,
        type: "pvc",
        size: m.grafana.storageSize,
        storageClassName: m.prometheus.storageClass,
      },
      // Not exposed publicly: ClusterIP only; reach it through the private ingress or port-forward.
      service: { type: "ClusterIP" },
      ingress: { enabled: false },
      "grafana.ini": {
        server: { root_url: m.grafana.url },
        auth: { disable_login_form: false },
        "auth.anonymous": { enabled: false },
        users: { allow_sign_up: false },
      },
      sidecar: {
        dashboards: {
          enabled: true,
          label: "grafana_dashboard",
          labelValue: "1",
          searchNamespace: "ALL",
          folderAnnotation: "grafana_folder",
          provider: { foldersFromFilesStructure: true, allowUiUpdates: false },
        },
      },
    },
    kubeStateMetrics: { enabled: true },
    nodeExporter: { enabled: true },
    "kube-state-metrics": {
      // Deployment/HPA/PVC series used by our rules, the blue-green gate and dashboards.
      metricLabelsAllowlist: [
        "deployments=[app.kubernetes.io/name,color]",
        "pods=[app.kubernetes.io/name,color]",
      ],
    },
  };
}
