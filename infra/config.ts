/**
 * The stack configuration: one schema for everything, parsed and validated once at program start.
 *
 * Dev and prod differ only by their stack files (Pulumi.<stack>.yaml). Anything a component needs comes
 * from the frozen object returned here; components never read `pulumi.Config` themselves.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { PROJECT, type Issue } from "./configSchema";
import {
  aksSchema,
  checkAks,
  deploySchema,
  checkNetwork,
  keyVaultSchema,
  logAnalyticsSchema,
  networkSchema,
  registrySchema,
} from "./azure/config";
import { checkMonitoring, monitoringSchema } from "./monitoring/config";
import { postgresSchema, redisSchema } from "./data/config";
import { appSchema, checkApp } from "./apps/config";
import { postgresConfigProblems } from "./data/postgresPlan";
import { redisConfigProblems } from "./data/redisPlan";
import { appConfigProblems } from "./apps/blueGreenPlan";
import { providerAuthConfig, type ProviderAuthConfig } from "./azure/deployer";
import { checkDeploy, runnerProblems } from "./azure/deployRunner";
import { isRealDeployment } from "./runMode";
import { registryConfigProblems } from "./azure/registryPlan";
import { ingressConfigProblems } from "./apps/ingressPlan";
import { recoveryProblems, recoverySchema } from "./recovery";
import { findPlaceholders } from "./placeholders";
import { isOfflineRender } from "./runMode";
import { AZURE_REGIONS } from "./regions";

export { PROJECT, AZURE_REGIONS };

/** Secret stack values (set with `pulumi config set --secret`); never printed. */
export const SECRET_KEYS = [
  "pagerdutyRoutingKey",
  "slackWebhookUrlCritical",
  "slackWebhookUrlWarning",
  "slackWebhookUrlInfo",
  "heartbeatUrl",
  "grafanaEntraClientSecret",
] as const;
const secretValue = z
  .string()
  .min(1, { message: "must not be empty" })
  .refine((s) => !/\s/.test(s), { message: "must not contain whitespace" });

export const configSchema = z
  .strictObject({
    /** Which rule set applies: prod refuses settings that trade away durability or availability. */
    environment: z.enum(["dev", "prod"]),
    location: z.enum(AZURE_REGIONS, { message: `must be an Azure region such as westeurope` }),
    /** `protect` on stateful resources: a `pulumi up`/`destroy` cannot delete them. */
    protect: z.boolean(),
    /** Spread AKS nodes, Postgres HA and Redis over availability zones 1-3. */
    zoneRedundant: z.boolean(),
    tags: z.record(z.string(), z.string()).default({}),
    network: networkSchema,
    logAnalytics: logAnalyticsSchema,
    aks: aksSchema,
    keyVault: keyVaultSchema,
    registry: registrySchema,
    deploy: deploySchema,
    monitoring: monitoringSchema,
    postgres: postgresSchema,
    redis: redisSchema,
    app: appSchema,
    pagerdutyRoutingKey: secretValue,
    /** One Slack incoming webhook per channel: a webhook posts only to the channel it was created for. */
    slackWebhookUrlCritical: secretValue,
    slackWebhookUrlWarning: secretValue,
    slackWebhookUrlInfo: secretValue,
    heartbeatUrl: secretValue,
    /** Client secret of the Grafana Entra ID app registration (monitoring.grafana.entra.clientId). */
    grafanaEntraClientSecret: secretValue,
    /** Disaster recovery: rebuild another stack from its backups (see infra/recovery.ts); absent normally. */
    recovery: recoverySchema.optional(),
  })
  .superRefine((c, ctx) => {
    const issue: Issue = (path, message) => ctx.addIssue({ code: "custom", path, message });
    checkNetwork(c.network, issue);
    checkAks(c.aks, issue);
    checkDeploy(
      { deploy: c.deploy, network: c.network, apiServer: c.aks.apiServer, keyVault: c.keyVault },
      issue,
    );
    checkApp(c.app, issue);
    checkMonitoring(c.monitoring, issue);
    if (c.environment === "prod") checkProd(c, issue);
  });

