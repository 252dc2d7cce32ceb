import * as pulumi from "@pulumi/pulumi";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as network from "@pulumi/azure-native/network";

export interface LinkedPrivateZoneArgs {
  /** e.g. `privatelink.redis.azure.net` or `<server>.private.postgres.database.azure.com`. */
  zoneName: string;
  /** Name of the VNet link (unique within the zone). */
  linkName: string;
  resourceGroupName: pulumi.Input<string>;
  vnetId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * A private DNS zone linked to the VNet, so names of private endpoints / VNet-integrated servers resolve
 * to private IPs from the cluster. Auto-registration stays off: the service registers its own records,
 * VMs in the VNet must not write into this zone. Returns the zone and the link (depend on the link before
 * creating what needs the name to resolve).
 */
export function linkedPrivateZone(name: string, args: LinkedPrivateZoneArgs, parent: pulumi.Resource) {
  const zone = new privatedns.PrivateZone(
    `${name}-dns`,
    {
      privateZoneName: args.zoneName,
      resourceGroupName: args.resourceGroupName,
      location: "global",
      tags: args.tags,
    },
    { parent },
  );
  const link = new privatedns.VirtualNetworkLink(
    `${name}-dns-link`,
    {
      virtualNetworkLinkName: args.linkName,
      privateZoneName: zone.name,
      resourceGroupName: args.resourceGroupName,
      location: "global",
      virtualNetwork: { id: args.vnetId },
      registrationEnabled: false,
      tags: args.tags,
    },
    { parent },
  );
  return { zone, link };
}

export interface PrivateEndpointArgs {
  /** Azure name of the endpoint, e.g. `pe-agents-prod-redis`. */
  endpointName: string;
  resourceGroupName: pulumi.Input<string>;
  location: string;
  subnetId: pulumi.Input<string>;
  /** The resource the endpoint connects to. */
  targetId: pulumi.Input<string>;
  /** Its private-link sub-resource: `redisEnterprise`, `vault`, `registry` … */
  groupId: string;
  /** The `privatelink.*` zone the endpoint's A records go into, created here and linked to `vnetId`. */
  zoneName: string;
  /** Name of the zone's VNet link. */
  linkName: string;
  vnetId: pulumi.Input<string>;
  /** Name of the zone config inside the zone group (default: the groupId). */
  zoneConfigName?: string;
  tags: Record<string, string>;
}

/**
 * A private endpoint in the endpoints subnet, its `privatelink.*` zone linked to the VNet, and the DNS zone
 * group that makes Azure write (and keep current) the endpoint's A records in that zone, so the service's
 * public name resolves to the private IP inside the VNet
 * (learn.microsoft.com/azure/private-link/private-endpoint-dns). Logical names `<name>-dns`,
 * `<name>-dns-link`, `<name>-pe` and `<name>-pe-dns`.
 */
export function privateEndpoint(name: string, args: PrivateEndpointArgs, parent: pulumi.Resource) {
  const { zone, link } = linkedPrivateZone(
    name,
    {
      zoneName: args.zoneName,
      linkName: args.linkName,
      resourceGroupName: args.resourceGroupName,
      vnetId: args.vnetId,
      tags: args.tags,
    },
    parent,
  );
  const endpoint = new network.PrivateEndpoint(
    `${name}-pe`,
    {
      privateEndpointName: args.endpointName,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      subnet: { id: args.subnetId },
      privateLinkServiceConnections: [
        { name: `${args.endpointName}-link`, privateLinkServiceId: args.targetId, groupIds: [args.groupId] },
      ],
      tags: args.tags,
    },
    { parent },
  );
  const zoneGroup = new network.PrivateDnsZoneGroup(
    `${name}-pe-dns`,
    {
      privateDnsZoneGroupName: "default",
      privateEndpointName: endpoint.name,
      resourceGroupName: args.resourceGroupName,
      privateDnsZoneConfigs: [{ name: args.zoneConfigName ?? args.groupId, privateDnsZoneId: zone.id }],
    },
    { parent },
  );
  return { zone, link, endpoint, zoneGroup };
}
