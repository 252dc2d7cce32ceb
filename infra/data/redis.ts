import * as pulumi from "@pulumi/pulumi";
import * as redisenterprise from "@pulumi/azure-native/redisenterprise";
import * as monitor from "@pulumi/azure-native/monitor";
import type * as keyvault from "@pulumi/azure-native/keyvault";
import type { RedisConfig } from "./config";
import { azureName } from "../naming";
import { privateEndpoint } from "../azure/privateDns";
import { redisAccessPolicyAssignment, redisConfigProblems } from "./redisPlan";
import { VAULT_SECRETS } from "../azure/secrets";

import { REDIS_PORT } from "./redisPlan";
export { REDIS_PORT };
/** Azure Managed Redis has exactly one database, and it must be called "default". */
export const REDIS_DATABASE = "default";
/**
 * Key Vault secret holding the redis_exporter password file: JSON `{ "<REDIS_ADDR>": "<access key>" }`.
 * redis_exporter's REDIS_PASSWORD_FILE is such a map, not a bare password, so the raw access key cannot be
 * mounted for it directly.
 */
export const REDIS_EXPORTER_PASSWORD_MAP_SECRET = VAULT_SECRETS.redisExporterPasswordMap;

/** Where a Key Vault secret lands: anything with KeyVault's `addSecret`. */
export interface SecretSink {
  addSecret(secretName: string, value: pulumi.Input<string>, contentType: string): keyvault.Secret;
}

export interface RedisArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  /** The validated `redis` config section. */
  redis: RedisConfig;
  /**
   * The stack promises zone redundancy. Azure Managed Redis spreads an HA cluster over zones by itself (the
   * API refuses explicit zones), so this only checks that `redis.highAvailability` is on.
   */
  zoneRedundant: boolean;
  /** Subnet for the private endpoint (`Network.endpointsSubnetId`). */
  endpointsSubnetId: pulumi.Input<string>;
  /** VNet the private DNS zone is linked to (`Network.vnetId`). */
  vnetId: pulumi.Input<string>;
  /** Connection audit logs and metrics go here (`LogAnalytics.workspaceId`). */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  /** The access key and the exporter password file are written here. */
  vault: SecretSink;
  /**
   * What happens at maxmemory. Default VolatileLRU: only keys with a TTL (cache entries) are evicted, so
   * queue and session keys without TTL are never silently dropped; when only those are left, writes fail
   * loudly (and redis_memory_used_bytes alerts first) instead of losing work.
   */
  evictionPolicy?: "VolatileLRU" | "AllKeysLRU" | "VolatileLFU" | "AllKeysLFU" | "NoEviction";
  protect: boolean;
  tags: Record<string, string>;
}

/** Pure: the exporter's password file for one address. */
export function redisPasswordMap(address: string, key: string): string {
  return JSON.stringify({ [address]: key });
}

/** Pure: the address clients and the exporter use (TLS only: `rediss://`). */
export function redisAddress(hostName: string): string {
  return `rediss://${hostName}:${REDIS_PORT}`;
}

/**
 * Azure Managed Redis (Redis Enterprise resource provider), private only: public network access disabled,
 * a private endpoint in the endpoints subnet with the `privatelink.redis.azure.net` zone, TLS 1.2+ and TLS
 * only on the database. The access key goes straight into Key Vault, never into an output in plain text.
 */