/** Prod may not trade durability or availability for cost; dev may (but never security). */
function checkProd(c: z.infer<typeof configSchema>, issue: Issue): void {
  const need = (ok: boolean, path: (string | number)[], message: string) => {
    if (!ok) issue(path, `${message} (required when environment is prod)`);
  };
  need(c.protect, ["protect"], "must be true so stateful resources cannot be deleted by an update");
  need(c.zoneRedundant, ["zoneRedundant"], "must be true so a zone outage does not take the platform down");
  need(c.aks.tier === "Standard", ["aks", "tier"], 'must be "Standard" (the Free tier has no uptime SLA)');
  need(c.aks.systemPool.count >= 3, ["aks", "systemPool", "count"], "must be at least 3, one node per zone");
  need(c.keyVault.purgeProtection, ["keyVault", "purgeProtection"], "must be true");
  need(
    c.postgres.highAvailability === "ZoneRedundant",
    ["postgres", "highAvailability"],
    'must be "ZoneRedundant"',
  );
  // Zone-redundant HA needs a tier that has HA at all (Burstable has none): said here, in the same round.
  need(
    c.postgres.skuTier !== "Burstable",
    ["postgres", "skuTier"],
    'must be "GeneralPurpose" (Burstable servers have no high availability)',
  );
  need(
    c.postgres.skuTier !== "Burstable" || !/^Standard_B/.test(c.postgres.skuName),
    ["postgres", "skuName"],
    'must be "Standard_D2ds_v5" or another General Purpose (D-series) size, to go with postgres.skuTier GeneralPurpose',
  );
  need(c.postgres.geoRedundantBackup, ["postgres", "geoRedundantBackup"], "must be true");
  need(c.postgres.backupRetentionDays >= 14, ["postgres", "backupRetentionDays"], "must be at least 14");
  need(c.redis.highAvailability, ["redis", "highAvailability"], "must be true");
  need(c.monitoring.prometheus.replicas >= 2, ["monitoring", "prometheus", "replicas"], "must be at least 2");
  need(
    c.monitoring.alertmanager.replicas >= 2,
    ["monitoring", "alertmanager", "replicas"],
    "must be at least 2",
  );
}

/** The validated, frozen stack configuration. Secret values stay plain here; see `PlatformConfig`. */
export type StackConfig = z.infer<typeof configSchema>;

/** Thrown for any invalid stack config; the message lists every problem with its key and fix. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    title = "Invalid stack configuration",
  ) {
    super(
      `${title} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.replace(/\n/g, "\n    ")}`).join("\n") +
        `\nRun the command under each problem, or edit Pulumi.<stack>.yaml (README "Config reference"): ` +
        `\`pulumi config set ${PROJECT}:<key> <value>\` for a top-level key, ` +
        `\`pulumi config set --path '${PROJECT}:<key>.<field>' <value>\` for a nested one, \`--secret\` for secrets.`,
    );
    this.name = "ConfigError";
  }
}

/** Renders a zod path as the config key users type: `monitoring-platform:aks.systemPool.count`. */
function keyOf(path: PropertyKey[]): string {
  if (path.length === 0) return `${PROJECT}:<root>`;
  const [head, ...rest] = path;
  return (
    `${PROJECT}:${String(head)}` +
    rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
  );
}

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k] : undefined),
    obj,
  );
}

