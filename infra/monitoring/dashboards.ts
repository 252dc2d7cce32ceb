// Loads the Grafana dashboards in dashboards/<folder>/<uid>.json and lints them before they become
// ConfigMaps. Pure: file system in, plain data out, no Pulumi. Every check throws a DashboardError that
// names the file, the panel and the fix, so a broken dashboard fails `vitest` and `pulumi preview` with a
// message a reviewer can act on instead of an empty panel discovered during an incident.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";

/** A node of the PromQL syntax tree (lezer's SyntaxNode, without depending on @lezer/common directly). */
type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];

/** A dashboard that passed the lint, ready to be shipped as a Grafana sidecar ConfigMap. */
export interface Dashboard {
  /** Grafana uid; equal to the file stem, so alert annotations can link to `/d/<uid>`. */
  uid: string;
  /** The dashboard title shown in Grafana. */
  title: string;
  /** Grafana folder, taken from the directory the file sits in (`dashboards/<folder>/`). */
  folder: string;
  /** Path of the source file, as found under the loaded directory. */
  file: string;
  /** The dashboard JSON, minified: the ConfigMap value. */
  json: string;
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

/** Options of {@link loadDashboards}. */
export interface LoadOptions {
  /**
   * Every metric and recording rule a query may use: {@link contractMetrics} of docs/metrics.md plus
   * {@link recordingRuleNames} of rules/. Histogram series (`_bucket`, `_count`, `_sum`) are derived from
   * their base name.
   */
  knownMetrics: Set<string>;
}

/** Thrown for any dashboard that would not load or would show wrong data; the message says how to fix it. */
export class DashboardError extends Error {
  constructor(
    /** The offending file. */
    public readonly file: string,
    message: string,
    /** The panel title, when the problem is inside a panel. */
    public readonly panel?: string,
  ) {
    super(message);
    this.name = "DashboardError";
  }
}

/** The datasource every panel and target must use, so one dashboard works against any Prometheus. */
export const DATASOURCE_REF = { type: "prometheus", uid: "${datasource}" } as const;

const GRID_WIDTH = 24;
const UID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;
/** Functions that turn a counter into something meaningful; a raw counter only grows and resets on restart. */
const COUNTER_FUNCTIONS = new Set(["Rate", "Irate", "Increase"]);
const HISTOGRAM_SUFFIXES = ["_bucket", "_count", "_sum"] as const;

/**
 * Loads and lints every `<dir>/<folder>/<uid>.json`. Throws a {@link DashboardError} on the first problem.
 * Returns the dashboards sorted by folder, then uid.
 */
export function loadDashboards(dir: string, opts: LoadOptions): Dashboard[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DashboardError(dir, `${dir}: not a directory. Fix: pass the dashboards/ directory.`);
  }
  const dashboards: Dashboard[] = [];
  const uidFiles = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort(byName)) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith(".json")) {
      throw new DashboardError(
        entryPath,
        `${entryPath}: dashboards must sit in a folder directory. Fix: move it to ${path.join(dir, "<folder>", entry.name)}; the directory name becomes the Grafana folder.`,
      );
    }
    if (!entry.isDirectory()) continue;
    const titles = new Map<string, string>();
    for (const file of fs.readdirSync(entryPath, { withFileTypes: true }).sort(byName)) {
      if (!file.isFile() || !file.name.endsWith(".json")) continue;
      const filePath = path.join(entryPath, file.name);
      const dashboard = lintDashboard(filePath, entry.name, fs.readFileSync(filePath, "utf8"), opts);
      const clash = uidFiles.get(dashboard.uid);
      if (clash !== undefined) {
        throw new DashboardError(
          filePath,
          `${filePath}: uid "${dashboard.uid}" is also used by ${clash}. Fix: give each dashboard a unique uid (and file name); Grafana would silently overwrite one with the other.`,
        );
      }
      const titleClash = titles.get(dashboard.title);
      if (titleClash !== undefined) {
        throw new DashboardError(
          filePath,
          `${filePath}: title "${dashboard.title}" is also used by ${titleClash} in folder "${entry.name}". Fix: rename one of them; Grafana needs unique titles within a folder.`,
        );
      }
      uidFiles.set(dashboard.uid, filePath);
      titles.set(dashboard.title, filePath);
      dashboards.push(dashboard);
    }
  }
  return dashboards;
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

