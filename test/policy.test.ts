/**
 * Each policy with a resource (or stack) that keeps the promise and one that breaks it. The fixtures are
 * written here by hand in azure-native / Kubernetes input shapes, not taken from the program, so a policy
 * that stops looking at the right field fails here even if the program also changed.
 */
import { describe, expect, it } from "vitest";
import {
  type PolicyContext,
  type PolicyResource,
  type StackPolicy,
  evaluatePolicies,
  policies,
} from "../policy/policies";
import { crossGuardPolicies } from "../policy/adapter";

const render: PolicyContext = { secretMarkers: true, allowPublicLoadBalancers: [] };
const crossGuard: PolicyContext = { secretMarkers: false, allowPublicLoadBalancers: [] };
const tags = (environment: string) => ({ environment, project: "p" });
const res = (type: string, name: string, props: Record<string, unknown>, protect = false, parent?: string) =>
  ({ type, name, props, protect, parent }) as PolicyResource;

const cluster = (over: Record<string, unknown> = {}) =>
  res("azure-native:containerservice:ManagedCluster", "aks", {
    aadProfile: { managed: true, enableAzureRBAC: true },
    enableRBAC: true,
    disableLocalAccounts: true,
    oidcIssuerProfile: { enabled: true },
    securityProfile: {
      workloadIdentity: { enabled: true },
      defender: {
        logAnalyticsWorkspaceResourceId: "(known after apply)",
        securityMonitoring: { enabled: true },
      },
    },
    apiServerAccessProfile: { authorizedIPRanges: ["198.51.100.16/28"], enablePrivateCluster: false },
    networkProfile: { networkPolicy: "cilium" },
    agentPoolProfiles: [{ name: "system", mode: "System", osDiskType: "Ephemeral" }],
    tags: tags("prod"),
    ...over,
  });
const vault = (properties: Record<string, unknown> = {}, env = "prod") =>
  res(
    "azure-native:keyvault:Vault",
    "kv",
    {
      properties: {
        enableRbacAuthorization: true,
        accessPolicies: [],
        enableSoftDelete: true,
        enablePurgeProtection: true,
        networkAcls: { defaultAction: "Deny" },
        ...properties,
      },
      tags: tags(env),
    },
    true,
  );
const pg = (over: Record<string, unknown> = {}, env = "prod") =>
  res(
    "azure-native:dbforpostgresql:Server",
    "pg",
    {
      highAvailability: { mode: "ZoneRedundant" },
      backup: { geoRedundantBackup: "Enabled" },
      network: { publicNetworkAccess: "Disabled" },
      administratorLoginPassword: "[secret]",
      tags: tags(env),
      ...over,
    },
    true,
  );
const pod = (over: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
  volumes: [{ name: "tmp", emptyDir: {} }],
  containers: [
    {
      name: "app",
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
      env: [{ name: "DB_PASSWORD_FILE", value: "/mnt/secrets/db" }],
      ...container,
    },
  ],
  ...over,
});
const deployment = (spec: Record<string, unknown>) =>
  res("kubernetes:apps/v1:Deployment", "web", {
    kind: "Deployment",
    metadata: { name: "web", namespace: "agents" },
    spec: { template: { spec } },
  });
const service = (spec: Record<string, unknown>, annotations?: Record<string, string>) =>
  res("kubernetes:core/v1:Service", "svc", {
    metadata: { name: "web", namespace: "agents", annotations },
    spec,
  });
const redis = (over: Record<string, unknown> = {}) =>
  res(
    "azure-native:redisenterprise:RedisEnterprise",
    "redis",
    { minimumTlsVersion: "1.2", publicNetworkAccess: "Disabled", tags: tags("prod"), ...over },
    true,
    "comp::redis",
  );
const diag = (name: string, props: Record<string, unknown>) =>
  res(
    "azure-native:monitor:DiagnosticSetting",
    name,
    { resourceUri: "(known after apply)", ...props },
    false,
    "comp::redis",
  );
const pe = (groupId: string) =>
  res("azure-native:network:PrivateEndpoint", `pe-${groupId}`, {
    privateLinkServiceConnections: [{ groupIds: [groupId] }],
  });
