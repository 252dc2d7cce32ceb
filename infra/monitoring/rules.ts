// Loads the Prometheus rule files in rules/*.yaml, checks the conventions every alert must follow and fills
// in the per-stack values. Pure: file system in, plain data out, no Pulumi. The files stay plain `groups:`
// documents so promtool checks and unit-tests them unchanged; everything a stack decides (URLs, SLO targets,
// the LLM token budget) enters here, through placeholders and constants:
//
// - annotation values may contain `${RUNBOOK_BASE_URL}` and `${GRAFANA_URL}`, replaced by the stack's URLs;
// - a "constant" is a recording rule whose expr is `vector(<number>)`; `opts.constants` overrides it by
//   record name. Alerts read constants instead of literal numbers, so a stack changes its SLO target
//   without editing (or re-testing) a rule file.
//
// Every problem throws a RuleFileError naming the file (and line when known) and saying how to fix it, so a
// broken rule fails `vitest` and `pulumi preview` instead of silently never firing.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import type { MonitoringConfig } from "./config";

/** The recording-rule constants of rules/*.yaml that stack config overrides (SLO targets, token budget). */
export function ruleConstants(monitoring: MonitoringConfig): Record<string, number> {
  return {
    "agent:slo_availability_target:ratio": monitoring.slo.availabilityTarget,
    "agent:slo_latency_target:ratio": monitoring.slo.latencyTarget,
    "agent:llm_token_budget:daily": monitoring.llmDailyTokenBudget,
  };
}

/** critical = page now; warning = page in business hours; info = chat only. */
export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * The service an alert belongs to: it groups and routes notifications, and is the `equal` label of the
 * cause-symptom inhibitions (infra/monitoring/alertmanager.ts, CAUSE_INHIBITIONS). Severity inhibition
 * needs the same alertname as well, so a critical does not mute the other warnings of its service.
 */
export const SERVICES = ["agent-api", "postgres", "redis", "kubernetes", "monitoring"] as const;
export type Service = (typeof SERVICES)[number];

/** Annotations every alert carries; the runbook and dashboard links are what the on-call clicks first. */
export const REQUIRED_ANNOTATIONS = ["summary", "description", "runbook_url", "dashboard_url"] as const;

/** Placeholder replaced by {@link RuleLoadOptions.runbookBaseUrl}. */
export const RUNBOOK_BASE_URL_TOKEN = "${RUNBOOK_BASE_URL}";
/** Placeholder replaced by {@link RuleLoadOptions.grafanaUrl}. */
export const GRAFANA_URL_TOKEN = "${GRAFANA_URL}";

/** An alerting rule that passed validation. */
export interface AlertingRule {
  alert: string;
  expr: string;
  /** How long the condition must hold before the alert fires (a Prometheus duration such as `5m`). */
  for: string;
  keep_firing_for?: string;
  labels: { severity: Severity; service: Service; [name: string]: string };
  annotations: {
    summary: string;
    description: string;
    runbook_url: string;
    dashboard_url: string;
    [name: string]: string;
  };
}

/** A recording rule. */
export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export type Rule = AlertingRule | RecordingRule;

/** A rule group as Prometheus (and the PrometheusRule custom resource) reads it. */
export interface RuleGroup {
  name: string;
  /** Evaluation interval of this group; the global evaluation interval when absent. */
  interval?: string;
  limit?: number;
  rules: Rule[];
}

/** One rules/<name>.yaml file after validation and substitution. */
export interface LoadedRuleFile {
  /** Base name, e.g. `agent.yaml`. */
  file: string;
  /** Stem, e.g. `agent`; a stable name for the PrometheusRule resource built from this file. */
  name: string;
  groups: RuleGroup[];
}

