/**
 * Promises about the stack as a whole: things that must exist beside each other. Under CrossGuard these
 * run as StackValidationPolicies, which see each resource's *outputs* as props (@pulumi/policy
 * policy.d.ts, PolicyResource.props); every field read here is an input azure-native echoes back as an
 * output of the same name, or is read through a fallback (`name`, `id`) where it is not.
 */
import { T } from "./azure";
import {
  type PolicyResource,
  type StackPolicy,
  type Violation,
  arr,
  label,
  obj,
  peek,
  stackEnvironment,
} from "./types";

const ofType = (rs: PolicyResource[], type: string) => rs.filter((r) => r.type === type);
/** A promise every AKS cluster of the stack breaks: one violation per cluster (none without a cluster). */
const againstEachCluster = (rs: PolicyResource[], message: string): Violation[] =>
  ofType(rs, T.cluster).map((c) => ({ resource: label(c), message }));
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
/** Role assignments of one built-in role (its definition GUID ends the roleDefinitionId). */
const assignmentsOf = (rs: PolicyResource[], roleGuid: string) =>
  ofType(rs, T.roleAssignment).filter((a) =>
    String(peek(() => a.props.roleDefinitionId) ?? "").endsWith(`/${roleGuid}`),
  );

/** Azure Policy assignments of one built-in definition or initiative (its GUID ends policyDefinitionId). */
const policyAssignmentsOf = (rs: PolicyResource[], definitionGuid: string) =>
  ofType(rs, T.policyAssignment).filter((a) =>
    String(peek(() => a.props.policyDefinitionId) ?? "").endsWith(`/${definitionGuid}`),
  );
/** The value of one parameter of a policy assignment (`parameters.<name>.value`). */
const parameterValue = (a: PolicyResource, name: string) =>
  obj(obj(peek(() => a.props.parameters))[name]).value;
/** Data collection rules that route into an Azure Monitor workspace: Prometheus remote-writes there. */
const intoMetricsWorkspace = (rs: PolicyResource[]) =>
  ofType(rs, T.dataCollectionRule).filter(
    (r) => arr(peek(() => obj(r.props.destinations).monitoringAccounts)).length > 0,
  );

/** AcrPull, a built-in role (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers#acrpull). */
export const ACR_PULL_ROLE = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

export const aksUserPoolSeparate: StackPolicy = {
  kind: "stack",
  name: "aks-user-pool-separate",
  description: "Every AKS cluster has a User pool as its own containerservice.AgentPool resource.",
  // See aks-inline-pools-system-only for why; together they say "system inline, user separate".
  check: (rs) => {
    const userPools = ofType(rs, T.agentPool).filter((p) => peek(() => p.props.mode) !== "System");
    if (userPools.length) return [];
    return againstEachCluster(rs, `no ${T.agentPool} with mode User: run workloads on a separate user pool`);
  },
};

export const acrPullAssigned: StackPolicy = {
  kind: "stack",
  name: "acr-pull-assigned",
  description: "The AKS kubelet identity holds AcrPull on the registry the images come from.",
  // Without it every pod of a private image sits in ImagePullBackOff
  // (https://learn.microsoft.com/azure/aks/cluster-container-registry-integration).
  check: (rs) => {
    if (assignmentsOf(rs, ACR_PULL_ROLE).length) return [];
    return againstEachCluster(
      rs,
      `no ${T.roleAssignment} of AcrPull (${ACR_PULL_ROLE}) for the kubelet identity`,
    );
  },
};

/** Private endpoints by the sub-resource they connect to (groupIds). */
function endpointsFor(rs: PolicyResource[], groupId: string): PolicyResource[] {
  return ofType(rs, T.privateEndpoint).filter((pe) =>
    [
      ...arr(peek(() => pe.props.privateLinkServiceConnections)),
      ...arr(peek(() => pe.props.manualPrivateLinkServiceConnections)),
    ].some((c) => arr(obj(c).groupIds).includes(groupId)),
  );
}

function zoneNamed(rs: PolicyResource[], zone: string): boolean {
  return ofType(rs, T.privateZone).some(
    (z) => (str(peek(() => z.props.privateZoneName)) ?? str(peek(() => z.props.name))) === zone,
  );
}