function lintDashboard(file: string, folder: string, text: string, opts: LoadOptions): Dashboard {
  const fail = (problem: string, fix: string, panel?: string): never => {
    throw new DashboardError(file, `${file}: ${problem}. Fix: ${fix}.`, panel);
  };
  const dashboard = parseJson(file, text);
  if (!isObject(dashboard)) {
    return fail("the top level is not a JSON object", "export the dashboard JSON model");
  }

  const stem = path.basename(file, ".json");
  const uid = dashboard.uid;
  if (typeof uid !== "string" || uid === "") {
    return fail("missing uid", `set "uid": "${stem}" (alert rules link to dashboards by uid)`);
  }
  if (uid !== stem) {
    return fail(
      `uid "${uid}" differs from the file name`,
      `rename the file to ${uid}.json or set "uid": "${stem}"`,
    );
  }
  if (!UID_PATTERN.test(uid)) {
    return fail(`uid "${uid}" is not a valid Grafana uid`, "use at most 40 of [A-Za-z0-9_-]");
  }
  const title = dashboard.title;
  if (typeof title !== "string" || title.trim() === "") {
    return fail("missing title", 'set a stable "title"');
  }

  // grafana/dashboard-linter `template-uneditable-rule`: the sidecar provisions these files with
  // allowUiUpdates false, so an edit in the UI cannot be saved and is lost on the next deploy anyway.
  if (dashboard.editable !== false) {
    fail(
      "the dashboard is editable",
      'set "editable": false (dashboards are changed in dashboards/, not in the UI)',
    );
  }

  const variables = arrayAt(dashboard.templating, "list");
  const datasourceVar = variables.find((v) => isObject(v) && v.name === "datasource");
  if (
    !isObject(datasourceVar) ||
    datasourceVar.type !== "datasource" ||
    datasourceVar.query !== "prometheus"
  ) {
    fail(
      "no datasource variable",
      'add {"name": "datasource", "type": "datasource", "query": "prometheus"} to templating.list so the dashboard works against any Prometheus',
    );
  }
  variables.forEach((v, i) => {
    if (!isObject(v) || v.type !== "query") return;
    const where = `templating.list[${i}] (variable "${String(v.name)}")`;
    // dashboard-linter `template-on-time-change-reload-rule`: refresh 2 re-runs the query when the time
    // range changes, so the choices match the data on screen (Grafana's variable `refresh`: 1 on load,
    // 2 on time range change).
    if (v.refresh !== 2)
      fail(`${where}: refresh is ${String(v.refresh)}`, 'set "refresh": 2 (on time range change)');
    const query = isObject(v.query) ? v.query.query : v.query;
    if (typeof query !== "string") return;
    const expr = variableQueryExpr(query);
    if (expr === undefined) return;
    // label_values(x_total, label) only reads label values, so a raw counter is fine there.
    const [problem] = promqlProblems(expr, opts.knownMetrics, { allowRawCounters: true });
    if (problem) fail(`${where}: ${problem.message}`, problem.fix);
  });

  const panels = flattenPanels(dashboard.panels, "panels");
  if (panels.length === 0) fail("the dashboard has no panels", "add panels or delete the file");
  for (const { panel, where } of panels) {
    const panelTitle = typeof panel.title === "string" ? panel.title.trim() : "";
    if (panelTitle === "") fail(`panel at ${where} has no title`, "give every panel a title");
    const at = `panel "${panelTitle}" (${where})`;
    const failPanel = (problem: string, fix: string): never => fail(`${at}: ${problem}`, fix, panelTitle);
    checkGridPos(panel, failPanel);
    if (panel.type === "row") continue;

    if (typeof panel.description !== "string" || panel.description.trim() === "") {
      failPanel("no description", "describe what the panel shows and what 'bad' looks like for on-call");
    }
    const defaults = isObject(panel.fieldConfig) ? panel.fieldConfig.defaults : undefined;
    if (!isObject(defaults) || typeof defaults.unit !== "string" || defaults.unit === "") {
      failPanel(
        "no unit",
        'set fieldConfig.defaults.unit (e.g. "s", "percentunit", "reqps", "bytes", "short")',
      );
    }
    if (!sameDatasource(panel.datasource)) {
      failPanel("wrong datasource", `set "datasource": ${JSON.stringify(DATASOURCE_REF)}`);
    }
    const targets = Array.isArray(panel.targets) ? panel.targets : [];
    if (targets.length === 0) failPanel("no queries", "add a Prometheus target with an expr");
    targets.forEach((target: unknown, i) => {
      if (!isObject(target) || typeof target.expr !== "string" || target.expr.trim() === "") {
        return failPanel(`targets[${i}] has no expr`, "give every target a PromQL expr");
      }
      if (target.datasource !== undefined && !sameDatasource(target.datasource)) {
        failPanel(
          `targets[${i}] has the wrong datasource`,
          `set "datasource": ${JSON.stringify(DATASOURCE_REF)}`,
        );
      }
      const [problem] = promqlProblems(target.expr, opts.knownMetrics);
      if (problem)
        failPanel(`targets[${i}] (refId ${String(target.refId)}): ${problem.message}`, problem.fix);
      const window = fixedRateWindow(target.expr);
      if (window !== undefined && !FIXED_WINDOW_PANELS[`${uid}/${panelTitle}`]) {
        failPanel(
          `targets[${i}] (refId ${String(target.refId)}): rate()/irate() over a fixed window [${window}]`,
          "use [$__rate_interval] so the rate follows the zoom and the scrape interval (dashboard-linter target-rate-interval-rule), or add the panel to FIXED_WINDOW_PANELS in infra/monitoring/dashboards.ts with the reason",
        );
      }
    });
  }
  checkOverlaps(panels, fail);

  return { uid, title, folder, file, json: JSON.stringify(dashboard) };
}

