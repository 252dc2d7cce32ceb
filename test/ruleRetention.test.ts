// A rule may not read further back than the stack's Prometheus keeps samples: Prometheus answers a range
// older than its retention with what it still has, so the alert or budget silently covers less than it
// says (issue 17, item 1: a "30-day" budget on `retention: 15d`).
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { isAlertingRule, loadRuleFiles } from "../infra/monitoring/rules";
import { durationSeconds, lookbackSeconds, rulesBeyondRetention } from "./ruleRetention";

const ROOT = path.resolve(__dirname, "..");
const STACKS = ["dev", "prod"] as const;

const rules = loadRuleFiles(path.join(ROOT, "rules"), {
  grafanaUrl: "https://grafana.test.example.com",
  runbookBaseUrl: "https://runbooks.test.example.com",
  constants: {},
})
  .flatMap((f) => f.groups.flatMap((g) => g.rules))
  .map((r) => (isAlertingRule(r) ? { alert: r.alert, expr: r.expr } : { record: r.record, expr: r.expr }));

/** `monitoring.prometheus.retention` as the stack file sets it (no default: a stack must say it). */
function retentionOf(stack: string): string {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, { prometheus?: { retention?: string } }>;
  };
  const retention = doc.config["monitoring-platform:monitoring"]?.prometheus?.retention;
  if (!retention) throw new Error(`Pulumi.${stack}.yaml sets no monitoring.prometheus.retention`);
  return retention;
}

describe("lookbackSeconds", () => {
  it.each([
    ["up", 0],
    ["rate(x[5m])", 300],
    [
      "sum_over_time(agent_slo:errors:rate5m[30d]) / sum_over_time(agent_slo:requests:rate5m[30d])",
      30 * 86400,
    ],
    ["rate(x[5m] offset 1h)", 3900],
    ["max_over_time(rate(x[5m])[1d:5m])", 86400 + 300],
    ["max_over_time(rate(x[5m])[1d:5m] offset 1d)", 2 * 86400 + 300],
    ["x offset -1h", 0],
    ["predict_linear(x[6h], 4 * 3600) < 0 and rate(y[1h30m]) > 0", 6 * 3600],
  ])("%s reads %d s back", (expr, seconds) => {
    expect(lookbackSeconds(expr)).toBe(seconds);
  });

  it("throws on an expression that does not parse", () => {
    expect(() => lookbackSeconds("rate(x[5m]")).toThrow(/does not parse/);
  });

  it("reads the durations Prometheus accepts, and refuses the rest", () => {
    expect(durationSeconds("1h30m")).toBe(5400);
    expect(durationSeconds("32d")).toBe(32 * 86400);
    expect(() => durationSeconds("15 days")).toThrow(/not a Prometheus duration/);
  });
});

describe.each(STACKS)("rules against the %s stack's retention", (stack) => {
  it("every rule reads at most monitoring.prometheus.retention back", () => {
    expect(rulesBeyondRetention(rules, retentionOf(stack))).toEqual([]);
  });
});

describe("rulesBeyondRetention", () => {
  it("names the 30-day budget rules on the 15 days prod had before (the check can fail)", () => {
    const names = rulesBeyondRetention(rules, "15d").map((p) => p.rule);
    expect(names).toEqual(
      expect.arrayContaining(["agent_slo:error_ratio:rate30d", "agent_slo:slow_ratio:rate30d"]),
    );
    expect(rulesBeyondRetention(rules, "15d")[0]).toMatchObject({ lookback: "30d", retention: "15d" });
  });
});
