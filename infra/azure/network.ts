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
  /** `deploy.runner: selfHosted`: the deploy runner's subnet (infra/azure/deployRunner.ts). */
  runnerSubnetCidr?: string;
  tags: Record<string, string>;
}

/**
 * The VNet with its three subnets: AKS nodes, Postgres (delegated) and private endpoints; with a
 * self-hosted deploy runner a fourth, for the runner, with a static egress address.
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
  /** The deploy runner's subnet and its one static egress address (with `runnerSubnetCidr` only). */
  public readonly runnerSubnetId?: pulumi.Output<string>;
  public readonly runnerEgressIp?: pulumi.Output<string>;

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
    if (args.runnerSubnetCidr) {
      const runner = this.runnerSubnet(name, args, vnet, pe);
      this.runnerSubnetId = runner.subnet.id;
      // Static allocation: Azure assigns the address when the resource is created.
      this.runnerEgressIp = runner.ip.ipAddress.apply((ip) => ip ?? "");
    }
    this.vnetId = vnet.id;
    this.vnetName = vnet.name;
    this.aksSubnetId = aks.id;
    this.postgresSubnetId = pg.id;
    this.endpointsSubnetId = pe.id;
    this.registerOutputs({ vnetId: this.vnetId });
  }

  /**
   * The deploy runner's subnet, egressing through a NAT gateway with one static Standard public IP: the
   * address the API server's authorized ranges admit (infra/azure/aks.ts adds it). Outbound through a NAT
   * gateway takes precedence over any other outbound path of the subnet
   * (learn.microsoft.com/azure/nat-gateway/nat-overview), so every deploy leaves from this one address.
   * No zone is given: Azure then places the gateway in one zone of its choosing, so it is not
   * zone-resilient (learn.microsoft.com/azure/nat-gateway/nat-availability-zones, "Non-zonal"; only the
   * StandardV2 SKU, not in this SDK's enum, is zone-redundant). Acceptable here: the runner VM lives in one
   * zone too, and a zone outage delays deploys, not traffic.
   */
  private runnerSubnet(
    name: string,
    args: NetworkArgs,
    vnet: network.VirtualNetwork,
    after: network.Subnet,
  ): { subnet: network.Subnet; ip: network.PublicIPAddress } {
    const ip = new network.PublicIPAddress(
      `${name}-runner-egress`,
      {
        publicIpAddressName: azureName("pip", args.stack, "runner"),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        tags: args.tags,
      },
      { parent: this },
    );
    const nat = new network.NatGateway(
      `${name}-runner-nat`,
      {
        natGatewayName: azureName("ng", args.stack, "runner"),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        sku: { name: "Standard" },
        publicIpAddresses: [{ id: ip.id }],
        idleTimeoutInMinutes: 10,
        tags: args.tags,
      },
      { parent: this },
    );
    const subnet = new network.Subnet(
      `${name}-runner`,
      {
        subnetName: azureName("snet", args.stack, "runner"),
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: vnet.name,
        addressPrefix: args.runnerSubnetCidr!,
        natGateway: { id: nat.id },
      },
      // After the other subnets: ARM serialises subnet operations per VNet (see above).
      { parent: this, dependsOn: [after] },
    );
    return { subnet, ip };
  }
}
