/**
 * Pure decisions for the network security groups on every subnet we create (infra/azure/network.ts), the
 * part of Microsoft's AKS baseline the platform's network owns (mspnp/aks-baseline
 * network-team/spoke-BU0001A0008.bicep at 242440791c74cc3604f7d6453755fc44e05c5c0b: an NSG on each subnet,
 * deny-all inbound on the private-endpoint subnet, diagnostics to Log Analytics).
 *
 * Azure's default rules sit under ours (learn.microsoft.com/azure/virtual-network/network-security-groups-
 * overview, "Default security rules"): AllowVnetInBound 65000, AllowAzureLoadBalancerInBound 65001,
 * DenyAllInBound 65500; outbound AllowVnetOutBound, AllowInternetOutBound, DenyAllOutBound. So internet
 * traffic is denied inbound everywhere unless a rule below admits it; where a subnet should not take traffic
 * from the rest of the VNet either, an explicit DenyAllInbound at 4000 closes what AllowVnetInBound opens.
 */
import type { NetworkConfig } from "./config";
import { REDIS_PORT } from "../data/redisPlan";

export interface SecurityRule {
  name: string;
  priority: number;
  direction: "Inbound" | "Outbound";
  access: "Allow" | "Deny";
  protocol: "Tcp" | "Udp" | "*";
  sourceAddressPrefix: string;
  sourcePortRange: "*";
  destinationAddressPrefix: string;
  /** Either all ports ("*", only valid in the singular field) or a list of ports and ranges. */
  destinationPortRange?: "*";
  destinationPortRanges?: string[];
  description: string;
}

/** The subnets with an NSG, by the role name network.ts gives them. */
export type NsgRole = "aks" | "postgres" | "endpoints" | "runner";

const rule = (
  name: string,
  priority: number,
  direction: SecurityRule["direction"],
  access: SecurityRule["access"],
  protocol: SecurityRule["protocol"],
  source: string,
  destination: string,
  ports: (number | string)[],
  description: string,
): SecurityRule => ({
  name,
  priority,
  direction,
  access,
  protocol,
  sourceAddressPrefix: source,
  sourcePortRange: "*",
  destinationAddressPrefix: destination,
  // "*" is accepted in destinationPortRange only, not in the plural list (ARM SecurityRuleInvalidPortRange;
  // cloud-provider-azure writes all-ports rules the same way).
  ...(ports.length === 1 && ports[0] === "*"
    ? { destinationPortRange: "*" as const }
    : { destinationPortRanges: ports.map(String) }),
  description,
});

const denyAllInbound = (what: string) =>
  rule("DenyAllInbound", 4000, "Inbound", "Deny", "*", "*", "*", ["*"], `Nothing else reaches ${what}`);

/**
 * The rules of each subnet's NSG.
 *  - aks (nodes): AKS needs no inbound rules of its own ("outbound rules for AKS": no ingress requirements),
 *    but Azure CNI overlay needs node-to-node, node-to-pod and pod-to-pod traffic admitted when the subnet has an NSG,
 *    because the overlay range is not part of the VirtualNetwork tag (learn.microsoft.com/azure/aks/
 *    azure-cni-overlay, "Network security groups"). The app-routing ingress is a public load balancer: AKS
 *    load-balancer rules use floating IP, so the packet still carries the frontend address and the rule
 *    admits ports 80/443 to any destination, from the internet only.
 *  - postgres (delegated): 5432 from the nodes (pods leave the overlay SNATed to their node's address),
 *    anything within the subnet (the HA standby replicates from the primary there), nothing else.
 *  - endpoints: 443 from the VNet (Key Vault, registry; the deploy runner's subnet included) and Redis' port
 *    from the nodes; deny the rest in and everything out, as the baseline's private-endpoint NSG does
 *    (private endpoints answer, they never open connections). The subnet has
 *    privateEndpointNetworkPolicies Enabled, without which NSGs do not apply to private endpoints.
 *  - runner: the deploy runner polls GitHub outbound and takes no connections: deny all inbound.
 */
export function nsgRules(role: NsgRole, n: NetworkConfig): SecurityRule[] {
  switch (role) {
    case "aks":
      return [
        rule(
          "AllowPodCidrInbound",
          100,
          "Inbound",
          "Allow",
          "*",
          n.podCidr,
          "*",
          ["*"],
          "CNI overlay pod traffic",
        ),
        // Node to pod (service routing, LB traffic forwarded across nodes, hostNetwork clients): the third
        // flow the overlay page lists; node to node is AllowVnetInBound.
        rule(
          "AllowNodesToPodsInbound",
          105,
          "Inbound",
          "Allow",
          "*",
          n.aksNodesCidr,
          n.podCidr,
          ["*"],
          "CNI overlay node-to-pod traffic",
        ),
        rule(
          "AllowIngressFromInternet",
          110,
          "Inbound",
          "Allow",
          "Tcp",
          "Internet",
          "*",
          [80, 443],
          "app-routing ingress",
        ),
        rule(
          "AllowPodCidrOutbound",
          100,
          "Outbound",
          "Allow",
          "*",
          "*",
          n.podCidr,
          ["*"],
          "CNI overlay pod traffic",
        ),
      ];
    case "postgres":
      return [
        rule(
          "AllowPostgresFromNodes",
          100,
          "Inbound",
          "Allow",
          "Tcp",
          n.aksNodesCidr,
          n.postgresCidr,
          [5432],
          "agent-api, the exporter and the roles Job",
        ),
        rule(
          "AllowWithinSubnet",
          110,
          "Inbound",
          "Allow",
          "*",
          n.postgresCidr,
          n.postgresCidr,
          ["*"],
          "HA primary and standby",
        ),
        denyAllInbound("the Postgres subnet"),
      ];
    case "endpoints":
      return [
        rule(
          "AllowHttpsFromVnet",
          100,
          "Inbound",
          "Allow",
          "Tcp",
          "VirtualNetwork",
          n.endpointsCidr,
          [443],
          "Key Vault and registry private endpoints",
        ),
        rule(
          "AllowRedisFromNodes",
          110,
          "Inbound",
          "Allow",
          "Tcp",
          n.aksNodesCidr,
          n.endpointsCidr,
          [REDIS_PORT],
          "Azure Managed Redis private endpoint",
        ),
        denyAllInbound("the private endpoints"),
        rule(
          "DenyAllOutbound",
          4000,
          "Outbound",
          "Deny",
          "*",
          "*",
          "*",
          ["*"],
          "Private endpoints open no connections",
        ),
      ];
    case "runner":
      return [denyAllInbound("the deploy runner")];
  }
}

/** NSG log categories the baseline sends to Log Analytics (resource logs of Microsoft.Network/networkSecurityGroups). */
export const NSG_LOG_CATEGORIES = ["NetworkSecurityGroupEvent", "NetworkSecurityGroupRuleCounter"];