export class Redis extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly clusterId: pulumi.Output<string>;
  /** Host name (resolves privately through the private endpoint's DNS record). */
  public readonly hostName: pulumi.Output<string>;
  /** `rediss://<host>:10000`. */
  public readonly address: pulumi.Output<string>;
  public readonly port = REDIS_PORT;
  /** The Key Vault secrets: the access key, and the exporter password file. */
  public readonly accessKeySecret: keyvault.Secret;
  public readonly exporterPasswordMapSecret: keyvault.Secret;
  private readonly database!: redisenterprise.Database;
  private readonly resourceGroupName!: pulumi.Input<string>;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:data:Redis", name, {}, opts);
    const [problem] = redisConfigProblems(args.redis, args.zoneRedundant);
    if (problem) throw new pulumi.ResourceError(problem, this);
    const clusterName = azureName("redis", args.stack);

    const cluster = new redisenterprise.RedisEnterprise(
      `${name}-cluster`,
      {
        clusterName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        sku: { name: args.redis.skuName },
        highAvailability: args.redis.highAvailability ? "Enabled" : "Disabled",
        minimumTlsVersion: "1.2",
        publicNetworkAccess: "Disabled",
        // No `zones`: Azure Managed Redis SKUs reject them ("Specifying zones for SKU 'Balanced_B5' is not
        // supported. Zone redundancy is enabled by default for this SKU in regions with zones", reported in
        // langchain-ai/terraform#107). With HA on, the replicas spread over zones on their own; that is why
        // zoneRedundant requires redis.highAvailability above.
        tags: args.tags,
      },
      // Cached data and queued work live here; an update must not be able to delete it.
      { parent: this, protect: args.protect },
    );

    const database = new redisenterprise.Database(
      `${name}-db`,
      {
        databaseName: REDIS_DATABASE,
        clusterName: cluster.name,
        resourceGroupName: args.resourceGroupName,
        // Encrypted = TLS only; there is no plaintext port.
        clientProtocol: "Encrypted",
        port: REDIS_PORT,
        // EnterpriseCluster: the one endpoint proxies to all shards, so non-cluster-aware clients (and the
        // NetworkPolicies, which open port 10000 only) work. OSSCluster would expose per-shard ports.
        clusteringPolicy: "EnterpriseCluster",
        evictionPolicy: args.evictionPolicy ?? "VolatileLRU",
        // Access keys stay on for one named tool: redis_exporter cannot fetch Entra ID tokens (it reads a
        // static password file). The app logs in with its workload identity (grantEntraAccess) and never
        // holds the key; operators read it from Key Vault for break-glass redis-cli only.
        accessKeysAuthentication: "Enabled",
      },
      { parent: this, protect: args.protect },
    );

    // Two diagnostic settings, because Azure splits the signals by resource: platform metrics exist only on the
    // cluster (Microsoft.Cache/redisEnterprise), and the only log category, ConnectionEvents (who connected,
    // from where, auth results), exists only on the database (Microsoft.Cache/redisEnterprise/databases) —
    // learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-cache-redisenterprise-databases-logs.
    // One setting with both on either resource is rejected by ARM for the category it does not have.
    new monitor.DiagnosticSetting(
      `${name}-diagnostics-metrics`,
      {
        name: "to-log-analytics",
        resourceUri: cluster.id,
        workspaceId: args.logAnalyticsWorkspaceId,
        metrics: [{ category: "AllMetrics", enabled: true }],
      },
      { parent: this },
    );
    new monitor.DiagnosticSetting(
      `${name}-diagnostics-logs`,
      {
        name: "to-log-analytics",
        resourceUri: database.id,
        workspaceId: args.logAnalyticsWorkspaceId,
        logs: [{ category: "ConnectionEvents", enabled: true }],
      },
      { parent: this },
    );

    privateEndpoint(
      name,
      {
        endpointName: azureName("pe", args.stack, "redis"),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        subnetId: args.endpointsSubnetId,
        targetId: cluster.id,
        groupId: "redisEnterprise",
        zoneName: "privatelink.redis.azure.net",
        linkName: `${clusterName}-vnet`,
        vnetId: args.vnetId,
        zoneConfigName: "redis",
        tags: args.tags,
      },
      this,
    );

    // Read the key after the database exists (its name is an output of the database) and keep it secret
    // all the way into Key Vault.
    const keys = redisenterprise.listDatabaseKeysOutput(
      { clusterName: cluster.name, databaseName: database.name, resourceGroupName: args.resourceGroupName },
      { parent: this },
    );
    const primaryKey = pulumi.secret(keys.primaryKey);
    this.database = database;
    this.resourceGroupName = args.resourceGroupName;
    this.clusterName = cluster.name;
    this.clusterId = cluster.id;
    this.hostName = cluster.hostName;
    this.address = cluster.hostName.apply(redisAddress);
    this.accessKeySecret = args.vault.addSecret(VAULT_SECRETS.redisAccessKey, primaryKey, "password");
    this.exporterPasswordMapSecret = args.vault.addSecret(
      REDIS_EXPORTER_PASSWORD_MAP_SECRET,
      pulumi.secret(pulumi.all([this.address, primaryKey]).apply(([a, k]) => redisPasswordMap(a, k))),
      "application/json",
    );
    this.registerOutputs({ hostName: this.hostName, address: this.address });
  }

  /**
   * Lets an Entra ID identity (a workload identity's principal) read and write the database with tokens
   * instead of the access key (see redisAccessPolicyAssignment). Returns the assignment, for dependsOn.
   */
  grantEntraAccess(client: string, objectId: pulumi.Input<string>): redisenterprise.AccessPolicyAssignment {
    return new redisenterprise.AccessPolicyAssignment(
      `${client}-redis-access`,
      {
        ...redisAccessPolicyAssignment(client),
        clusterName: this.clusterName,
        databaseName: this.database.name,
        resourceGroupName: this.resourceGroupName,
        user: { objectId },
      },
      { parent: this },
    );
  }
}
