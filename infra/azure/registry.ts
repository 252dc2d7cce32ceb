import * as pulumi from "@pulumi/pulumi";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as authorization from "@pulumi/azure-native/authorization";
import type { RegistryConfig } from "./config";
import { azureName } from "../naming";
import { registryLoginServer, registryName, registryZoneRedundancy } from "./registryPlan";
import { ROLES } from "./aksPlan";
import { privateEndpoint } from "./privateDns";

export interface RegistryArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  registry: RegistryConfig;
  /** Zone-redundant stacks get a zone-redundant registry, fixed at creation (registryPlan.ts). */
  zoneRedundant: boolean;
  /** Kubelet identity of the cluster: it pulls the images. */
  kubeletObjectId: pulumi.Input<string>;
  endpointsSubnetId: pulumi.Input<string>;
  vnetId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  /** `protect`: deleting a registry deletes every image in it, including the one a rollback redeploys. */
  protect: boolean;
  tags: Record<string, string>;
}

/**
 * The container registry the app images come from, and AcrPull for the kubelet identity on it (without it
 * every pod sits in ImagePullBackOff: learn.microsoft.com/azure/aks/cluster-container-registry-integration).
 *
 * Created per environment (`acragents<env>`, as reference document 003 names it), or an existing one by id.
 * How images get in:
 *  - public access on (dev): CI pushes with `az acr login` + `docker push` (or `az acr build`).
 *  - public access off (prod, Premium): nodes pull through a private endpoint; nothing outside the VNet can
 *    push. Releases are *imported* from the dev registry — `az acr import --name acragentsprod --source
 *    acragentsdev.azurecr.io/agent-api:<tag>` — which copies the exact tested image by digest. Import into a
 *    network-restricted registry works because `networkRuleBypassOptions: AzureServices` lets the trusted
 *    ACR service through (learn.microsoft.com/azure/container-registry/container-registry-import-images,
 *    "Import from/to a network-restricted registry").
 */
export class ContainerRegistry extends pulumi.ComponentResource {
  public readonly registryId: pulumi.Output<string>;
  public readonly loginServer: pulumi.Output<string>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:ContainerRegistry", name, {}, opts);
    const r = args.registry;
    let id: pulumi.Output<string>;
    if (r.existingId) {
      id = pulumi.output(r.existingId);
      this.loginServer = pulumi.output(registryLoginServer(args.stack, r));
    } else {
      const zoneRedundancy = registryZoneRedundancy(args.zoneRedundant);
      const registry = new containerregistry.Registry(
        `${name}-registry`,
        {
          registryName: registryName(args.stack),
          ...(zoneRedundancy ? { zoneRedundancy } : {}),
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          sku: { name: r.sku },
          // Pulls authenticate with Entra identities (AcrPull), never a shared admin password.
          adminUserEnabled: false,
          anonymousPullEnabled: false,
          publicNetworkAccess: r.publicNetworkAccess ? "Enabled" : "Disabled",
          networkRuleBypassOptions: "AzureServices",
          tags: args.tags,
        },
        // zoneRedundancy is fixed at creation, and Azure now makes registries in zoned regions zone-redundant
        // on its own while the property may still read "Disabled" (container-registry/zone-redundancy): after
        // a refresh that value must never turn into an update request. It is sent when the registry is created.
        { parent: this, protect: args.protect, ignoreChanges: ["zoneRedundancy"] },
      );
      if (!r.publicNetworkAccess) {
        privateEndpoint(
          name,
          {
            endpointName: azureName("pe", args.stack, "acr"),
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            subnetId: args.endpointsSubnetId,
            targetId: registry.id,
            groupId: "registry",
            zoneName: "privatelink.azurecr.io",
            linkName: `${registryName(args.stack)}-vnet`,
            vnetId: args.vnetId,
            tags: args.tags,
          },
          this,
        );
      }
      id = registry.id;
      this.loginServer = registry.loginServer;
    }
    new authorization.RoleAssignment(
      `${name}-acr-pull`,
      {
        principalId: args.kubeletObjectId,
        principalType: "ServicePrincipal",
        roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.acrPull}`,
        scope: id,
      },
      { parent: this },
    );
    this.registryId = id;
    this.registerOutputs({ registryId: this.registryId, loginServer: this.loginServer });
  }
}
