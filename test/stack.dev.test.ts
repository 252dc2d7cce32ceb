/**
 * The dev stack: cheaper (sizes, counts, tier, zones), never weaker on security.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type StackRun } from "./mocks";

let run: StackRun;
beforeAll(async () => {
  run = await evaluateStack("dev");
});

describe("dev stack", () => {
  const cluster = () => run.inputsOf(run.one("azure-native:containerservice:ManagedCluster"));

  it("relaxes cost: Free tier, one system node, no zones", () => {
    expect(cluster().sku.tier).toBe("Free");
    expect(cluster().agentPoolProfiles[0].count).toBe(1);
    expect(cluster().agentPoolProfiles[0].availabilityZones).toBeUndefined();
  });

  it("keeps security: local accounts off, Azure RBAC, restricted API server, network policy", () => {
    expect(cluster().disableLocalAccounts).toBe(true);
    expect(cluster().aadProfile.enableAzureRBAC).toBe(true);
    expect(cluster().apiServerAccessProfile.authorizedIPRanges).toEqual(["203.0.113.0/24"]);
    expect(cluster().networkProfile.networkPolicy).toBe("cilium");
  });

  it("keeps the Key Vault firewall and RBAC, without purge protection", () => {
    const v = run.inputsOf(run.one("azure-native:keyvault:Vault")).properties;
    expect(v.enableRbacAuthorization).toBe(true);
    expect(v.networkAcls.defaultAction).toBe("Deny");
    expect(v.enablePurgeProtection).toBeUndefined();
  });

  it("does not protect resources (protect: false in Pulumi.dev.yaml)", () => {
    expect(run.one("azure-native:keyvault:Vault").options.protect).toBe(false);
  });
});