export const keyVaultPrivateEndpoint: StackPolicy = {
  kind: "stack",
  name: "keyvault-private-endpoint",
  description:
    "Every Key Vault has a private endpoint (groupId vault) and the privatelink.vaultcore.azure.net zone.",
  // https://learn.microsoft.com/azure/key-vault/general/private-link-service and
  // https://learn.microsoft.com/azure/private-link/private-endpoint-dns (Key Vault: privatelink.vaultcore.azure.net)
  check: (rs) => {
    const vaults = ofType(rs, T.vault);
    if (!vaults.length) return [];
    const out: Violation[] = [];
    if (endpointsFor(rs, "vault").length < vaults.length) {
      for (const v of vaults)
        out.push({ resource: label(v), message: "no private endpoint with groupId vault" });
    }
    if (!zoneNamed(rs, "privatelink.vaultcore.azure.net")) {
      for (const v of vaults) {
        out.push({ resource: label(v), message: "no private DNS zone privatelink.vaultcore.azure.net" });
      }
    }
    return out;
  },
};

export const redisPrivateEndpoint: StackPolicy = {
  kind: "stack",
  name: "redis-private-endpoint",
  description: "Every Redis Enterprise cluster has a private endpoint (groupId redisEnterprise).",
  // https://learn.microsoft.com/azure/private-link/private-endpoint-overview#private-link-resource
  check: (rs) => {
    const clusters = ofType(rs, T.redis);
    return endpointsFor(rs, "redisEnterprise").length >= clusters.length
      ? []
      : clusters.map((c) => ({
          resource: label(c),
          message: "no private endpoint with groupId redisEnterprise",
        }));
  },
};

const hasEntries = (v: unknown) => arr(v).some((e) => obj(e).enabled !== false);

export const redisDiagnosticsSplit: StackPolicy = {
  kind: "stack",
  name: "redis-diagnostics-split",
  description:
    "Redis diagnostics are two settings: metrics on the redisEnterprise cluster, logs on its database.",
  // Azure Managed Redis exposes metrics only on Microsoft.Cache/redisEnterprise and the ConnectionEvents
  // logs only on .../databases (https://learn.microsoft.com/azure/redis/monitor-diagnostic-settings):
  // one setting carrying both is refused by whichever resource it targets.
  // A setting belongs to Redis when its resourceUri names redisEnterprise, or (while the URI is unknown,
  // as in the render and a first preview) when it shares the Redis cluster's parent component.
  check: (rs) => {
    const clusters = ofType(rs, T.redis);
    if (!clusters.length) return [];
    const parents = new Set(clusters.map((c) => c.parent).filter((p): p is string => !!p));
    const settings = ofType(rs, T.diagnostics).filter((d) => {
      const uri = str(peek(() => d.props.resourceUri));
      return uri ? /\/redisEnterprise\//i.test(uri) : d.parent !== undefined && parents.has(d.parent);
    });
    const out: Violation[] = [];
    for (const d of settings) {
      const logs = hasEntries(peek(() => d.props.logs));
      const metrics = hasEntries(peek(() => d.props.metrics));
      const uri = str(peek(() => d.props.resourceUri));
      const onDatabase = uri ? /\/databases\/[^/]+$/i.test(uri) : undefined;
      if (logs && metrics) {
        out.push({
          resource: label(d),
          message: "one setting has both logs and metrics: split cluster metrics and database logs",
        });
      } else if (onDatabase === true && metrics) {
        out.push({
          resource: label(d),
          message: "metrics on the Redis database: Azure offers them on the cluster only",
        });
      } else if (onDatabase === false && logs) {
        out.push({
          resource: label(d),
          message: "logs on the Redis cluster: Azure offers them on the database only",
        });
      }
    }
    const name = clusters.map(label).join(", ");
    if (
      !settings.some((d) => hasEntries(peek(() => d.props.metrics)) && !hasEntries(peek(() => d.props.logs)))
    ) {
      out.push({ resource: name, message: "no metrics-only diagnostic setting on the Redis cluster" });
    }
    if (
      !settings.some((d) => hasEntries(peek(() => d.props.logs)) && !hasEntries(peek(() => d.props.metrics)))
    ) {
      out.push({ resource: name, message: "no logs-only diagnostic setting on the Redis database" });
    }
    return out;
  },
};

