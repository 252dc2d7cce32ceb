/**
 * Pure decisions for Prometheus remote write to an Azure Monitor workspace (managed Prometheus): names, the
 * ingestion rule's shape, the remote-write URL and the Prometheus CR's remoteWrite entry.
 *
 * The documented path (learn.microsoft.com/azure/azure-monitor/metrics/prometheus-remote-write, "Workload
 * identity" and "Prometheus Operator"): a data collection rule routes the `Microsoft-PrometheusMetrics`
 * stream into the workspace, Prometheus posts to that rule's ingestion URL as an Entra identity holding
 * "Monitoring Metrics Publisher" on the rule, configured by `azureAd.workloadIdentity` in the Prometheus CR
 * (prometheus-operator promcfg.go emits it for Prometheus >= 3.7; we run 3.15) and the workload identity pod
 * label. Each stack makes its own endpoint and rule (the same page's "Data dropped in high volume
 * environments" endorses custom ones) rather than the workspace's default pair: the publisher role is then
 * scoped to one cluster's rule, a cluster removed never touches another's ingestion, and the per-rule
 * ingestion limits are not shared. The shape is the rule AKS creates for managed Prometheus
 * (Azure/prometheus-collector FullAzureMonitorMetricsProfile: prometheusForwarder, monitoringAccounts, a Linux
 * endpoint), in the workspace's region.
 */
import { azureName } from "../naming";

/** Built-in role "Monitoring Metrics Publisher" (learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
export const MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb";

/** The ingestion API version of the metrics ingestion endpoint (the remote-write docs' URL). */
export const INGESTION_API_VERSION = "2023-04-24";

/** The stream Prometheus metrics arrive on. */
export const PROMETHEUS_STREAM = "Microsoft-PrometheusMetrics";

/** The chart's Prometheus service account (`<fullname>-prometheus`, serviceAccount.create default true). */
export const PROMETHEUS_SERVICE_ACCOUNT = "kube-prometheus-stack-prometheus";

export function remoteWriteNames(stack: string) {
  return {
    workspace: azureName("amw", stack),
    endpoint: azureName("dce", stack, "prom"),
    rule: azureName("dcr", stack, "prom"),
  };
}

/** The rule: Prometheus metrics from remote write into the workspace (its id a string or an Output). */
export function ingestionRule<Id>(workspaceId: Id) {
  const destination = "workspace";
  return {
    dataSources: {
      prometheusForwarder: [
        { name: "PrometheusDataSource", streams: [PROMETHEUS_STREAM], labelIncludeFilter: {} },
      ],
    },
    destinations: { monitoringAccounts: [{ accountResourceId: workspaceId, name: destination }] },
    dataFlows: [{ streams: [PROMETHEUS_STREAM], destinations: [destination] }],
  };
}

/** `<metrics ingestion endpoint>/dataCollectionRules/<immutable id>/streams/…/api/v1/write?api-version=…`. */
export function remoteWriteUrl(metricsIngestionEndpoint: string, ruleImmutableId: string): string {
  const base = metricsIngestionEndpoint.replace(/\/+$/, "");
  return `${base}/dataCollectionRules/${ruleImmutableId}/streams/${PROMETHEUS_STREAM}/api/v1/write?api-version=${INGESTION_API_VERSION}`;
}

/**
 * The Prometheus CR's remoteWrite entry, queue settings at Prometheus' defaults. Remote write reads the
 * WAL, which keeps about 2 hours of samples for an endpoint that is down (prometheus.io "Remote write
 * tuning"); PrometheusRemoteWriteBehind warns long before.
 */
export function remoteWriteSpec(i: { url: string; clientId: string; tenantId: string }) {
  return [
    {
      url: i.url,
      azureAd: { cloud: "AzurePublic", workloadIdentity: { clientId: i.clientId, tenantId: i.tenantId } },
    },
  ];
}

/**
 * Built-in role "Monitoring Data Reader": queries an Azure Monitor workspace's Prometheus endpoint (what
 * Microsoft's prometheus-grafana page and the Azure Prometheus plugin's docs say the data source needs).
 */
export const MONITORING_DATA_READER = "b0d8363b-8ddd-447d-831f-62ca05bff136";

/**
 * Grafana's data source for the workspace, so the 18 months of metrics (and other clusters' series) are one
 * click away and stay reachable when this cluster is gone. Grafana 13 queries Azure Monitor workspaces
 * through the "Azure Monitor Managed Service for Prometheus" plugin (grafana/azure-prometheus-datasource
 * docs/sources/configure.md: type grafana-azureprometheus-datasource, httpMethod POST,
 * azureCredentials.authType workloadidentity; Azure auth on the core prometheus type is migrated to it in
 * Grafana 13). Not bundled: installed at start-up (the grafana chart's `plugins`, GF_INSTALL_PLUGINS; the
 * pod reaches grafana.com), pinned. The token is the Grafana pod's own workload identity (the monitoring
 * identity), which gets Monitoring Data Reader on the workspace.
 */
export const AZURE_PROMETHEUS_PLUGIN = { id: "grafana-azureprometheus-datasource", version: "1.0.2" };
export const WORKSPACE_DATASOURCE_UID = "azure-monitor-workspace";

export function workspaceDataSource(queryEndpoint: string) {
  return {
    name: "Azure Monitor workspace (long-term, all clusters)",
    uid: WORKSPACE_DATASOURCE_UID,
    type: AZURE_PROMETHEUS_PLUGIN.id,
    access: "proxy",
    url: queryEndpoint,
    editable: false,
    jsonData: { httpMethod: "POST", azureCredentials: { authType: "workloadidentity" } },
  };
}

/**
 * grafana.ini for that data source: the plugin attaches Azure tokens only with `[auth] azure_auth_enabled`,
 * and workload identity needs `[azure] workload_identity_enabled` (the plugin's configure.md).
 */
export const WORKSPACE_GRAFANA_INI = {
  auth: { azure_auth_enabled: true },
  azure: { workload_identity_enabled: true },
};
