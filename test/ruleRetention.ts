// How far back in time each rule reads, against how long Prometheus keeps samples. Pure, no Pulumi.
//
// A range selector older than the stack's retention does not fail: Prometheus answers with the samples it
// still has, so a `[30d]` error budget on a 15-day TSDB silently covers 15 days. This module measures every
// rule's look-back with the PromQL parser Prometheus' own UI uses (@prometheus-io/lezer-promql) so a test
// can refuse such a rule for every stack file.
//
// Look-back semantics (Prometheus docs, "Querying basics": range vector selectors, offset modifier,
// subqueries): `x[d]` reads d back; `e offset o` shifts what e reads by o; a subquery `e[r:s]` evaluates e
// at every step of the last r, so it reads r plus what e reads. A rule reading a recorded series only needs
// the recorded samples, not the raw data behind them, so recording rules count on their own.
import { parser } from "@prometheus-io/lezer-promql";

type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
  y: 31536000,
};

/** Seconds of a Prometheus duration such as `30d`, `1h30m` or `500ms`; throws on anything else. */
export function durationSeconds(duration: string): number {
  const text = duration.trim();
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) throw new Error(`not a Prometheus duration: "${duration}"`);
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}

/**
 * How many seconds before the evaluation time `expr` reads samples from (the longest path through range
 * selectors, subqueries and offsets; 0 for an instant query without offset). Throws if `expr` does not parse.
 */
export function lookbackSeconds(expr: string): number {
  const tree = parser.parse(expr);
  let errorAt: number | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && errorAt === undefined) errorAt = n.from;
    },
  });
  if (errorAt !== undefined) throw new Error(`PromQL does not parse at offset ${errorAt}: ${expr}`);
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const children = (n: SyntaxNode): SyntaxNode[] => {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  };
  const durations = (n: SyntaxNode) => children(n).filter((c) => c.name === "DurationExpr");
  const walk = (n: SyntaxNode): number => {
    const inner = Math.max(0, ...children(n).map(walk));
    switch (n.name) {
      case "MatrixSelector": {
        const [range] = durations(n);
        return range ? durationSeconds(text(range)) : inner;
      }
      case "SubqueryExpr": {
        // `e[range:step]` or `e[range:]`: the first duration child is the range.
        const [range] = durations(n);
        return inner + (range ? durationSeconds(text(range)) : 0);
      }
      case "OffsetExpr": {
        const offset = children(n).find((c) => c.name === "OffsetDurationExpr");
        // A negative offset reads later samples, never older ones.
        const o = offset && !text(offset).startsWith("-") ? durationSeconds(text(offset)) : 0;
        return inner + o;
      }
      default:
        return inner;
    }
  };
  return walk(tree.topNode);
}

/** A rule whose look-back the TSDB does not hold. */
export interface RetentionProblem {
  rule: string;
  lookback: string;
  retention: string;
}

/**
 * Every rule (by `alert` or `record` name) whose expression reads further back than `retention`, the
 * stack's `monitoring.prometheus.retention`. Empty when all of them fit.
 */
export function rulesBeyondRetention(
  rules: readonly { alert?: string; record?: string; expr: string }[],
  retention: string,
): RetentionProblem[] {
  const keep = durationSeconds(retention);
  return rules.flatMap((r) => {
    const back = lookbackSeconds(r.expr);
    return back > keep ? [{ rule: r.alert ?? r.record ?? "?", lookback: `${back / 86400}d`, retention }] : [];
  });
}