/** The zod schema of a config path (through defaults, optionals and arrays), for allowed values and types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySchema = any;
function unwrapSchema(s: AnySchema): AnySchema {
  let cur = s;
  while (cur?.def && ["default", "optional", "nullable", "prefault", "pipe"].includes(cur.def.type)) {
    cur = cur.def.type === "pipe" ? cur.def.in : cur.def.innerType;
  }
  return cur;
}
function schemaAt(path: PropertyKey[]): AnySchema {
  let cur: AnySchema = configSchema;
  for (const k of path) {
    cur = unwrapSchema(cur);
    if (cur?.def?.type === "object") cur = cur.shape[k as string];
    else if (cur?.def?.type === "array") cur = cur.def.element;
    else if (cur?.def?.type === "record") cur = cur.def.valueType;
    else return undefined;
  }
  return unwrapSchema(cur);
}

/** What a key accepts, in words ("an integer from 30 to 730", "one of: Free, Standard"), if the schema says. */
function allowedText(s: AnySchema): string | undefined {
  switch (s?.def?.type) {
    case "number": {
      const kind = s.isInt ? "an integer" : "a number";
      const lo = Number.isFinite(s.minValue) && Math.abs(s.minValue) < Number.MAX_SAFE_INTEGER;
      const hi = Number.isFinite(s.maxValue) && Math.abs(s.maxValue) < Number.MAX_SAFE_INTEGER;
      if (lo && hi) return `${kind} from ${s.minValue} to ${s.maxValue}`;
      if (lo) return `${kind} of at least ${s.minValue}`;
      if (hi) return `${kind} of at most ${s.maxValue}`;
      return kind;
    }
    case "enum":
      // Quoted when an option looks like a number: YAML `version: 16` is a number, not the string "16".
      return `one of: ${(s.options as unknown[]).map((o) => (/^[\d.]+$/.test(String(o)) ? `"${String(o)}"` : String(o))).join(", ")}`;
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
      return "an object";
    default:
      return undefined;
  }
}

/** Levenshtein distance: how many single-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidate closest to `word` (case-insensitive), if it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

const isSecretKey = (key: string) => SECRET_KEYS.includes(key as (typeof SECRET_KEYS)[number]);

/**
 * The `pulumi config set` command that sets `path` to `value`. Nested keys need `--path` (and quotes: the
 * brackets of list indexes are shell globs). With `--path`, Pulumi stores "true"/"false" as booleans and
 * integers as numbers and everything else as a string; top-level values are always strings
 * (https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/) — so a string that looks like a number
 * needs `--type string` and a fractional number `--type float`.
 */
export function setCommand(path: PropertyKey[], value: string): string {
  const key = keyOf(path);
  if (path.length === 1) {
    return `pulumi config set${isSecretKey(String(path[0])) ? " --secret" : ""} ${key} ${value}`;
  }
  const s = schemaAt(path);
  let type = "";
  const looksTyped = (v: string) => /^(-?\d+|true|false)$/.test(v);
  if (s?.def?.type === "number" && !s.isInt) type = " --type float";
  else if (s?.def?.type === "string" && looksTyped(value)) type = " --type string";
  else if (s?.def?.type === "enum" && (s.options as unknown[]).some((o) => looksTyped(String(o))))
    type = " --type string";
  return `pulumi config set --path${type} '${key}' ${value}`;
}

/** A value to put into the fix command: the nearest allowed one when the schema tells, else `<value>`. */
function suggestedValue(i: z.core.$ZodIssue, given: unknown, s: AnySchema, raw: unknown): string {
  if (i.code === "too_small" && i.origin === "number") return String(i.minimum);
  if (i.code === "too_big" && i.origin === "number") return String(i.maximum);
  // A rule of ours says what it needs ('must be "Standard"', "must be at least 3", "must be true",
  // "must not exceed app.autoscaling.maxReplicas"): the fix sets exactly that, never the value given again.
  if (i.code === "custom") {
    const required = requiredByRule(i.message, raw);
    if (required !== undefined) return required;
  }
  if (s?.def?.type === "enum") {
    const options = (s.options as unknown[]).map(String);
    return (typeof given === "string" && nearest(given, options)) || `<${options.join("|")}>`;
  }
  if (s?.def?.type === "boolean") return "<true|false>";
  // A number where a string belongs (YAML `kubernetesVersion: 1.33`): the same text, stored as a string.
  if (i.code === "invalid_type" && i.expected === "string" && typeof given === "number") return String(given);
  return "<value>";
}

