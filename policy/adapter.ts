/**
 * Adapts the pure checks (policy/policies/) to @pulumi/policy's policy objects (API:
 * node_modules/@pulumi/policy/policy.d.ts, v1.21.0). Kept apart from index.ts, which only builds the pack,
 * so tests can drive these functions with plain argument objects.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies, type PolicyContext, type PolicyResource } from "./policies";

/** Settings of no-public-loadbalancer (policy config: `--policy-pack-config policy/config.<stack>.json`). */
export interface LoadBalancerConfig {
  allowPublicLoadBalancers?: string[];
}

function context(config: LoadBalancerConfig): PolicyContext {
  return {
    // @pulumi/policy hands props over with secrets unwrapped, so secretness cannot be seen here
    // (see PolicyContext.secretMarkers); the structural secret rules still run.
    secretMarkers: false,
    allowPublicLoadBalancers: config.allowPublicLoadBalancers ?? [],
  };
}

const loadBalancerSchema = {
  properties: {
    allowPublicLoadBalancers: { type: "array" as const, items: { type: "string" as const }, default: [] },
  },
};

export const crossGuardPolicies = policies.map((p): ResourceValidationPolicy | StackValidationPolicy => {
  const base = {
    name: p.name,
    description: p.description,
    enforcementLevel: "mandatory" as const,
    ...(p.name === "no-public-loadbalancer" ? { configSchema: loadBalancerSchema } : {}),
  };
  const config = (get: <T extends object>() => T) =>
    p.name === "no-public-loadbalancer" ? get<LoadBalancerConfig>() : {};
  if (p.kind === "resource") {
    return {
      ...base,
      validateResource: (args, report) => {
        if (!p.types.includes(args.type)) return;
        const r: PolicyResource = {
          type: args.type,
          name: args.name,
          props: args.props,
          protect: args.opts.protect,
          parent: args.opts.parent,
        };
        for (const message of p.check(r, context(config(args.getConfig)))) report(message);
      },
    };
  }
  return {
    ...base,
    validateStack: (args, report) => {
      const urns = new Map<string, string>();
      const resources = args.resources.map((x): PolicyResource => {
        urns.set(`${x.type} ${x.name}`, x.urn);
        return { type: x.type, name: x.name, props: x.props, protect: x.opts.protect, parent: x.opts.parent };
      });
      // A finding about a resource is reported against its URN; one about a missing resource against the stack.
      for (const v of p.check(resources, context(config(args.getConfig))))
        report(v.message, urns.get(v.resource));
    },
  };
});
