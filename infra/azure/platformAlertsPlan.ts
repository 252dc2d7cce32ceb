/**
 * Pure decisions for Azure Monitor's own alerts on the managed services (infra/azure/platformAlerts.ts):
 * which platform metrics alert, at which thresholds, and where they route. The exporters see only what
 * they can reach from inside the cluster; these come from Azure's platform metrics and keep working when
 * the cluster (or its Prometheus) is gone.
 *
 * Thresholds, windows, aggregations and severities are Azure Monitor Baseline Alerts (AMBA,
 * github.com/Azure/azure-monitor-baseline-alerts), from the file and commit named on each group below;
 * where we deviate the entry says why. Metric names and dimensions checked against Microsoft's supported-
 * metrics reference (learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/<namespace>).
 * docs/azure-alerts.md is the table of these alerts with their runbooks (test/platformAlerts.test.ts keeps
 * the two in step).
 */
import type { Severity } from "./alertNotifierPlan";

/** The resources the alerts watch, by role. */
export type AlertTarget = "aks" | "postgres" | "redis" | "vault" | "registry";

export interface MetricAlertPlan {
  /** The rule's name in Azure and in the notification (PascalCase, as our Prometheus alerts). */
  name: string;
  target: AlertTarget;
  metricNamespace: string;
  metricName: string;
  dimensions?: { name: string; operator: "Include" | "Exclude"; values: string[] }[];
  operator: "GreaterThan" | "LessThan";
  threshold: number;
  timeAggregation: "Average" | "Maximum" | "Total";
  windowSize: string;
  evaluationFrequency: string;
  /** Azure severity 0 (critical) … 4 (verbose), from AMBA. */
  azureSeverity: 0 | 1 | 2 | 3 | 4;
  /** docs/runbooks/<runbook>.md */
  runbook: string;
  /** Grafana dashboard uid (dashboards/**). */
  dashboard: string;
  description: string;
}

const AKS_NS = "Microsoft.ContainerService/managedClusters";
const PG_NS = "Microsoft.DBforPostgreSQL/flexibleServers";
const REDIS_NS = "Microsoft.Cache/redisEnterprise";
const KV_NS = "Microsoft.KeyVault/vaults";
const ACR_NS = "Microsoft.ContainerRegistry/registries";

/**
 * AKS: services/ContainerService/managedClusters/alerts.yaml at 6843ddae67e19675e3d88d7622c62954e7870dd1
 * (the version with guids, which the generated templates follow). The issue's five: node not ready, CPU,
 * memory working set, disk, pods failed. Platform metrics of the cluster resource (AKS' own
 * metrics-server/kube-state data, "AKS platform metrics"), no add-on needed.
 */
const AKS_ALERTS: MetricAlertPlan[] = [
  {
    name: "AksNodeNotReady",
    target: "aks",
    metricNamespace: AKS_NS,
    metricName: "kube_node_status_condition",
    dimensions: [{ name: "status2", operator: "Include", values: ["NotReady", "Unknown"] }],
    operator: "GreaterThan",
    threshold: 0,
    timeAggregation: "Total",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 3,
    runbook: "KubeNodeNotReady",
    dashboard: "infrastructure",
    description: "A node of the cluster reports NotReady or Unknown (AKS platform metric).",
  },
  {
    name: "AksNodeCpuHigh",
    target: "aks",
    metricNamespace: AKS_NS,
    metricName: "node_cpu_usage_percentage",
    operator: "GreaterThan",
    threshold: 95,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT5M",
    azureSeverity: 3,
    runbook: "NodeCPUHigh",
    dashboard: "infrastructure",
    description: "Node CPU above 95 % on average over 5 minutes (AKS platform metric).",
  },
  {
    name: "AksNodeMemoryWorkingSetHigh",
    target: "aks",
    metricNamespace: AKS_NS,
    metricName: "node_memory_working_set_percentage",
    operator: "GreaterThan",
    threshold: 100,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT5M",
    azureSeverity: 3,
    runbook: "NodeMemoryHigh",
    dashboard: "infrastructure",
    description: "Node memory working set above 100 % of allocatable over 5 minutes: pods are being evicted.",
  },
  {
    name: "AksNodeDiskUsageHigh",
    target: "aks",
    metricNamespace: AKS_NS,
    metricName: "node_disk_usage_percentage",
    operator: "GreaterThan",
    threshold: 80,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 2,
    runbook: "NodeFilesystemAlmostFull",
    dashboard: "infrastructure",
    description: "A node's disk is more than 80 % used (AKS platform metric).",
  },
  {
    name: "AksPodsFailed",
    target: "aks",
    metricNamespace: AKS_NS,
    metricName: "kube_pod_status_phase",
    dimensions: [{ name: "phase", operator: "Include", values: ["Failed"] }],
    operator: "GreaterThan",
    threshold: 0,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 3,
    runbook: "AksPodsFailed",
    dashboard: "infrastructure",
    description: "Pods in phase Failed in the cluster (AKS platform metric).",
  },
];

