/**
 * The Azure promises of the platform, as pure checks over one resource's inputs (see types.ts).
 * Property names are azure-native 3.x's (node_modules/@pulumi/azure-native/<module>/*.d.ts).
 */
import { type PolicyResource, type ResourcePolicy, arr, environmentOf, obj, peek } from "./types";

export const T = {
  cluster: "azure-native:containerservice:ManagedCluster",
  agentPool: "azure-native:containerservice:AgentPool",
  vault: "azure-native:keyvault:Vault",
  kvSecret: "azure-native:keyvault:Secret",
  pgServer: "azure-native:dbforpostgresql:Server",
  pgConfiguration: "azure-native:dbforpostgresql:Configuration",
  pgDatabase: "azure-native:dbforpostgresql:Database",
  redis: "azure-native:redisenterprise:RedisEnterprise",
  redisDatabase: "azure-native:redisenterprise:Database",
  diagnostics: "azure-native:monitor:DiagnosticSetting",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  privateEndpoint: "azure-native:network:PrivateEndpoint",
  privateDnsZoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  privateZone: "azure-native:privatedns:PrivateZone",
  registry: "azure-native:containerregistry:Registry",
  workspace: "azure-native:operationalinsights:Workspace",
  resourceGroup: "azure-native:resources:ResourceGroup",
  policyAssignment: "azure-native:authorization:PolicyAssignment",
  metricsWorkspace: "azure-native:monitor:AzureMonitorWorkspace",
  dataCollectionRule: "azure-native:monitor:DataCollectionRule",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  metricAlert: "azure-native:monitor:MetricAlert",
  actionGroup: "azure-native:monitor:ActionGroup",
  activityLogAlert: "azure-native:monitor:ActivityLogAlert",
  prometheusRuleGroup: "azure-native:alertsmanagement:PrometheusRuleGroup",
  nsg: "azure-native:network:NetworkSecurityGroup",
  subnet: "azure-native:network:Subnet",
  flowLog: "azure-native:network:FlowLog",
  vnet: "azure-native:network:VirtualNetwork",
  storageAccount: "azure-native:storage:StorageAccount",
} as const;

const isProd = (r: PolicyResource) => environmentOf(r) === "prod";
const at = (v: unknown, ...path: string[]) => peek(() => path.reduce<unknown>((o, k) => obj(o)[k], v));

/** Collects the messages of the failed conditions. */
function failures(...conds: [ok: boolean, message: string][]): string[] {
  return conds.filter(([ok]) => !ok).map(([, m]) => m);
}

// ---- AKS -----------------------------------------------------------------------------------------

export const aksEntraRbac: ResourcePolicy = {
  kind: "resource",
  name: "aks-entra-rbac",
  description: "AKS uses Entra ID authentication with Azure RBAC for Kubernetes authorization.",
  types: [T.cluster],
  // https://learn.microsoft.com/azure/aks/manage-azure-rbac (aadProfile.managed + enableAzureRBAC)
  check: (r) =>
    failures(
      [
        at(r.props, "aadProfile", "managed") === true,
        "aadProfile.managed must be true (AKS-managed Entra ID)",
      ],
      [at(r.props, "aadProfile", "enableAzureRBAC") === true, "aadProfile.enableAzureRBAC must be true"],
      [at(r.props, "enableRBAC") !== false, "enableRBAC must not be false"],
    ),
};

export const aksLocalAccountsDisabled: ResourcePolicy = {
  kind: "resource",
  name: "aks-local-accounts-disabled",
  description: "AKS local accounts (the static cluster-admin kubeconfig) are disabled.",
  types: [T.cluster],
  // https://learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad
  check: (r) => failures([at(r.props, "disableLocalAccounts") === true, "disableLocalAccounts must be true"]),
};

export const aksWorkloadIdentity: ResourcePolicy = {
  kind: "resource",
  name: "aks-workload-identity",
  description: "AKS has the OIDC issuer and workload identity on (pods get Azure tokens without secrets).",
  types: [T.cluster],
  // https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster (both flags are required)
  check: (r) =>
    failures(
      [at(r.props, "oidcIssuerProfile", "enabled") === true, "oidcIssuerProfile.enabled must be true"],
      [
        at(r.props, "securityProfile", "workloadIdentity", "enabled") === true,
        "securityProfile.workloadIdentity.enabled must be true",
      ],
    ),
};

