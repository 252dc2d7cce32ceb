/**
 * Blue-green promotion gate and the status/promote/rollback commands behind `npm run bluegreen`.
 *
 * The gate asks Prometheus about the *preview* color over `app.promotion.window`:
 *   - traffic:   requests in the window ≥ app.promotion.minRequests (no verdict on too little evidence)
 *   - errors:    error ratio ≤ app.promotion.maxErrorRatio
 *   - latency:   p95 of agent_response_seconds ≤ app.promotion.maxP95Seconds
 *   - readiness: kube-state-metrics: available replicas of `<name>-<color>` ≥ desired, and desired > 0
 * Every check is evaluated and printed; any failure (including "no data") refuses the promotion.
 *
 * Promotion and rollback are both one flip of `app.activeColor` in the stack config followed by
 * `pulumi up` through the Automation API. By design (infra/apps/blueGreenPlan.ts) that update changes only
 * the two Services' selectors, so it takes seconds. Rollback skips the gate: the color being rolled back to
 * was live until recently, and a rollback must never wait on (or be blocked by) Prometheus.
 *
 * Everything here takes its collaborators as arguments (a query function, a stack handle, a logger), so
 * tests drive it with a real Prometheus and a fake stack.
 */
import type { AppConfig } from "../../infra/apps/config";
import { PROJECT } from "../../infra/config";
import { flipTargets } from "../../infra/apps/blueGreenPlan";

export type Color = "blue" | "green";
export type { AppConfig };

/** Runs an instant PromQL query; returns the single value, or undefined for an empty result. */
export type PromQuery = (expr: string) => Promise<number | undefined>;

/** The slice of the Automation API `Stack` we use; `LocalWorkspace.selectStack(...)` satisfies it. */
export interface AutomationStack {
  getConfig(key: string, path?: boolean): Promise<{ value: string; secret?: boolean }>;
  setConfig(key: string, value: { value: string; secret?: boolean }, path?: boolean): Promise<void>;
  up(opts?: {
    onOutput?: (out: string) => void;
    target?: string[];
  }): Promise<{ summary: { result: string } }>;
}

/** The config key flipped by promote/rollback (a path into the structured `app` key). */
export const ACTIVE_COLOR_KEY = `${PROJECT}:app.activeColor`;

export function otherColor(c: Color): Color {
  return c === "blue" ? "green" : "blue";
}

/** The PromQL of every check, for one color. Label values are the app's name/namespace (DNS labels). */
export function gateQueries(app: AppConfig, color: Color) {
  const sel = `job="${app.name}",color="${color}"`;
  const w = app.promotion.window;
  const deploy = `namespace="${app.namespace}",deployment="${app.name}-${color}"`;
  return {
    requests: `sum(increase(agent_requests_total{${sel}}[${w}]))`,
    // A color that has never failed has no agent_errors_total series yet: that is 0 errors, not "no data".
    errorRatio: `(sum(rate(agent_errors_total{${sel}}[${w}])) or vector(0)) / sum(rate(agent_requests_total{${sel}}[${w}]))`,
    p95: `histogram_quantile(0.95, sum by (le) (rate(agent_response_seconds_bucket{${sel}}[${w}])))`,
    availableReplicas: `sum(kube_deployment_status_replicas_available{${deploy}})`,
    desiredReplicas: `sum(kube_deployment_spec_replicas{${deploy}})`,
  };
}

export interface GateCheck {
  name: "traffic" | "errorRatio" | "p95Latency" | "readyPods";
  ok: boolean;
  /** Human-readable measured value ("no data" when Prometheus had none). */
  measured: string;
  /** Human-readable threshold. */
  threshold: string;
  /** Raw numbers, for programs and tests. */
  value?: number;
}

export interface GateResult {
  color: Color;
  healthy: boolean;
  checks: GateCheck[];
}

const known = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
const fmt = (v: number | undefined, f: (x: number) => string) => (known(v) ? f(v) : "no data");

/** Evaluates the gate for `color`. Throws only when Prometheus itself cannot be queried. */
export async function evaluateGate(query: PromQuery, app: AppConfig, color: Color): Promise<GateResult> {
  const q = gateQueries(app, color);
  const [requests, errorRatio, p95, available, desired] = await Promise.all([
    query(q.requests),
    query(q.errorRatio),
    query(q.p95),
    query(q.availableReplicas),
    query(q.desiredReplicas),
  ]);
  const p = app.promotion;
  const checks: GateCheck[] = [
    {
      name: "traffic",
      ok: known(requests) && requests >= p.minRequests,
      measured: fmt(requests, (v) => `${v.toFixed(0)} requests in ${p.window}`),
      threshold: `>= ${p.minRequests}`,
      value: requests,
    },
    {
      name: "errorRatio",
      ok: known(errorRatio) && errorRatio <= p.maxErrorRatio,
      measured: fmt(errorRatio, (v) => `${(v * 100).toFixed(3)}% (${v.toPrecision(3)})`),
      threshold: `<= ${(p.maxErrorRatio * 100).toFixed(3)}% (${p.maxErrorRatio})`,
      value: errorRatio,
    },
    {
      name: "p95Latency",
      ok: known(p95) && p95 <= p.maxP95Seconds,
      measured: fmt(p95, (v) => `${v.toFixed(3)} s`),
      threshold: `<= ${p.maxP95Seconds} s`,
      value: p95,
    },
    {
      name: "readyPods",
      ok: known(available) && known(desired) && desired > 0 && available >= desired,
      measured:
        known(available) && known(desired)
          ? `${available}/${desired} available`
          : "no data from kube-state-metrics",
      threshold: `all of ${app.name}-${color} (and at least 1)`,
      value: available,
    },
  ];
  return { color, healthy: checks.every((c) => c.ok), checks };
}

