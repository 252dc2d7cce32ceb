/**
 * Test helpers: evaluate the real program (or a single component) under Pulumi's mock runtime with
 * realistic per-type state, and read back every registration. Modules under test are imported after
 * the mocks are set (evaluateProgram does that).
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import {
  evaluateProgram,
  type Evaluation,
  type ExistingState,
  type RecordedResource,
  unwrapSecrets,
} from "../cli/shared/mockRuntime";
import { readStackConfig } from "../cli/shared/stackFile";
import { findPlaceholders, isPlaceholderUuid } from "../infra/placeholders";

export const ROOT = path.resolve(__dirname, "..");

/** Known secret values seeded into fixture config: render tests prove none of them leaks. */
export const SEEDED_SECRETS = {
  "monitoring-platform:pagerdutyRoutingKey": "seededPagerDutyKey0123456789abcdef",
  "monitoring-platform:slackWebhookUrlCritical":
    "https://hooks.slack.com/services/T000/B001/seededSlackCritical42",
  "monitoring-platform:slackWebhookUrlWarning":
    "https://hooks.slack.com/services/T000/B002/seededSlackWarning42",
  "monitoring-platform:slackWebhookUrlInfo": "https://hooks.slack.com/services/T000/B003/seededSlackInfo42",
  "monitoring-platform:heartbeatUrl": "https://hc-ping.com/seeded-heartbeat-0b6f3c1e",
};

export interface StackRun extends Evaluation {
  /** The one resource of this type (and name, if given); throws when absent or ambiguous. */
  one(type: string, name?: string): RecordedResource;
  all(type: string): RecordedResource[];
  /** Inputs with secrets unwrapped (for asserting real values). */
  inputsOf(r: RecordedResource): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Deep-merges `overrides` (values are objects or scalars) into the raw `<ns>:<key>` config. */
export function withOverrides(
  config: Record<string, string>,
  overrides: Record<string, unknown>,
): Record<string, string> {
  const out = { ...config };
  for (const [k, v] of Object.entries(overrides)) {
    const key = k.includes(":") ? k : `monitoring-platform:${k}`;
    if (v === undefined) {
      delete out[key];
      continue;
    }
    const current = out[key];
    if (v && typeof v === "object" && !Array.isArray(v) && current?.trim().startsWith("{")) {
      out[key] = JSON.stringify(deepMerge(JSON.parse(current), v as Record<string, unknown>));
    } else {
      out[key] = typeof v === "string" ? v : JSON.stringify(v);
    }
  }
  return out;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (v === undefined) delete out[k];
    else if (
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      cur &&
      typeof cur === "object" &&
      !Array.isArray(cur)
    ) {
      out[k] = deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

/** The raw config of Pulumi.<stack>.yaml with the seeded secrets in place of the placeholders. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}) {
  const sc = readStackConfig(ROOT, stack);
  return { ...sc, config: withOverrides({ ...sc.config, ...SEEDED_SECRETS }, overrides) };
}

function wrap(ev: Evaluation): StackRun {
  const all = (type: string) => ev.resources.filter((r) => r.type === type);
  return {
    ...ev,
    all,
    one(type, name) {
      const found = all(type).filter((r) => name === undefined || r.name === name);
      if (found.length !== 1) {
        throw new Error(`expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
      }
      return found[0]!;
    },
    inputsOf: (r) => unwrapSecrets(r.inputs) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

/** The stand-in for every example GUID (object ids, the subscription in a resource id). */
export const SEEDED_OBJECT_ID = "5eed0000-7a3c-4b1e-9d2f-0123456789ab";

/**
 * Deployable stand-ins for the stack files' example values (infra/placeholders.ts), which `pulumi up` — and
 * so `evaluateStack` — refuses: SEEDED_OBJECT_ID for example GUIDs, 20.x instead of the RFC 5737 ranges, seeded.dev instead
 * of example.com. Like SEEDED_SECRETS, they let the tests run the program as a real run would.
 */
export function withDeployableValues(
  config: Record<string, string>,
  project: string,
): Record<string, string> {
  const out = { ...config };
  for (const p of findPlaceholders(config, project)) {
    const fullKey = `${project}:${String(p.path[0])}`;
    const substitute = (v: string) =>
      v
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (id) =>
          isPlaceholderUuid(id) ? SEEDED_OBJECT_ID : id,
        )
        .replace(/\b192\.0\.2\./g, "20.192.2.")
        .replace(/\b198\.51\.100\./g, "20.198.100.")
        .replace(/\b203\.0\.113\./g, "20.203.113.")
        .replace(/\bexample\.(com|org|net)\b/g, "seeded.dev");
    if (p.path.length === 1) {
      out[fullKey] = substitute(out[fullKey]!);
      continue;
    }
    const doc = JSON.parse(out[fullKey]!) as Record<string | number, unknown>;
    const parent = p.path.slice(1, -1).reduce<any>((o, k) => o[k], doc); // eslint-disable-line @typescript-eslint/no-explicit-any
    const last = p.path[p.path.length - 1]!;
    parent[last] = substitute(String(parent[last]));
    out[fullKey] = JSON.stringify(doc);
  }
  return out;
}

/** Evaluates infra/index.ts for a stack (fresh module graph each time), as `pulumi up` would. */
export async function evaluateStack(
  stack: string,
  overrides: Record<string, unknown> = {},
  existing: ExistingState = {},
): Promise<StackRun> {
  const raw = stackConfig(stack, overrides);
  const sc = { ...raw, config: withDeployableValues(raw.config, raw.project) };
  const ev = await evaluateProgram({
    ...sc,
    mode: "test",
    existing,
    program: async () => {
      vi.resetModules();
      return (await import("../infra/index")) as Record<string, unknown>;
    },
  });
  return wrap(ev);
}

/** Runs `build` (which constructs components) under the mocks with the given stack's config. */
export async function evaluateComponents(
  build: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  stack = "dev",
): Promise<StackRun> {
  const raw = stackConfig(stack);
  // Components read config through loadConfig, as under `pulumi up`: example values are replaced too.
  const sc = { ...raw, config: withDeployableValues(raw.config, raw.project) };
  return wrap(await evaluateProgram({ ...sc, mode: "test", program: async () => build() }));
}

/** The value of an Output (tests only). */
export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}
