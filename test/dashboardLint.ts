/**
 * The dashboard lint: what makes a dashboard useful at 3 AM, checked by the tests and CI, never by
 * `pulumi up` (the program only loads the files: infra/monitoring/dashboards.ts; this module needs the
 * devDependency @prometheus-io/lezer-promql). Laid out as grafana/dashboard-linter lays out its rules: one
 * small rule per check, each with an `id` (dashboard-linter's where it has the rule) and the `reason`, run
 * by a short driver that reports the first problem with the file, the panel and the fix.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { DashboardError, isObject, loadDashboards, type Dashboard } from "../infra/monitoring/dashboards";

/** A node of the PromQL syntax tree (lezer's SyntaxNode, without depending on @lezer/common directly). */
type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];
type Json = Record<string, unknown>;
interface PanelAt {
  panel: Json;
  where: string;
}

/**
 * Panels whose rate()/irate() window is fixed on purpose (dashboard uid/panel title → why). Everything else
 * uses `$__rate_interval`, Grafana's interval for rate queries
 * (https://grafana.com/docs/grafana/latest/datasources/prometheus/template-variables/#use-__rate_interval).
 */
export const FIXED_WINDOW_PANELS: Record<string, string> = {
  "cost/Projected daily use at the current rate":
    "extrapolates the last hour's token rate to 24 h; the figure must not change with the zoom",
};