/** A fixed-width table of the checks, failures marked. */
export function formatGate(r: GateResult): string {
  const rows = r.checks.map((c) => [c.ok ? "ok  " : "FAIL", c.name, c.measured, c.threshold]);
  const widths = [4, 10, 0, 0].map((min, i) => Math.max(min, ...rows.map((row) => row[i]!.length)));
  return rows
    .map(
      (row) =>
        "  " +
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}

export interface CommandDeps {
  /** The stack's validated `app` config (its activeColor is the current state). */
  app: AppConfig;
  stackName: string;
  query: PromQuery;
  /** Opened lazily: status never needs it. */
  openStack: () => Promise<AutomationStack>;
  log: (line: string) => void;
  /** Asks the operator; resolves true to go ahead. Tests and `--yes` pass `async () => true`. */
  confirm: (question: string) => Promise<boolean>;
  /**
   * The color the live Service (`<app.name>` in `app.namespace`) selects in the cluster right now; rejects
   * when the cluster cannot be read. Without it, status can only report the stack file.
   */
  liveColor?: () => Promise<Color>;
}

/** Exit codes: 0 done, 1 refused or failed before anything changed, 2 gate refused, 3 `pulumi up` failed. */
export type ExitCode = 0 | 1 | 2 | 3;

/** Prints the active color and both colors' health; never changes anything. */
export async function statusCommand(d: CommandDeps): Promise<ExitCode> {
  const file = d.app.activeColor;
  let active = file;
  let source = `Pulumi.${d.stackName}.yaml app.activeColor; the cluster was not read`;
  if (d.liveColor) {
    try {
      active = await d.liveColor();
      source = `the selector of Service ${d.app.namespace}/${d.app.name} in the cluster`;
    } catch (e) {
      source = `Pulumi.${d.stackName}.yaml app.activeColor: the cluster could not be read (${(e as Error).message})`;
    }
  }
  d.log(
    `stack ${d.stackName}: ${d.app.name} is live on ${active.toUpperCase()} (preview: ${otherColor(active)}), from ${source}`,
  );
  if (active !== file) {
    d.log(
      `WARNING: Pulumi.${d.stackName}.yaml says app.activeColor ${file}, but the cluster serves ${active}: ` +
        `a flip was not committed, or the Service was changed by hand. Run \`pulumi preview --stack ${d.stackName}\` ` +
        "to see what the next `pulumi up` would switch back.",
    );
  }
  for (const c of [active, otherColor(active)]) {
    const role = c === active ? "live" : "preview";
    d.log(`\n${c} (${role}) tag ${d.app[c].tag}, configured replicas ${d.app[c].replicas}`);
    const r = await evaluateGate(d.query, d.app, c);
    d.log(formatGate(r));
    d.log(`  => ${r.healthy ? "healthy" : "NOT healthy"} by the promotion gate`);
  }
  return 0;
}

/** Gate the preview color, then flip to it and `pulumi up`. */
export async function promoteCommand(d: CommandDeps): Promise<ExitCode> {
  const from = d.app.activeColor;
  const to = otherColor(from);
  if (d.app[to].replicas === 0) {
    d.log(
      `refusing: ${to} is parked (app.${to}.replicas = 0). Deploy it first: set replicas and tag, pulumi up, ` +
        `let it take preview traffic, then promote.`,
    );
    return 1;
  }
  d.log(`gate for ${to} (tag ${d.app[to].tag}) over the last ${d.app.promotion.window}:`);
  const gate = await evaluateGate(d.query, d.app, to);
  d.log(formatGate(gate));
  if (!gate.healthy) {
    const failed = gate.checks.filter((c) => !c.ok);
    d.log(
      `\nrefusing to promote ${to}: ${failed.map((c) => `${c.name} ${c.measured} (needs ${c.threshold})`).join("; ")}`,
    );
    return 2;
  }
  return flip(d, from, to, "promote");
}

/** Flip back to the other color immediately (no gate); prints the state for the record. */
export async function rollbackCommand(d: CommandDeps): Promise<ExitCode> {
  const from = d.app.activeColor;
  const to = otherColor(from);
  if (d.app[to].replicas === 0) {
    d.log(
      `refusing: ${to} is parked (app.${to}.replicas = 0), there are no pods to roll back to. ` +
        `Fix forward on ${from}, or set app.${to}.replicas and pulumi up first.`,
    );
    return 1;
  }
  // Information only, and bounded: a rollback must not wait for a slow or dead Prometheus.
  try {
    const state = await Promise.race([
      evaluateGate(d.query, d.app, to),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("timed out after 5 s")), 5000).unref(),
      ),
    ]);
    d.log(`state of ${to} (tag ${d.app[to].tag}) before rollback, for the record (not a gate):`);
    d.log(formatGate(state));
  } catch (e) {
    d.log(`(could not read ${to}'s health from Prometheus: ${(e as Error).message}; rolling back anyway)`);
  }
  return flip(d, from, to, "rollback");
}