/** The value a custom rule's message asks for, when it names one. */
export function requiredByRule(message: string, raw: unknown): string | undefined {
  const quoted = /^must be "([^"]+)"/.exec(message);
  if (quoted) return quoted[1];
  if (/^must be true\b/.test(message)) return "true";
  const atLeast = /^must be at least (\d+)\b/.exec(message);
  if (atLeast) return atLeast[1];
  const notExceed = /^must not exceed ([a-zA-Z.]+)/.exec(message);
  if (notExceed) {
    const other = valueAt(raw, notExceed[1]!.split("."));
    if (typeof other === "number") return String(other);
  }
  return undefined;
}

/** zod's own wording ("Invalid input", "Too small: expected …"): replaced by ours; schema messages are kept. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid (input|option|string|type|element|key|value)|Too (small|big))/;

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

/**
 * Every issue in words, once: a key that is "missing" only because it is spelt wrong (`aks.tierr` for
 * `aks.tier`) is reported by the unknown-key message alone, which moves its value to the right name.
 */
function describeIssues(issues: z.core.$ZodIssue[], raw: unknown): string[] {
  const misspeltFor = new Set<string>();
  for (const i of issues) {
    if (i.code !== "unrecognized_keys") continue;
    const parent = schemaAt(i.path);
    const known = parent?.def?.type === "object" ? Object.keys(parent.shape as object) : [];
    for (const k of i.keys) {
      const guess = nearest(k, known);
      if (guess !== undefined) misspeltFor.add(keyOf([...i.path, guess]));
    }
  }
  return issues
    .filter(
      (i) =>
        i.code === "unrecognized_keys" ||
        !(valueAt(raw, i.path) === undefined && misspeltFor.has(keyOf(i.path))),
    )
    .map((i) => describeIssue(i, raw));
}

function describeIssue(i: z.core.$ZodIssue, raw: unknown): string {
  if (i.code === "unrecognized_keys") {
    const parent = schemaAt(i.path);
    const known = parent?.def?.type === "object" ? Object.keys(parent.shape as object) : [];
    const where = i.path.length ? ` under ${keyOf(i.path)}` : "";
    const lines = i.keys.map((k) => {
      const guess = nearest(k, known);
      const full = keyOf([...i.path, k]);
      const flag = i.path.length ? " --path" : "";
      // The misspelt key's own value moves to the key it was meant for (when it is a plain value).
      const given = valueAt(raw, [...i.path, k]);
      const value = ["string", "number", "boolean"].includes(typeof given) ? String(given) : "<value>";
      const missing = guess !== undefined && valueAt(raw, [...i.path, guess]) === undefined;
      return (
        `${full}: did you mean ${guess ? keyOf([...i.path, guess]) : `one of ${known.join(", ")}`}?` +
        (missing
          ? ` (${keyOf([...i.path, guess!])} is not set: this is its value under a misspelt name)`
          : "") +
        `\nfix: pulumi config rm${flag} '${full}'` +
        (guess ? `; ${setCommand([...i.path, guess], value)}` : "")
      );
    });
    return `unknown key${i.keys.length > 1 ? "s" : ""}${where}: ${i.keys.join(", ")} — ${lines.join("\n")}`;
  }
  const s = schemaAt(i.path);
  const given = valueAt(raw, i.path);
  const allowed = allowedText(s);
  // An empty list is filled item by item: `--path '<key>[0]'`.
  const fixPath = i.code === "too_small" && i.origin === "array" ? [...i.path, 0] : i.path;
  const fix = `fix: ${setCommand(fixPath, suggestedValue(i, given, s, raw))}`;
  if (i.code !== "custom" && i.path.length > 0 && given === undefined) {
    const what = ZOD_DEFAULT_MESSAGE.test(i.message) ? allowed && `it takes ${allowed}` : `it ${i.message}`;
    return `${keyOf(i.path)} is missing: set it${what ? ` (${what})` : ""}\n${fix}`;
  }
  const secret = i.path.length === 1 && isSecretKey(String(i.path[0]));
  // A rule about a key that is not set yet (a list slot to add, a subnet to name) has no value to show.
  const got = secret || given === undefined ? "" : ` (got ${show(given)})`;
  let message = i.message;
  if (ZOD_DEFAULT_MESSAGE.test(message)) {
    if (i.code === "too_small" && i.origin === "array")
      message = `needs at least ${String(i.minimum)} item(s)`;
    else if (i.code === "too_big" && i.origin === "array")
      message = `takes at most ${String(i.maximum)} item(s)`;
    else if (i.code === "invalid_type" && !allowed) message = `must be a ${i.expected}`;
    else message = allowed ? `must be ${allowed}` : "has an invalid value";
  } else if (i.code !== "custom" && allowed && ["number", "enum", "boolean"].includes(s?.def?.type)) {
    // A rule of ours states what it needs ("must be at least 3"); the schema's range would contradict it.
    message = `${message}; allowed: ${allowed}`;
  }
  return `${keyOf(i.path)} ${message}${got}\n${fix}`;
}