const zone = (name: string) => res("azure-native:privatedns:PrivateZone", name, { privateZoneName: name });
const acrPull = res("azure-native:authorization:RoleAssignment", "acr-pull", {
  roleDefinitionId:
    "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d",
});
const userPool = res("azure-native:containerservice:AgentPool", "user", {
  mode: "User",
  agentPoolName: "user1a2b3c",
  osDiskType: "Ephemeral",
});
const registry = (zoneRedundancy?: string, env = "prod") =>
  res("azure-native:containerregistry:Registry", "acr", { zoneRedundancy, tags: tags(env) }, true);
const aksDiag = res("azure-native:monitor:DiagnosticSetting", "aks-diagnostics", {
  resourceUri: "(known after apply)",
  logAnalyticsDestinationType: "Dedicated",
  logs: ["kube-audit-admin", "kube-apiserver", "kube-controller-manager", "cluster-autoscaler", "guard"].map(
    (category) => ({ category, enabled: true }),
  ),
});
const metricsRule = res("azure-native:monitor:DataCollectionRule", "metrics-rule", {
  destinations: { monitoringAccounts: [{ accountResourceId: "(known after apply)", name: "workspace" }] },
});
const metricsPublisher = res(
  "azure-native:authorization:RoleAssignment",
  "prometheus-identity-role-metricsPublisher",
  {
    roleDefinitionId:
      "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/3913510d-42f4-4e42-8a64-420c390055eb",
  },
);
const promRelease = res("kubernetes:helm.sh/v3:Release", "kube-prometheus-stack", {
  values: { prometheus: { prometheusSpec: { remoteWrite: [{ url: "(known after apply)" }] } } },
});
const imageDeny = res("azure-native:authorization:PolicyAssignment", "image-deny", {
  policyDefinitionId:
    "/providers/Microsoft.Authorization/policyDefinitions/febd0533-8e55-448f-b837-bd0e06f16469",
  parameters: {
    allowedContainerImagesRegex: { value: "^acrx\\.azurecr\\.io/.+$" },
    namespaces: { value: ["agents"] },
    effect: { value: "Deny" },
  },
});

/** A whole stack that keeps every promise; each stack case breaks one thing in a copy. */
const runbookProps = {
  severity: "info",
  runbook_url: "https://example.org/runbooks/X.md",
  dashboard: "https://g/d/x",
};
const metricAlert = (name: string, metricNamespace: string) =>
  res("azure-native:monitor:MetricAlert", name, {
    criteria: {
      odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
      allOf: [{ metricNamespace, metricName: "m" }],
    },
    actions: [{ actionGroupId: "(known after apply)", webHookProperties: runbookProps }],
  });
const platformAlerts = [
  metricAlert("aks-alert", "Microsoft.ContainerService/managedClusters"),
  metricAlert("pg-alert", "Microsoft.DBforPostgreSQL/flexibleServers"),
  metricAlert("redis-alert", "Microsoft.Cache/redisEnterprise"),
  metricAlert("kv-alert", "Microsoft.KeyVault/vaults"),
  metricAlert("acr-alert", "Microsoft.ContainerRegistry/registries"),
];
const actionGroup = res("azure-native:monitor:ActionGroup", "action-group", {
  enabled: true,
  logicAppReceivers: "[secret]",
});
const serviceHealth = res("azure-native:monitor:ActivityLogAlert", "service-health", {
  condition: {
    allOf: [
      { field: "category", equals: "ServiceHealth" },
      { field: "properties.incidentType", equals: "Incident" },
    ],
  },
  actions: { actionGroups: [{ actionGroupId: "(known after apply)", webhookProperties: runbookProps }] },
});
const deadman = res("azure-native:alertsmanagement:PrometheusRuleGroup", "deadman", {
  rules: [
    {
      alert: "ClusterMetricsMissing",
      expression: 'absent(up{cluster="aks-x"})',
      actions: [{ actionGroupId: "(known after apply)", actionProperties: runbookProps }],
    },
  ],
});

