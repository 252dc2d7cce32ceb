import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { podSecurityAssignment } from "./podSecurityPolicyPlan";

export interface PodSecurityPolicyArgs {
  /** The AKS cluster's resource id: the assignment's scope. */
  clusterId: pulumi.Input<string>;
  environment: "dev" | "prod";
  monitoringNamespace: string;
}

/**
 * The pod security restricted initiative on the cluster (decisions in podSecurityPolicyPlan.ts). Like the
 * allowed-images assignments, the add-on syncs it into Gatekeeper within about 15 minutes.
 */
export class PodSecurityPolicy extends pulumi.ComponentResource {
  constructor(name: string, args: PodSecurityPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:PodSecurityPolicy", name, {}, opts);
    const plan = podSecurityAssignment(args.environment, args.monitoringNamespace);
    new authorization.PolicyAssignment(
      `${name}-restricted`,
      { ...plan, scope: args.clusterId, enforcementMode: "Default" },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