/** The first range of a rate()/irate() call that is not `$__rate_interval`, if any. */
export function fixedRateWindow(expr: string): string | undefined {
  for (const m of expr.matchAll(/\b(?:rate|irate)\s*\(/g)) {
    // The range of this call: the first [...] after the opening parenthesis at the same nesting level.
    let depth = 0;
    for (let i = (m.index ?? 0) + m[0].length; i < expr.length; i++) {
      const ch = expr[i];
      if (ch === '"' || ch === "'" || ch === "`") {
        // Skip a string literal (a regex matcher may hold brackets).
        for (i++; i < expr.length && expr[i] !== ch; i++) if (expr[i] === "\\" && ch !== "`") i++;
        continue;
      }
      if (ch === "(") depth++;
      else if (ch === ")") {
        if (depth === 0) break;
        depth--;
      } else if (ch === "[" && depth === 0) {
        const end = expr.indexOf("]", i);
        const range = expr.slice(i + 1, end);
        if (range.trim() !== "$__rate_interval") return range;
        break;
      }
    }
  }
  return undefined;
}

/** Options of the lint. */
export interface LintOptions {
  /**
   * Every metric and recording rule a query may use: {@link contractMetrics} of docs/metrics.md plus
   * {@link recordingRuleNames} of rules/. Histogram series (`_bucket`, `_count`, `_sum`) are derived from
   * their base name.
   */
  knownMetrics: Set<string>;
}

/** The datasource every panel and target must use, so one dashboard works against any Prometheus. */
export const DATASOURCE_REF = { type: "prometheus", uid: "${datasource}" } as const;

const GRID_WIDTH = 24;
const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;
/** Functions that turn a counter into something meaningful; a raw counter only grows and resets on restart. */
const COUNTER_FUNCTIONS = new Set(["Rate", "Irate", "Increase"]);
const HISTOGRAM_SUFFIXES = ["_bucket", "_count", "_sum"] as const;

/** One thing wrong, and how to fix it; `panel` names the panel when the problem is inside one. */
export interface LintProblem {
  problem: string;
  fix: string;
  panel?: string;
}

/** What a dashboard-wide rule sees. */
interface DashboardContext {
  uid: string;
  model: Json;
  panels: PanelAt[];
  known: Set<string>;
}

/** What a panel rule sees: the panel, where it is, and its title as the messages name it. */
interface PanelContext extends DashboardContext {
  panel: Json;
  where: string;
  title: string;
}

/** What a target rule sees. */
interface TargetContext extends PanelContext {
  target: Json;
  index: number;
}

interface Rule<C> {
  id: string;
  reason: string;
  check(ctx: C): Omit<LintProblem, "panel"> | undefined;
}

const at = (c: PanelContext) => `panel "${c.title}" (${c.where})`;
const refId = (c: TargetContext) => `targets[${c.index}] (refId ${String(c.target.refId)})`;

export const DASHBOARD_RULES: Rule<DashboardContext>[] = [
  {
    id: "uneditable-dashboard",
    reason:
      "the sidecar provisions these files with allowUiUpdates false: an edit in the UI cannot be saved and is lost on the next deploy",
    check: ({ model }) =>
      model.editable !== false
        ? {
            problem: "the dashboard is editable",
            fix: 'set "editable": false (dashboards are changed in dashboards/, not in the UI)',
          }
        : undefined,
  },
  {
    id: "template-datasource-rule",
    reason: "a datasource variable lets one dashboard work against any Prometheus",
    check: ({ model }) => {
      const v = arrayAt(model.templating, "list").find((x) => isObject(x) && x.name === "datasource");
      return !isObject(v) || v.type !== "datasource" || v.query !== "prometheus"
        ? {
            problem: "no datasource variable",
            fix: 'add {"name": "datasource", "type": "datasource", "query": "prometheus"} to templating.list so the dashboard works against any Prometheus',
          }
        : undefined;
    },
  },
  {
    id: "template-on-time-change-reload-rule",
    reason:
      "refresh 2 re-runs a query variable when the time range changes, so its choices match the data on screen (Grafana: 1 on load, 2 on time range change)",
    check: ({ model }) => {
      for (const [i, v] of queryVariables(model)) {
        if (v.refresh !== 2)
          return {
            problem: `${variableAt(i, v)}: refresh is ${String(v.refresh)}`,
            fix: 'set "refresh": 2 (on time range change)',
          };
      }
      return undefined;
    },
  },
  {
    id: "template-label-promql-rule",
    reason: "a variable query must parse and read contract metrics; label_values() of a raw counter is fine",
    check: ({ model, known }) => {
      for (const [i, v] of queryVariables(model)) {
        const query = isObject(v.query) ? v.query.query : v.query;
        const expr = typeof query === "string" ? variableQueryExpr(query) : undefined;
        if (expr === undefined) continue;
        const [p] = promqlProblems(expr, known, { allowRawCounters: true });
        if (p) return { problem: `${variableAt(i, v)}: ${p.message}`, fix: p.fix };
      }
      return undefined;
    },
  },
  {
    id: "dashboard-has-panels",
    reason: "an empty dashboard is a link to nothing",
    check: ({ panels }) =>
      panels.length === 0
        ? { problem: "the dashboard has no panels", fix: "add panels or delete the file" }
        : undefined,
  },
];

/** Run on every panel, rows included. */
export const LAYOUT_RULES: Rule<PanelContext>[] = [
  {
    id: "panel-title-description-rule",
    reason: "on-call finds a panel by its title",
    check: (c) =>
      c.title === ""
        ? { problem: `panel at ${c.where} has no title`, fix: "give every panel a title" }
        : undefined,
  },
  {
    id: "panel-gridpos",
    reason: "a panel without a valid place in the 24-column grid is laid out at random",
    check: (c) => {
      const g = gridPos(c.panel);
      if (g === undefined)
        return {
          problem: `${at(c)}: missing or non-integer gridPos`,
          fix: "set gridPos {x, y, w, h} in grid units",
        };
      if (g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > GRID_WIDTH)
        return {
          problem: `${at(c)}: gridPos ${JSON.stringify(g)} is outside the 24-column grid`,
          fix: "keep 0 <= x and x + w <= 24",
        };
      return undefined;
    },
  },
];

/** Run on every panel that is not a row. */
export const PANEL_RULES: Rule<PanelContext>[] = [
  {
    id: "panel-title-description-rule",
    reason: "the description says what the panel shows and what bad looks like, for whoever is on call",
    check: (c) =>
      typeof c.panel.description !== "string" || c.panel.description.trim() === ""
        ? {
            problem: `${at(c)}: no description`,
            fix: "describe what the panel shows and what 'bad' looks like for on-call",
          }
        : undefined,
  },
  {
    id: "panel-units-rule",
    reason: "a number without a unit is read wrong at 3 AM",
    check: (c) => {
      const d = isObject(c.panel.fieldConfig) ? c.panel.fieldConfig.defaults : undefined;
      return !isObject(d) || typeof d.unit !== "string" || d.unit === ""
        ? {
            problem: `${at(c)}: no unit`,
            fix: 'set fieldConfig.defaults.unit (e.g. "s", "percentunit", "reqps", "bytes", "short")',
          }
        : undefined;
    },
  },
  {
    id: "panel-datasource-rule",
    reason: "every panel reads the dashboard's datasource variable",
    check: (c) =>
      !sameDatasource(c.panel.datasource)
        ? {
            problem: `${at(c)}: wrong datasource`,
            fix: `set "datasource": ${JSON.stringify(DATASOURCE_REF)}`,
          }
        : undefined,
  },
  {
    id: "panel-no-targets-rule",
    reason: "a panel without a query shows nothing",
    check: (c) =>
      targetsOf(c.panel).length === 0
        ? { problem: `${at(c)}: no queries`, fix: "add a Prometheus target with an expr" }
        : undefined,
  },
];

/** Run on every target of a non-row panel; the first rule's failure skips the rest for that target. */
export const TARGET_RULES: Rule<TargetContext>[] = [
  {
    id: "target-expr",
    reason: "a target without a query shows nothing",
    check: (c) =>
      typeof c.target.expr !== "string" || c.target.expr.trim() === ""
        ? { problem: `${at(c)}: targets[${c.index}] has no expr`, fix: "give every target a PromQL expr" }
        : undefined,
  },
  {
    id: "panel-datasource-rule",
    reason: "a target with its own datasource ignores the dashboard's variable",
    check: (c) =>
      c.target.datasource !== undefined && !sameDatasource(c.target.datasource)
        ? {
            problem: `${at(c)}: targets[${c.index}] has the wrong datasource`,
            fix: `set "datasource": ${JSON.stringify(DATASOURCE_REF)}`,
          }
        : undefined,
  },
  {
    id: "target-promql-rule",
    reason: "the query parses, reads only contract metrics and recording rules, and never a raw counter",
    check: (c) => {
      const [p] = promqlProblems(String(c.target.expr), c.known);
      return p ? { problem: `${at(c)}: ${refId(c)}: ${p.message}`, fix: p.fix } : undefined;
    },
  },
  {
    id: "target-rate-interval-rule",
    reason: "rate() over $__rate_interval follows the zoom and the scrape interval",
    check: (c) => {
      const window = fixedRateWindow(String(c.target.expr));
      return window !== undefined && !FIXED_WINDOW_PANELS[`${c.uid}/${c.title}`]
        ? {
            problem: `${at(c)}: ${refId(c)}: rate()/irate() over a fixed window [${window}]`,
            fix: "use [$__rate_interval] so the rate follows the zoom and the scrape interval (dashboard-linter target-rate-interval-rule), or add the panel to FIXED_WINDOW_PANELS in test/dashboardLint.ts with the reason",
          }
        : undefined;
    },
  },
];

export const OVERLAP_RULE: Rule<DashboardContext> & { panelOf(ctx: DashboardContext): string | undefined } = {
  id: "panel-overlap",
  reason: "overlapping panels make Grafana reflow the layout unpredictably",
  check: (ctx) => {
    const o = firstOverlap(ctx.panels);
    return o
      ? {
          problem: `panel "${String(o[0].panel.title)}" (${o[0].where}) overlaps panel "${String(o[1].panel.title)}" (${o[1].where})`,
          fix: "move one of them; Grafana would reflow the layout unpredictably",
        }
      : undefined;
  },
  panelOf: (ctx) => {
    const o = firstOverlap(ctx.panels);
    return o ? String(o[1].panel.title) : undefined;
  },
};

/** The first problem of one loaded dashboard, rule by rule, panel by panel; undefined when it is clean. */
export function lintProblem(d: Dashboard, opts: LintOptions): LintProblem | undefined {
  const model = JSON.parse(d.json) as Json;
  const ctx: DashboardContext = {
    uid: d.uid,
    model,
    panels: flattenPanels(model.panels, "panels"),
    known: opts.knownMetrics,
  };
  for (const rule of DASHBOARD_RULES) {
    const p = rule.check(ctx);
    if (p) return p;
  }
  for (const { panel, where } of ctx.panels) {
    const title = typeof panel.title === "string" ? panel.title.trim() : "";
    const pc: PanelContext = { ...ctx, panel, where, title };
    const rules = panel.type === "row" ? LAYOUT_RULES : [...LAYOUT_RULES, ...PANEL_RULES];
    for (const rule of rules) {
      const p = rule.check(pc);
      if (p) return { ...p, panel: title };
    }
    if (panel.type === "row") continue;
    for (const [index, target] of targetsOf(panel).entries()) {
      const tc: TargetContext = { ...pc, target: isObject(target) ? target : {}, index };
      for (const rule of TARGET_RULES) {
        const p = rule.check(tc);
        if (p) return { ...p, panel: title };
        if (rule.id === "target-expr" && typeof tc.target.expr !== "string") break;
      }
    }
  }
  const p = OVERLAP_RULE.check(ctx);
  return p ? { ...p, panel: OVERLAP_RULE.panelOf(ctx) } : undefined;
}

/**
 * Loads (infra/monitoring/dashboards.ts) and lints every dashboard under `dir`; throws a DashboardError
 * naming the file, the panel and the fix for the first problem.
 */
export function lintDashboards(dir: string, opts: LintOptions): Dashboard[] {
  const dashboards = loadDashboards(dir);
  for (const d of dashboards) {
    const p = lintProblem(d, opts);
    if (p) throw new DashboardError(d.file, `${d.file}: ${p.problem}. Fix: ${p.fix}.`, p.panel);
  }
  return dashboards;
}

function queryVariables(model: Json): [number, Json][] {
  return arrayAt(model.templating, "list")
    .map((v, i): [number, unknown] => [i, v])
    .filter((e): e is [number, Json] => isObject(e[1]) && e[1].type === "query");
}

function variableAt(i: number, v: Json): string {
  return `templating.list[${i}] (variable "${String(v.name)}")`;
}

function targetsOf(panel: Json): unknown[] {
  return Array.isArray(panel.targets) ? panel.targets : [];
}

function firstOverlap(panels: PanelAt[]): [PanelAt, PanelAt] | undefined {
  const placed = panels.map((p) => ({ ...p, rect: gridPos(p.panel) }));
  for (let i = 0; i < placed.length; i++) {
    for (const b of placed.slice(i + 1)) {
      const a = placed[i]!;
      if (a.rect && b.rect && overlaps(a.rect, b.rect)) return [a, b];
    }
  }
  return undefined;
}

/**
 * The metric names of the contract: backticked names in the first column of the tables of docs/metrics.md
 * and in paragraphs or list items that are nothing but a list of backticked names (label names in
 * parentheses and prose are skipped).
 */
export function contractMetrics(metricsMdPath: string): Set<string> {
  const names = new Set<string>();
  const add = (text: string): void => {
    for (const match of text.matchAll(/`([^`]+)`/g)) {
      const name = match[1];
      if (name !== undefined && METRIC_NAME.test(name)) names.add(name);
    }
  };
  const blocks: string[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length > 0) blocks.push(paragraph.join(" "));
    paragraph = [];
  };
  for (const raw of fs.readFileSync(metricsMdPath, "utf8").split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("|")) {
      flush();
      const cells = line.split("|").map((c) => c.trim());
      add(cells[1] ?? "");
      // A histogram in the table also provides its _bucket, _count and _sum series.
      const histogram = /^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$/.exec(cells[1] ?? "")?.[1];
      if (histogram && cells[2]?.startsWith("histogram")) {
        for (const suffix of ["_bucket", "_count", "_sum"]) names.add(histogram + suffix);
      }
    } else if (line === "" || line.startsWith("#")) {
      flush();
    } else if (/^[-*+]\s/.test(line)) {
      flush();
      paragraph.push(line.replace(/^[-*+]\s+/, ""));
    } else {
      paragraph.push(line);
    }
  }
  flush();
  for (const block of blocks) {
    // "kube-state-metrics: `a`, `b` (label `x`), and `c`." is a list; anything with words left is prose.
    const rest = block
      .replace(/\([^)]*\)/g, "")
      .replace(/`[^`]*`/g, "")
      .replace(/^[^`:]*:/, "")
      .replace(/\band\b/g, "")
      .replace(/[\s,.;]/g, "");
    if (rest === "") add(block.replace(/\([^)]*\)/g, ""));
  }
  return names;
}

/** The `record:` names of every rule group in `<rulesDir>/*.yaml` (and `*.yml`); empty if the directory is missing. */
export function recordingRuleNames(rulesDir: string): Set<string> {
  const names = new Set<string>();
  if (!fs.existsSync(rulesDir)) return names;
  for (const file of fs.readdirSync(rulesDir).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    const doc: unknown = yaml.load(fs.readFileSync(path.join(rulesDir, file), "utf8"));
    for (const group of arrayAt(doc, "groups")) {
      for (const rule of arrayAt(group, "rules")) {
        if (isObject(rule) && typeof rule.record === "string") names.add(rule.record);
      }
    }
  }
  return names;
}

/** One thing wrong with a PromQL expression, and how to fix it. */
export interface PromqlProblem {
  message: string;
  fix: string;
}

/**
 * Problems of one PromQL expression as Grafana would send it (variables are substituted first): parse
 * errors, raw counters outside rate/irate/increase (unless `allowRawCounters`), and metrics outside
 * `knownMetrics`. Empty when fine.
 */
export function promqlProblems(
  expr: string,
  knownMetrics: Set<string>,
  { allowRawCounters = false }: { allowRawCounters?: boolean } = {},
): PromqlProblem[] {
  const query = substituteVariables(expr);
  const tree = parser.parse(query);
  let errorAt: number | undefined;
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError && errorAt === undefined) errorAt = ref.from;
    },
  });
  if (errorAt !== undefined) {
    const near = query.slice(Math.max(0, errorAt - 20), errorAt + 20);
    return [
      {
        message: `PromQL does not parse: error at offset ${errorAt} near \`${near}\` (query after variable substitution: \`${query}\`)`,
        fix: "check brackets, quotes, commas and function names; try the query in the Prometheus UI",
      },
    ];
  }

  const problems: PromqlProblem[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.name !== "VectorSelector") continue;
    const node = cursor.node;
    const name = metricName(node, query);
    if (name === undefined) {
      problems.push({
        message: `selector \`${query.slice(node.from, node.to)}\` has no metric name, so it cannot be checked against the contract`,
        fix: "name the metric in the selector",
      });
      continue;
    }
    if (!isKnownMetric(name, knownMetrics)) {
      problems.push({
        message: `metric \`${name}\` is neither in the metric contract (docs/metrics.md) nor a recording rule (rules/*.yaml)`,
        fix: "use a contract metric or recording rule, or add the metric to docs/metrics.md first",
      });
      continue;
    }
    if (!allowRawCounters && isCounter(name, knownMetrics) && !insideCounterFunction(node)) {
      problems.push({
        message: `\`${name}\` is a counter used outside rate()/irate()/increase(); its raw value only grows and resets on restart`,
        fix: `wrap it, e.g. \`rate(${name}[$__rate_interval])\``,
      });
    }
  } while (cursor.next());
  return problems;
}