/** CIDRs that open the API server to the whole internet. */
const OPEN_RANGES = new Set(["0.0.0.0/0", "::/0", "0.0.0.0/1", "128.0.0.0/1", "*"]);

export const aksApiServerRestricted: ResourcePolicy = {
  kind: "resource",
  name: "aks-api-server-restricted",
  description: "The AKS API server is private or limited to authorized IP ranges.",
  types: [T.cluster],
  // https://learn.microsoft.com/azure/aks/private-clusters and
  // https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges (an empty list means "open to all").
  check: (r) => {
    if (at(r.props, "apiServerAccessProfile", "enablePrivateCluster") === true) return [];
    const ranges = arr(at(r.props, "apiServerAccessProfile", "authorizedIPRanges"));
    if (!ranges.length) {
      return ["API server is public: set apiServerAccessProfile.enablePrivateCluster or authorizedIPRanges"];
    }
    const open = ranges.filter((c) => OPEN_RANGES.has(String(c)));
    return open.length ? [`authorizedIPRanges opens the API server to everyone: ${open.join(", ")}`] : [];
  },
};

export const aksNetworkPolicy: ResourcePolicy = {
  kind: "resource",
  name: "aks-network-policy",
  description: "AKS enforces Kubernetes NetworkPolicy (the apps' default-deny depends on it).",
  types: [T.cluster],
  // https://learn.microsoft.com/azure/aks/use-network-policies: without an engine, NetworkPolicy objects
  // are accepted and silently not enforced.
  check: (r) => {
    const engine = at(r.props, "networkProfile", "networkPolicy");
    return ["azure", "calico", "cilium"].includes(String(engine))
      ? []
      : [`networkProfile.networkPolicy is ${JSON.stringify(engine)}; use cilium, azure or calico`];
  },
};

export const aksSystemPoolOnlyInline: ResourcePolicy = {
  kind: "resource",
  name: "aks-inline-pools-system-only",
  description:
    "The cluster's inline pools are System pools only; user pools are separate containerservice.AgentPool resources.",
  types: [T.cluster],
  // Inline agentPoolProfiles are one property of the cluster: a pool cannot be added to them later, and
  // one edit updates every pool (https://learn.microsoft.com/azure/aks/use-system-pools and
  // the AgentPool resource https://www.pulumi.com/registry/packages/azure-native/api-docs/containerservice/agentpool/).
  check: (r) => {
    const pools = arr(peek(() => r.props.agentPoolProfiles)).map(obj);
    const user = pools.filter((p) => p.mode !== "System").map((p) => String(p.name));
    return [
      ...(user.length
        ? [
            `inline agentPoolProfiles hold non-System pool(s) ${user.join(", ")}: make them containerservice.AgentPool`,
          ]
        : []),
      ...(pools.some((p) => p.mode === "System") ? [] : ["no inline System pool"]),
    ];
  },
};

// ---- Key Vault -------------------------------------------------------------------------------------

export const keyVaultRbac: ResourcePolicy = {
  kind: "resource",
  name: "keyvault-rbac",
  description: "Key Vault uses Azure RBAC for data-plane access, not access policies.",
  types: [T.vault],
  // https://learn.microsoft.com/azure/key-vault/general/rbac-guide (access policies are ignored once RBAC is on)
  check: (r) => {
    const p = obj(at(r.props, "properties"));
    return failures(
      [p.enableRbacAuthorization === true, "properties.enableRbacAuthorization must be true"],
      [arr(p.accessPolicies).length === 0, "properties.accessPolicies must be empty under RBAC"],
    );
  },
};

export const keyVaultPurgeProtection: ResourcePolicy = {
  kind: "resource",
  name: "keyvault-purge-protection-prod",
  description: "A prod Key Vault has soft delete and purge protection (a deleted secret can be recovered).",
  types: [T.vault],
  // https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview (purge protection cannot be
  // turned off once on; only prod requires it so dev can be torn down and recreated under the same name).
  check: (r) => {
    if (!isProd(r)) return [];
    const p = obj(at(r.props, "properties"));
    return failures(
      [p.enablePurgeProtection === true, "properties.enablePurgeProtection must be true in prod"],
      [p.enableSoftDelete !== false, "properties.enableSoftDelete must not be false in prod"],
    );
  },
};