/** Options of {@link loadRuleFiles}. */
export interface RuleLoadOptions {
  /** Grafana base URL (stack config monitoring.grafana.url); replaces `${GRAFANA_URL}`. */
  grafanaUrl: string;
  /** Where docs/runbooks/ is browsable (stack config monitoring.runbookBaseUrl); replaces `${RUNBOOK_BASE_URL}`. */
  runbookBaseUrl: string;
  /**
   * Values for constant recording rules, by record name, e.g.
   * `{ "agent:slo_availability_target:ratio": 0.999 }`. Every key must name a `vector(<number>)` rule.
   */
  constants: Record<string, number>;
}

/** Thrown for a rule file that would not load, or would load but alert wrongly; the message says the fix. */
export class RuleFileError extends Error {
  constructor(
    /** The offending file, as passed to the loader (or the rules directory for cross-file problems). */
    public readonly file: string,
    detail: string,
    /** 1-based line, when known. */
    public readonly line?: number,
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${detail}`);
    this.name = "RuleFileError";
  }
}

/** True for alerting rules (as opposed to recording rules). */
export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return "alert" in rule;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const ALERT_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus' duration syntax (model.ParseDuration): units in decreasing order, each at most once. */
const DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
const CONSTANT_EXPR = /^\s*vector\(\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*\)\s*$/;
const PLACEHOLDER = /\$\{[^}]*\}/;

const TOP_LEVEL_KEYS = new Set(["groups"]);
const GROUP_KEYS = new Set(["name", "interval", "limit", "rules"]);
const ALERT_KEYS = new Set(["alert", "expr", "for", "keep_firing_for", "labels", "annotations"]);
const RECORD_KEYS = new Set(["record", "expr", "labels"]);

/**
 * Reads, validates and substitutes every `*.yaml` file directly in `dir` (sub-directories such as `tests/`
 * are ignored), in file-name order.
 */
export function loadRuleFiles(dir: string, opts: RuleLoadOptions): LoadedRuleFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new RuleFileError(dir, "rules directory not found; pass the repository's rules/ directory");
  }
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile());
  const misnamed = entries.find((e) => e.name.endsWith(".yml"));
  if (misnamed) {
    throw new RuleFileError(
      path.join(dir, misnamed.name),
      "rule files must end in .yaml; rename it so the loader, promtool and the tests all see the same files",
    );
  }
  const files = entries
    .map((e) => e.name)
    .filter((name) => name.endsWith(".yaml"))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      return parseRuleFile(file, fs.readFileSync(file, "utf8"), opts);
    });
  checkAcrossFiles(files, dir);
  applyConstants(files, opts.constants, dir);
  return files;
}

/**
 * Validates and substitutes one rule file given as text (no constants: they are applied across all files
 * by {@link loadRuleFiles}). `file` is only used in messages and for the returned names.
 */
export function parseRuleFile(
  file: string,
  text: string,
  opts: Omit<RuleLoadOptions, "constants">,
): LoadedRuleFile {
  const ctx = new FileContext(file, text);
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      throw ctx.fail(
        `is not valid YAML (${e.reason}); fix the syntax (promtool check rules reports the same spot)`,
        e.mark ? e.mark.line + 1 : undefined,
      );
    }
    throw e;
  }
  if (!isMapping(doc) || !Array.isArray(doc.groups)) {
    const hint =
      isMapping(doc) && "spec" in doc
        ? " (this looks like a PrometheusRule custom resource: keep only the content of spec)"
        : "";
    throw ctx.fail(
      `must be a mapping with a top-level \`groups:\` list, the plain Prometheus rule-file format${hint}`,
    );
  }
  ctx.rejectUnknownKeys(doc, TOP_LEVEL_KEYS, "the file");
  if (doc.groups.length === 0) throw ctx.fail("has no rule groups; add one or delete the file");

  const urls = {
    [RUNBOOK_BASE_URL_TOKEN]: requireUrl(opts.runbookBaseUrl, "runbookBaseUrl", file),
    [GRAFANA_URL_TOKEN]: requireUrl(opts.grafanaUrl, "grafanaUrl", file),
  };
  const groupNames = new Set<string>();
  const groups = doc.groups.map((raw, index): RuleGroup => {
    if (!isMapping(raw) || typeof raw.name !== "string" || raw.name.trim() === "") {
      throw ctx.fail(`group #${index + 1} has no \`name\`; give every group a unique name`);
    }
    const name = raw.name;
    const where = `group "${name}"`;
    const line = ctx.lineOf("name", name);
    if (groupNames.has(name)) throw ctx.fail(`${where} is defined twice; group names must be unique`, line);
    groupNames.add(name);
    ctx.rejectUnknownKeys(raw, GROUP_KEYS, where, line);
    if (!Array.isArray(raw.rules) || raw.rules.length === 0) {
      throw ctx.fail(`${where} needs a non-empty \`rules:\` list`, line);
    }
    const group: RuleGroup = {
      name,
      rules: raw.rules.map((r, i) => parseRule(ctx, r, `${where}, rule #${i + 1}`, urls)),
    };
    if (raw.interval !== undefined) group.interval = ctx.duration(raw.interval, `${where}: interval`, line);
    if (raw.limit !== undefined) {
      if (typeof raw.limit !== "number" || !Number.isInteger(raw.limit) || raw.limit < 0) {
        throw ctx.fail(`${where}: limit must be a non-negative integer`, line);
      }
      group.limit = raw.limit;
    }
    return group;
  });
  const base = path.basename(file);
  return { file: base, name: base.replace(/\.yaml$/, ""), groups };
}