const podSecurity = res("azure-native:authorization:PolicyAssignment", "pod-security", {
  policyDefinitionId:
    "/providers/Microsoft.Authorization/policySetDefinitions/42b8ef37-b724-4e24-bbc8-7a7708edfe00",
  parameters: { effect: { value: "Deny" }, excludedNamespaces: { value: ["kube-system", "monitoring"] } },
});
const vnet = res("azure-native:network:VirtualNetwork", "vnet", {});
const flowLog = res("azure-native:network:FlowLog", "flow-log", {
  enabled: true,
  retentionPolicy: { enabled: true, days: 90 },
  flowAnalyticsConfiguration: { networkWatcherFlowAnalyticsConfiguration: { enabled: true } },
});

function goodStack(): PolicyResource[] {
  return [
    res("azure-native:resources:ResourceGroup", "rg", { tags: tags("prod") }, true),
    cluster(),
    userPool,
    acrPull,
    registry("Enabled"),
    aksDiag,
    imageDeny,
    vault(),
    pe("vault"),
    zone("privatelink.vaultcore.azure.net"),
    pg(),
    res("azure-native:dbforpostgresql:Database", "db", {}, true),
    redis(),
    res(
      "azure-native:redisenterprise:Database",
      "redis-db",
      { clientProtocol: "Encrypted" },
      true,
      "comp::redis",
    ),
    pe("redisEnterprise"),
    diag("redis-metrics", { metrics: [{ category: "AllMetrics", enabled: true }] }),
    diag("redis-logs", { logs: [{ category: "ConnectionEvents", enabled: true }] }),
    deployment(pod()),
    service({ type: "ClusterIP" }),
    res("azure-native:monitor:AzureMonitorWorkspace", "metrics-workspace", {}, true),
    metricsRule,
    metricsPublisher,
    promRelease,
    ...platformAlerts,
    actionGroup,
    serviceHealth,
    deadman,
    podSecurity,
    subnet("snet-x-aks"),
    vnet,
    flowLog,
  ];
}

const findings = (rs: PolicyResource[], ctx = render) => evaluatePolicies(rs, ctx);
const obj = (v: unknown) => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});
/** A stack break: the same resources with `target`'s props overridden. */
const replacing = (target: PolicyResource, props: Record<string, unknown>) => (rs: PolicyResource[]) =>
  rs.map((r) => (r === target ? { ...r, props: { ...r.props, ...props } } : r));
const arrWithout = (logs: unknown, category: string) =>
  (logs as { category: string }[]).filter((l) => l.category !== category);
const only = (name: string, rs: PolicyResource[], ctx = render) =>
  evaluatePolicies(
    rs,
    ctx,
    policies.filter((p) => p.name === name),
  );

describe("the policy set", () => {
  it("holds on a stack that keeps every promise", () => {
    expect(findings(goodStack())).toEqual([]);
  });

  it("has unique names and every CrossGuard policy is mandatory", () => {
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    expect(crossGuardPolicies.map((p) => p.enforcementLevel)).toEqual(policies.map(() => "mandatory"));
  });
});

// [policy, resources that break it, expected message fragment]
const spc = (objectName: string) =>
  res("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "spc", {
    spec: {
      parameters: {
        objects: `array:\n  - |\n    objectName: ${objectName}\n    objectAlias: x\n    objectType: secret\n`,
      },
    },
  });
const subnet = (subnetName: string, over: Record<string, unknown> = {}) =>
  res("azure-native:network:Subnet", subnetName, {
    subnetName,
    networkSecurityGroup: { id: "(known after apply)" },
    ...over,
  });
