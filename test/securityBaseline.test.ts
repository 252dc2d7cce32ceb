/**
 * The rest of the AKS baseline (docs/security-baseline.md): NSGs on every subnet, VNet flow logs, the
 * egress option, Defender and the pod security initiative. Pure plans first, then both renders.
 */
import { describe, expect, it } from "vitest";
import { nsgRules, type SecurityRule } from "../infra/azure/networkSecurityPlan";
import { egressMode, outboundType } from "../infra/azure/egressPlan";
import { podSecurityAssignment } from "../infra/azure/podSecurityPolicyPlan";
import { parseStackConfig } from "../infra/config";
import { stackConfig } from "./mocks";
import { renderResources } from "./renderFiles";

const prod = parseStackConfig(stackConfig("prod").config);
const n = prod.network;

/** Which rule decides a packet: the lowest priority whose fields match (NSGs stop at the first match). */
function decide(rules: SecurityRule[], dir: "Inbound" | "Outbound", src: string, dst: string, port: number) {
  const inRange = (ports: string[] = ["*"]) =>
    ports.some(
      (p) =>
        p === "*" ||
        (p.includes("-")
          ? (([a, b]) => port >= a! && port <= b!)(p.split("-").map(Number))
          : Number(p) === port),
    );
  const hit = rules
    .filter((r) => r.direction === dir)
    .sort((a, b) => a.priority - b.priority)
    .find(
      (r) =>
        (r.sourceAddressPrefix === "*" || r.sourceAddressPrefix === src) &&
        (r.destinationAddressPrefix === "*" || r.destinationAddressPrefix === dst) &&
        inRange(r.destinationPortRanges),
    );
  return hit ? `${hit.access} (${hit.name})` : "default rules";
}

describe("network security groups", () => {
  it("let the internet reach only the ingress ports on the nodes", () => {
    const aks = nsgRules("aks", n);
    expect(decide(aks, "Inbound", "Internet", "*", 443)).toBe("Allow (AllowIngressFromInternet)");
    expect(decide(aks, "Inbound", "Internet", "*", 80)).toBe("Allow (AllowIngressFromInternet)");
    // SSH from the internet meets Azure's DenyAllInBound (65500) under our rules.
    expect(decide(aks, "Inbound", "Internet", "*", 22)).toBe("default rules");
    // CNI overlay: the pod range is not in the VirtualNetwork tag, so it has its own rule both ways.
    expect(decide(aks, "Inbound", n.podCidr, "*", 8000)).toBe("Allow (AllowPodCidrInbound)");
    expect(decide(aks, "Outbound", "*", n.podCidr, 8000)).toBe("Allow (AllowPodCidrOutbound)");
    // Node to pod on another node (service routing, cross-node LB traffic).
    expect(decide(aks, "Inbound", n.aksNodesCidr, n.podCidr, 8000)).toBe("Allow (AllowNodesToPodsInbound)");
  });

  it("admit Postgres only from the nodes and within its subnet, nothing else from the VNet", () => {
    const pg = nsgRules("postgres", n);
    expect(decide(pg, "Inbound", n.aksNodesCidr, n.postgresCidr, 5432)).toBe(
      "Allow (AllowPostgresFromNodes)",
    );
    expect(decide(pg, "Inbound", n.postgresCidr, n.postgresCidr, 5432)).toBe("Allow (AllowWithinSubnet)");
    expect(decide(pg, "Inbound", n.endpointsCidr, n.postgresCidr, 5432)).toBe("Deny (DenyAllInbound)");
    expect(decide(pg, "Inbound", n.aksNodesCidr, n.postgresCidr, 22)).toBe("Deny (DenyAllInbound)");
  });

  it("admit the private endpoints' ports and deny everything out of them", () => {
    const pe = nsgRules("endpoints", n);
    expect(decide(pe, "Inbound", "VirtualNetwork", n.endpointsCidr, 443)).toBe("Allow (AllowHttpsFromVnet)");
    expect(decide(pe, "Inbound", n.aksNodesCidr, n.endpointsCidr, 10000)).toBe("Allow (AllowRedisFromNodes)");
    expect(decide(pe, "Inbound", n.postgresCidr, n.endpointsCidr, 10000)).toBe("Deny (DenyAllInbound)");
    expect(decide(pe, "Outbound", "*", "*", 443)).toBe("Deny (DenyAllOutbound)");
  });

  it("take no connection to the deploy runner", () => {
    expect(decide(nsgRules("runner", n), "Inbound", "VirtualNetwork", "*", 22)).toBe("Deny (DenyAllInbound)");
  });

  it('write all ports as destinationPortRange "*" (the plural list refuses "*")', () => {
    for (const role of ["aks", "postgres", "endpoints", "runner"] as const) {
      for (const r of nsgRules(role, n)) {
        expect(r.destinationPortRanges ?? [], `${role} ${r.name}`).not.toContain("*");
        expect(
          r.destinationPortRange === "*" || (r.destinationPortRanges ?? []).length > 0,
          `${role} ${r.name}`,
        ).toBe(true);
      }
    }
  });

  it("use priorities Azure accepts (100-4096), unique per direction", () => {
    for (const role of ["aks", "postgres", "endpoints", "runner"] as const) {
      const rules = nsgRules(role, n);
      for (const r of rules) expect(r.priority, `${role} ${r.name}`).toBeGreaterThanOrEqual(100);
      for (const r of rules) expect(r.priority, `${role} ${r.name}`).toBeLessThanOrEqual(4096);
      const keys = rules.map((r) => `${r.direction}:${r.priority}`);
      expect(new Set(keys).size, role).toBe(keys.length);
    }
  });
});