/** Options of {@link validateRuleLinks}. */
export interface RuleLinkOptions {
  /** The runbookBaseUrl the files were loaded with. */
  runbookBaseUrl: string;
  /** The grafanaUrl the files were loaded with. */
  grafanaUrl: string;
  /** The directory runbook_url points into (docs/runbooks). */
  runbookDir: string;
  /** Uids of the dashboards that exist (dashboards/<folder>/<uid>.json). */
  dashboardUids: Iterable<string>;
}

/**
 * Checks that every alert links to its own runbook (`<runbookBaseUrl>/<alert>.md`, present in `runbookDir`)
 * and to an existing dashboard (`<grafanaUrl>/d/<uid>`). Returns one message per broken link; empty when
 * all links resolve.
 */
export function validateRuleLinks(files: readonly LoadedRuleFile[], opts: RuleLinkOptions): string[] {
  const runbookBase = opts.runbookBaseUrl.replace(/\/+$/, "");
  const dashboardBase = `${opts.grafanaUrl.replace(/\/+$/, "")}/d/`;
  const uids = new Set(opts.dashboardUids);
  const runbooks = new Set(fs.existsSync(opts.runbookDir) ? fs.readdirSync(opts.runbookDir) : []);
  const problems: string[] = [];
  for (const file of files) {
    for (const group of file.groups) {
      for (const rule of group.rules) {
        if (!isAlertingRule(rule)) continue;
        const where = `${file.file}: alert ${rule.alert}`;
        const expectedRunbook = `${runbookBase}/${rule.alert}.md`;
        if (rule.annotations.runbook_url !== expectedRunbook) {
          problems.push(
            `${where}: runbook_url is "${rule.annotations.runbook_url}"; use "${RUNBOOK_BASE_URL_TOKEN}/${rule.alert}.md"`,
          );
        } else if (!runbooks.has(`${rule.alert}.md`)) {
          problems.push(
            `${where}: runbook ${path.join(opts.runbookDir, `${rule.alert}.md`)} does not exist; write it`,
          );
        }
        const dashboardUrl = rule.annotations.dashboard_url;
        const uid = dashboardUrl.startsWith(dashboardBase)
          ? (dashboardUrl.slice(dashboardBase.length).split(/[/?#]/)[0] ?? "")
          : undefined;
        if (uid === undefined) {
          problems.push(
            `${where}: dashboard_url "${dashboardUrl}" must start with "${GRAFANA_URL_TOKEN}/d/<uid>"`,
          );
        } else if (!uids.has(uid)) {
          problems.push(
            `${where}: dashboard_url points to uid "${uid}", which no dashboards/**/*.json has; use one of: ${[...uids].sort().join(", ")}`,
          );
        }
      }
    }
  }
  return [...new Set(problems)];
}

/** Per-file helpers: error construction and best-effort line numbers for messages. */
class FileContext {
  private readonly lines: string[];
  private readonly seen = new Map<string, number>();

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.lines = text.split(/\r?\n/);
  }

  fail(detail: string, line?: number): RuleFileError {
    return new RuleFileError(this.file, detail, line);
  }

  /**
   * Line of the n-th `key: value` occurrence, where n counts the calls with the same key and value: rules
   * are visited in document order, so the n-th `alert: Foo` visited is the n-th in the text.
   */
  lineOf(key: string, value: string): number | undefined {
    const id = `${key}\u0000${value}`;
    const occurrence = this.seen.get(id) ?? 0;
    this.seen.set(id, occurrence + 1);
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const re = new RegExp(`^\\s*(?:-\\s+)?${key}\\s*:\\s*["']?${escaped}["']?\\s*(?:#.*)?$`);
    let found = -1;
    for (let i = 0; i < this.lines.length; i++) {
      if (re.test(this.lines[i] ?? "") && ++found === occurrence) return i + 1;
    }
    return undefined;
  }

  rejectUnknownKeys(obj: Record<string, unknown>, allowed: Set<string>, where: string, line?: number): void {
    const unknown = Object.keys(obj).filter((k) => !allowed.has(k));
    if (unknown.length > 0) {
      throw this.fail(
        `${where} has unknown key(s) ${unknown.map((k) => `\`${k}\``).join(", ")}; allowed: ${[...allowed].join(", ")} (Prometheus rejects unknown keys)`,
        line,
      );
    }
  }

  duration(value: unknown, where: string, line?: number): string {
    if (typeof value !== "string" || value === "" || !DURATION.test(value)) {
      throw this.fail(
        `${where} is ${JSON.stringify(value)}; use a Prometheus duration such as 30s, 5m or 1h`,
        line,
      );
    }
    return value;
  }
}

function parseRule(ctx: FileContext, raw: unknown, where: string, urls: Record<string, string>): Rule {
  if (!isMapping(raw))
    throw ctx.fail(`${where} is not a mapping; write it as \`- alert: ...\` or \`- record: ...\``);
  const hasAlert = raw.alert !== undefined;
  const hasRecord = raw.record !== undefined;
  if (hasAlert === hasRecord) {
    throw ctx.fail(
      hasAlert
        ? `${where} has both \`alert\` and \`record\`; a rule is either an alert or a recording rule, split it in two`
        : `${where} has neither \`alert\` nor \`record\`; name it with one of them`,
    );
  }
  return hasAlert ? parseAlert(ctx, raw, where, urls) : parseRecord(ctx, raw, where);
}

function parseRecord(ctx: FileContext, raw: Record<string, unknown>, where: string): RecordingRule {
  if (typeof raw.record !== "string" || !METRIC_NAME.test(raw.record)) {
    throw ctx.fail(
      `${where}: record ${JSON.stringify(raw.record)} is not a valid metric name (level:metric:operation)`,
    );
  }
  const name = raw.record;
  const line = ctx.lineOf("record", name);
  const what = `recording rule ${name}`;
  ctx.rejectUnknownKeys(raw, RECORD_KEYS, what, line);
  const rule: RecordingRule = { record: name, expr: requireExpr(ctx, raw.expr, what, line) };
  if (raw.labels !== undefined) rule.labels = stringMap(ctx, raw.labels, `${what}: labels`, line);
  return rule;
}

function parseAlert(
  ctx: FileContext,
  raw: Record<string, unknown>,
  where: string,
  urls: Record<string, string>,
): AlertingRule {
  if (typeof raw.alert !== "string" || !ALERT_NAME.test(raw.alert)) {
    throw ctx.fail(
      `${where}: alert ${JSON.stringify(raw.alert)} is not a valid alert name (letters, digits, _)`,
    );
  }
  const name = raw.alert;
  const line = ctx.lineOf("alert", name);
  const what = `alert ${name}`;
  ctx.rejectUnknownKeys(raw, ALERT_KEYS, what, line);
  const expr = requireExpr(ctx, raw.expr, what, line);
  if (raw.for === undefined) {
    throw ctx.fail(
      `${what} has no \`for\`; add one (e.g. \`for: 5m\`) so a single bad evaluation cannot page, or \`for: 0m\` to fire at once on purpose`,
      line,
    );
  }
  const forDuration = ctx.duration(raw.for, `${what}: for`, line);

  const labels = stringMap(ctx, raw.labels ?? {}, `${what}: labels`, line);
  const severity = labels.severity;
  if (severity === undefined) {
    throw ctx.fail(
      `${what} has no labels.severity; add \`severity: critical|warning|info\` (critical pages now, warning pages in business hours, info goes to chat)`,
      line,
    );
  }
  if (!isOneOf(SEVERITIES, severity)) {
    throw ctx.fail(`${what}: severity "${severity}" is not one of ${SEVERITIES.join(", ")}`, line);
  }
  const service = labels.service;
  if (service === undefined) {
    throw ctx.fail(
      `${what} has no labels.service; add \`service: ${SERVICES.join("|")}\` (Alertmanager groups and inhibits by service)`,
      line,
    );
  }
  if (!isOneOf(SERVICES, service)) {
    throw ctx.fail(`${what}: service "${service}" is not one of ${SERVICES.join(", ")}`, line);
  }

  const annotations = stringMap(ctx, raw.annotations ?? {}, `${what}: annotations`, line);
  for (const key of REQUIRED_ANNOTATIONS) {
    if (annotations[key] === undefined || annotations[key].trim() === "") {
      throw ctx.fail(`${what} has no annotations.${key}; ${ANNOTATION_HINTS[key]}`, line);
    }
  }
  for (const [key, value] of Object.entries(annotations)) {
    let substituted = value;
    for (const [token, url] of Object.entries(urls)) substituted = substituted.split(token).join(url);
    const leftover = PLACEHOLDER.exec(substituted);
    if (leftover) {
      throw ctx.fail(
        `${what}: annotations.${key} contains unknown placeholder ${leftover[0]}; only ${RUNBOOK_BASE_URL_TOKEN} and ${GRAFANA_URL_TOKEN} are replaced`,
        line,
      );
    }
    annotations[key] = substituted;
  }

  const rule: AlertingRule = {
    alert: name,
    expr,
    for: forDuration,
    labels: { ...labels, severity, service },
    annotations: {
      ...annotations,
      summary: annotations.summary ?? "",
      description: annotations.description ?? "",
      runbook_url: annotations.runbook_url ?? "",
      dashboard_url: annotations.dashboard_url ?? "",
    },
  };
  if (raw.keep_firing_for !== undefined) {
    rule.keep_firing_for = ctx.duration(raw.keep_firing_for, `${what}: keep_firing_for`, line);
  }
  return rule;
}

const ANNOTATION_HINTS: Record<(typeof REQUIRED_ANNOTATIONS)[number], string> = {
  summary: "add a one-line summary of what is wrong",
  description: "add a description with the current value ({{ $value }}) and the threshold",
  runbook_url: `add \`runbook_url: "${RUNBOOK_BASE_URL_TOKEN}/<AlertName>.md"\` and write docs/runbooks/<AlertName>.md`,
  dashboard_url: `add \`dashboard_url: "${GRAFANA_URL_TOKEN}/d/<uid>"\` pointing at the dashboard to open first`,
};

function requireExpr(ctx: FileContext, expr: unknown, what: string, line: number | undefined): string {
  if (typeof expr !== "string" || expr.trim() === "") {
    throw ctx.fail(`${what} has no \`expr\`; add the PromQL expression`, line);
  }
  if (PLACEHOLDER.test(expr)) {
    throw ctx.fail(
      `${what}: expr contains ${PLACEHOLDER.exec(expr)?.[0]}; placeholders only work in annotations`,
      line,
    );
  }
  return expr.trim();
}

function stringMap(
  ctx: FileContext,
  value: unknown,
  where: string,
  line: number | undefined,
): Record<string, string> {
  if (!isMapping(value)) throw ctx.fail(`${where} must be a mapping of names to strings`, line);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!LABEL_NAME.test(key)) throw ctx.fail(`${where}: "${key}" is not a valid label name`, line);
    if (typeof v !== "string") {
      throw ctx.fail(`${where}.${key} is ${JSON.stringify(v)}, not a string; quote it`, line);
    }
    if (PLACEHOLDER.test(v) && !where.endsWith("annotations")) {
      throw ctx.fail(
        `${where}.${key} contains ${PLACEHOLDER.exec(v)?.[0]}; placeholders only work in annotations`,
        line,
      );
    }
    out[key] = v;
  }
  return out;
}

