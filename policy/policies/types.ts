/**
 * The shape every policy check sees. Both callers build it: the CrossGuard pack (policy/index.ts) from
 * @pulumi/policy's validation args, and `npm run policy:check` from a render's resources.json. The checks
 * are pure functions of it, so one definition serves `pulumi preview --policy-pack policy` and the
 * offline render alike.
 */

/** One resource as the engine is asked to create it: its type token, logical name and inputs. */
export interface PolicyResource {
  type: string;
  name: string;
  /** Inputs (CrossGuard hands resource policies the inputs as `props`). */
  props: Record<string, unknown>;
  /** The `protect` resource option. */
  protect: boolean;
  /** Parent as `type::name` (render) or URN (CrossGuard); used only to group siblings. */
  parent?: string;
}

export interface PolicyContext {
  /**
   * True when secret values reach the check as the marker "[secret]" (the offline render, see
   * cli/shared/mockRuntime.ts `redact`). Under CrossGuard they do not: @pulumi/policy 1.21.0 deserializes
   * resource properties with secrets unwrapped to their plaintext before calling the policy
   * (node_modules/@pulumi/policy/server.js, `deserializeProperties(req.getProperties(), false)`), so there
   * a check cannot tell a secret from a plain string and only the structural rules apply.
   */
  secretMarkers: boolean;
  /** `namespace/name` of Services allowed to be public LoadBalancers (policy config). */
  allowPublicLoadBalancers: string[];
}

export interface Violation {
  /** The resource at fault; a stack-wide finding names the resource that should exist instead. */
  resource: string;
  message: string;
}

/** A promise about one resource at a time (a CrossGuard ResourceValidationPolicy). */
export interface ResourcePolicy {
  kind: "resource";
  name: string;
  description: string;
  /** Type tokens the policy applies to. */
  types: readonly string[];
  /** Messages, one per broken promise; empty when the resource complies. */
  check(r: PolicyResource, ctx: PolicyContext): string[];
}

/** A promise about the stack as a whole: something must exist, or resources must fit together. */
export interface StackPolicy {
  kind: "stack";
  name: string;
  description: string;
  check(resources: PolicyResource[], ctx: PolicyContext): Violation[];
}

export type PlatformPolicy = ResourcePolicy | StackPolicy;

/** What the offline render writes for values only known after deployment (cli/shared/mockRuntime.ts). */
export const UNKNOWN = "(known after apply)";
/** What the offline render writes for secret values. */
export const SECRET = "[secret]";

/**
 * Reads a value that may be unknown. CrossGuard throws `UnknownValueError` on access to a value that is
 * unknown during preview (node_modules/@pulumi/policy/proxy.js `unknownCheckingProxy`), which would turn
 * the whole policy advisory for that resource; the render writes UNKNOWN instead. Both become undefined.
 */
export function peek<T>(read: () => T): T | undefined {
  try {
    const v = read();
    return (v as unknown) === UNKNOWN ? undefined : v;
  } catch (e) {
    if (e instanceof Error && e.constructor.name === "UnknownValueError") return undefined;
    throw e;
  }
}

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A resource's display name in findings: `type name`. */
export function label(r: PolicyResource): string {
  return `${r.type} ${r.name}`;
}

/**
 * The stack's environment, from the `environment` tag every Azure resource carries (infra/naming.ts
 * `tags`; the value is the stack file's `environment`, dev or prod, infra/config.ts). Environment
 * differences live in the stack file, never in the stack's name.
 */
export function environmentOf(r: PolicyResource): string | undefined {
  const env = peek(() => obj(r.props.tags).environment);
  return typeof env === "string" ? env : undefined;
}

export function stackEnvironment(resources: PolicyResource[]): string | undefined {
  const rg = resources.find((r) => r.type === "azure-native:resources:ResourceGroup");
  return (rg && environmentOf(rg)) ?? resources.map(environmentOf).find((e) => e !== undefined);
}
