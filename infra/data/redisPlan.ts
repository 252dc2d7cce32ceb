import type { RedisConfig } from "./config";

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
