/**
 * Pure decisions for how the nodes reach the internet (config `network.egress`, infra/azure/network.ts and
 * the cluster's networkProfile.outboundType). Microsoft's options (learn.microsoft.com/azure/aks/
 * egress-outboundtype):
 *  - loadBalancer: AKS' outbound rules on its Standard load balancer (zone-redundant, addresses AKS picks).
 *  - natGateway: a NAT gateway on the node subnet with one static public address (`userAssignedNATGateway`;
 *    the gateway must be on the subnet before the cluster is created). 64,512 SNAT ports per address
 *    instead of the load balancer's preallocated share, and a fixed address partners can allow-list. The
 *    Standard SKU is zonal ("non-zonal" when no zone is given, learn.microsoft.com/azure/nat-gateway/
 *    nat-availability-zones): a zone outage can take egress down; StandardV2, the zone-redundant SKU, is
 *    not in this SDK's API version.
 * Azure Firewall egress (`userDefinedRouting`, as the AKS baseline's hub does) is not offered: with a route
 * of 0.0.0.0/0 to the firewall, replies to the public app-routing load balancer leave through the firewall
 * and are dropped (asymmetric routing, learn.microsoft.com/azure/aks/limit-egress-traffic). It needs the
 * ingress behind the firewall (DNAT to an internal load balancer at a fixed address, and DNS records that
 * point at the firewall instead of app-routing's): docs/security-baseline.md.
 * AKS sets outboundType at creation (the SDK's ContainerServiceNetworkProfile: "can only be set at cluster
 * create time"): a change is refused before the update (infra/azure/aks.ts guardCreateOnly).
 */
import type { EgressMode, NetworkConfig } from "./config";

/** `network.egress`, or its default: a NAT gateway in prod (a fixed address, no SNAT exhaustion), the load balancer in dev. */
export function egressMode(n: Pick<NetworkConfig, "egress">, environment: "dev" | "prod"): EgressMode {
  return n.egress ?? (environment === "prod" ? "natGateway" : "loadBalancer");
}

export type OutboundType = "loadBalancer" | "userAssignedNATGateway";

export function outboundType(mode: EgressMode): OutboundType {
  return mode === "natGateway" ? "userAssignedNATGateway" : "loadBalancer";
}