const resourceCases: [string, PolicyResource[], string][] = [
  [
    "aks-defender",
    [cluster({ securityProfile: { workloadIdentity: { enabled: true } } })],
    "securityProfile.defender.securityMonitoring.enabled must be true",
  ],
  [
    "aks-defender",
    [
      cluster({
        securityProfile: {
          workloadIdentity: { enabled: true },
          defender: { securityMonitoring: { enabled: true } },
        },
      }),
    ],
    "logAnalyticsWorkspaceResourceId must name the workspace",
  ],
  [
    "subnet-nsg",
    [subnet("snet-x-aks", { networkSecurityGroup: undefined })],
    "networkSecurityGroup must be set",
  ],
  ["no-break-glass-secrets-mounted", [spc("redis-access-key")], "mounts redis-access-key"],
  ["aks-entra-rbac", [cluster({ aadProfile: { managed: true, enableAzureRBAC: false } })], "enableAzureRBAC"],
  ["aks-local-accounts-disabled", [cluster({ disableLocalAccounts: false })], "disableLocalAccounts"],
  ["aks-workload-identity", [cluster({ securityProfile: {} })], "workloadIdentity"],
  [
    "aks-api-server-restricted",
    [cluster({ apiServerAccessProfile: { authorizedIPRanges: [] } })],
    "API server is public",
  ],
  [
    "aks-api-server-restricted",
    [cluster({ apiServerAccessProfile: { authorizedIPRanges: ["0.0.0.0/0"] } })],
    "opens the API server to everyone",
  ],
  ["aks-network-policy", [cluster({ networkProfile: { networkPolicy: "none" } })], "networkPolicy"],
  [
    "aks-ephemeral-os-disk",
    [cluster({ agentPoolProfiles: [{ name: "system", mode: "System", osDiskType: "Managed" }] })],
    'pool system: osDiskType is "Managed", must be "Ephemeral"',
  ],
  [
    "aks-ephemeral-os-disk",
    [res("azure-native:containerservice:AgentPool", "u", { mode: "User", agentPoolName: "user9" })],
    'pool user9: osDiskType is undefined, must be "Ephemeral"',
  ],
  ["acr-zone-redundant-prod", [registry(undefined)], 'zoneRedundancy must be "Enabled" in prod'],
  ["acr-zone-redundant-prod", [registry("Disabled")], 'zoneRedundancy must be "Enabled" in prod'],
  [
    "aks-inline-pools-system-only",
    [
      cluster({
        agentPoolProfiles: [
          { name: "system", mode: "System" },
          { name: "user", mode: "User" },
        ],
      }),
    ],
    "non-System pool(s) user",
  ],
  ["keyvault-rbac", [vault({ enableRbacAuthorization: false })], "enableRbacAuthorization"],
  ["keyvault-rbac", [vault({ accessPolicies: [{ objectId: "x" }] })], "accessPolicies"],
  ["keyvault-purge-protection-prod", [vault({ enablePurgeProtection: false })], "enablePurgeProtection"],
  [
    "keyvault-firewall-deny",
    [vault({ networkAcls: { defaultAction: "Allow" } })],
    "defaultAction must be Deny",
  ],
  ["postgres-ha-prod", [pg({ highAvailability: { mode: "Disabled" } })], "ZoneRedundant"],
  ["postgres-ha-prod", [pg({ backup: { geoRedundantBackup: "Disabled" } })], "geoRedundantBackup"],
  ["postgres-private", [pg({ network: { publicNetworkAccess: "Enabled" } })], "publicNetworkAccess"],
  [
    "postgres-tls",
    [
      res("azure-native:dbforpostgresql:Configuration", "p", {
        configurationName: "require_secure_transport",
        value: "off",
      }),
    ],
    "require_secure_transport",
  ],
  [
    "postgres-tls",
    [
      res("azure-native:dbforpostgresql:Configuration", "p", {
        configurationName: "ssl_min_protocol_version",
        value: "TLSv1",
      }),
    ],
    "ssl_min_protocol_version",
  ],
  ["redis-tls-only", [redis({ minimumTlsVersion: "1.0" })], "minimumTlsVersion"],
  [
    "redis-tls-only",
    [res("azure-native:redisenterprise:Database", "d", { clientProtocol: "Plaintext" })],
    "Encrypted",
  ],
  ["redis-private", [redis({ publicNetworkAccess: "Enabled" })], "publicNetworkAccess"],
  ["pod-security-restricted", [deployment(pod({ hostNetwork: true }))], "hostNetwork"],
  [
    "pod-security-restricted",
    [deployment(pod({ volumes: [{ name: "h", hostPath: { path: "/" } }] }))],
    "hostPath",
  ],
  [
    "pod-security-restricted",
    [
      deployment(
        pod({}, { securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ["ALL"] } } }),
      ),
    ],
    "allowPrivilegeEscalation",
  ],
  ["pod-security-restricted", [deployment(pod({ securityContext: {} }))], "runAsNonRoot must be true"],
  [
    "pod-security-restricted",
    [
      deployment(
        pod(
          {},
          {
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] },
            },
          },
        ),
      ),
    ],
    "SYS_ADMIN",
  ],
  [
    "workload-requests-limits",
    [deployment(pod({}, { resources: { requests: { cpu: "1", memory: "1Gi" } } }))],
    "limits.cpu, limits.memory",
  ],
  ["no-public-loadbalancer", [service({ type: "LoadBalancer" })], "agents/web is a public LoadBalancer"],
  [
    "no-plaintext-secrets",
    [pg({ administratorLoginPassword: "hunter2" })],
    "administratorLoginPassword is in plaintext",
  ],
  [
    "no-plaintext-secrets",
    [res("azure-native:keyvault:Secret", "s", { properties: { value: "hunter2" } })],
    "properties.value is in plaintext",
  ],
  [
    "no-plaintext-secrets",
    [deployment(pod({}, { env: [{ name: "API_TOKEN", value: "abc" }] }))],
    "env API_TOKEN",
  ],
  [
    "no-plaintext-secrets",
    [
      res("kubernetes:helm.sh/v3:Release", "h", {
        values: {
          alertmanager: {
            config: { receivers: [{ name: "slack", slack_configs: [{ api_url: "https://hooks" }] }] },
          },
        },
      }),
    ],
    "slack_configs.api_url is a literal: use api_url_file",
  ],
  [
    "no-plaintext-secrets",
    [res("kubernetes:helm.sh/v3:Release", "h", { values: { grafana: { adminPassword: "x" } } })],
    "adminPassword",
  ],
];