export const keyVaultFirewall: ResourcePolicy = {
  kind: "resource",
  name: "keyvault-firewall-deny",
  description:
    "Key Vault's firewall denies by default (access through the private endpoint and named rules).",
  types: [T.vault],
  // https://learn.microsoft.com/azure/key-vault/general/network-security
  check: (r) => {
    const p = obj(at(r.props, "properties"));
    const deny = obj(p.networkAcls).defaultAction === "Deny";
    const disabled = String(p.publicNetworkAccess).toLowerCase() === "disabled";
    return deny || disabled ? [] : ["properties.networkAcls.defaultAction must be Deny"];
  },
};

export const aksEphemeralOsDisk: ResourcePolicy = {
  kind: "resource",
  name: "aks-ephemeral-os-disk",
  description: "Every AKS node pool boots from an ephemeral OS disk (the AKS baseline's pools).",
  types: [T.cluster, T.agentPool],
  // https://learn.microsoft.com/azure/aks/concepts-storage#ephemeral-os-disk: the OS on the VM's local disk,
  // so reimage and scale-out are fast and no OS managed disk is billed or throttled. The cluster's list also
  // carries the separate user pool once AKS reports it (CrossGuard sees outputs): all must be Ephemeral.
  check: (r) => {
    const pools =
      r.type === T.cluster
        ? arr(at(r.props, "agentPoolProfiles")).map((p) => ({
            name: at(p, "name"),
            type: at(p, "osDiskType"),
          }))
        : [{ name: at(r.props, "agentPoolName") ?? r.name, type: at(r.props, "osDiskType") }];
    return pools
      .filter((p) => p.type !== "Ephemeral")
      .map((p) => `pool ${String(p.name)}: osDiskType is ${JSON.stringify(p.type)}, must be "Ephemeral"`);
  },
};

export const registryZoneRedundantProd: ResourcePolicy = {
  kind: "resource",
  name: "acr-zone-redundant-prod",
  description: "A prod container registry is zone-redundant (image pulls survive a zone outage).",
  types: [T.registry],
  // https://learn.microsoft.com/azure/container-registry/zone-redundancy (Premium, fixed at creation).
  check: (r) =>
    isProd(r)
      ? failures([at(r.props, "zoneRedundancy") === "Enabled", 'zoneRedundancy must be "Enabled" in prod'])
      : [],
};

// ---- Postgres ---------------------------------------------------------------------------------------

export const postgresHaProd: ResourcePolicy = {
  kind: "resource",
  name: "postgres-ha-prod",
  description: "A prod Postgres flexible server is zone-redundant HA with geo-redundant backup.",
  types: [T.pgServer],
  // https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-high-availability and
  // .../concepts-backup-restore (geo-redundant backup can only be chosen at server creation).
  check: (r) => {
    if (!isProd(r)) return [];
    return failures(
      [
        at(r.props, "highAvailability", "mode") === "ZoneRedundant",
        "highAvailability.mode must be ZoneRedundant in prod",
      ],
      [
        at(r.props, "backup", "geoRedundantBackup") === "Enabled" ||
          // A geo-restore (disaster recovery into the paired region) cannot create geo-redundant storage
          // while the source region is down; Azure says to restore locally redundant (concepts-backup-restore,
          // "Geo-redundant backup and restore"; infra/recovery.ts restoredBackup).
          at(r.props, "createMode") === "GeoRestore",
        "backup.geoRedundantBackup must be Enabled in prod",
      ],
    );
  },
};

export const postgresPrivate: ResourcePolicy = {
  kind: "resource",
  name: "postgres-private",
  description: "Postgres has no public endpoint (VNet-integrated, private DNS).",
  types: [T.pgServer],
  // https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private
  check: (r) =>
    failures([
      at(r.props, "network", "publicNetworkAccess") === "Disabled",
      "network.publicNetworkAccess must be Disabled",
    ]),
};

