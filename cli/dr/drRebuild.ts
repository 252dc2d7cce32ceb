/**
 * The disaster-recovery rebuild, as a sequence of steps over narrow interfaces so the order and the
 * stop conditions are unit-tested with a fake workspace (test/drRebuild.test.ts):
 *
 *   1. read the source stack's config            (workspace)
 *   2. write the recovery section, validate it    (pure: infra/recovery.ts + the config schema)
 *   3. create or select the recovery stack, set its config
 *   4. preview — a failed preview, or one that would delete/replace anything, stops here
 *   5. update (pulumi up), then record recovery.completedAt
 *   6. smoke check — last, on the rebuilt platform
 *
 * cli/dr/main.ts wires these interfaces to the Pulumi Automation API (LocalWorkspace) and to the
 * smoke check; --offline replaces steps 3-6 with the offline render.
 */
import { ConfigError, parseStackConfig, PROJECT, SECRET_KEYS } from "../../infra/config";
import {
  parseRestoreTime,
  recoveryProblems,
  recoveryStackConfig,
  type RecoveryRequest,
} from "../../infra/recovery";

export interface RebuildArgs {
  from: string;
  region: string;
  /** ISO time; omitted: "now" (the latest restore point) at the time of the rebuild. */
  restoreTime?: string;
  /** Name of the recovery stack; default `<from>-dr`. */
  stack?: string;
  subscriptionId: string;
  recoverVault?: string;
}

/** One config value as the Automation API takes it. */
export interface ConfigEntry {
  value: string;
  secret: boolean;
}

export interface PreviewOutcome {
  /** Operation counts, e.g. { create: 120 } (Automation API `changeSummary`). */
  changeSummary: Record<string, number>;
}

export interface UpOutcome {
  /** "succeeded" | "failed" | … (Automation API `summary.result`). */
  result: string;
}

/** The recovery stack, as much of Automation API's `Stack` as the rebuild uses. */
export interface RecoveryStack {
  name: string;
  setAllConfig(config: Record<string, ConfigEntry>): Promise<void>;
  setConfig(key: string, entry: ConfigEntry): Promise<void>;
  preview(): Promise<PreviewOutcome>;
  up(): Promise<UpOutcome>;
}

export interface RebuildDeps {
  /** The source stack's config, decrypted (`pulumi config --show-secrets`), `<ns>:<key>` keys. */
  sourceConfig(stack: string): Promise<Record<string, ConfigEntry>>;
  openStack(name: string): Promise<RecoveryStack>;
  /** Runs the smoke check against the rebuilt stack; true when every check passed. */
  smoke(stack: string): Promise<boolean>;
  now(): Date;
  log(line: string): void;
}

export class RebuildError extends Error {
  constructor(
    message: string,
    readonly step: string,
  ) {
    super(message);
    this.name = "RebuildError";
  }
}

export const LOCATION_KEY = `${PROJECT}:location`;
export const RECOVERY_KEY = `${PROJECT}:recovery`;

export function recoveryStackName(args: Pick<RebuildArgs, "from" | "stack">): string {
  return args.stack ?? `${args.from}-dr`;
}

/**
 * A --restore-time older than the source's backups reach is the user's flag, not a config key: say which
 * flag value works (the schema's own message, run later, names `recovery.restoreTime`, a key the rebuild
 * writes itself). Backups cover the last postgres.backupRetentionDays (learn.microsoft.com/azure/postgresql/
 * flexible-server/concepts-backup-restore#backup-retention), the window infra/recovery.ts enforces too.
 */
function restoreTimeWithinRetention(source: Record<string, string>, args: RebuildArgs, now: Date): void {
  if (args.restoreTime === undefined) return;
  const restore = parseRestoreTime(args.restoreTime);
  let days: unknown;
  try {
    days = (JSON.parse(source[`${PROJECT}:postgres`] ?? "{}") as { backupRetentionDays?: unknown })
      .backupRetentionDays;
  } catch {
    return; // the schema check below reports a malformed postgres section
  }
  if (!restore || typeof days !== "number") return;
  // Whole seconds, rounded up: the time printed must itself be inside the window.
  const earliest = new Date(Math.ceil((now.getTime() - days * 24 * 3600 * 1000) / 1000) * 1000);
  if (restore.getTime() < earliest.getTime()) {
    throw new RebuildError(
      `--restore-time ${args.restoreTime} is older than stack ${args.from}'s backups reach ` +
        `(postgres.backupRetentionDays ${days}): pass --restore-time ≥ ${earliest.toISOString().replace(".000Z", "Z")}`,
      "validate",
    );
  }
}

/**
 * The recovery stack's config from the source's: validated by the same schema `pulumi up` runs and by the
 * recovery rules with the given clock. Throws RebuildError naming every problem before anything exists.
 */