/**
 * Resources whose loss loses data or identity that a re-create does not bring back. The registry is one:
 * deleting it deletes every image in it (https://learn.microsoft.com/azure/container-registry/container-registry-delete),
 * including the previous colour's image a blue-green rollback redeploys.
 */
export const STATEFUL_TYPES = [
  T.resourceGroup,
  T.vault,
  T.pgServer,
  T.pgDatabase,
  T.redis,
  T.redisDatabase,
  T.workspace,
  T.registry,
  T.metricsWorkspace,
  // The VNet flow logs: network evidence for postmortems and audits.
  T.storageAccount,
] as const;

export const statefulProtectedProd: StackPolicy = {
  kind: "stack",
  name: "stateful-protected-prod",
  description: "In prod, stateful resources carry `protect` (pulumi destroy and replacements refuse).",
  // https://www.pulumi.com/docs/iac/concepts/options/protect/ . The environment is the stack's
  // `environment` tag (see types.ts stackEnvironment); untagged child resources follow it.
  check: (rs) => {
    if (stackEnvironment(rs) !== "prod") return [];
    return rs
      .filter((r) => (STATEFUL_TYPES as readonly string[]).includes(r.type) && !r.protect)
      .map((r) => ({ resource: label(r), message: "stateful resource in prod without protect: true" }));
  },
};

/** The control-plane categories every AKS cluster sends (infra/azure/aksPlan.ts CONTROL_PLANE_LOG_CATEGORIES). */
export const AKS_LOG_CATEGORIES = ["kube-audit-admin", "kube-apiserver", "kube-controller-manager", "guard"];

export const aksControlPlaneLogs: StackPolicy = {
  kind: "stack",
  name: "aks-control-plane-logs",
  description:
    "An AKS cluster sends its admin audit, API server, controller manager and guard logs to resource-specific Log Analytics tables.",
  // https://learn.microsoft.com/azure/aks/monitor-aks-reference (categories) and .../monitor-aks#resource-logs
  // (Dedicated: AKSAudit, AKSAuditAdmin, AKSControlPlane tables). A setting's resourceUri is not known
  // before apply, so the cluster's setting is the one that lists kube-* categories.
  check: (rs) => {
    const settings = ofType(rs, T.diagnostics).filter((d) =>
      arr(peek(() => d.props.logs)).some((l) => String(obj(l).category).startsWith("kube-")),
    );
    const complete = settings.filter((d) => {
      const on = arr(peek(() => d.props.logs))
        .filter((l) => obj(l).enabled !== false)
        .map((l) => String(obj(l).category));
      return (
        AKS_LOG_CATEGORIES.every((c) => on.includes(c)) &&
        peek(() => d.props.logAnalyticsDestinationType) === "Dedicated"
      );
    });
    if (complete.length) return [];
    return againstEachCluster(
      rs,
      `no diagnostic setting sends ${AKS_LOG_CATEGORIES.join(", ")} with logAnalyticsDestinationType Dedicated`,
    );
  },
};

/** Azure Policy's built-in "Kubernetes cluster containers should only use allowed images". */
export const ALLOWED_IMAGES_DEFINITION = "febd0533-8e55-448f-b837-bd0e06f16469";

export const aksAllowedImages: StackPolicy = {
  kind: "stack",
  name: "aks-allowed-images",
  description:
    "An AKS cluster denies app pods whose image is not in the platform's Azure Container Registry (Azure Policy).",
  // The AKS baseline's image-source assignment (mspnp/aks-baseline, policy assignments of the cluster stamp):
  // effect Deny, a regex anchored to one <name>.azurecr.io, and namespaces it applies to.
  check: (rs) => {
    const denying = policyAssignmentsOf(rs, ALLOWED_IMAGES_DEFINITION).filter(
      (a) =>
        String(parameterValue(a, "effect")).toLowerCase() === "deny" &&
        /^\^[a-z0-9]+\\\.azurecr\\\.io\//.test(String(parameterValue(a, "allowedContainerImagesRegex"))) &&
        arr(parameterValue(a, "namespaces")).length > 0,
    );
    if (denying.length) return [];
    return againstEachCluster(
      rs,
      `no Azure Policy assignment of ${ALLOWED_IMAGES_DEFINITION} with effect Deny, an ACR-only regex (^<name>\\.azurecr\\.io/) and the app namespace`,
    );
  },
};