/**
 * Namespaces that legitimately appear in a stack file beside ours (provider and engine settings). A key in
 * another namespace is ignored unless that namespace looks like a typo of ours or of one of these: Pulumi
 * itself would silently ignore `monitoring-platfrom:location`, and the program would then report the key as
 * missing, or worse, use a default.
 */
export const KNOWN_NAMESPACES = [
  "pulumi",
  "azure-native",
  "azure",
  "azuread",
  "kubernetes",
  "random",
  "tls",
  "command",
  "aws",
  "gcp",
  "docker",
  "github",
  "cloudflare",
] as const;

/** Problem for a key of a misspelled namespace, or undefined for our own and other real namespaces. */
export function namespaceProblem(fullKey: string): string | undefined {
  const [ns, key] = splitKey(fullKey);
  if (ns === PROJECT || (KNOWN_NAMESPACES as readonly string[]).includes(ns)) return undefined;
  const guess =
    editDistance(ns, PROJECT) <= 3 || ns.includes("monitoring")
      ? PROJECT
      : ns.length >= 4
        ? nearest(ns, KNOWN_NAMESPACES)
        : undefined;
  if (!guess) return undefined;
  const rest = key ?? "<key>";
  return (
    `${fullKey}: unknown config namespace "${ns}" — did you mean "${guess}:${rest}"? ` +
    `Keys of "${ns}" are read by nobody, so this value is ignored.\n` +
    `fix: rename the key to ${guess}:${rest} in Pulumi.<stack>.yaml, or ` +
    `pulumi config rm '${fullKey}' and pulumi config set ${guess}:${rest} <value>`
  );
}

/**
 * Validates raw stack config (`{ "<project>:<key>": "<string or JSON>" }`, as Pulumi hands it over)
 * into a deeply frozen `StackConfig`. Keys of other real namespaces (`azure-native:*`, `pulumi:*`) are
 * ignored; a namespace that looks like a typo of ours (or of a provider's) is a problem.
 * Pure: throws `ConfigError` listing every problem; registers nothing. With `stack`, checks that need the
 * stack name (the per-environment registry the app image must come from) run too.
 */
export function parseStackConfig(raw: Record<string, string>, stack?: string): StackConfig {
  const obj: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [fullKey, value] of Object.entries(raw)) {
    const [ns, key] = splitKey(fullKey);
    if (ns !== PROJECT || key === undefined) {
      const problem = namespaceProblem(fullKey);
      if (problem) problems.push(problem);
      continue;
    }
    obj[key] = decodeValue(key, value, problems);
  }
  const result = configSchema.safeParse(obj);
  if (!result.success) problems.push(...describeIssues(result.error.issues, obj));
  else problems.push(...crossChecks(result.data, stack));
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(result.data!);
}

/**
 * Rules that live beside the planners that rely on them (Postgres SKU/HA, Redis HA, blue-green replicas),
 * run here so they too fail before any resource is registered.
 */
