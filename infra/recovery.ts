/**
 * Disaster recovery, as config: the optional `recovery` section of a stack turns it into a rebuild of
 * another stack (the "source") from nothing — Postgres restored from the source's backups, the Key Vault
 * recovered (if soft-deleted) or created anew and re-seeded, everything else recreated from code in the
 * stack's `location`. `npm run dr:rebuild` writes this section; this module decides whether it is valid
 * and what the Postgres and Key Vault resources get. Pure: no Pulumi, no I/O, the clock is passed in.
 *
 * It never imports infra/config.ts (config imports the schema from here), so regions are plain strings.
 */
import { z } from "zod";
import { azureName } from "./naming";
import { PAIRED_REGION, ZONE_REGIONS } from "./regions";
import { registryName } from "./azure/registryPlan";
import { remoteWriteNames } from "./monitoring/remoteWritePlan";

export { PAIRED_REGION, ZONE_REGIONS };

const KEY = "monitoring-platform:recovery";
const ISO_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
/** ARM id of a Flexible Server: /subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.DBforPostgreSQL/flexibleServers/<name>. */
const PG_SERVER_ID_RE =
  /^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/[a-z0-9][-a-z0-9]{1,61}[a-z0-9]$/i;
/** Key Vault names: 3-24 characters, letters, digits and hyphens, starting with a letter. */
const VAULT_NAME_RE = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

/** The `recovery` section of the stack config (absent on a normal stack). */
export const recoverySchema = z.strictObject({
  /** The stack being rebuilt (its config is where this stack's config was copied from). */
  sourceStack: z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: "must be a stack name such as prod" }),
  /** Region the source stack lived in (the lost region, or this stack's own region for a PITR). */
  sourceLocation: z.string().regex(/^[a-z0-9]+$/, { message: "must be an Azure region such as westeurope" }),
  /** Point in time to restore Postgres to, ISO 8601 with a zone (e.g. 2026-12-01T03:00:00Z). */
  restoreTime: z.string(),
  /**
   * When the rebuild was done (set by `npm run dr:rebuild` after a successful update). Later updates check
   * the restore time against this instead of "now", so the stack stays valid after its backups age out.
   */
  completedAt: z.string().optional(),
  postgres: z.strictObject({
    /** PointInTimeRestore (same region as the source) or GeoRestore (the source's paired region). */
    createMode: z.enum(["PointInTimeRestore", "GeoRestore"], {
      message: 'must be "PointInTimeRestore" (same region) or "GeoRestore" (paired region)',
    }),
    /** ARM id of the source Flexible Server whose backups are restored. */
    sourceServerId: z.string().regex(PG_SERVER_ID_RE, {
      message:
        "must be the ARM id of the source server: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.DBforPostgreSQL/flexibleServers/<name>",
    }),
  }),
  keyVault: z.strictObject({
    /** recover: undelete the source's soft-deleted vault `name`; create: a new vault, secrets re-seeded. */
    mode: z.enum(["recover", "create"], { message: 'must be "recover" or "create"' }),
    /** The soft-deleted vault to recover (mode recover only). */
    name: z
      .string()
      .regex(VAULT_NAME_RE, { message: "must be a Key Vault name (3-24 letters, digits, hyphens)" })
      .optional(),
  }),
});

export type RecoveryConfig = z.infer<typeof recoverySchema>;

/** What the recovery checks need to know about the rest of the stack (plain values, no config import). */
export interface RecoveryContext {
  /** The stack's `location`: where everything is rebuilt. */
  location: string;
  zoneRedundant: boolean;
  /** Copied from the source stack: its backups were taken with these settings. */
  postgres: { backupRetentionDays: number; geoRedundantBackup: boolean };
}