/** Monitoring Metrics Publisher (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
export const METRICS_PUBLISHER_ROLE = "3913510d-42f4-4e42-8a64-420c390055eb";

export const prometheusRemoteWriteProd: StackPolicy = {
  kind: "stack",
  name: "prometheus-remote-write-prod",
  description:
    "In prod, Prometheus remote-writes to an Azure Monitor workspace: a data collection rule into one, Monitoring Metrics Publisher granted, remoteWrite in the chart values.",
  // docs/remote-write.md: prod's metrics and the queries on them must outlive the cluster (issue 16).
  check: (rs) => {
    if (stackEnvironment(rs) !== "prod") return [];
    const missing: string[] = [];
    if (!intoMetricsWorkspace(rs).length)
      missing.push(`no ${T.dataCollectionRule} with a monitoringAccounts destination`);
    // The assignment made for Prometheus' own identity (infra/monitoring/remoteWrite.ts), by its resource
    // name: its scope (the rule's id) is not known at preview. Any other publisher role does not count.
    const publishers = assignmentsOf(rs, METRICS_PUBLISHER_ROLE).filter((a) =>
      a.name.startsWith("prometheus-identity"),
    );
    if (!publishers.length)
      missing.push(
        `no ${T.roleAssignment} of Monitoring Metrics Publisher (${METRICS_PUBLISHER_ROLE}) for prometheus-identity`,
      );
    const writing = ofType(rs, T.helmRelease).filter(
      (r) => arr(peek(() => obj(obj(obj(r.props.values).prometheus).prometheusSpec).remoteWrite)).length > 0,
    );
    if (!writing.length) missing.push("no Helm release with prometheus.prometheusSpec.remoteWrite");
    return missing.length
      ? againstEachCluster(rs, `${missing.join("; ")} (set monitoring.remoteWrite.enabled)`)
      : [];
  },
};

/** The ARM namespace of each watched resource type: a metric alert on it names that metricNamespace. */
export const WATCHED_NAMESPACES: Record<string, string> = {
  [T.cluster]: "Microsoft.ContainerService/managedClusters",
  [T.pgServer]: "Microsoft.DBforPostgreSQL/flexibleServers",
  [T.redis]: "Microsoft.Cache/redisEnterprise",
  [T.vault]: "Microsoft.KeyVault/vaults",
  [T.registry]: "Microsoft.ContainerRegistry/registries",
};

const hasActionWithRunbook = (actions: unknown[], props: (a: Record<string, unknown>) => unknown) =>
  actions.some((a) => {
    const o = obj(a);
    return o.actionGroupId !== undefined && str(obj(props(o)).runbook_url)?.startsWith("https://");
  });