/**
 * Replaces Grafana variables with values valid at their position, so the parser sees what Prometheus
 * will: interval macros become `5m`, variables inside strings a plain word, inside `[...]` a duration,
 * inside `by (...)`-style label lists a label name, and elsewhere a number.
 */
export function substituteVariables(expr: string): string {
  const variable = /\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]/y;
  let out = "";
  let quote: string | undefined;
  let brackets = 0;
  let parens = 0;
  let labelListAt: number | undefined;
  for (let i = 0; i < expr.length;) {
    variable.lastIndex = i;
    const match = variable.exec(expr);
    if (match) {
      const name = match[1] ?? match[2] ?? match[3] ?? "";
      if (/^__(rate_interval|interval|range)$/.test(name)) out += "5m";
      else if (/^__(interval_ms|range_s|range_ms)$/.test(name)) out += "300";
      else if (quote !== undefined) out += "grafana_var";
      else if (brackets > 0) out += "5m";
      else if (labelListAt !== undefined) out += "grafana_var";
      else out += "1";
      i += match[0].length;
      continue;
    }
    const ch = expr[i] ?? "";
    if (quote !== undefined) {
      if (ch === "\\" && quote !== "`") {
        out += expr.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'" || ch === "`") {
      quote = ch;
    } else if (ch === "[") {
      brackets++;
    } else if (ch === "]") {
      brackets--;
    } else if (ch === "(") {
      parens++;
      if (/\b(by|without|on|ignoring|group_left|group_right)\s*$/i.test(out)) labelListAt = parens;
    } else if (ch === ")") {
      if (labelListAt === parens) labelListAt = undefined;
      parens--;
    }
    out += ch;
    i++;
  }
  return out;
}