/**
 * Postgres Flexible: services/DBforPostgreSQL/flexibleServers/alerts.yaml at
 * cb7a358fc026e16a4ee45cb6c716963157c6b471. AMBA has no replication-lag alert for Flexible Server (its
 * pgreplicalogdelayinseconds belongs to the retired Single Server) and no HA-health metric; `is_db_alive`
 * is the availability signal (an HA failover that does not complete keeps it at 0). We run no read
 * replicas, so physical_replication_delay_in_seconds (read-replica lag) would never have data.
 */
const POSTGRES_ALERTS: MetricAlertPlan[] = [
  pgPercent("PostgresCpuHigh", "cpu_percent", "PostgresCPUHigh", "CPU"),
  pgPercent("PostgresMemoryHigh", "memory_percent", "PostgresMemoryHigh", "Memory"),
  pgPercent("PostgresStorageHigh", "storage_percent", "PostgresStorageHigh", "Storage"),
  {
    name: "PostgresConnectionsFailed",
    target: "postgres",
    metricNamespace: PG_NS,
    metricName: "connections_failed",
    operator: "GreaterThan",
    threshold: 5,
    timeAggregation: "Total",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 3,
    runbook: "PostgresConnectionsFailed",
    dashboard: "data",
    description: "More than 5 failed connections to the Postgres server in 5 minutes.",
  },
  {
    name: "PostgresNotAlive",
    target: "postgres",
    metricNamespace: PG_NS,
    metricName: "is_db_alive",
    operator: "LessThan",
    threshold: 1,
    timeAggregation: "Maximum",
    windowSize: "PT15M",
    evaluationFrequency: "PT15M",
    azureSeverity: 1,
    runbook: "PostgresDown",
    dashboard: "data",
    description: "Azure reports the Postgres server not alive for 15 minutes (is_db_alive < 1).",
  },
];

function pgPercent(name: string, metricName: string, runbook: string, what: string): MetricAlertPlan {
  return {
    name,
    target: "postgres",
    metricNamespace: PG_NS,
    metricName,
    operator: "GreaterThan",
    threshold: 90,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 2,
    runbook,
    dashboard: "data",
    description: `Postgres ${what} above 90 % on average over 5 minutes.`,
  };
}

/**
 * Azure Managed Redis (Microsoft.Cache/redisEnterprise): AMBA has no entry for it (services/Cache holds only
 * Redis/), so the thresholds, windows and severities are AMBA's for Azure Cache for Redis
 * (services/Cache/Redis/alerts.yaml at 4e28593665b54036ae2eddea327a5577d7df4ec2) on the metrics
 * redisEnterprise has under the same names. The aggregation is Maximum, the one Microsoft's
 * redisEnterprise metrics reference lists for serverLoad and usedmemorypercentage (AMBA's Average for the
 * Redis type is not listed there); a maximum over the window alerts no later than the average would.
 */
