/**
 * Pure: the kube-prometheus-stack release (pinned chart) and its values, computed from stack config.
 */
import {
  AZURE_PROMETHEUS_PLUGIN,
  remoteWriteSpec,
  WORKSPACE_GRAFANA_INI,
  workspaceDataSource,
} from "./remoteWritePlan";
import type { MonitoringConfig } from "./config";
import { VAULT_SECRETS } from "../azure/secrets";
import { CHART_VERSIONS as chartVersions } from "./chartVersions";

/**
 * The chart, pinned from infra/monitoring/chartVersions.ts (the one place its version and the versions it
 * deploys are written; test/tools.test.ts ties promtool/amtool/prometheus/alertmanager to it).
 *
 * CRDs: Helm 3 installs the CRDs of a chart's crds/ directory (here: the chart's `crds` subchart) on the
 * first install only and never upgrades them (https://helm.sh/docs/chart_best_practices/custom_resource_definitions/).
 * We do not use the chart's `crds.upgradeJob` (marked preview and "may change" in values.yaml, and it runs
 * an unpinned `busybox:latest` image by default). When CHART.version moves, apply the CRDs of the new
 * operator version server-side BEFORE `pulumi up` (the chart's UPGRADE.md prescribes the same):
 *   scripts/upgrade-crds.sh <CHART.operatorVersion>
 * test/monitoring.test.ts fails when CHART.version changes without the vetted operator version.
 */
export const CHART = {
  name: chartVersions.kubePrometheusStack.chart,
  version: chartVersions.kubePrometheusStack.version,
  operatorVersion: chartVersions.kubePrometheusStack.operatorVersion,
  repo: chartVersions.kubePrometheusStack.repo,
} as const;

/** `v3.15.0-distroless` → `3.15.0`: the version the binary reports, from an image tag. */
export function versionOfImageTag(tag: string): string {
  const m = /^v?(\d+\.\d+\.\d+)(?:-[a-z]+)?$/.exec(tag);
  if (!m) throw new Error(`cannot read a version from image tag "${tag}" (expected e.g. v3.15.0-distroless)`);
  return m[1]!;
}