/** Parses an ISO 8601 time with an explicit zone; undefined when malformed. */
export function parseRestoreTime(s: string): Date | undefined {
  if (!ISO_UTC_RE.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Every problem with the recovery section, as messages naming the key, the bad value and the fix (empty
 * when fine). Run with the other config checks, before any resource is registered.
 * @param now the clock; the restore window is relative to it (or to `completedAt` once the rebuild is done).
 */
export function recoveryProblems(r: RecoveryConfig, ctx: RecoveryContext, now: Date): string[] {
  const problems: string[] = [];
  const p = (key: string, msg: string) => problems.push(`${KEY}.${key} ${msg}`);

  const restore = parseRestoreTime(r.restoreTime);
  const reference = r.completedAt === undefined ? now : parseRestoreTime(r.completedAt);
  if (r.completedAt !== undefined && reference === undefined) {
    p("completedAt", `"${r.completedAt}" is not an ISO 8601 time with a zone, e.g. 2026-12-01T04:30:00Z`);
  }
  if (!restore) {
    p(
      "restoreTime",
      `"${r.restoreTime}" is not an ISO 8601 time with a zone: use e.g. 2026-12-01T03:00:00Z ` +
        `(npm run dr:rebuild -- ... --restore-time 2026-12-01T03:00:00Z)`,
    );
  } else if (reference) {
    // Backups cover the last backupRetentionDays (7-35): "The backup retention period governs the
    // timeframe from which a PITR can be retrieved" (learn.microsoft.com/azure/postgresql/flexible-server/
    // concepts-backup-restore#backup-retention). The same window applies to geo-redundant copies.
    const earliest = new Date(reference.getTime() - ctx.postgres.backupRetentionDays * DAY_MS);
    if (restore.getTime() > reference.getTime()) {
      p(
        "restoreTime",
        `${r.restoreTime} is in the future (now is ${reference.toISOString()}): pick a time before the ` +
          "incident, or omit --restore-time to restore to the latest point",
      );
    } else if (restore.getTime() < earliest.getTime()) {
      p(
        "restoreTime",
        `${r.restoreTime} is outside the backup retention window: postgres.backupRetentionDays is ` +
          `${ctx.postgres.backupRetentionDays}, so the earliest restore point is ${earliest.toISOString()}`,
      );
    }
  }

  const pair = PAIRED_REGION[r.sourceLocation];
  if (!(r.sourceLocation in PAIRED_REGION)) {
    p("sourceLocation", `"${r.sourceLocation}" is not a region this program deploys to (e.g. westeurope)`);
  }
  if (r.postgres.createMode === "PointInTimeRestore" && ctx.location !== r.sourceLocation) {
    // "performing a PITR creates a new server in the same region as your source server"
    // (learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore#point-in-time-recovery)
    p(
      "postgres.createMode",
      `is PointInTimeRestore, which restores into the source's region ${r.sourceLocation}, but location is ` +
        `${ctx.location}: use GeoRestore to rebuild in the paired region${pair ? ` (${pair})` : ""}, or set location to ${r.sourceLocation}`,
    );
  }
  if (r.postgres.createMode === "GeoRestore") {
    if (ctx.location === r.sourceLocation) {
      p(
        "postgres.createMode",
        `is GeoRestore into the source's own region ${r.sourceLocation}: geo-restore targets the paired ` +
          `region${pair ? ` (${pair})` : ""}; to restore in ${r.sourceLocation} use PointInTimeRestore`,
      );
    } else if (r.sourceLocation in PAIRED_REGION && pair === undefined) {
      p(
        "postgres.createMode",
        `is GeoRestore but ${r.sourceLocation} has no paired region, so there is no geo-redundant backup: ` +
          `rebuild in ${r.sourceLocation} with PointInTimeRestore`,
      );
    } else if (pair !== undefined && ctx.location !== pair) {
      // Geo-redundant backups are replicated to the paired region only, and geo-restore restores there
      // (learn.microsoft.com/azure/postgresql/flexible-server/concepts-backup-restore#geo-redundant-backup-and-restore).
      p(
        "postgres.createMode",
        `is GeoRestore from ${r.sourceLocation}, whose backups are replicated only to its paired region ` +
          `${pair}, but location is ${ctx.location}: rebuild with --region ${pair}`,
      );
    }
    if (!ctx.postgres.geoRedundantBackup) {
      // Geo-redundant backup is chosen at server creation only; without it nothing exists in the pair.
      p(
        "postgres.createMode",
        "is GeoRestore but the source was created with postgres.geoRedundantBackup false: there is no " +
          `copy outside ${r.sourceLocation}; restore there with PointInTimeRestore`,
      );
    }
  }
  if (ctx.zoneRedundant && !ZONE_REGIONS.has(ctx.location)) {
    problems.push(
      `monitoring-platform:location ${ctx.location} has no availability zones, but the stack is zone-redundant ` +
        `(AKS zones 1-3, zone-redundant Postgres HA): rebuild in a region with zones, e.g. ${[...ZONE_REGIONS].filter((z) => z !== r.sourceLocation)[0]}`,
    );
  }
  if (r.keyVault.mode === "recover") {
    if (!r.keyVault.name) {
      p(
        "keyVault.name",
        "is missing: name the soft-deleted vault to recover (az keyvault list-deleted), or use mode create",
      );
    }
    // A deleted vault is a proxy resource "in the same location as the deleted key vault"
    // (learn.microsoft.com/azure/key-vault/general/soft-delete-overview#key-vault-recovery): it can only
    // come back there.
    if (ctx.location !== r.sourceLocation) {
      p(
        "keyVault.mode",
        `is recover, but a soft-deleted vault can only be recovered in its own region ${r.sourceLocation}, ` +
          `not ${ctx.location}: use mode create (the program re-seeds the secrets)`,
      );
    }
  } else if (r.keyVault.name !== undefined) {
    p(
      "keyVault.name",
      "is set but keyVault.mode is create: a new vault gets a fresh name; remove name or use mode recover",
    );
  }
  return problems;
}

/** Restore-only inputs of the Postgres server (azure-native dbforpostgresql.Server). */
export interface PostgresRestore {
  createMode: "PointInTimeRestore" | "GeoRestore";
  sourceServerResourceId: string;
  /** ISO 8601 UTC, as the API expects ("Creation time (in ISO8601 format) of the backup"). */
  pointInTimeUTC: string;
}

/** What the Postgres and Key Vault components get in a recovery stack. */
export interface RecoveryPlan {
  postgres: PostgresRestore;
  /** Present when the soft-deleted vault is recovered under its old name. */
  keyVault?: { vaultName: string };
}

/**
 * Server inputs that only matter when the server is created. After the restore the next `pulumi up` must
 * not see a change in them (a later edit of the restore time must not ask for a new server), so the
 * Postgres component puts these under `ignoreChanges` in a recovery stack.
 */
export const POSTGRES_RESTORE_FIELDS = ["createMode", "sourceServerResourceId", "pointInTimeUTC"] as const;
/** The vault's create mode ("recover"/"default") only matters at creation; ignored afterwards likewise. */
export const KEY_VAULT_RECOVER_FIELDS = ["properties.createMode"] as const;

/**
 * The backup settings of the server a restore creates. A GeoRestore runs while the source's region (the
 * pair of the target) may be down, and "when the primary region is down, you can't create geo-redundant
 * servers in the respective geo-paired region, because storage can't be provisioned in the primary region
 * … restore as a locally redundant server" (learn.microsoft.com/azure/postgresql/flexible-server/
 * concepts-backup-restore#geo-redundant-backup-and-restore). So a geo-restored server keeps zone-redundant
 * backups in its region only; geo-redundancy comes back with the next planned migration to a new server.
 */
export function restoredBackup<B extends { geoRedundantBackup: "Enabled" | "Disabled" }>(
  backup: B,
  restore: PostgresRestore | undefined,
): B {
  return restore?.createMode === "GeoRestore" ? { ...backup, geoRedundantBackup: "Disabled" } : backup;
}

/** Turns a validated recovery section into component inputs. Throws on input recoveryProblems rejects. */
export function recoveryPlan(r: RecoveryConfig): RecoveryPlan {
  const t = parseRestoreTime(r.restoreTime);
  if (!t) throw new Error(`${KEY}.restoreTime "${r.restoreTime}" is not an ISO 8601 time`);
  return {
    postgres: {
      createMode: r.postgres.createMode,
      sourceServerResourceId: r.postgres.sourceServerId,
      pointInTimeUTC: t.toISOString(),
    },
    keyVault: r.keyVault.mode === "recover" && r.keyVault.name ? { vaultName: r.keyVault.name } : undefined,
  };
}

/** The ARM id of a stack's Postgres server, from the naming rules (infra/naming.ts). */
export function postgresServerId(subscriptionId: string, stack: string): string {
  return (
    `/subscriptions/${subscriptionId}/resourceGroups/${azureName("rg", stack)}` +
    `/providers/Microsoft.DBforPostgreSQL/flexibleServers/${azureName("psql", stack)}`
  );
}

export interface RecoveryRequest {
  /** The stack being rebuilt, e.g. prod. */
  sourceStack: string;
  /** The recovery stack, e.g. prod-dr. */
  targetStack: string;
  /** The source stack's region (its `location`). */
  sourceLocation: string;
  /** Where to rebuild. */
  region: string;
  /** ISO time to restore to. */
  restoreTime: string;
  subscriptionId: string;
  /** Soft-deleted vault to recover; omitted: a new vault. */
  recoverVault?: string;
}

/** The recovery section for a request: GeoRestore when the region changes, PITR when it stays. */
export function recoverySection(req: RecoveryRequest): RecoveryConfig {
  return {
    sourceStack: req.sourceStack,
    sourceLocation: req.sourceLocation,
    restoreTime: req.restoreTime,
    postgres: {
      createMode: req.region === req.sourceLocation ? "PointInTimeRestore" : "GeoRestore",
      sourceServerId: postgresServerId(req.subscriptionId, req.sourceStack),
    },
    keyVault: req.recoverVault ? { mode: "recover", name: req.recoverVault } : { mode: "create" },
  };
}

/**
 * The recovery stack's raw config (`{ "<ns>:<key>": string }`, as Pulumi hands config over): the source's
 * config with `location` replaced by the target region and the recovery section filled in. Secrets are
 * carried over as they are (the caller decides whether they are placeholders or real values).
 *
 * A stack that creates its own registry (no `registry.existingId`) gets a new, empty one named after the
 * recovery stack, so the app image moves there: the images are imported into it after the update
 * (`az acr import`, docs/runbooks/disaster-recovery.md); the source's registry may be in the lost region.
 */
export function recoveryStackConfig(
  source: Record<string, string>,
  req: RecoveryRequest,
): Record<string, string> {
  const out: Record<string, string> = {
    ...source,
    "monitoring-platform:location": req.region,
    [KEY]: JSON.stringify(recoverySection(req)),
  };
  const monitoring = reconnectedMonitoring(source, req);
  if (monitoring) out["monitoring-platform:monitoring"] = JSON.stringify(monitoring);
  const app = parseJson(source["monitoring-platform:app"]);
  const registry = parseJson(source["monitoring-platform:registry"]);
  if (app && typeof app.image === "string" && !registry?.existingId) {
    const repo = app.image.split("/").slice(1).join("/");
    out["monitoring-platform:app"] = JSON.stringify({
      ...app,
      image: `${registryName(req.targetStack)}.azurecr.io/${repo}`,
    });
  }
  return out;
}

/** The Azure Monitor workspace a stack creates for remote write, by the name remoteWritePlan gives it. */
export function metricsWorkspaceId(subscriptionId: string, stack: string): string {
  return (
    `/subscriptions/${subscriptionId}/resourceGroups/${azureName("rg", stack)}` +
    `/providers/Microsoft.Monitor/accounts/${remoteWriteNames(stack).workspace}`
  );
}

/**
 * The rebuilt stack writes to the source's own metrics workspace when that workspace is still there: a
 * rebuild in the same region (the region stands), or a workspace the source placed in another region
 * (`monitoring.remoteWrite.location`) than the one being left. Then the 18 months of history and the new
 * cluster's series sit in one place, under the new cluster's name. A workspace in the lost region is not
 * reachable (regional, not replicated): the rebuild makes its own, as a fresh stack does. A source that
 * already names a shared workspace (`workspaceId`) keeps it unchanged.
 */
function reconnectedMonitoring(source: Record<string, string>, req: RecoveryRequest) {
  const monitoring = parseJson(source["monitoring-platform:monitoring"]);
  const rw = monitoring?.remoteWrite as
    { enabled?: unknown; workspaceId?: unknown; location?: unknown } | undefined;
  if (!monitoring || rw?.enabled !== true || rw.workspaceId !== undefined) return undefined;
  const workspaceLocation = typeof rw.location === "string" ? rw.location : req.sourceLocation;
  const lost = req.region !== req.sourceLocation && workspaceLocation === req.sourceLocation;
  if (lost) return undefined;
  return {
    ...monitoring,
    remoteWrite: {
      ...rw,
      workspaceId: metricsWorkspaceId(req.subscriptionId, req.sourceStack),
      location: workspaceLocation,
    },
  };
}

function parseJson(s: string | undefined): Record<string, unknown> | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // the schema reports malformed JSON with the key
  }
}
