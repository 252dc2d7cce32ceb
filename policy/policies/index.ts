/**
 * The platform's policy set and one pure runner over a list of resources. policy/index.ts wraps the same
 * list as a CrossGuard pack; cli/policy-check/main.ts runs it over a render.
 */
import { azureResourcePolicies } from "./azure";
import { kubernetesResourcePolicies } from "./kubernetes";
import { noPlaintextSecrets } from "./secrets";
import { stackPolicies } from "./stack";
import { type PlatformPolicy, type PolicyContext, type PolicyResource, label } from "./types";

export * from "./types";

export const policies: readonly PlatformPolicy[] = [
  ...azureResourcePolicies,
  ...kubernetesResourcePolicies,
  noPlaintextSecrets,
  ...stackPolicies,
];

export interface Finding {
  policy: string;
  resource: string;
  message: string;
}

/** Runs every policy (or the given ones) over the resources; no findings means every promise holds. */
export function evaluatePolicies(
  resources: PolicyResource[],
  ctx: PolicyContext,
  set: readonly PlatformPolicy[] = policies,
): Finding[] {
  return set.flatMap((p) =>
    p.kind === "resource"
      ? resources
          .filter((r) => p.types.includes(r.type))
          .flatMap((r) => p.check(r, ctx).map((message) => ({ policy: p.name, resource: label(r), message })))
      : p.check(resources, ctx).map((v) => ({ policy: p.name, ...v })),
  );
}