describe("resource policies", () => {
  it.each(resourceCases.map(([n, rs, m]) => [n, m, rs] as const))("%s fails: %s", (name, message, rs) => {
    const f = only(name, rs);
    expect(f.map((x) => x.policy)).toContain(name);
    expect(f.map((x) => x.message).join("\n")).toContain(message);
  });

  it.each([...new Set(resourceCases.map(([n]) => n))])("%s passes on the good stack", (name) => {
    expect(only(name, goodStack())).toEqual([]);
  });

  it("prod-only promises do not apply to dev", () => {
    expect(only("keyvault-purge-protection-prod", [vault({ enablePurgeProtection: false }, "dev")])).toEqual(
      [],
    );
    expect(only("postgres-ha-prod", [pg({ highAvailability: { mode: "Disabled" } }, "dev")])).toEqual([]);
    expect(only("acr-zone-redundant-prod", [registry(undefined, "dev")])).toEqual([]);
    // A secret whose name only starts like a break-glass one is not one.
    expect(
      only("no-break-glass-secrets-mounted", [
        spc("redis-access-key-old"),
        spc("redis-exporter-password-map"),
      ]),
    ).toEqual([]);
  });

  it("an internal or allowed LoadBalancer passes", () => {
    const internal = service(
      { type: "LoadBalancer" },
      { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
    );
    expect(only("no-public-loadbalancer", [internal])).toEqual([]);
    const allowed = { ...render, allowPublicLoadBalancers: ["agents/web"] };
    expect(only("no-public-loadbalancer", [service({ type: "LoadBalancer" })], allowed)).toEqual([]);
  });

  it("under CrossGuard (secrets unwrapped) only the structural secret rules apply", () => {
    expect(
      only("no-plaintext-secrets", [pg({ administratorLoginPassword: "real-unwrapped" })], crossGuard),
    ).toEqual([]);
    expect(
      only(
        "no-plaintext-secrets",
        [deployment(pod({}, { env: [{ name: "API_TOKEN", value: "abc" }] }))],
        crossGuard,
      ),
    ).not.toEqual([]);
  });
});

// [policy, how the good stack is broken, expected message fragment]
const stackCases: [string, (rs: PolicyResource[]) => PolicyResource[], string][] = [
  [
    "aks-control-plane-logs",
    replacing(aksDiag, { logs: arrWithout(aksDiag.props.logs, "kube-controller-manager") }),
    "no diagnostic setting sends kube-audit-admin, kube-apiserver, kube-controller-manager, guard",
  ],
  [
    "aks-control-plane-logs",
    replacing(aksDiag, { logAnalyticsDestinationType: undefined }),
    "with logAnalyticsDestinationType Dedicated",
  ],
  [
    "aks-allowed-images",
    replacing(imageDeny, { parameters: { ...obj(imageDeny.props.parameters), effect: { value: "Audit" } } }),
    "no Azure Policy assignment of febd0533-8e55-448f-b837-bd0e06f16469 with effect Deny",
  ],
  [
    "aks-allowed-images",
    replacing(imageDeny, {
      parameters: { ...obj(imageDeny.props.parameters), allowedContainerImagesRegex: { value: ".*" } },
    }),
    "an ACR-only regex",
  ],
  [
    "aks-user-pool-separate",
    (rs) => rs.filter((r) => r !== userPool),
    "no azure-native:containerservice:AgentPool with mode User",
  ],
  [
    "acr-pull-assigned",
    (rs) => rs.filter((r) => r !== acrPull),
    "AcrPull (7f951dda-4ed3-4680-a7ca-43fe172d538d)",
  ],
  [
    "keyvault-private-endpoint",
    (rs) => rs.filter((r) => r.name !== "pe-vault"),
    "no private endpoint with groupId vault",
  ],
  [
    "keyvault-private-endpoint",
    (rs) => rs.filter((r) => r.name !== "privatelink.vaultcore.azure.net"),
    "privatelink.vaultcore.azure.net",
  ],
  [
    "redis-private-endpoint",
    (rs) => rs.filter((r) => r.name !== "pe-redisEnterprise"),
    "groupId redisEnterprise",
  ],
  [
    "redis-diagnostics-split",
    (rs) => [
      ...rs.filter((r) => !r.name.startsWith("redis-metrics") && !r.name.startsWith("redis-logs")),
      diag("redis-both", {
        metrics: [{ category: "AllMetrics", enabled: true }],
        logs: [{ categoryGroup: "allLogs", enabled: true }],
      }),
    ],
    "one setting has both logs and metrics",
  ],
  [
    "redis-diagnostics-split",
    (rs) =>
      rs.map((r) =>
        r.name === "redis-metrics"
          ? {
              ...r,
              props: {
                ...r.props,
                resourceUri:
                  "/subscriptions/s/resourceGroups/g/providers/Microsoft.Cache/redisEnterprise/r/databases/default",
              },
            }
          : r,
      ),
    "metrics on the Redis database",
  ],
  [
    "stateful-protected-prod",
    (rs) =>
      rs.map((r) => (r.type === "azure-native:redisenterprise:Database" ? { ...r, protect: false } : r)),
    "redis-db: stateful resource in prod without protect",
  ],
  [
    "stateful-protected-prod",
    (rs) =>
      rs.map((r) => (r.type === "azure-native:monitor:AzureMonitorWorkspace" ? { ...r, protect: false } : r)),
    "metrics-workspace: stateful resource in prod without protect",
  ],
  [
    "prometheus-remote-write-prod",
    replacing(promRelease, { values: { prometheus: { prometheusSpec: {} } } }),
    "no Helm release with prometheus.prometheusSpec.remoteWrite (set monitoring.remoteWrite.enabled)",
  ],
  [
    "prometheus-remote-write-prod",
    (rs) => rs.filter((r) => r !== metricsRule),
    "no azure-native:monitor:DataCollectionRule with a monitoringAccounts destination",
  ],
  [
    "prometheus-remote-write-prod",
    (rs) => rs.filter((r) => r !== metricsPublisher),
    "Monitoring Metrics Publisher (3913510d-42f4-4e42-8a64-420c390055eb) for prometheus-identity",
  ],
  [
    // The same role held by something else (another assignment's name) does not count.
    "prometheus-remote-write-prod",
    (rs) => rs.map((r) => (r === metricsPublisher ? { ...r, name: "app-insights-publisher" } : r)),
    "Monitoring Metrics Publisher (3913510d-42f4-4e42-8a64-420c390055eb) for prometheus-identity",
  ],
  [
    "azure-platform-alerts",
    (rs) => rs.filter((r) => r !== platformAlerts[1]),
    "pg: no Azure Monitor metric alert on Microsoft.DBforPostgreSQL/flexibleServers",
  ],
  [
    "azure-platform-alerts",
    replacing(platformAlerts[3]!, { actions: [{ actionGroupId: "(known after apply)" }] }),
    "kv-alert: metric alert without an action group action carrying runbook_url",
  ],
  [
    "azure-platform-alerts",
    replacing(actionGroup, { enabled: false }),
    "no enabled azure-native:monitor:ActionGroup",
  ],
  [
    "azure-platform-alerts",
    (rs) => rs.filter((r) => r !== serviceHealth),
    "no Service Health activity-log alert",
  ],
  [
    "azure-platform-alerts",
    (rs) => rs.filter((r) => r !== deadman),
    "nothing pages when the cluster stops remote-writing",
  ],
  [
    // A rule group whose rule has no action notifies nobody.
    "azure-platform-alerts",
    replacing(deadman, {
      rules: [{ alert: "ClusterMetricsMissing", expression: 'absent(up{cluster="aks-x"})' }],
    }),
    "nothing pages when the cluster stops remote-writing",
  ],
  [
    "aks-pod-security-initiative",
    replacing(podSecurity, { parameters: { effect: { value: "Audit" } } }),
    "with effect Deny that covers the app namespace",
  ],
  [
    // Excluding the app's namespace leaves the one place it matters unchecked.
    "aks-pod-security-initiative",
    replacing(podSecurity, {
      parameters: { effect: { value: "Deny" }, excludedNamespaces: { value: ["agents"] } },
    }),
    "with effect Deny that covers the app namespace",
  ],
  [
    "aks-pod-security-initiative",
    (rs) => rs.filter((r) => r !== podSecurity),
    "pod security restricted initiative",
  ],
  ["vnet-flow-logs", (rs) => rs.filter((r) => r !== flowLog), "vnet: no enabled flow log"],
  [
    "vnet-flow-logs",
    replacing(flowLog, { flowAnalyticsConfiguration: {} }),
    "no enabled flow log with a retention policy and traffic analytics",
  ],
];

describe("stack policies", () => {
  it.each(stackCases.map(([n, b, m]) => [n, m, b] as const))(
    "%s fails when broken: %s",
    (name, message, breakIt) => {
      const p = policies.find((x) => x.name === name) as StackPolicy;
      expect(p.kind).toBe("stack");
      expect(p.check(goodStack(), render)).toEqual([]);
      const f = only(name, breakIt(goodStack()));
      expect(f.map((x) => `${x.resource}: ${x.message}`).join("\n")).toContain(message);
    },
  );

  it("stateful-protected-prod does not apply to dev", () => {
    const dev = goodStack().map((r) =>
      r.type === "azure-native:resources:ResourceGroup"
        ? { ...r, props: { tags: tags("dev") }, protect: false }
        : r,
    );
    expect(only("stateful-protected-prod", dev)).toEqual([]);
  });
});

describe("CrossGuard adapter", () => {
  const argsFor = (r: PolicyResource) => ({
    type: r.type,
    name: r.name,
    urn: `urn:pulumi:prod::p::${r.type}::${r.name}`,
    props: r.props,
    opts: {
      protect: r.protect,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: {},
      additionalSecretOutputs: [],
    },
    getConfig: () => ({}),
  });

  it("reports a resource violation through reportViolation, and nothing for other types", () => {
    const p = crossGuardPolicies.find((x) => x.name === "aks-local-accounts-disabled")!;
    const reported: string[] = [];
    const validate = (p as { validateResource: (a: unknown, r: (m: string) => void) => void })
      .validateResource;
    validate(argsFor(cluster({ disableLocalAccounts: false })), (m) => reported.push(m));
    validate(argsFor(vault()), (m) => reported.push(m));
    expect(reported).toEqual(["disableLocalAccounts must be true"]);
  });

  it("reports a stack violation against the resource's URN", () => {
    const p = crossGuardPolicies.find((x) => x.name === "stateful-protected-prod")!;
    const reported: [string, string | undefined][] = [];
    const rs = goodStack().map((r) => (r.name === "pg" ? { ...r, protect: false } : r));
    (p as { validateStack: (a: unknown, r: (m: string, u?: string) => void) => void }).validateStack(
      { resources: rs.map(argsFor), getConfig: () => ({}) },
      (m, u) => reported.push([m, u]),
    );
    expect(reported).toEqual([
      [
        "stateful resource in prod without protect: true",
        "urn:pulumi:prod::p::azure-native:dbforpostgresql:Server::pg",
      ],
    ]);
  });
});