/** Server parameters that carry the TLS promise, and the values that keep it. */
const PG_TLS_PARAMETERS: Record<string, (v: string) => boolean> = {
  require_secure_transport: (v) => v.toLowerCase() === "on",
  ssl_min_protocol_version: (v) => ["TLSv1.2", "TLSv1.3"].includes(v),
};

export const postgresTls: ResourcePolicy = {
  kind: "resource",
  name: "postgres-tls",
  description: "Postgres server parameters keep TLS required, version 1.2 or higher.",
  types: [T.pgConfiguration],
  // Flexible server requires TLS by default (require_secure_transport=on, ssl_min_protocol_version=TLSv1.2):
  // https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-ssl-tls. The promise is
  // that no parameter override weakens that.
  check: (r) => {
    const name = String(at(r.props, "configurationName") ?? at(r.props, "name") ?? "");
    const ok = PG_TLS_PARAMETERS[name];
    const value = at(r.props, "value");
    if (!ok || value === undefined) return [];
    return ok(String(value)) ? [] : [`server parameter ${name} = ${JSON.stringify(value)} weakens TLS`];
  },
};

// ---- Redis ------------------------------------------------------------------------------------------

export const redisTls: ResourcePolicy = {
  kind: "resource",
  name: "redis-tls-only",
  description: "Redis accepts TLS 1.2+ connections only.",
  types: [T.redis, T.redisDatabase],
  // clientProtocol Encrypted = TLS only; minimumTlsVersion on the cluster
  // (https://learn.microsoft.com/azure/redis/tls-configuration; azure-native redisenterprise Database/RedisEnterprise args).
  check: (r) =>
    r.type === T.redis
      ? failures([
          ["1.2", "1.3"].includes(String(at(r.props, "minimumTlsVersion"))),
          "minimumTlsVersion must be 1.2 or higher",
        ])
      : failures([at(r.props, "clientProtocol") === "Encrypted", "clientProtocol must be Encrypted"]),
};

export const redisPrivate: ResourcePolicy = {
  kind: "resource",
  name: "redis-private",
  description: "Redis has public network access disabled (reached through its private endpoint).",
  types: [T.redis],
  // https://learn.microsoft.com/azure/redis/private-link
  check: (r) =>
    failures([
      String(at(r.props, "publicNetworkAccess")) === "Disabled",
      "publicNetworkAccess must be Disabled",
    ]),
};

export const aksDefender: ResourcePolicy = {
  kind: "resource",
  name: "aks-defender",
  description:
    "AKS runs the Defender for Containers sensor (securityProfile.defender) reporting to a Log Analytics workspace.",
  types: [T.cluster],
  // AKS baseline cluster-stamp.bicep (securityProfile.defender); learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-enable
  check: (r) =>
    failures(
      [
        at(r.props, "securityProfile", "defender", "securityMonitoring", "enabled") === true,
        "securityProfile.defender.securityMonitoring.enabled must be true",
      ],
      [
        // Present (its value, the workspace's id, is not known at preview).
        "logAnalyticsWorkspaceResourceId" in obj(at(r.props, "securityProfile", "defender")),
        "securityProfile.defender.logAnalyticsWorkspaceResourceId must name the workspace",
      ],
    ),
};

export const subnetNsg: ResourcePolicy = {
  kind: "resource",
  name: "subnet-nsg",
  description: "Every subnet has a network security group.",
  types: [T.subnet],
  // mspnp/aks-baseline spoke: an NSG on each subnet (infra/azure/networkSecurityPlan.ts)
  check: (r) =>
    // Present (the NSG's id is not known at preview).
    failures(["id" in obj(at(r.props, "networkSecurityGroup")), "networkSecurityGroup must be set"]),
};

export const azureResourcePolicies: ResourcePolicy[] = [
  aksEntraRbac,
  aksLocalAccountsDisabled,
  aksWorkloadIdentity,
  aksApiServerRestricted,
  aksNetworkPolicy,
  aksSystemPoolOnlyInline,
  aksEphemeralOsDisk,
  registryZoneRedundantProd,
  keyVaultRbac,
  keyVaultPurgeProtection,
  keyVaultFirewall,
  postgresHaProd,
  postgresPrivate,
  postgresTls,
  redisTls,
  redisPrivate,
  aksDefender,
  subnetNsg,
];