export const azurePlatformAlerts: StackPolicy = {
  kind: "stack",
  name: "azure-platform-alerts",
  description:
    "Azure watches the managed services itself: metric alerts on the cluster, Postgres, Redis, Key Vault and the registry, a Service Health alert and an action group, every alert with a runbook; in prod with remote write, a dead man's switch in the metrics workspace.",
  // docs/azure-alerts.md (issue 16): what the exporters cannot see, and what pages when the cluster is gone.
  check: (rs) => {
    const v: Violation[] = [];
    const alerts = ofType(rs, T.metricAlert);
    for (const r of alerts) {
      if (!hasActionWithRunbook(arr(r.props.actions), (a) => a.webHookProperties))
        v.push({
          resource: label(r),
          message: "metric alert without an action group action carrying runbook_url",
        });
    }
    const namespaces = new Set(
      alerts.flatMap((r) =>
        arr(peek(() => obj(r.props.criteria).allOf)).map((c) => str(obj(c).metricNamespace)),
      ),
    );
    for (const [type, ns] of Object.entries(WATCHED_NAMESPACES)) {
      for (const r of ofType(rs, type))
        if (!namespaces.has(ns))
          v.push({ resource: label(r), message: `no Azure Monitor metric alert on ${ns} (AMBA baseline)` });
    }
    if (rs.length && !ofType(rs, T.actionGroup).some((g) => g.props.enabled === true))
      v.push(...againstEachCluster(rs, `no enabled ${T.actionGroup} for the Azure alerts`));
    const serviceHealth = ofType(rs, T.activityLogAlert).filter((r) =>
      arr(peek(() => obj(r.props.condition).allOf)).some(
        (c) => obj(c).field === "category" && obj(c).equals === "ServiceHealth",
      ),
    );
    if (!serviceHealth.length) v.push(...againstEachCluster(rs, "no Service Health activity-log alert"));
    if (stackEnvironment(rs) === "prod" && intoMetricsWorkspace(rs).length) {
      const deadman = ofType(rs, T.prometheusRuleGroup).filter((g) =>
        arr(g.props.rules).some(
          (rule) =>
            /^absent\(/.test(str(obj(rule).expression) ?? "") &&
            hasActionWithRunbook(arr(obj(rule).actions), (a) => a.actionProperties),
        ),
      );
      if (!deadman.length)
        v.push(
          ...againstEachCluster(
            rs,
            `no ${T.prometheusRuleGroup} with an absent(...) rule and an action: nothing pages when the cluster stops remote-writing`,
          ),
        );
    }
    return v;
  },
};

/** "Kubernetes cluster pod security restricted standards for Linux-based workloads" (built-in initiative). */
export const POD_SECURITY_INITIATIVE = "42b8ef37-b724-4e24-bbc8-7a7708edfe00";

export const aksPodSecurityInitiative: StackPolicy = {
  kind: "stack",
  name: "aks-pod-security-initiative",
  description:
    "The cluster has the pod security restricted initiative assigned: Deny in prod, at least Audit in dev, never excluding the app namespace.",
  // AKS baseline (workload-team/modules/policies.bicep) and issue 16: Audit in dev, Deny in prod.
  check: (rs) => {
    const prod = stackEnvironment(rs) === "prod";
    const ok = policyAssignmentsOf(rs, POD_SECURITY_INITIATIVE).some((a) => {
      const effect = String(parameterValue(a, "effect") ?? "Audit").toLowerCase();
      const excluded = arr(parameterValue(a, "excludedNamespaces")).map(String);
      return (
        (prod ? effect === "deny" : effect === "deny" || effect === "audit") &&
        !excluded.some((n) => n === "agents" || n === "*")
      );
    });
    return ok
      ? []
      : againstEachCluster(
          rs,
          `no assignment of the pod security restricted initiative ${POD_SECURITY_INITIATIVE} with effect ${prod ? "Deny" : "Audit or Deny"} that covers the app namespace`,
        );
  },
};

export const vnetFlowLogs: StackPolicy = {
  kind: "stack",
  name: "vnet-flow-logs",
  description:
    "Every VNet has a flow log (VNet flow logs; NSG flow logs can no longer be created) with retention and traffic analytics into Log Analytics.",
  // learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview; nsg-flow-logs-overview (retirement)
  check: (rs) => {
    const good = ofType(rs, T.flowLog).filter(
      (f) =>
        f.props.enabled === true &&
        obj(f.props.retentionPolicy).enabled === true &&
        obj(obj(f.props.flowAnalyticsConfiguration).networkWatcherFlowAnalyticsConfiguration).enabled ===
          true,
    );
    return good.length >= ofType(rs, T.vnet).length
      ? []
      : ofType(rs, T.vnet).map((v) => ({
          resource: label(v),
          message: "no enabled flow log with a retention policy and traffic analytics",
        }));
  },
};

export const stackPolicies: StackPolicy[] = [
  aksUserPoolSeparate,
  acrPullAssigned,
  keyVaultPrivateEndpoint,
  redisPrivateEndpoint,
  redisDiagnosticsSplit,
  statefulProtectedProd,
  aksControlPlaneLogs,
  aksAllowedImages,
  prometheusRemoteWriteProd,
  azurePlatformAlerts,
  aksPodSecurityInitiative,
  vnetFlowLogs,
];
