import * as pulumi from "@pulumi/pulumi";
import * as privatedns from "@pulumi/azure-native/privatedns";

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