/** The Prometheus and Alertmanager versions the pinned chart deploys (its values.yaml image tags). */
export const DEPLOYED = {
  prometheus: versionOfImageTag(chartVersions.kubePrometheusStack.prometheusImageTag),
  alertmanager: versionOfImageTag(chartVersions.kubePrometheusStack.alertmanagerImageTag),
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

/** Ingress class of the AKS application routing add-on (managed NGINX). */
export const APP_ROUTING_INGRESS_CLASS = "webapprouting.kubernetes.azure.com";
/** Secret cert-manager writes Grafana's certificate into (ingress-shim: spec.tls[].secretName). */
export const GRAFANA_TLS_SECRET = "grafana-tls";
/** Where the Key Vault CSI volume is mounted in Grafana; the Entra client secret is a file there. */
export const GRAFANA_SECRET_DIR = "/mnt/keyvault";

export interface HelmValuesInput {
  monitoring: MonitoringConfig;
  zoneRedundant: boolean;
  /** The Alertmanager configuration (infra/monitoring/alertmanager.ts). */
  alertmanagerConfig: Record<string, unknown>;
  /** Client id of the monitoring workload identity. */
  workloadIdentityClientId: string;
  cluster: string;
  environment: string;
  /** Entra tenant Grafana's sign-in is restricted to. */
  tenantId: string;
  /** cert-manager ClusterIssuer that issues Grafana's certificate. */
  clusterIssuer: string;
  /** Remote write to the Azure Monitor workspace (`monitoring.remoteWrite`), as Prometheus' own identity. */
  remoteWrite?: { url: string; clientId: string; queryEndpoint?: string };
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

/** The host people reach Grafana at: taken from `monitoring.grafana.url`, so URL and ingress cannot disagree. */
export function grafanaHost(url: string): string {
  return new URL(url).hostname;
}

/**
 * Grafana roles from Entra group membership, as Grafana's `org_mapping` for Entra ID
 * (`<group object id>:<org id>:<role>`; org 1 is Grafana's default organization). The Entra ID connector
 * maps roles from app roles and from `org_mapping` (group ids from the token's `groups` claim) and gives
 * the highest role that matches; with `role_attribute_strict` a user matching none is refused, not made a
 * Viewer (https://grafana.com/docs/grafana/latest/setup-grafana/configure-access/configure-authentication/entraid/,
 * "Map roles").
 */
export function grafanaOrgMapping(entra: MonitoringConfig["grafana"]["entra"]): string[] {
  return [
    ...entra.adminGroupObjectIds.map((id) => `${id}:1:Admin`),
    ...entra.editorGroupObjectIds.map((id) => `${id}:1:Editor`),
    ...entra.viewerGroupObjectIds.map((id) => `${id}:1:Viewer`),
  ];
}

/**
 * grafana.ini: people sign in through Entra ID only. Settings and their meaning:
 * https://grafana.com/docs/grafana/latest/setup-grafana/configure-access/configure-authentication/entraid/
 * and https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/ (`$__file{}` expansion).
 */
export function grafanaIni(m: MonitoringConfig, tenantId: string) {
  const entra = m.grafana.entra;
  const groups = [...entra.adminGroupObjectIds, ...entra.editorGroupObjectIds, ...entra.viewerGroupObjectIds];
  return {
    server: { root_url: m.grafana.url, domain: grafanaHost(m.grafana.url) },
    // No login form: nobody signs in with the admin password. The admin user stays for provisioning only
    // (the dashboard sidecar calls the reload API with it, over basic auth, which stays enabled).
    auth: { disable_login_form: true },
    "auth.basic": { enabled: true },
    "auth.anonymous": { enabled: false },
    users: { allow_sign_up: false },
    "auth.azuread": {
      enabled: true,
      name: "Microsoft Entra ID",
      // Users are created on first sign-in; who may sign in at all is `allowed_groups`.
      allow_sign_up: true,
      auto_login: true,
      client_id: entra.clientId,
      // Read from the Key Vault CSI mount at start-up: the secret never appears in values or ConfigMaps.
      client_secret: `$__file{${GRAFANA_SECRET_DIR}/${VAULT_SECRETS.grafanaEntraClientSecret}}`,
      scopes: "openid email profile",
      auth_url: `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/authorize`,
      token_url: `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`,
      // Only our tenant, and only members of the configured groups.
      allowed_organizations: tenantId,
      allowed_groups: groups.join(" "),
      // A JSON array, as in Grafana's docs; the token must carry the `groups` claim (README: setup).
      org_mapping: JSON.stringify(grafanaOrgMapping(entra)),
      role_attribute_strict: true,
      allow_assign_grafana_admin: false,
      skip_org_role_sync: false,
      use_pkce: true,
    },
  };
}

/** Grafana behind the AKS app-routing ingress, its certificate from cert-manager's ClusterIssuer. */
export function grafanaIngress(url: string, clusterIssuer: string) {
  const host = grafanaHost(url);
  return {
    enabled: true,
    ingressClassName: APP_ROUTING_INGRESS_CLASS,
    // cert-manager's ingress-shim turns this annotation plus spec.tls into a Certificate
    // (https://cert-manager.io/docs/usage/ingress/).
    annotations: { "cert-manager.io/cluster-issuer": clusterIssuer },
    hosts: [host],
    path: "/",
    pathType: "Prefix",
    tls: [{ secretName: GRAFANA_TLS_SECRET, hosts: [host] }],
  };
}

/**
 * The chart's PodDisruptionBudget value for a component with `replicas` pods: a node drain (AKS upgrade,
 * node-image update, autoscaler scale-down) may take one pod at a time, never all of them. Keys as
 * kube-prometheus-stack's values.yaml has them under `prometheus.podDisruptionBudget` and
 * `alertmanager.podDisruptionBudget` (enabled, minAvailable, maxUnavailable, unhealthyPodEvictionPolicy;
 * read at prometheus-community/helm-charts commit 001f3a6d, the copy readable here, not the 91.8.2 tag:
 * re-check with `helm show values … --version 91.8.2`). Only `minAvailable` is set: the chart's default
 * already sets it to 1, and a PDB with both fields is rejected by the API server. With one replica the
 * budget stays off: `minAvailable: 1` on a single pod blocks every drain forever (Kubernetes docs,
 * "Specifying a Disruption Budget": maxUnavailable 0 / minAvailable = replicas). AlwaysAllow lets a drain
 * evict a pod that is running but not ready (a crash-looping replica must not block an upgrade; "Unhealthy
 * Pod Eviction Policy", stable since Kubernetes 1.31).
 */
export function podDisruptionBudget(replicas: number) {
  return replicas > 1
    ? { enabled: true, minAvailable: replicas - 1, unhealthyPodEvictionPolicy: "AlwaysAllow" }
    : { enabled: false };
}

export function helmValues(i: HelmValuesInput): Record<string, unknown> {
  return {
    fullnameOverride: RELEASE,
    // Installed on first install only; upgrades go through scripts/upgrade-crds.sh (see CHART).
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
    prometheus: prometheusValues(i),
    alertmanager: alertmanagerValues(i),
    grafana: grafanaValues(i),
    kubeStateMetrics: { enabled: true },
    nodeExporter: { enabled: true },
    "kube-state-metrics": {
      // Adds these Kubernetes labels to kube_deployment_labels / kube_pod_labels (kube-state-metrics
      // --metric-labels-allowlist): the blue-green gate and dashboards join on `color`.
      metricLabelsAllowlist: [
        "deployments=[app.kubernetes.io/name,color]",
        "pods=[app.kubernetes.io/name,color]",
      ],
    },
  };
}

/** The Prometheus resource the operator runs: replicas, retention, storage, selectors, zone spread. */
function prometheusValues(i: HelmValuesInput): Record<string, unknown> {
  const m = i.monitoring;
  return {
    podDisruptionBudget: podDisruptionBudget(m.prometheus.replicas),
    // Grafana reads one replica, not a different one per request. The two replicas scrape independently,
    // so their samples differ in timestamps and gaps (a restart, a failed scrape): round-robin between
    // them makes panels flicker and `rate()` jump between refreshes. Chosen: sticky sessions on the
    // Service Grafana's default datasource points at (`<release>-prometheus:9090`, the chart's
    // grafana datasource template): `sessionAffinity: ClientIP` (chart values.yaml `prometheus.service`,
    // same commit as above), kept 3 h. Grafana is one pod, so all its queries go to one replica until
    // that replica's endpoint disappears, and then to the other: failover stays. Not chosen: a Thanos
    // Querier with `--query.replica-label` deduplicating both (a real merged view, but another
    // component and the sidecars to run); pointing at one replica's Service (no failover). Cilium's
    // kube-proxy replacement implements ClientIP affinity (docs.cilium.io, "Kubernetes Without
    // kube-proxy", Session Affinity).
    service: {
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    },
    // Remote write authenticates as Prometheus' own workload identity (only "Monitoring Metrics
    // Publisher" on the ingestion rule): the chart's service account (values.yaml prometheus.serviceAccount)
    // names it, the pod label lets the workload identity webhook project its token.
    ...(i.remoteWrite
      ? { serviceAccount: { annotations: { "azure.workload.identity/client-id": i.remoteWrite.clientId } } }
      : {}),
    prometheusSpec: {
      ...(i.remoteWrite
        ? {
            podMetadata: { labels: workloadIdentityLabel },
            remoteWrite: remoteWriteSpec({ ...i.remoteWrite, tenantId: i.tenantId }),
          }
        : {}),
      replicas: m.prometheus.replicas,
      retention: m.prometheus.retention,
      // At most 85 % of the volume (enforced in infra/config.ts): compaction and the WAL need room.
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
      // With a nil selector the chart selects objects labelled `release: <release>` (values.yaml,
      // "*SelectorNilUsesHelmValues"): our rules, monitors and probes carry SELECTOR_LABELS. An empty
      // namespace selector means every namespace (the exporters and probes live outside `monitoring`).
      ruleSelectorNilUsesHelmValues: true,
      serviceMonitorSelectorNilUsesHelmValues: true,
      podMonitorSelectorNilUsesHelmValues: true,
      probeSelectorNilUsesHelmValues: true,
      probeNamespaceSelector: {},
      ruleNamespaceSelector: {},
      serviceMonitorNamespaceSelector: {},
      topologySpreadConstraints: spread({ "app.kubernetes.io/name": "prometheus" }, i.zoneRedundant),
    },
  };
}

/** Alertmanager: our generated config, receiver secrets from Key Vault, storage, zone spread. */
function alertmanagerValues(i: HelmValuesInput): Record<string, unknown> {
  const m = i.monitoring;
  return {
    config: i.alertmanagerConfig,
    serviceAccount: { create: false, name: MONITORING_SERVICE_ACCOUNT },
    podDisruptionBudget: podDisruptionBudget(m.alertmanager.replicas),
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
  };
}

/** grafana.ini, and with remote write to a workspace we know the endpoint of, its data source and plugin. */
function workspaceInGrafana(m: MonitoringConfig, i: HelmValuesInput): Record<string, unknown> {
  const ini = grafanaIni(m, i.tenantId);
  const endpoint = i.remoteWrite?.queryEndpoint;
  if (!endpoint) return { "grafana.ini": ini };
  return {
    "grafana.ini": {
      ...ini,
      auth: { ...ini.auth, ...WORKSPACE_GRAFANA_INI.auth },
      azure: WORKSPACE_GRAFANA_INI.azure,
    },
    plugins: [`${AZURE_PROMETHEUS_PLUGIN.id} ${AZURE_PROMETHEUS_PLUGIN.version}`],
    // kube-prometheus-stack's own key (templates/grafana/configmaps-datasources.yaml): provisioned beside
    // the in-cluster Prometheus data source, through the datasource sidecar's ConfigMap.
    additionalDataSources: [workspaceDataSource(endpoint)],
  };
}

/** Grafana: one replica on a volume, Entra sign-in, the ingress, the dashboard sidecar. */
function grafanaValues(i: HelmValuesInput): Record<string, unknown> {
  const m = i.monitoring;
  return {
    // One replica on a persistent volume: dashboards and datasources are provisioned from code, so
    // the volume only holds user preferences; several replicas would need an external database.
    replicas: 1,
    // The volume is ReadWriteOnce: a rolling update would start the new pod while the old one still
    // holds the disk, and it would hang in ContainerCreating (Multi-Attach error) when scheduled on
    // another node. Recreate stops the old pod first (grafana chart values.yaml `deploymentStrategy`,
    // https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#recreate-deployment).
    deploymentStrategy: { type: "Recreate" },
    admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" },
    serviceAccount: { create: false, name: MONITORING_SERVICE_ACCOUNT },
    podLabels: workloadIdentityLabel,
    // Mounting the CSI volume is what makes the driver mirror Key Vault into the grafana-admin Secret;
    // the Entra client secret is read from the same mount.
    extraSecretMounts: [
      { name: "keyvault", mountPath: GRAFANA_SECRET_DIR, readOnly: true, csi: csiVolume.csi },
    ],
    persistence: {
      enabled: true,
      type: "pvc",
      size: m.grafana.storageSize,
      storageClassName: m.prometheus.storageClass,
      accessModes: ["ReadWriteOnce"],
    },
    // The Service stays in-cluster; people come in through the app-routing ingress with TLS.
    service: { type: "ClusterIP" },
    ingress: grafanaIngress(m.grafana.url, i.clusterIssuer),
    ...workspaceInGrafana(m, i),
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
  };
}