function flattenPanels(value: unknown, where: string): PanelAt[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((panel: unknown, i): PanelAt[] => {
    const at = `${where}[${i}]`;
    if (!isObject(panel)) return [{ panel: {}, where: at }];
    return [{ panel, where: at }, ...flattenPanels(panel.panels, `${at}.panels`)];
  });
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function gridPos(panel: Json): Rect | undefined {
  const g = panel.gridPos;
  if (!isObject(g)) return undefined;
  const { x, y, w, h } = g;
  if (![x, y, w, h].every((n) => Number.isInteger(n))) return undefined;
  return { x, y, w, h } as Rect;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function sameDatasource(value: unknown): boolean {
  return isObject(value) && value.type === DATASOURCE_REF.type && value.uid === DATASOURCE_REF.uid;
}

/** The PromQL inside a Grafana Prometheus variable query, or undefined for ones without (label_names()). */
function variableQueryExpr(query: string): string | undefined {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query);
  if (labelValues) return labelValues[1];
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (queryResult) return queryResult[1];
  return undefined;
}

function metricName(selector: SyntaxNode, query: string): string | undefined {
  const identifier = selector.getChild("Identifier");
  if (identifier) return query.slice(identifier.from, identifier.to);
  const matchers = selector.getChild("LabelMatchers");
  if (!matchers) return undefined;
  // Prometheus 3 allows {"metric.name", ...}: a bare quoted name inside the braces.
  const quoted = matchers.getChild("QuotedLabelName");
  if (quoted) return unquote(query.slice(quoted.from, quoted.to));
  for (const matcher of matchers.getChildren("UnquotedLabelMatcher")) {
    const label = matcher.getChild("LabelName");
    const op = matcher.getChild("MatchOp");
    const value = matcher.getChild("StringLiteral");
    if (
      label &&
      op?.firstChild?.name === "EqlSingle" &&
      value &&
      query.slice(label.from, label.to) === "__name__"
    ) {
      return unquote(query.slice(value.from, value.to));
    }
  }
  return undefined;
}

function unquote(literal: string): string {
  return literal.slice(1, -1);
}

/** The histogram a `_bucket`/`_count`/`_sum` series belongs to, if its base name is known. */
function histogramBase(name: string, known: Set<string>): string | undefined {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (name.endsWith(suffix) && known.has(name.slice(0, -suffix.length)))
      return name.slice(0, -suffix.length);
  }
  return undefined;
}

function isKnownMetric(name: string, known: Set<string>): boolean {
  return known.has(name) || histogramBase(name, known) !== undefined;
}

/** `_total` counters, and the `_bucket`/`_count`/`_sum` series of a histogram (but a gauge like pg_stat_activity_count is not). */
function isCounter(name: string, known: Set<string>): boolean {
  if (name.endsWith("_total")) return true;
  return !known.has(name) && histogramBase(name, known) !== undefined;
}

function insideCounterFunction(selector: SyntaxNode): boolean {
  const range = selector.parent;
  if (!range || (range.name !== "MatrixSelector" && range.name !== "SubqueryExpr")) return false;
  let node: SyntaxNode | null = range.parent;
  while (node && (node.name === "OffsetExpr" || node.name === "StepInvariantExpr")) node = node.parent;
  if (!node || node.name !== "FunctionCallBody") return false;
  const fn = node.parent?.getChild("FunctionIdentifier")?.firstChild;
  return fn !== null && fn !== undefined && COUNTER_FUNCTIONS.has(fn.name);
}

function arrayAt(value: unknown, key: string): unknown[] {
  if (!isObject(value)) return [];
  const found = value[key];
  return Array.isArray(found) ? found : [];
}