export function planRecoveryConfig(
  source: Record<string, string>,
  args: RebuildArgs,
  now: Date,
): { config: Record<string, string>; request: RecoveryRequest } {
  const sourceLocation = source[LOCATION_KEY];
  if (!sourceLocation) {
    throw new RebuildError(
      `stack ${args.from} has no ${LOCATION_KEY}: is --from the right stack? (pulumi stack ls)`,
      "read source",
    );
  }
  if (recoveryStackName(args) === args.from) {
    throw new RebuildError(
      `--stack ${args.from} is the source stack itself: the rebuild needs its own stack (Postgres server ` +
        "names are global and the source's still exists), e.g. --stack " +
        `${args.from}-dr`,
      "validate",
    );
  }
  const restoreTime = args.restoreTime ?? now.toISOString();
  if (args.restoreTime !== undefined && !parseRestoreTime(args.restoreTime)) {
    throw new RebuildError(
      `--restore-time "${args.restoreTime}" is not an ISO 8601 time with a zone: use e.g. 2026-12-01T03:00:00Z`,
      "validate",
    );
  }
  restoreTimeWithinRetention(source, args, now);
  const request: RecoveryRequest = {
    sourceStack: args.from,
    targetStack: recoveryStackName(args),
    sourceLocation,
    region: args.region,
    restoreTime,
    subscriptionId: args.subscriptionId,
    recoverVault: args.recoverVault,
  };
  const config = recoveryStackConfig(source, request);
  let parsed;
  try {
    parsed = parseStackConfig(config, recoveryStackName(args));
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new RebuildError(`the recovery stack's config is invalid:\n${e.message}`, "validate");
    }
    throw e;
  }
  // Again with the injected clock (the schema's own check uses the real one): tests and drills are
  // deterministic, and a rebuild started just before a backup ages out is judged at one instant.
  const problems = recoveryProblems(parsed.recovery!, parsed, now);
  if (problems.length) {
    throw new RebuildError(
      `invalid recovery request:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
      "validate",
    );
  }
  return { config, request };
}

const DESTRUCTIVE = ["delete", "replace", "delete-replaced", "create-replacement"];

/** The whole rebuild. Resolves with the exit code; throws RebuildError at the step that stopped it. */
export async function rebuild(args: RebuildArgs, deps: RebuildDeps): Promise<0 | 1> {
  const name = recoveryStackName(args);
  deps.log(`1/6 reading the config of stack ${args.from}`);
  const source = await deps.sourceConfig(args.from);
  const raw = Object.fromEntries(Object.entries(source).map(([k, v]) => [k, v.value]));

  deps.log(`2/6 planning the recovery of ${args.from} into ${args.region} as stack ${name}`);
  const { config, request } = planRecoveryConfig(raw, args, deps.now());
  deps.log(
    `    Postgres ${request.region === request.sourceLocation ? "PointInTimeRestore" : "GeoRestore"} ` +
      `to ${request.restoreTime}; Key Vault ${request.recoverVault ? `recover ${request.recoverVault}` : "created anew"}`,
  );

  deps.log(`3/6 creating/selecting stack ${name} and writing its config`);
  const stack = await deps.openStack(name);
  const secretKeys = new Set<string>([
    ...SECRET_KEYS.map((k) => `${PROJECT}:${k}`),
    ...Object.entries(source)
      .filter(([, v]) => v.secret)
      .map(([k]) => k),
  ]);
  await stack.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v, secret: secretKeys.has(k) }])),
  );

  deps.log("4/6 preview");
  let preview: PreviewOutcome;
  try {
    preview = await stack.preview();
  } catch (e) {
    throw new RebuildError(`preview failed, nothing was changed: ${(e as Error).message}`, "preview");
  }
  const destructive = DESTRUCTIVE.filter((op) => (preview.changeSummary[op] ?? 0) > 0);
  if (destructive.length) {
    throw new RebuildError(
      `preview plans ${destructive.map((op) => `${preview.changeSummary[op]} ${op}`).join(", ")} in stack ${name}: ` +
        "a rebuild only creates; inspect with `pulumi preview --diff --stack " +
        `${name}\` before going on`,
      "preview",
    );
  }
  deps.log(
    `    ${Object.entries(preview.changeSummary)
      .map(([op, n]) => `${n} ${op}`)
      .join(", ")}`,
  );

  deps.log("5/6 update (pulumi up)");
  let up: UpOutcome;
  try {
    up = await stack.up();
  } catch (e) {
    throw new RebuildError(
      `update failed: ${(e as Error).message}; rerun the same command to continue`,
      "up",
    );
  }
  if (up.result !== "succeeded") {
    throw new RebuildError(`update ended "${up.result}"; rerun the same command to continue`, "up");
  }
  // From now on the restore window is judged against the rebuild, not against "now" (infra/recovery.ts).
  const section = JSON.parse(config[RECOVERY_KEY]!) as Record<string, unknown>;
  await stack.setConfig(RECOVERY_KEY, {
    value: JSON.stringify({ ...section, completedAt: deps.now().toISOString() }),
    secret: false,
  });

  deps.log(`6/6 smoke check of ${name}`);
  const healthy = await deps.smoke(name);
  deps.log(
    healthy ? `rebuild of ${args.from} as ${name} is healthy` : `rebuild done but the smoke check failed`,
  );
  return healthy ? 0 : 1;
}
