import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import type { NetworkConfig } from "./config";
import { azureName } from "../naming";

export interface NetworkArgs {
  /** Resource group that holds the VNet. */
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  /** CIDRs, validated by infra/config.ts (inside the VNet, no overlaps). */
  cidrs: NetworkConfig;
  tags: Record<string, string>;
}

/**
 * The VNet with its three subnets: AKS nodes, Postgres (delegated) and private endpoints.
 *
 * Subnets are separate `Subnet` resources and the VNet ignores its inline `subnets` list: declaring both
 * makes every VNet update try to delete the subnets it does not list (a known ARM/Pulumi fight).
 */
export class Network extends pulumi.ComponentResource {
  public readonly vnetId: pulumi.Output<string>;
  public readonly vnetName: pulumi.Output<string>;
  public readonly aksSubnetId: pulumi.Output<string>;
  public readonly postgresSubnetId: pulumi.Output<string>;
  public readonly endpointsSubnetId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:Network", name, {}, opts);
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        virtualNetworkName: azureName("vnet", args.stack),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        addressSpace: { addressPrefixes: [args.cidrs.vnetCidr] },
        tags: args.tags,
      },
      { parent: this, ignoreChanges: ["subnets"] },
    );
    const subnet = (
      role: string,
      prefix: string,
      extra: Partial<network.SubnetArgs>,
      deps: pulumi.Resource[],
    ) =>
      new network.Subnet(
        `${name}-${role}`,
        {
          subnetName: azureName("snet", args.stack, role),
          resourceGroupName: args.resourceGroupName,
          virtualNetworkName: vnet.name,
          addressPrefix: prefix,
          ...extra,
        },
        // ARM serialises subnet operations per VNet; creating them one after another avoids
        // "AnotherOperationInProgress" failures on the first `pulumi up`.
        { parent: this, dependsOn: deps },
      );
    const aks = subnet(
      "aks",
      args.cidrs.aksNodesCidr,
      // The Key Vault firewall admits this subnet through a service endpoint (see keyVault.ts).
      { serviceEndpoints: [{ service: "Microsoft.KeyVault" }] },
      [],
    );
    const pg = subnet(
      "postgres",
      args.cidrs.postgresCidr,
      {
        delegations: [
          { name: "postgres-flexible", serviceName: "Microsoft.DBforPostgreSQL/flexibleServers" },
        ],
      },
      [aks],
    );
    const pe = subnet("endpoints", args.cidrs.endpointsCidr, { privateEndpointNetworkPolicies: "Enabled" }, [
      pg,
    ]);
    this.vnetId = vnet.id;
    this.vnetName = vnet.name;
    this.aksSubnetId = aks.id;
    this.postgresSubnetId = pg.id;
    this.endpointsSubnetId = pe.id;
    this.registerOutputs({ vnetId: this.vnetId });
  }
}