function checkAcrossFiles(files: readonly LoadedRuleFile[], dir: string): void {
  const alertFile = new Map<string, string>();
  const groupFile = new Map<string, string>();
  for (const file of files) {
    for (const group of file.groups) {
      const otherGroup = groupFile.get(group.name);
      if (otherGroup !== undefined && otherGroup !== file.file) {
        throw new RuleFileError(
          path.join(dir, file.file),
          `group "${group.name}" is also defined in ${otherGroup}; group names must be unique across rule files`,
        );
      }
      groupFile.set(group.name, file.file);
      for (const rule of group.rules) {
        if (!isAlertingRule(rule)) continue;
        const other = alertFile.get(rule.alert);
        // The same name with several severities inside one file is the usual warning/critical pair.
        if (other !== undefined && other !== file.file) {
          throw new RuleFileError(
            path.join(dir, file.file),
            `alert ${rule.alert} is also defined in ${other}; keep all rules of one alert in one file (they share a runbook)`,
          );
        }
        alertFile.set(rule.alert, file.file);
      }
    }
  }
}

function applyConstants(
  files: readonly LoadedRuleFile[],
  constants: Record<string, number>,
  dir: string,
): void {
  for (const [record, value] of Object.entries(constants)) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RuleFileError(
        dir,
        `constant ${record} is ${JSON.stringify(value)}; it must be a finite number`,
      );
    }
    let found = 0;
    for (const file of files) {
      for (const group of file.groups) {
        for (const rule of group.rules) {
          if (isAlertingRule(rule) || rule.record !== record) continue;
          if (!CONSTANT_EXPR.test(rule.expr)) {
            throw new RuleFileError(
              path.join(dir, file.file),
              `recording rule ${record} is not a constant (its expr is "${rule.expr}"); only \`vector(<number>)\` rules can be overridden`,
            );
          }
          rule.expr = `vector(${value})`;
          found++;
        }
      }
    }
    if (found === 0) {
      throw new RuleFileError(
        dir,
        `constant ${record} has no recording rule; add \`- record: ${record}\` with \`expr: vector(<default>)\` to a rule file, before the alerts that read it`,
      );
    }
  }
}

function requireUrl(url: string, option: string, file: string): string {
  if (typeof url !== "string" || !/^https?:\/\/\S+$/.test(url)) {
    throw new RuleFileError(file, `option ${option} is ${JSON.stringify(url)}; pass an absolute http(s) URL`);
  }
  return url.replace(/\/+$/, "");
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOneOf<T extends string>(options: readonly T[], value: string): value is T {
  return (options as readonly string[]).includes(value);
}