async function flip(d: CommandDeps, from: Color, to: Color, what: "promote" | "rollback"): Promise<ExitCode> {
  if (!(await d.confirm(`${what}: switch ${d.app.name} on stack ${d.stackName} from ${from} to ${to}?`))) {
    d.log("aborted, nothing changed");
    return 1;
  }
  const stack = await d.openStack();
  // Re-read the live value: someone may have flipped since our config was loaded.
  const current = (await stack.getConfig(ACTIVE_COLOR_KEY, true)).value;
  if (current !== from) {
    d.log(
      `refusing: the stack config says activeColor is "${current}", expected "${from}"; re-run to see the state`,
    );
    return 1;
  }
  await stack.setConfig(ACTIVE_COLOR_KEY, { value: to }, true);
  // Targeted at the two Services: nothing else is planned, so unrelated drift can neither block the flip
  // nor ride along with it.
  const target = flipTargets(PROJECT, d.stackName, d.app.name);
  d.log(
    `${ACTIVE_COLOR_KEY} = ${to}; running pulumi up --target on ${target.length} Services (their selectors)...`,
  );
  try {
    const res = await stack.up({ target, onOutput: (out) => d.log(out.replace(/\n$/, "")) });
    if (res.summary.result !== "succeeded") throw new Error(`update result: ${res.summary.result}`);
  } catch (e) {
    d.log(
      `pulumi up FAILED: ${(e as Error).message}\n` +
        `The stack config now says ${to}; the cluster may still route to ${from}. Re-run \`pulumi up\`, or set ` +
        `${ACTIVE_COLOR_KEY} back to ${from} and run it.`,
    );
    return 3;
  }
  d.log(`${what} done: ${d.app.name} is live on ${to.toUpperCase()}. Commit Pulumi.${d.stackName}.yaml.`);
  return 0;
}

/**
 * The color a Service's selector picks (`kubectl get service -o json` output): the live color is what the
 * cluster routes to, whatever the stack file says. Throws when the selector has no blue/green color.
 */
export function colorOfService(serviceJson: string, name: string): Color {
  let svc: { spec?: { selector?: Record<string, string> } };
  try {
    svc = JSON.parse(serviceJson) as typeof svc;
  } catch {
    throw new Error(`Service ${name}: kubectl did not print JSON`);
  }
  const color = svc.spec?.selector?.color;
  if (color !== "blue" && color !== "green") {
    throw new Error(
      `Service ${name} selects ${JSON.stringify(svc.spec?.selector ?? {})}, no blue/green color`,
    );
  }
  return color;
}

/** A PromQuery against Prometheus' HTTP API (`/api/v1/query`). */
export function prometheusQuery(
  baseUrl: string,
  timeoutMs = 10_000,
  /** How the URL was chosen: the hint for an unreachable Prometheus differs. */
  origin: "flag" | "env" | "default" = "default",
): PromQuery {
  const root = baseUrl.replace(/\/+$/, "");
  return async (expr) => {
    const url = `${root}/api/v1/query?query=${encodeURIComponent(expr)}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const hint =
        origin === "flag"
          ? "check the --prometheus-url you gave (is its port-forward still running?)"
          : origin === "env"
            ? "check $PROMETHEUS_URL (is its port-forward still running?), or pass --prometheus-url"
            : "kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090, or pass --prometheus-url";
      throw new Error(`cannot reach Prometheus at ${root} (${(e as Error).message}): ${hint}`);
    }
    const body = (await res.json().catch(() => ({}))) as {
      status?: string;
      error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (!res.ok || body.status !== "success" || !body.data) {
      throw new Error(`Prometheus query failed (${res.status}): ${body.error ?? "no data"}\n  ${expr}`);
    }
    const { resultType, result } = body.data;
    if (resultType === "scalar") return Number((result as [number, string])[1]);
    if (resultType === "vector") {
      const v = result as { value: [number, string] }[];
      if (v.length === 0) return undefined;
      if (v.length > 1) throw new Error(`expected one series, got ${v.length}: ${expr}`);
      return Number(v[0]!.value[1]);
    }
    throw new Error(`unexpected result type ${resultType} for ${expr}`);
  };
}