function crossChecks(c: StackConfig, stack: string | undefined): string[] {
  return [
    ...(stack === undefined ? [] : registryConfigProblems(stack, c.registry, c.app.image)),
    ...ingressConfigProblems(c.app.ingress),
    ...postgresConfigProblems(c.postgres, c.zoneRedundant),
    ...redisConfigProblems(c.redis, c.zoneRedundant),
    ...appConfigProblems(c.app),
    ...(c.recovery ? recoveryProblems(c.recovery, c, new Date()) : []),
  ];
}

function splitKey(fullKey: string): [string, string | undefined] {
  const idx = fullKey.indexOf(":");
  if (idx < 0) return [fullKey, undefined];
  // Pulumi may hand keys over as "<ns>:config:<key>"; strip the legacy infix.
  const rest = fullKey.slice(idx + 1).replace(/^config:/, "");
  return [fullKey.slice(0, idx), rest];
}

/** Pulumi stores scalars as strings and objects as JSON strings. */
function decodeValue(key: string, value: string, problems: string[]): unknown {
  if (isSecretKey(key)) return value;
  const t = value.trim();
  if (t === "true" || t === "false") return t === "true";
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch (e) {
      problems.push(
        `${PROJECT}:${key} is not valid JSON (${(e as Error).message}): check the stack file, ` +
          `or set the fields one by one with \`pulumi config set --path '${PROJECT}:${key}.<field>' <value>\``,
      );
      return undefined;
    }
  }
  return value;
}

/**
 * Throws when any config value is still an example from the stack files (infra/placeholders.ts): a first
 * `pulumi up` with them would lock everybody out of the API server or request a certificate for
 * example.com. Each key is named with what to set and the command to set it.
 */
export function refusePlaceholders(raw: Record<string, string>): void {
  const found = findPlaceholders(raw, PROJECT, SECRET_KEYS);
  if (found.length === 0) return;
  throw new ConfigError(
    found.map(
      (p) =>
        `${p.key} still holds the example ${p.value}: set ${p.hint}\nfix: ${setCommand(p.path, "<value>")}`,
    ),
    "The stack still holds example values that cannot be deployed; fill in before deploying",
  );
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The secret stack values, as Pulumi secrets (they never leave the program in plaintext). */
export type PlatformSecrets = Record<(typeof SECRET_KEYS)[number], pulumi.Output<string>>;

/** What components receive: the validated config without plaintext secrets, plus the secrets as outputs. */
export type PlatformConfig = Omit<StackConfig, (typeof SECRET_KEYS)[number]> & {
  project: string;
  stack: string;
  secrets: PlatformSecrets;
  /** The azure-native provider's credential settings (to detect how the deployer is logged in). */
  azureProvider: ProviderAuthConfig;
};

/**
 * Reads the whole stack config once, validates it and returns a frozen object. Throws `ConfigError`
 * before any resource is registered when anything is wrong.
 */
export function loadConfig(): PlatformConfig {
  const raw = pulumi.runtime.allConfig();
  const parsed = parseStackConfig(raw, pulumi.getStack());
  // The offline render evaluates the example stack files on purpose (and lists the examples in its summary).
  if (!isOfflineRender()) refusePlaceholders(raw);
  // A CI run on a runner this stack does not deploy from would time out at the API server: refused here,
  // before any resource is registered (only under a real engine: tests and the render run in CI too).
  if (isRealDeployment() && !isOfflineRender()) {
    const problems = runnerProblems(parsed.deploy, pulumi.getStack(), process.env);
    if (problems.length) throw new ConfigError(problems, "This run cannot reach the stack it deploys");
  }
  const secrets = Object.fromEntries(
    SECRET_KEYS.map((k) => [k, pulumi.secret(parsed[k])]),
  ) as PlatformSecrets;
  const rest = Object.fromEntries(
    Object.entries(parsed).filter(([k]) => !SECRET_KEYS.includes(k as (typeof SECRET_KEYS)[number])),
  ) as Omit<StackConfig, (typeof SECRET_KEYS)[number]>;
  return Object.freeze({
    ...rest,
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    secrets: Object.freeze(secrets),
    azureProvider: Object.freeze(providerAuthConfig(raw)),
  });
}