type Json = Record<string, unknown>;
interface PanelAt {
  panel: Json;
  where: string;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around the error, newlines included: keep the message on one line.
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ");
    // V8 gives an offset for some errors only ("Unexpected token" has none), so find it ourselves.
    const offset = jsonErrorOffset(text);
    const before = text.slice(0, offset).split("\n");
    const line = before.length;
    const column = (before[before.length - 1] ?? "").length + 1;
    throw new DashboardError(
      file,
      `${file}:${line}:${column}: invalid JSON at line ${line}, column ${column} (${message}). Fix: correct the JSON there (a trailing comma or a missing quote is the usual cause).`,
    );
  }
}

class JsonSyntaxError extends Error {
  constructor(public readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/** Offset of the first JSON syntax error in `text` (strict RFC 8259), or `text.length` if none is found. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxError(i);
  };
  const skipSpace = (): void => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  const expect = (ch: string): void => {
    skipSpace();
    if (text.charAt(i) !== ch) fail();
    i++;
  };
  const string = (): void => {
    expect('"');
    while (i < text.length) {
      const ch = text.charAt(i);
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < " ") fail();
      if (ch === "\\") {
        i++;
        if (text.charAt(i) === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text.charAt(i)) || i >= text.length) {
          fail();
        }
      }
      i++;
    }
    fail();
  };
  const sequence = (close: string, item: () => void): void => {
    i++;
    skipSpace();
    if (text.charAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skipSpace();
      if (text.charAt(i) === close) {
        i++;
        return;
      }
      expect(",");
    }
  };
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const value = (): void => {
    skipSpace();
    const ch = text.charAt(i);
    if (ch === "{") {
      sequence("}", () => {
        string();
        expect(":");
        value();
      });
    } else if (ch === "[") {
      sequence("]", value);
    } else if (ch === '"') {
      string();
    } else {
      literal.lastIndex = i;
      if (!literal.test(text)) fail();
      i = literal.lastIndex;
    }
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail();
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err.offset;
    throw err;
  }
  return text.length;
}

/** Panels in document order with their JSON position; collapsed rows keep their children in `panels`. */
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

function checkGridPos(panel: Json, failPanel: (problem: string, fix: string) => never): void {
  const g = gridPos(panel);
  if (g === undefined) failPanel("missing or non-integer gridPos", "set gridPos {x, y, w, h} in grid units");
  else if (g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > GRID_WIDTH) {
    failPanel(`gridPos ${JSON.stringify(g)} is outside the 24-column grid`, "keep 0 <= x and x + w <= 24");
  }
}

function checkOverlaps(
  panels: PanelAt[],
  fail: (problem: string, fix: string, panel?: string) => never,
): void {
  const placed = panels.map((p) => ({ ...p, rect: gridPos(p.panel) }));
  placed.forEach((a, i) => {
    for (const b of placed.slice(i + 1)) {
      if (a.rect && b.rect && overlaps(a.rect, b.rect)) {
        fail(
          `panel "${String(a.panel.title)}" (${a.where}) overlaps panel "${String(b.panel.title)}" (${b.where})`,
          "move one of them; Grafana would reflow the layout unpredictably",
          String(b.panel.title),
        );
      }
    }
  });
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

function byName(a: fs.Dirent, b: fs.Dirent): number {
  return a.name.localeCompare(b.name);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function arrayAt(value: unknown, key: string): unknown[] {
  if (!isObject(value)) return [];
  const found = value[key];
  return Array.isArray(found) ? found : [];
}
