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
  /** Other Azure roles (key → built-in role definition GUID and scope), e.g. DNS Zone Contributor on a zone. */
  roles?: Record<string, { roleDefinitionGuid: string; scope: pulumi.Input<string> }>;
  subscriptionId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * A user-assigned identity federated to in-cluster service accounts, with "Key Vault Secrets User" on
 * exactly the secrets it needs (per-secret scope: least privilege; a compromised exporter cannot read the
 * PagerDuty key). Workloads that use it `dependsOn` this component: the Node.js SDK expands a dependency on a
 * component to all its children (the federated credentials and role assignments), so pods never start with
 * a token exchange that fails.
 */
export class WorkloadIdentity extends pulumi.ComponentResource {
  public readonly clientId: pulumi.Output<string>;
  public readonly principalId: pulumi.Output<string>;
  /** The identity's resource name (`id-agents-<stack>-<role>`): its Entra display name, and its Postgres role name. */
  public readonly identityName: string;

  constructor(name: string, args: WorkloadIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:WorkloadIdentity", name, {}, opts);
    this.identityName = azureName("id", args.stack, args.role);
    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      {
        resourceName: this.identityName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
      },
      { parent: this },
    );
    const children: pulumi.CustomResource[] = [];
    args.serviceAccounts.forEach((sa) => {
      const fic = new managedidentity.FederatedIdentityCredential(
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
      children.push(fic);
    });
    const roleId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.keyVaultSecretsUser}`;
    // Keyed by secret name so adding a secret never re-creates the other assignments.
    Object.entries(args.secrets).forEach(([secretName, scope]) => {
      const read = new authorization.RoleAssignment(
        `${name}-kv-read-${secretName}`,
        {
          principalId: identity.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: roleId,
          scope,
        },
        { parent: this },
      );
      children.push(read);
    });
    Object.entries(args.roles ?? {}).forEach(([key, r]) => {
      const role = new authorization.RoleAssignment(
        `${name}-role-${key}`,
        {
          principalId: identity.principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${r.roleDefinitionGuid}`,
          scope: r.scope,
        },
        { parent: this },
      );
      children.push(role);
    });
    // The client id is what workloads are configured with (service account annotations, Helm values). It
    // resolves only once the federated credentials and role assignments exist, so everything configured
    // with it waits for them: Pulumi tracks the resources an Output depends on.
    this.clientId = pulumi
      .all([identity.clientId, ...children.map((c) => c.id)])
      .apply(([clientId]) => clientId as string);
    this.principalId = identity.principalId;
    this.registerOutputs({ clientId: this.clientId });
  }
}
