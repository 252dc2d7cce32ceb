import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { ALLOWED_IMAGES_POLICY_DEFINITION_ID, imagePolicyAssignments } from "./imagePolicyPlan";

export interface ImagePolicyArgs {
  /** The AKS cluster's resource id: the assignments' scope. */
  clusterId: pulumi.Input<string>;
  /** The registry the app's images come from (`acragents<env>.azurecr.io`), known before it exists. */
  registryLoginServer: string;
  appNamespace: string;
}

/**
 * Allowed images on the cluster (infra/azure/imagePolicyPlan.ts says which and why). The Azure Policy
 * add-on syncs new assignments into Gatekeeper within about 15 minutes
 * (learn.microsoft.com/azure/governance/policy/concepts/policy-for-kubernetes), so the first `pulumi up`
 * does not wait for enforcement; later updates of the app are checked at admission.
 */
export class ImagePolicy extends pulumi.ComponentResource {
  constructor(name: string, args: ImagePolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:ImagePolicy", name, {}, opts);
    for (const plan of imagePolicyAssignments(args.registryLoginServer, args.appNamespace)) {
      new authorization.PolicyAssignment(
        `${name}-${plan.kind}`,
        {
          policyAssignmentName: plan.policyAssignmentName,
          displayName: plan.displayName,
          scope: args.clusterId,
          policyDefinitionId: ALLOWED_IMAGES_POLICY_DEFINITION_ID,
          parameters: plan.parameters,
          enforcementMode: "Default",
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
