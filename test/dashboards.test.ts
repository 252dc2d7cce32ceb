import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parser } from "@prometheus-io/lezer-promql";
import { afterEach, describe, expect, it } from "vitest";
import { DashboardError, jsonErrorOffset, loadDashboards } from "../infra/monitoring/dashboards";
import {
  DATASOURCE_REF,
  contractMetrics,
  fixedRateWindow,
  lintDashboards,
  promqlProblems,
  recordingRuleNames,
  substituteVariables,
} from "./dashboardLint";
import { dashboardConfigMap, monitoringContent } from "../infra/monitoring/monitoringStack";
import { parseStackConfig } from "../infra/config";
import { stackConfig } from "./mocks";
import { run, tool } from "./tools";

const ROOT = path.resolve(__dirname, "..");
const DASHBOARDS = path.join(ROOT, "dashboards");
const RULES = path.join(ROOT, "rules");
const KNOWN = new Set([
  ...contractMetrics(path.join(ROOT, "docs", "metrics.md")),
  ...recordingRuleNames(RULES),
]);

/** The uids alert rules and runbooks link to, with the Grafana folder each one belongs in. */
const EXPECTED: Record<string, string> = {
  "system-overview": "agents",
  "agent-performance": "agents",
  "blue-green": "agents",
  slo: "agents",
  infrastructure: "platform",
  data: "platform",
  cost: "cost",
};

type Json = Record<string, unknown> & {
  panels?: Json[];
  targets?: { expr: string; datasource?: unknown }[];
};

const dashboards = lintDashboards(DASHBOARDS, { knownMetrics: KNOWN });
const models = dashboards.map((d) => ({ ...d, model: JSON.parse(d.json) as Json }));

function allPanels(model: Json): Json[] {
  return (model.panels ?? []).flatMap((p) => [p, ...allPanels(p)]);
}
function queryPanels(model: Json): Json[] {
  return allPanels(model).filter((p) => p.type !== "row");
}
function exprs(model: Json): string[] {
  return queryPanels(model).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}
function thresholdValues(panel: Json): unknown[] {
  const steps = (panel.fieldConfig as { defaults: { thresholds?: { steps: { value: unknown }[] } } }).defaults
    .thresholds?.steps;
  return (steps ?? []).map((s) => s.value);
}