const REDIS_ALERTS: MetricAlertPlan[] = [
  {
    name: "RedisServerLoadHigh",
    target: "redis",
    metricNamespace: REDIS_NS,
    metricName: "serverLoad",
    operator: "GreaterThan",
    threshold: 85,
    timeAggregation: "Maximum",
    windowSize: "PT15M",
    evaluationFrequency: "PT5M",
    azureSeverity: 3,
    runbook: "RedisServerLoadHigh",
    dashboard: "data",
    description: "Redis server load above 85 % over 15 minutes: commands queue and latency rises.",
  },
  {
    name: "RedisUsedMemoryHigh",
    target: "redis",
    metricNamespace: REDIS_NS,
    metricName: "usedmemorypercentage",
    operator: "GreaterThan",
    threshold: 90,
    timeAggregation: "Maximum",
    windowSize: "PT15M",
    evaluationFrequency: "PT5M",
    azureSeverity: 2,
    runbook: "RedisMemoryHigh",
    dashboard: "data",
    description: "Redis uses more than 90 % of its memory over 15 minutes.",
  },
  {
    name: "RedisErrors",
    target: "redis",
    metricNamespace: REDIS_NS,
    metricName: "errors",
    operator: "GreaterThan",
    threshold: 0,
    timeAggregation: "Maximum",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 3,
    runbook: "RedisErrors",
    dashboard: "data",
    description:
      "Redis reports errors (failover, dataloss, unresponsive clients: see the ErrorType dimension).",
  },
];

/**
 * Key Vault: services/KeyVault/vaults/alerts.yaml at bc71c96aafba597cd563fcf5ce6fd52efd7ab410 (Availability,
 * SaturationShoebox, ServiceApiLatency; all verified there).
 */
const VAULT_ALERTS: MetricAlertPlan[] = [
  {
    name: "KeyVaultAvailabilityLow",
    target: "vault",
    metricNamespace: KV_NS,
    metricName: "Availability",
    operator: "LessThan",
    threshold: 90,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 1,
    runbook: "KeyVaultDegraded",
    dashboard: "system-overview",
    description: "Key Vault answered less than 90 % of requests successfully over 5 minutes.",
  },
  {
    name: "KeyVaultSaturationHigh",
    target: "vault",
    metricNamespace: KV_NS,
    metricName: "SaturationShoebox",
    operator: "GreaterThan",
    threshold: 75,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT1M",
    azureSeverity: 1,
    runbook: "KeyVaultDegraded",
    dashboard: "system-overview",
    description: "Key Vault is above 75 % of its request capacity over 5 minutes: throttling (429) is near.",
  },
  {
    name: "KeyVaultLatencyHigh",
    target: "vault",
    metricNamespace: KV_NS,
    metricName: "ServiceApiLatency",
    operator: "GreaterThan",
    threshold: 1000,
    timeAggregation: "Average",
    windowSize: "PT5M",
    evaluationFrequency: "PT5M",
    azureSeverity: 3,
    runbook: "KeyVaultDegraded",
    dashboard: "system-overview",
    description: "Key Vault requests take more than 1 s on average over 5 minutes.",
  },
];

/**
 * Container Registry: services/ContainerRegistry/registries/alerts.yaml at
 * 068e674b307ed237c0d7bf95a12f0f72fd4ea116: StorageUsed, 400 GiB for Premium (the plan's included 500 GiB
 * less headroom), 50 GB for Standard (100 GiB included); Basic gets Standard's value. AMBA's pull/push
 * count alerts (more than 50 pulls in 5 minutes) describe normal traffic for a cluster, not trouble: left out.
 */
function registryAlert(sku: "Basic" | "Standard" | "Premium"): MetricAlertPlan {
  return {
    name: "RegistryStorageHigh",
    target: "registry",
    metricNamespace: ACR_NS,
    metricName: "StorageUsed",
    operator: "GreaterThan",
    threshold: sku === "Premium" ? 429496729600 : 50000000000,
    timeAggregation: "Average",
    windowSize: "PT1H",
    evaluationFrequency: "PT5M",
    azureSeverity: 3,
    runbook: "RegistryStorageHigh",
    dashboard: "infrastructure",
    description: `Registry storage above AMBA's ${sku === "Premium" ? "Premium (400 GiB)" : "Standard (50 GB)"} threshold.`,
  };
}

/** Every metric alert of a stack. */
export function metricAlertPlans(registrySku: "Basic" | "Standard" | "Premium"): MetricAlertPlan[] {
  return [...AKS_ALERTS, ...POSTGRES_ALERTS, ...REDIS_ALERTS, ...VAULT_ALERTS, registryAlert(registrySku)];
}

