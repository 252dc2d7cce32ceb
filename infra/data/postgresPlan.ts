/**
 * Pure decisions for the PostgreSQL Flexible Server: names, SKU, HA/zone layout, backup, server parameters.
 * infra/data/postgres.ts only turns this plan into resources.
 */
import type { PostgresConfig } from "./config";
import { azureName } from "../naming";

export interface PostgresPlanInput {
  stack: string;
  postgres: PostgresConfig;
  /** Stack-wide zone redundancy (config `zoneRedundant`). */
  zoneRedundant: boolean;
}

export interface PostgresPlan {
  serverName: string;
  /** `<server>.private.postgres.database.azure.com`: one zone per server, linked to our VNet. */
  privateDnsZoneName: string;
  version: string;
  sku: { name: string; tier: PostgresConfig["skuTier"] };
  storage: { storageSizeGB: number; autoGrow: "Enabled" };
  /** Primary zone; undefined lets Azure choose (no zone promise without zone redundancy). */
  availabilityZone?: string;
  highAvailability: { mode: PostgresConfig["highAvailability"]; standbyAvailabilityZone?: string };
  backup: { backupRetentionDays: number; geoRedundantBackup: "Enabled" | "Disabled" };
  /** Server parameters, applied in this order (one at a time: the server rejects concurrent changes). */
  configurations: { name: string; value: string; why: string }[];
  databases: string[];
}

/** Compute families per tier: Burstable is B-series, General Purpose D-series, Memory Optimized E-series. */
const TIER_FAMILY: Record<PostgresConfig["skuTier"], RegExp> = {
  Burstable: /^Standard_B/,
  GeneralPurpose: /^Standard_D/,
  MemoryOptimized: /^Standard_E/,
};

/**
 * Plans the server. Throws an Error naming the key and the fix for combinations the config schema cannot
 * see on its own: a SKU outside its tier, HA on Burstable (Azure offers none), zone-redundant HA in a stack
 * that is not zone-redundant.
 */
/**
 * What the config schema cannot see on its own, as messages naming the key and the fix (empty when
 * fine). infra/config.ts reports these with every other config problem, before any resource exists.
 */
export function postgresConfigProblems(pg: PostgresConfig, zoneRedundant: boolean): string[] {
  const problems: string[] = [];
  if (!TIER_FAMILY[pg.skuTier].test(pg.skuName)) {
    problems.push(
      `monitoring-platform:postgres.skuName ${pg.skuName} does not belong to postgres.skuTier ${pg.skuTier}: ` +
        "use Standard_B* with Burstable, Standard_D* with GeneralPurpose, Standard_E* with MemoryOptimized",
    );
  }
  if (pg.skuTier === "Burstable" && pg.highAvailability !== "Disabled") {
    problems.push(
      `monitoring-platform:postgres.highAvailability is ${pg.highAvailability} but Burstable servers have no HA: ` +
        'set postgres.highAvailability to "Disabled", or use postgres.skuTier GeneralPurpose\n' +
        "fix: pulumi config set --path 'monitoring-platform:postgres.highAvailability' Disabled",
    );
  }
  if (pg.highAvailability === "ZoneRedundant" && !zoneRedundant) {
    problems.push(
      "monitoring-platform:postgres.highAvailability is ZoneRedundant but zoneRedundant is false: " +
        'set zoneRedundant to true, or postgres.highAvailability to "SameZone" or "Disabled"\n' +
        "fix: pulumi config set monitoring-platform:zoneRedundant true",
    );
  }
  const dup = pg.databases.find((d, i) => pg.databases.indexOf(d) !== i);
  if (dup) problems.push(`monitoring-platform:postgres.databases lists "${dup}" twice: remove the duplicate`);
  return problems;
}

export function postgresPlan({ stack, postgres: pg, zoneRedundant }: PostgresPlanInput): PostgresPlan {
  const [problem] = postgresConfigProblems(pg, zoneRedundant);
  if (problem) throw new Error(problem);
  const serverName = azureName("psql", stack);
  // Pin zones only when we promise zone redundancy: the standby then lives in another zone than the primary.
  const zones =
    pg.highAvailability === "ZoneRedundant"
      ? { availabilityZone: "1", standbyAvailabilityZone: "2" }
      : pg.highAvailability === "SameZone" && zoneRedundant
        ? { availabilityZone: "1", standbyAvailabilityZone: "1" }
        : {};
  return {
    serverName,
    privateDnsZoneName: `${serverName}.private.postgres.database.azure.com`,
    version: pg.version,
    sku: { name: pg.skuName, tier: pg.skuTier },
    // Auto-grow: a full disk makes the server read-only, which is an outage; growth is cheaper.
    storage: { storageSizeGB: pg.storageSizeGb, autoGrow: "Enabled" },
    availabilityZone: zones.availabilityZone,
    highAvailability: {
      mode: pg.highAvailability,
      standbyAvailabilityZone: pg.highAvailability === "Disabled" ? undefined : zones.standbyAvailabilityZone,
    },
    backup: {
      backupRetentionDays: pg.backupRetentionDays,
      geoRedundantBackup: pg.geoRedundantBackup ? "Enabled" : "Disabled",
    },
    configurations: [
      { name: "require_secure_transport", value: "on", why: "refuse clients that do not use TLS" },
      { name: "ssl_min_protocol_version", value: "TLSv1.2", why: "no TLS 1.0/1.1" },
      {
        name: "max_connections",
        value: String(pg.maxConnections),
        why: "sized in config; a static parameter: Azure applies it at the next server restart",
      },
    ],
    databases: [...pg.databases],
  };
}

/**
 * The storage block to send: the planned one, but never a size below the live disk (auto-grow only grows;
 * Azure refuses to shrink). `liveSizeGb` is undefined before the server exists.
 */
export function storageToRequest(
  planned: PostgresPlan["storage"],
  liveSizeGb: number | undefined,
): PostgresPlan["storage"] {
  if (liveSizeGb === undefined || liveSizeGb <= planned.storageSizeGB) return planned;
  return { ...planned, storageSizeGB: liveSizeGb };
}