describe("the dashboards in dashboards/", () => {
  it("are exactly the seven dashboards alert rules link to, each in its folder", () => {
    expect(Object.fromEntries(dashboards.map((d) => [d.uid, d.folder]))).toEqual(EXPECTED);
    for (const d of dashboards)
      expect(path.relative(DASHBOARDS, d.file)).toBe(path.join(d.folder, `${d.uid}.json`));
  });

  it("cover every dashboard_url of rules/*.yaml", () => {
    const linked = new Set<string>();
    for (const file of fs.readdirSync(RULES).filter((f) => /\.ya?ml$/.test(f))) {
      for (const m of fs.readFileSync(path.join(RULES, file), "utf8").matchAll(/\/d\/([A-Za-z0-9_-]+)/g)) {
        linked.add(m[1] ?? "");
      }
    }
    for (const uid of linked) expect(Object.keys(EXPECTED), `rules link to /d/${uid}`).toContain(uid);
  });

  it.each(models.map((d) => [d.uid, d] as const))("%s has the Grafana export basics", (_uid, d) => {
    expect(d.model).toMatchObject({ uid: d.uid, title: d.title, schemaVersion: 39 });
    expect(d.model.tags).toEqual(expect.arrayContaining(["monitoring-platform"]));
    expect(d.model.time).toMatchObject({ from: expect.stringMatching(/^now-/), to: "now" });
    expect(typeof d.model.refresh).toBe("string");
    const list = (d.model.templating as { list: Json[] }).list;
    expect(list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
  });

  it.each(models.map((d) => [d.uid, d] as const))(
    "every panel of %s has a title, a description, a unit and the datasource variable",
    (_uid, d) => {
      const panels = queryPanels(d.model);
      expect(panels.length).toBeGreaterThan(0);
      for (const p of panels) {
        const defaults = (p.fieldConfig as { defaults: { unit?: string } }).defaults;
        expect(p.title, JSON.stringify(p.gridPos)).toMatch(/\S/);
        expect(p.description, String(p.title)).toMatch(/\S.{20,}/);
        expect(defaults.unit, String(p.title)).toMatch(/\S/);
        expect(p.datasource, String(p.title)).toEqual(DATASOURCE_REF);
        for (const t of p.targets ?? []) expect(t.datasource ?? DATASOURCE_REF).toEqual(DATASOURCE_REF);
      }
      // Rows group the panels; every dashboard uses them.
      expect(allPanels(d.model).some((p) => p.type === "row")).toBe(true);
    },
  );

  it.each(models.map((d) => [d.uid, d] as const))(
    "every query of %s parses, uses contract metrics or recording rules only, and rates its counters",
    (_uid, d) => {
      const queries = exprs(d.model);
      expect(queries.length).toBeGreaterThan(0);
      for (const expr of queries) expect(promqlProblems(expr, KNOWN), expr).toEqual([]);
      // $__rate_interval, never a fixed [1m] that breaks when the scrape interval changes.
      for (const expr of queries) expect(expr).not.toMatch(/\[\$__interval\]/);
    },
  );

  it("use the health-indicator thresholds of the operations runbook", () => {
    const panels = models.flatMap((d) => queryPanels(d.model));
    const byTitle = (re: RegExp) => panels.filter((p) => re.test(String(p.title)));
    for (const p of byTitle(/^p95 latency/))
      expect(thresholdValues(p), String(p.title)).toEqual([null, 0.5, 2]);
    for (const p of byTitle(/^Error ratio( by color)?$/))
      expect(thresholdValues(p), String(p.title)).toEqual([null, 0.01, 0.05]);
    for (const p of byTitle(/CPU use vs limit/)) expect(thresholdValues(p)).toEqual([null, 0.7, 0.85]);
    for (const p of byTitle(/memory use vs limit/)) expect(thresholdValues(p)).toEqual([null, 0.8, 0.9]);
    for (const p of byTitle(/^Event processing lag/)) expect(thresholdValues(p)).toEqual([null, 60, 300]);
    expect(thresholdValues(byTitle(/^Daily token budget used$/)[0] ?? {})).toEqual([null, 0.8, 1]);
  });

  it("ship the file's JSON minified, ready for a ConfigMap", () => {
    for (const d of dashboards) {
      expect(d.json).not.toContain("\n");
      expect(JSON.parse(d.json)).toEqual(JSON.parse(fs.readFileSync(d.file, "utf8")));
    }
  });

  it("every query also passes promtool's type checks", async () => {
    // Never skipped: tool() throws "run npm run tools" when .bin/promtool is missing.
    const promtool = tool("promtool");
    const queries = models.flatMap((d) => exprs(d.model)).map(substituteVariables);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-queries-"));
    try {
      const file = path.join(dir, "queries.yaml");
      const rules = queries.map(
        (expr, i) => `      - record: dashboard:query${i}\n        expr: ${JSON.stringify(expr)}\n`,
      );
      fs.writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n${rules.join("")}`);
      const r = await run(promtool, ["check", "rules", file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${queries.length} rules found`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------ what the panels claim --

/** A label matcher of a selector, as PromQL writes it. */
interface Matcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

/**
 * Every selector of `metric` in `expr` with its matchers, and the aggregations it sits under (innermost
 * first), read with the PromQL parser Grafana's and Prometheus' editors use.
 */
function selectorsOf(expr: string, metric: string): { matchers: Matcher[]; aggregations: string[] }[] {
  const out: { matchers: Matcher[]; aggregations: string[] }[] = [];
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.name !== "VectorSelector") return;
      const node = ref.node;
      const id = node.getChild("Identifier");
      if (!id || text(id) !== metric) return;
      const matchers: Matcher[] = [];
      for (const m of node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        const label = m.getChild("LabelName");
        const op = m.getChild("MatchOp");
        const value = m.getChild("StringLiteral");
        if (label && op && value)
          matchers.push({
            label: text(label),
            op: text(op) as Matcher["op"],
            value: JSON.parse(text(value)) as string,
          });
      }
      const aggregations: string[] = [];
      for (let p = node.parent; p; p = p.parent) {
        if (p.name === "AggregateExpr") {
          const op = p.getChild("AggregateOp");
          if (op) aggregations.push(text(op));
        }
      }
      out.push({ matchers, aggregations });
    },
  });
  return out;
}

/** Whether a selector with these matchers selects a series with these labels (PromQL regexes are anchored). */
function selects(matchers: Matcher[], labels: Record<string, string>): boolean {
  return matchers.every(({ label, op, value }) => {
    const v = labels[label] ?? "";
    if (op === "=") return v === value;
    if (op === "!=") return v !== value;
    const full = new RegExp(`^(?:${value})$`).test(v);
    return op === "=~" ? full : !full;
  });
}

/** [dashboard uid, expression] of every query reading `metric`. */
const queriesOf = (metric: string) =>
  models.flatMap((d) =>
    exprs(d.model)
      .filter((e) => selectorsOf(e, metric).length > 0)
      .map((e) => [d.uid, e] as const),
  );

describe("what the panels show (issue 17, item 5)", () => {
  it("the selector helpers read matchers and aggregations (so the checks below can fail)", () => {
    const [sel] = selectorsOf(
      'sum by (color) (agent_queue_depth{job="agent-api", color=~"b.*"})',
      "agent_queue_depth",
    );
    expect(sel).toEqual({
      matchers: [
        { label: "job", op: "=", value: "agent-api" },
        { label: "color", op: "=~", value: "b.*" },
      ],
      aggregations: ["sum"],
    });
    expect(selects(sel!.matchers, { job: "agent-api", color: "blue" })).toBe(true);
    expect(selects(sel!.matchers, { job: "agent-api", color: "xblue" })).toBe(false);
  });

  // Every pod reports the depth of the one shared queue (docs/metrics.md; rules/agent.yaml reads it with
  // max for the same reason): summed over N pods it shows N times the queue.
  it("queue depth is never summed over pods: every aggregation of agent_queue_depth is max", () => {
    const queries = queriesOf("agent_queue_depth");
    expect(queries.length).toBeGreaterThanOrEqual(3);
    for (const [uid, expr] of queries) {
      for (const { aggregations } of selectorsOf(expr, "agent_queue_depth")) {
        expect(aggregations, `${uid}: ${expr}`).not.toHaveLength(0);
        expect(
          aggregations.every((a) => a === "max"),
          `${uid}: ${expr}`,
        ).toBe(true);
      }
    }
  });

  // AKS runs Cilium (infra/azure/aksPlan.ts: networkDataplane "cilium"). Cilium names the host side of each
  // pod's veth `lxc<hash>` (and its health endpoint `lxc_health`) and adds cilium_host, cilium_net and, in
  // tunnel mode, cilium_vxlan (docs.cilium.io, "Generic Veth Chaining", shows `ip -d link` on a node).
  // Counting them next to eth0 counts pod traffic twice; Calico's cali* and Azure CNI's azv* never exist.
  const CILIUM_DEVICES = ["lxc3e891029a3cd", "lxc_health", "cilium_host", "cilium_net", "cilium_vxlan", "lo"];
  it.each(["node_network_receive_bytes_total", "node_network_transmit_bytes_total"])(
    "%s panels count the node's NIC (eth0) and none of Cilium's devices",
    (metric) => {
      const queries = queriesOf(metric);
      expect(queries.length).toBeGreaterThanOrEqual(1);
      for (const [uid, expr] of queries) {
        for (const { matchers } of selectorsOf(expr, metric)) {
          expect(selects(matchers, { device: "eth0" }), `${uid}: ${expr} must count eth0`).toBe(true);
          for (const device of CILIUM_DEVICES)
            expect(selects(matchers, { device }), `${uid}: ${expr} counts ${device}`).toBe(false);
          expect(expr, `${uid}: Calico/Azure CNI devices do not exist here`).not.toMatch(/cali|azv/);
        }
      }
    },
  );

  // The Watchdog fires all the time by design (rules/platform.yaml): a firing-alerts count that includes it
  // is never 0, and 1 reads as "something is wrong".
  it("every count of firing ALERTS leaves the always-firing Watchdog out", () => {
    const queries = queriesOf("ALERTS");
    expect(queries.length).toBeGreaterThanOrEqual(1);
    const watchdog = { alertname: "Watchdog", alertstate: "firing", severity: "info", service: "monitoring" };
    for (const [uid, expr] of queries) {
      for (const { matchers } of selectorsOf(expr, "ALERTS"))
        expect(selects(matchers, watchdog), `${uid}: ${expr} counts the Watchdog`).toBe(false);
    }
  });
});

describe("contractMetrics", () => {
  const contract = contractMetrics(path.join(ROOT, "docs", "metrics.md"));

  it("reads metric names from the tables and the name lists", () => {
    for (const name of ["up", "agent_requests_total", "agent_response_seconds", "pg_up", "redis_up"]) {
      expect(contract).toContain(name);
    }
    for (const name of ["kube_pod_status_phase", "node_cpu_seconds_total", "ALERTS"])
      expect(contract).toContain(name);
  });

  it("skips label names and prose", () => {
    for (const label of [
      "agent",
      "status",
      "namespace",
      "pod",
      "color",
      "blue",
      "datname",
      "state",
      "integration",
    ]) {
      expect(contract).not.toContain(label);
    }
  });
});

describe("recordingRuleNames", () => {
  it("reads the record: names of rules/*.yaml, not the alerts", () => {
    const names = recordingRuleNames(RULES);
    expect(names.size).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  });

  it("is empty for a missing directory", () => {
    expect(recordingRuleNames(path.join(os.tmpdir(), "no-such-rules-dir")).size).toBe(0);
  });
});

describe("substituteVariables", () => {
  it.each([
    ["rate(x_total[$__rate_interval])", "rate(x_total[5m])"],
    ["increase(x_total[${__range}])", "increase(x_total[5m])"],
    [
      'x{namespace=~"$namespace", agent=~"${agent:regex}"}',
      'x{namespace=~"grafana_var", agent=~"grafana_var"}',
    ],
    ['x{agent="[[agent]]"}', 'x{agent="grafana_var"}'],
    ["rate(x_total[$window])", "rate(x_total[5m])"],
    ["sum by ($group) (x)", "sum by (grafana_var) (x)"],
    ["x > $threshold", "x > 1"],
  ])("%s → %s", (input, output) => {
    expect(substituteVariables(input)).toBe(output);
  });
});

describe("promqlProblems", () => {
  const known = new Set(["agent_requests_total", "agent_response_seconds", "pg_stat_activity_count"]);

  it.each([
    "histogram_quantile(0.95, sum by (le) (rate(agent_response_seconds_bucket[$__rate_interval])))",
    "sum(increase(agent_requests_total[1h] offset 1d))",
    "rate(agent_response_seconds_count[5m]) / rate(agent_response_seconds_sum[5m])",
    "sum(pg_stat_activity_count)", // a gauge that merely ends in _count
    'sum(rate(agent_requests_total{agent=~"$agent"}[$__rate_interval]))',
  ])("accepts %s", (expr) => {
    expect(promqlProblems(expr, known)).toEqual([]);
  });

  it.each([
    ["sum(agent_requests_total)", /counter used outside rate/],
    ["agent_response_seconds_bucket", /counter used outside rate/],
    ["delta(agent_requests_total[5m])", /counter used outside rate/],
    ["rate(made_up_total[5m])", /`made_up_total` is neither in the metric contract/],
    ['{job="agent-api"}', /has no metric name/],
    ["sum(rate(agent_requests_total[5m])", /does not parse/],
  ])("rejects %s", (expr, message) => {
    expect(promqlProblems(expr, known).map((p) => p.message)).toEqual([expect.stringMatching(message)]);
  });
});

describe("jsonErrorOffset", () => {
  it.each([
    ['{"a": 1,}', 8],
    ['{"a": tru}', 6],
    ["[1 2]", 3],
    ['{"a": "x\ny"}', 8],
    ['{"a": 1', 7],
    ["{} x", 3],
  ])("finds the error in %j at offset %i, where JSON.parse fails", (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it("finds nothing in valid JSON", () => {
    const text = '{"a": [1, -2.5e3, {"b": "\\u00e9\\n"}], "c": null, "d": true}';
    expect(() => JSON.parse(text)).not.toThrow();
    expect(jsonErrorOffset(text)).toBe(text.length);
  });
});

describe("lintDashboards rejects a broken dashboard", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function panel(title: string, expr: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id: 2,
      type: "timeseries",
      title,
      description: "What it shows, and what bad looks like.",
      datasource: DATASOURCE_REF,
      gridPos: { x: 0, y: 1, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: "reqps" }, overrides: [] },
      targets: [{ refId: "A", datasource: DATASOURCE_REF, expr }],
      ...extra,
    };
  }

  function dashboard(
    uid: string,
    panels: unknown[],
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      uid,
      title: `Title of ${uid}`,
      schemaVersion: 39,
      editable: false,
      templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus" }] },
      panels: [
        { id: 1, type: "row", title: "Row", gridPos: { x: 0, y: 0, w: 24, h: 1 }, panels: [] },
        ...panels,
      ],
      ...extra,
    };
  }

  /** Writes `files` (path under the temp dashboards dir → JSON value or raw text) and returns the dir. */
  function write(files: Record<string, unknown>): string {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboards-"));
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      const text = typeof content === "string" ? content : JSON.stringify(content, null, 2);
      fs.writeFileSync(path.join(dir, file), text);
    }
    return dir;
  }

  function loadError(files: Record<string, unknown>): DashboardError {
    const root = write(files);
    try {
      lintDashboards(root, { knownMetrics: KNOWN });
    } catch (e) {
      expect(e).toBeInstanceOf(DashboardError);
      return e as DashboardError;
    }
    throw new Error("expected lintDashboards to throw a DashboardError");
  }

  const rate = "sum(rate(agent_requests_total[$__rate_interval]))";

  it("the program's loader ships what the lint refuses (pulumi up loads, the tests lint)", () => {
    const root = write({
      "agents/ok.json": dashboard("ok", [panel("Requests", "sum(agent_requests_total)")]),
    });
    expect(loadDashboards(root).map((d) => d.uid)).toEqual(["ok"]);
    expect(() => lintDashboards(root, { knownMetrics: KNOWN })).toThrow(/counter used outside rate/);
    const broken = write({ "agents/bad.json": '{ "uid": "bad", ' });
    expect(() => loadDashboards(broken)).toThrow(/bad\.json:1:\d+: invalid JSON/);
  });

  it("loads a well-formed fixture (so the failures below are the ones under test)", () => {
    const root = write({ "agents/ok.json": dashboard("ok", [panel("Requests", rate)]) });
    expect(lintDashboards(root, { knownMetrics: KNOWN })).toEqual([
      expect.objectContaining({ uid: "ok", title: "Title of ok", folder: "agents" }),
    ]);
  });

  it("invalid JSON: names the file, the line and the column", () => {
    const text = '{\n  "uid": "bad",\n  "title": "Bad",\n  "panels": [,]\n}\n';
    const err = loadError({ "agents/bad.json": text });
    expect(err.file).toMatch(/agents[/\\]bad\.json$/);
    expect(err.message).toMatch(/agents[/\\]bad\.json:4:\d+: invalid JSON at line 4, column \d+/);
  });

  it("a query that does not parse: names the file, the panel and the position", () => {
    const err = loadError({
      "agents/broken.json": dashboard("broken", [
        panel("Broken panel", "sum(rate(agent_requests_total[5m])"),
      ]),
    });
    expect(err.panel).toBe("Broken panel");
    expect(err.message).toMatch(
      /agents[/\\]broken\.json: panel "Broken panel" \(panels\[1\]\): targets\[0\]/,
    );
    expect(err.message).toMatch(/PromQL does not parse: error at offset \d+/);
  });

  it("a counter without rate(): says how to wrap it", () => {
    const err = loadError({
      "agents/raw.json": dashboard("raw", [panel("Raw counter", "sum(agent_requests_total)")]),
    });
    expect(err.message).toMatch(/panel "Raw counter".*`agent_requests_total` is a counter used outside rate/);
    expect(err.message).toMatch(/Fix: wrap it, e\.g\. `rate\(agent_requests_total\[\$__rate_interval\]\)`/);
  });

  it("a metric outside the contract: points at docs/metrics.md", () => {
    const err = loadError({
      "agents/unknown.json": dashboard("unknown", [
        panel("Made up", "sum(rate(made_up_requests_total[5m]))"),
      ]),
    });
    expect(err.message).toMatch(
      /panel "Made up".*`made_up_requests_total` is neither in the metric contract/,
    );
    expect(err.message).toMatch(/add the metric to docs\/metrics\.md first/);
  });

  it("a duplicate uid: names both files", () => {
    const err = loadError({
      "agents/twin.json": dashboard("twin", [panel("A", rate)]),
      "platform/twin.json": dashboard("twin", [panel("B", rate)], { title: "Other title" }),
    });
    expect(err.message).toMatch(
      /platform[/\\]twin\.json: uid "twin" is also used by .*agents[/\\]twin\.json/,
    );
  });

  it("a panel without description", () => {
    const err = loadError({
      "agents/nodesc.json": dashboard("nodesc", [panel("Silent", rate, { description: "" })]),
    });
    expect(err.message).toMatch(
      /panel "Silent" \(panels\[1\]\): no description\. Fix: describe what the panel shows/,
    );
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      "a panel without unit",
      {
        "agents/nounit.json": dashboard("nounit", [
          panel("No unit", rate, { fieldConfig: { defaults: {} } }),
        ]),
      },
      /panel "No unit" \(panels\[1\]\): no unit\. Fix: set fieldConfig\.defaults\.unit/,
    ],
    [
      "a panel without title",
      { "agents/notitle.json": dashboard("notitle", [panel("", rate)]) },
      /panel at panels\[1\] has no title/,
    ],
    [
      "a uid that differs from the file name",
      { "agents/stem.json": dashboard("other", [panel("A", rate)]) },
      /uid "other" differs from the file name\. Fix: rename the file to other\.json or set "uid": "stem"/,
    ],
    [
      "a missing uid",
      { "agents/nouid.json": dashboard("", [panel("A", rate)]) },
      /missing uid\. Fix: set "uid": "nouid"/,
    ],
    [
      "no datasource variable",
      { "agents/nods.json": dashboard("nods", [panel("A", rate)], { templating: { list: [] } }) },
      /no datasource variable\. Fix: add \{"name": "datasource"/,
    ],
    [
      "a panel bound to a fixed datasource",
      {
        "agents/fixed.json": dashboard("fixed", [
          panel("Fixed", rate, { datasource: { type: "prometheus", uid: "P1809F7CD0C75ACF3" } }),
        ]),
      },
      /panel "Fixed" \(panels\[1\]\): wrong datasource\. Fix: set "datasource": \{"type":"prometheus","uid":"\$\{datasource\}"\}/,
    ],
    [
      "overlapping panels",
      { "agents/overlap.json": dashboard("overlap", [panel("First", rate), panel("Second", rate)]) },
      /panel "First" \(panels\[1\]\) overlaps panel "Second" \(panels\[2\]\)/,
    ],
    [
      "a variable query over an unknown metric",
      {
        "agents/var.json": dashboard("var", [panel("A", rate)], {
          templating: {
            list: [
              { name: "datasource", type: "datasource", query: "prometheus" },
              {
                name: "agent",
                type: "query",
                refresh: 2,
                query: { query: "label_values(nope_total, agent)" },
              },
            ],
          },
        }),
      },
      /templating\.list\[1\] \(variable "agent"\): metric `nope_total` is neither/,
    ],
    [
      "a dashboard outside a folder",
      { "loose.json": dashboard("loose", [panel("A", rate)]) },
      /dashboards must sit in a folder directory\. Fix: move it to/,
    ],
    [
      "an editable dashboard (dashboard-linter template-uneditable-rule)",
      { "agents/ed.json": dashboard("ed", [panel("A", rate)], { editable: true }) },
      /the dashboard is editable\. Fix: set "editable": false/,
    ],
    [
      "a query variable not refreshed on time range change (template-on-time-change-reload-rule)",
      {
        "agents/v.json": dashboard("v", [panel("A", rate)], {
          templating: {
            list: [
              { name: "datasource", type: "datasource", query: "prometheus" },
              {
                name: "agent",
                type: "query",
                refresh: 1,
                query: "label_values(agent_requests_total, agent)",
              },
            ],
          },
        }),
      },
      /templating\.list\[1\] \(variable "agent"\): refresh is 1\. Fix: set "refresh": 2/,
    ],
    [
      "rate() over a fixed window (target-rate-interval-rule)",
      { "agents/r.json": dashboard("r", [panel("Fixed", "sum(rate(agent_requests_total[5m]))")]) },
      /panel "Fixed" \(panels\[1\]\): targets\[0\] \(refId A\): rate\(\)\/irate\(\) over a fixed window \[5m\]\. Fix: use \[\$__rate_interval\]/,
    ],
  ])("%s", (_name, files, message) => {
    expect(loadError(files).message).toMatch(message);
  });

  it("reads the rate window past matchers holding brackets, and leaves increase() alone", () => {
    expect(fixedRateWindow('rate(x{a=~"[0-9]+"}[$__rate_interval])')).toBeUndefined();
    expect(fixedRateWindow('sum(irate(x{a=~"[0-9]+"}[2m]))')).toBe("2m");
    expect(fixedRateWindow("increase(x[1h])")).toBeUndefined();
    expect(fixedRateWindow("rate(x[$__rate_interval]) / rate(y[1h])")).toBe("1h");
  });
});

describe("nothing rendered depends on where the checkout lives", () => {
  it("two checkouts in different folders give byte-identical dashboard ConfigMaps and rules", () => {
    const monitoring = parseStackConfig(stackConfig("prod").config).monitoring;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "checkout-path-"));
    try {
      const render = (dir: string) => {
        for (const sub of ["dashboards", "rules", "docs"]) {
          fs.cpSync(path.join(ROOT, sub), path.join(dir, sub), { recursive: true });
        }
        const content = monitoringContent(monitoring, dir);
        return JSON.stringify({
          dashboards: content.dashboards.map((d) => dashboardConfigMap(d, "monitoring", { app: "x" })),
          rules: content.rules.map((r) => ({ file: r.file, groups: r.groups })),
          alertmanager: content.alertmanager,
        });
      };
      const a = render(path.join(tmp, "first", "checkout"));
      const b = render(path.join(tmp, "elsewhere", "deeper", "monitoring-platform"));
      expect(a).toBe(b);
      expect(a).not.toContain(tmp);
      expect(a).not.toContain(ROOT);
      expect(a).toContain('"monitoring-platform/source":"dashboards/agents/slo.json"');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
