import type { RedisConfig } from "./config";

/** Azure Managed Redis serves TLS on this port for the `default` database. */
export const REDIS_PORT = 10000;

/**
 * Problems in the `redis` config the schema cannot see, as messages naming the key and the fix.
 * Azure Managed Redis spreads an HA cluster over zones by itself (SKUs reject explicit zones), so a
 * zone-redundant stack needs HA: without it there is no replica to put in another zone.
 */
export function redisConfigProblems(redis: RedisConfig, zoneRedundant: boolean): string[] {
  return zoneRedundant && !redis.highAvailability
    ? [
        "monitoring-platform:redis.highAvailability is false but zoneRedundant is true: without HA there is no " +
          "replica to place in another zone; set redis.highAvailability to true",
      ]
    : [];
}

/**
 * The access policy assignment of an Entra ID client on the Redis database: the built-in `default` policy
 * (read and write data; the "Data Owner" of Azure Managed Redis), named after the client. Assignment names
 * are letters and digits only (Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments, 1-60
 * characters). The client logs in with its object id as username and an Entra token for
 * https://redis.azure.com/.default as password (learn.microsoft.com/azure/redis/entra-for-authentication).
 */
export function redisAccessPolicyAssignment(client: string) {
  const name = client.replace(/[^A-Za-z0-9]/g, "").slice(0, 60);
  if (!name)
    throw new Error(`"${client}" has no letters or digits for a Redis access policy assignment name`);
  return { accessPolicyAssignmentName: name, accessPolicyName: "default" };
}

/** The token scope Entra ID clients of Azure Managed Redis ask for. */
export const REDIS_ENTRA_SCOPE = "https://redis.azure.com/.default";
