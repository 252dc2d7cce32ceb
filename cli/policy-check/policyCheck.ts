/**
 * Pure parts of `npm run policy:check`: reading a render into policy resources, reading the policy config
 * (the same JSON file `pulumi preview --policy-pack-config` takes), and the report.
 */
import type { RenderDocument } from "../shared/renderOutput";
import {
  type Finding,
  type PolicyContext,
  type PolicyResource,
  SECRET,
  policies,
} from "../../policy/policies";

/** A render's resources as the policies see them (custom resources only: components have no inputs). */
export function fromRender(doc: RenderDocument): PolicyResource[] {
  return doc.resources
    .filter((r) => !r.type.startsWith(`${doc.project}:`))
    .map((r) => ({
      type: r.type,
      name: r.name,
      // A whole input object the program marked secret arrives as the marker itself.
      props: r.inputs === SECRET ? {} : ((r.inputs ?? {}) as Record<string, unknown>),
      protect: r.options.protect,
      parent: r.parent ?? undefined,
    }));
}

/** Policy config in CrossGuard's format: `{ "<policy name>": { <setting>: value } }`. */
export type PolicyConfigFile = Record<string, Record<string, unknown> | string>;

export function contextFrom(config: PolicyConfigFile, secretMarkers: boolean): PolicyContext {
  const lb = config["no-public-loadbalancer"];
  const allow = typeof lb === "object" ? lb.allowPublicLoadBalancers : undefined;
  if (allow !== undefined && (!Array.isArray(allow) || allow.some((x) => typeof x !== "string"))) {
    throw new Error(
      `policy config no-public-loadbalancer.allowPublicLoadBalancers must be a list of "namespace/name" strings, got ${JSON.stringify(allow)}`,
    );
  }
  return { secretMarkers, allowPublicLoadBalancers: (allow as string[] | undefined) ?? [] };
}

export function report(stack: string, resources: number, findings: Finding[]): string {
  const failed = new Set(findings.map((f) => f.policy));
  const lines = findings.map((f) => `FAIL ${f.policy}: ${f.resource}: ${f.message}`);
  lines.push(
    `${stack}: ${policies.length - failed.size} of ${policies.length} policies hold over ${resources} resources` +
      (failed.size ? `; failing: ${[...failed].join(", ")}` : ""),
  );
  return lines.join("\n");
}
