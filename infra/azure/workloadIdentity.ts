import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as authorization from "@pulumi/azure-native/authorization";
import { ROLES } from "./aksPlan";
import { azureName } from "../naming";

export interface WorkloadIdentityArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  /** Short role of the workload, e.g. "monitoring" or "agent-api". */
  role: string;
  /** The cluster's OIDC issuer URL. */
  oidcIssuerUrl: pulumi.Input<string>;
  /** In-cluster service accounts (namespace/name) allowed to act as this identity. */
  serviceAccounts: { namespace: string; name: string }[];
  /** Key Vault secrets (name → resource id) this workload may read — and nothing else. */
  secrets: Record<string, pulumi.Input<string>>;
  subscriptionId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * A user-assigned identity federated to in-cluster service accounts, with "Key Vault Secrets User" on
 * exactly the secrets it needs (per-secret scope: least privilege; a compromised exporter cannot read the
 * PagerDuty key).
 */
export class WorkloadIdentity extends pulumi.ComponentResource {
  public readonly clientId: pulumi.Output<string>;
  public readonly principalId: pulumi.Output<string>;

  constructor(name: string, args: WorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:WorkloadIdentity", name, {}, opts);
    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      {
        resourceName: azureName("id", args.stack, args.role),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
      },
      { parent: this },
    );
    args.serviceAccounts.forEach((sa) => {
      new managedidentity.FederatedIdentityCredential(
        `${name}-fic-${sa.namespace}-${sa.name}`,
        {
          federatedIdentityCredentialResourceName: `${sa.namespace}-${sa.name}`,
          resourceName: identity.name,
          resourceGroupName: args.resourceGroupName,
          issuer: args.oidcIssuerUrl,
          subject: `system:serviceaccount:${sa.namespace}:${sa.name}`,
          audiences: ["api://AzureADTokenExchange"],
        },
        { parent: this },
      );
    });
    const roleId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.keyVaultSecretsUser}`;
    // Keyed by secret name so adding a secret never re-creates the other assignments.
    Object.entries(args.secrets).forEach(([secretName, scope]) => {
      new authorization.RoleAssignment(
        `${name}-kv-read-${secretName}`,
        {
          principalId: identity.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: roleId,
          scope,
        },
        { parent: this },
      );
    });
    this.clientId = identity.clientId;
    this.principalId = identity.principalId;
    this.registerOutputs({ clientId: this.clientId });
  }
}