describe("egress", () => {
  it("defaults to a NAT gateway in prod and the load balancer in dev; an explicit choice wins", () => {
    expect(egressMode({}, "prod")).toBe("natGateway");
    expect(egressMode({}, "dev")).toBe("loadBalancer");
    expect(egressMode({ egress: "natGateway" }, "dev")).toBe("natGateway");
    expect(egressMode({ egress: "loadBalancer" }, "prod")).toBe("loadBalancer");
  });

  it("maps each mode to AKS' outboundType", () => {
    expect(outboundType("loadBalancer")).toBe("loadBalancer");
    expect(outboundType("natGateway")).toBe("userAssignedNATGateway");
  });
});

describe("pod security restricted initiative", () => {
  it("denies in prod and audits in dev, leaving out system namespaces and monitoring, never the app", () => {
    const p = podSecurityAssignment("prod", "monitoring");
    expect(p.policyDefinitionId).toBe(
      "/providers/Microsoft.Authorization/policySetDefinitions/42b8ef37-b724-4e24-bbc8-7a7708edfe00",
    );
    expect(p.parameters.effect.value).toBe("Deny");
    expect(podSecurityAssignment("dev", "monitoring").parameters.effect.value).toBe("Audit");
    const excluded = p.parameters.excludedNamespaces.value;
    expect(excluded).toEqual(
      expect.arrayContaining([
        "kube-system",
        "gatekeeper-system",
        "azure-arc",
        "azure-extensions-usage-system",
        "monitoring",
      ]),
    );
    expect(excluded).not.toContain("agents");
    expect(excluded).not.toContain("cert-manager");
  });
});

describe("in the renders", () => {
  const of = (stack: "dev" | "prod", type: string) => renderResources(stack).filter((r) => r.type === type);

  it.each(["dev", "prod"] as const)(
    "%s: every subnet has an NSG, every NSG logs to Log Analytics",
    (stack) => {
      const subnets = of(stack, "azure-native:network:Subnet");
      expect(subnets.length).toBeGreaterThanOrEqual(3);
      for (const s of subnets)
        expect(s.inputs.networkSecurityGroup, s.name).toEqual({ id: "(known after apply)" });
      const nsgs = of(stack, "azure-native:network:NetworkSecurityGroup");
      expect(nsgs).toHaveLength(subnets.length);
      const logged = of(stack, "azure-native:monitor:DiagnosticSetting").filter((d) =>
        d.name.endsWith("-nsg-logs"),
      );
      expect(logged).toHaveLength(nsgs.length);
    },
  );

  it.each(["dev", "prod"] as const)(
    "%s: the VNet's flow log goes to the region's Network Watcher, storage and traffic analytics",
    (stack) => {
      const [f] = of(stack, "azure-native:network:FlowLog");
      expect(f!.inputs).toMatchObject({
        networkWatcherName: "NetworkWatcher_westeurope",
        resourceGroupName: "NetworkWatcherRG",
        enabled: true,
        format: { type: "JSON", version: 2 },
        retentionPolicy: { enabled: true, days: stack === "prod" ? 90 : 30 },
      });
      expect(f!.inputs.flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.enabled).toBe(
        true,
      );
      const [st] = of(stack, "azure-native:storage:StorageAccount");
      expect(st!.inputs.sku.name).toBe(stack === "prod" ? "Standard_ZRS" : "Standard_LRS");
      expect(st!.options.protect).toBe(stack === "prod");
    },
  );

  it("prod egresses through a NAT gateway on the node subnet (userAssignedNATGateway); dev through the load balancer", () => {
    const cluster = (s: "dev" | "prod") => of(s, "azure-native:containerservice:ManagedCluster")[0]!.inputs;
    expect(cluster("prod").networkProfile.outboundType).toBe("userAssignedNATGateway");
    expect(cluster("dev").networkProfile.outboundType).toBe("loadBalancer");
    const aksSubnet = (s: "dev" | "prod") =>
      of(s, "azure-native:network:Subnet").find((x) => x.name === "network-aks")!;
    expect(aksSubnet("prod").inputs.natGateway).toEqual({ id: "(known after apply)" });
    expect(aksSubnet("dev").inputs.natGateway).toBeUndefined();
  });

  it.each(["dev", "prod"] as const)(
    "%s: Defender's sensor reports to the workspace; the initiative is assigned on the cluster",
    (stack) => {
      const c = of(stack, "azure-native:containerservice:ManagedCluster")[0]!.inputs;
      expect(c.securityProfile.defender.securityMonitoring).toEqual({ enabled: true });
      const a = of(stack, "azure-native:authorization:PolicyAssignment").find(
        (x) => x.name === "pod-security-restricted",
      )!;
      expect(a.inputs.parameters.effect.value).toBe(stack === "prod" ? "Deny" : "Audit");
    },
  );
});
