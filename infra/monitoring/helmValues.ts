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

/**
 * kube-prometheus-stack `defaultRules.rules` groups that hold alerts (chart templates/prometheus/
 * rules-1.14/*.yaml); the rest of the chart's groups are recording rules only and stay on.
 */
export const CHART_ALERT_RULE_GROUPS = [
  "alertmanager",
  "configReloaders",
  "etcd",
  "general",
  "kubeApiserverSlos",
  "kubeControllerManager",
  "kubeProxy",
  "kubeSchedulerAlerting",
  "kubeStateMetrics",
  "kubernetesApps",
  "kubernetesResources",
  "kubernetesStorage",
  "kubernetesSystem",
  "network",
  "nodeExporterAlerting",
  "prometheus",
  "prometheusOperator",
] as const;

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
    // The chart's recording rules stay on: its Grafana dashboards are built on them (node, pod and
    // workload rollups, kube-apiserver SLO series) and come from the same kube-prometheus release, so they
    // move together on a chart upgrade. Its alert groups are off: rules/*.yaml is the single source of
    // alerts (the self-monitoring ones re-made there with our labels, runbooks and dashboard links), so
    // nothing pages twice. Only groups turned off are listed: every group defaults to true in the chart's
    // values.yaml (defaultRules.rules), so recording groups a later chart adds stay on as well.
    defaultRules: {
      create: true,
      rules: Object.fromEntries(CHART_ALERT_RULE_GROUPS.map((group) => [group, false])),
    },
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