/** Azure's severity → ours: 0–1 page (critical), 2 warning, 3–4 info (the Slack channels of those). */
export function ourSeverity(azureSeverity: number): Severity {
  if (azureSeverity <= 1) return "critical";
  return azureSeverity === 2 ? "warning" : "info";
}

/**
 * The custom properties every Azure rule of ours sends (`webHookProperties` / `actionProperties`): the
 * severity the notifier routes on (alertNotifierPlan.ts) and the links the page carries, under the names our
 * Prometheus rules' labels and annotations use (severity, runbook_url; dashboard).
 */
export function payloadOf(
  p: { runbook: string; dashboard: string },
  severity: Severity,
  links: { runbookBaseUrl: string; grafanaUrl: string },
): Record<string, string> {
  return {
    severity,
    runbook_url: `${links.runbookBaseUrl.replace(/\/+$/, "")}/${p.runbook}.md`,
    dashboard: `${links.grafanaUrl.replace(/\/+$/, "")}/d/${p.dashboard}`,
  };
}

/** The static-threshold criteria of one metric alert (single resource, so the type's `allOf` form). */
export function metricCriteria(p: MetricAlertPlan) {
  return {
    odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria" as const,
    allOf: [
      {
        criterionType: "StaticThresholdCriterion" as const,
        name: p.metricName,
        metricNamespace: p.metricNamespace,
        metricName: p.metricName,
        operator: p.operator,
        threshold: p.threshold,
        timeAggregation: p.timeAggregation,
        dimensions: p.dimensions?.map((d) => ({ ...d, values: [...d.values] })) ?? [],
        skipMetricValidation: false,
      },
    ],
  };
}

/**
 * Service Health: AMBA's "Service Health Incident" (services/Resources/subscriptions/alerts.yaml at
 * 4e28593665b54036ae2eddea327a5577d7df4ec2: category ServiceHealth, incidentType Incident, subscription
 * scope), narrowed to the regions we run in. Activity-log alerts match the impacted regions by display name
 * ("West Europe"), the field Microsoft's Service Health alert template filters on
 * (properties.impactedServices[*].ImpactedRegions[*].RegionName).
 */
export function serviceHealthCondition(regionDisplayNames: string[]) {
  return {
    allOf: [
      { field: "category", equals: "ServiceHealth" },
      { field: "properties.incidentType", equals: "Incident" },
      {
        field: "properties.impactedServices[*].ImpactedRegions[*].RegionName",
        // "Global": incidents of global services (Entra ID, Front Door, DNS) are filed under that region.
        containsAny: [...new Set([...regionDisplayNames, "Global"])],
      },
    ],
  };
}

/** The Service Health alert's runbook and routing: context for on-call, not a page of its own. */
export const SERVICE_HEALTH_ALERT = {
  name: "AzureServiceHealthIncident",
  runbook: "AzureServiceHealthIncident",
  dashboard: "system-overview",
  severity: "warning" as Severity,
};

/**
 * The dead man's switch outside the cluster: a managed-Prometheus rule group evaluated by Azure Monitor in
 * the workspace Prometheus remote-writes to (learn.microsoft.com/azure/azure-monitor/containers/
 * prometheus-rule-groups). No sample of `up` from the cluster for 5 minutes (the series carry the
 * cluster's external label, infra/monitoring/helmValues.ts), held for another 5: the cluster, its
 * Prometheus or its remote write is gone, and the in-cluster Watchdog cannot say so. Critical: pages.
 */
export const METRICS_MISSING_ALERT = {
  name: "ClusterMetricsMissing",
  runbook: "ClusterMetricsMissing",
  dashboard: "infrastructure",
  severity: "critical" as Severity,
  azureSeverity: 0,
  for: "PT5M",
};

export function metricsMissingExpr(clusterName: string): string {
  return `absent(up{cluster="${clusterName}"})`;
}

/** Names of everything Azure-side (they share docs/runbooks with the Prometheus alerts). */
export function azureAlertNames(registrySku: "Basic" | "Standard" | "Premium"): string[] {
  return [
    ...metricAlertPlans(registrySku).map((p) => p.name),
    SERVICE_HEALTH_ALERT.name,
    METRICS_MISSING_ALERT.name,
  ];
}
