import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as monitor from "@pulumi/azure-native/monitor";
import * as storage from "@pulumi/azure-native/storage";
import * as random from "@pulumi/random";
import type { EgressMode, NetworkConfig } from "./config";
import { azureName, storageAccountName } from "../naming";
import { NSG_LOG_CATEGORIES, nsgRules, type NsgRole } from "./networkSecurityPlan";

export interface NetworkArgs {
  /** Resource group that holds the VNet. */
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  /** CIDRs, validated by infra/config.ts (inside the VNet, no overlaps). */
  cidrs: NetworkConfig;
  /** `deploy.runner: selfHosted`: the deploy runner's subnet (infra/azure/deployRunner.ts). */
  runnerSubnetCidr?: string;
  /** How the nodes reach the internet (infra/azure/egressPlan.ts). */
  egress: EgressMode;
  zoneRedundant: boolean;
  /** NSG diagnostics and traffic analytics go here: the workspace's resource id and its workspace (customer) id. */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  logAnalyticsCustomerId: pulumi.Input<string>;
  /** The flow-log storage account is evidence: protected where the stack protects its data. */
  protect: boolean;
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
  /** The nodes' static egress address (`egress: natGateway`): the API server's authorized ranges admit it. */
  public readonly nodesEgressIp?: pulumi.Output<string>;

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
      role: NsgRole,
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
          // Every subnet we create has its NSG (infra/azure/networkSecurityPlan.ts).
          networkSecurityGroup: { id: this.nsg(name, args, role).id },
          ...extra,
        },
        // ARM serialises subnet operations per VNet; creating them one after another avoids
        // "AnotherOperationInProgress" failures on the first `pulumi up`.
        { parent: this, dependsOn: deps },
      );
    const egress = args.egress === "natGateway" ? this.natGateway(name, args, "egress") : undefined;
    this.nodesEgressIp = egress?.ip.ipAddress.apply((ip) => ip ?? "");
    const aks = subnet(
      "aks",
      args.cidrs.aksNodesCidr,
      {
        // The Key Vault firewall admits this subnet through a service endpoint (see keyVault.ts).
        serviceEndpoints: [{ service: "Microsoft.KeyVault" }],
        // `egress: natGateway`: AKS (userAssignedNATGateway) needs the gateway on the subnet before it creates
        // the cluster, and egress takes precedence over the load balancer's outbound rules.
        ...(egress ? { natGateway: { id: egress.nat.id } } : {}),
      },
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
    this.flowLogs(name, args, vnet);
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
    const { ip, nat } = this.natGateway(name, args, "runner");
    const subnet = new network.Subnet(
      `${name}-runner`,
      {
        subnetName: azureName("snet", args.stack, "runner"),
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: vnet.name,
        addressPrefix: args.runnerSubnetCidr!,
        natGateway: { id: nat.id },
        networkSecurityGroup: { id: this.nsg(name, args, "runner").id },
      },
      // After the other subnets: ARM serialises subnet operations per VNet (see above).
      { parent: this, dependsOn: [after] },
    );
    return { subnet, ip };
  }

  /**
   * A NAT gateway with one static Standard public IP: the deploy runner's subnet (`runner`) and, with
   * `egress: natGateway`, the nodes' (`egress`). Outbound through a NAT gateway takes precedence over any
   * other outbound path of the subnet (learn.microsoft.com/azure/nat-gateway/nat-overview), so everything
   * leaves from this one address. No zone is given: Azure then places the gateway in one zone of its
   * choosing, so it is not zone-resilient (learn.microsoft.com/azure/nat-gateway/nat-availability-zones,
   * "Non-zonal"; only the StandardV2 SKU, not in this SDK's enum, is zone-redundant). For the runner that
   * delays deploys in a zone outage; for the nodes it is egress (infra/azure/egressPlan.ts says so).
   */
  private natGateway(
    name: string,
    args: NetworkArgs,
    role: "runner" | "egress",
  ): { ip: network.PublicIPAddress; nat: network.NatGateway } {
    const ip = new network.PublicIPAddress(
      // The runner's address keeps the resource name it had before this helper existed (a renamed
      // resource is replaced, and its static address with it).
      `${name}-${role}-${role === "runner" ? "egress" : "ip"}`,
      {
        publicIpAddressName: azureName("pip", args.stack, role),
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
      `${name}-${role}-nat`,
      {
        natGatewayName: azureName("ng", args.stack, role),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        sku: { name: "Standard" },
        publicIpAddresses: [{ id: ip.id }],
        idleTimeoutInMinutes: 10,
        tags: args.tags,
      },
      { parent: this },
    );
    return { ip, nat };
  }

  /** The NSG of one subnet, with its event and rule-counter logs in Log Analytics (as the baseline's). */
  private nsg(name: string, args: NetworkArgs, role: NsgRole): network.NetworkSecurityGroup {
    const nsg = new network.NetworkSecurityGroup(
      `${name}-${role}-nsg`,
      {
        networkSecurityGroupName: azureName("nsg", args.stack, role),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        securityRules: nsgRules(role, args.cidrs),
        tags: args.tags,
      },
      { parent: this },
    );
    new monitor.DiagnosticSetting(
      `${name}-${role}-nsg-logs`,
      {
        name: "nsg-to-log-analytics",
        resourceUri: nsg.id,
        workspaceId: args.logAnalyticsWorkspaceId,
        logs: NSG_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
      },
      { parent: this },
    );
    return nsg;
  }

  /**
   * VNet flow logs (every flow of every subnet, with the NSG rule that decided it) to a storage account, and
   * traffic analytics into Log Analytics every 10 minutes. NSG flow logs can no longer be created since
   * 30 June 2025 and retire on 30 September 2027; VNet flow logs replace them
   * (learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview). The flow log is a child of the
   * region's Network Watcher, which Azure creates by itself as `NetworkWatcher_<region>` in
   * `NetworkWatcherRG` when a VNet appears (learn.microsoft.com/azure/network-watcher/network-watcher-create;
   * a second watcher in the region is refused, pulumi-azure-native#2091), hence after the VNet. The storage
   * account must be Standard and in the VNet's region (vnet-flow-logs-overview).
   */
  private flowLogs(name: string, args: NetworkArgs, vnet: network.VirtualNetwork): void {
    const suffix = new random.RandomString(
      `${name}-flow-logs-suffix`,
      { length: 6, special: false, upper: false },
      { parent: this, protect: args.protect },
    );
    const account = new storage.StorageAccount(
      `${name}-flow-logs`,
      {
        accountName: suffix.result.apply((s) => storageAccountName(args.stack, "flow", s)),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        kind: "StorageV2",
        sku: { name: args.zoneRedundant ? "Standard_ZRS" : "Standard_LRS" },
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
        enableHttpsTrafficOnly: true,
        // Azure's default for StorageV2, set so a refresh that reads it back plans nothing.
        accessTier: "Hot",
        tags: args.tags,
      },
      // Network evidence for postmortems and audits.
      { parent: this, protect: args.protect },
    );
    const days = args.cidrs.flowLogs.retentionDays;
    new network.FlowLog(
      `${name}-flow-log`,
      {
        flowLogName: azureName("vnet", args.stack, "flows"),
        networkWatcherName: `NetworkWatcher_${args.location}`,
        resourceGroupName: args.cidrs.flowLogs.networkWatcherResourceGroup,
        location: args.location,
        targetResourceId: vnet.id,
        storageId: account.id,
        enabled: true,
        // Version 2 carries bytes and packets per flow; the SDK would send version 0.
        format: { type: "JSON", version: 2 },
        retentionPolicy: { enabled: true, days },
        flowAnalyticsConfiguration: {
          networkWatcherFlowAnalyticsConfiguration: {
            enabled: true,
            workspaceResourceId: args.logAnalyticsWorkspaceId,
            workspaceId: args.logAnalyticsCustomerId,
            workspaceRegion: args.location,
            trafficAnalyticsInterval: 10,
          },
        },
        tags: args.tags,
      },
      { parent: this, dependsOn: [vnet] },
    );
  }
}
