import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import {
  apiServerAccess,
  CLUSTER_IGNORED,
  maintenanceSchedules,
  networkProfile,
  systemPool,
  USER_POOL_IGNORED,
  userPool,
  userPoolName,
  useAzureCliLogin,
  zones,
} from "../infra/azure/aksPlan";
import { parseStackConfig } from "../infra/config";
import { stackConfig } from "./mocks";

const prod = parseStackConfig(stackConfig("prod").config);

describe("aksPlan (pure)", () => {
  it("spreads pools over three zones only when zone-redundant", () => {
    expect(zones(true)).toEqual(["1", "2", "3"]);
    expect(zones(false)).toBeUndefined();
  });

  it("taints the system pool and autoscales only the user pool", () => {
    const system = systemPool(prod.aks, true);
    const user = userPool(prod.aks, true);
    expect(system).toMatchObject({
      mode: "System",
      enableAutoScaling: false,
      nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
    });
    expect(user).toMatchObject({ mode: "User", enableAutoScaling: true, minCount: 3, maxCount: 12 });
    expect(system.orchestratorVersion).toBe(prod.aks.kubernetesVersion);
  });

  it("names the user pool after its create-only properties, within AKS's 12-character limit", () => {
    const user = userPool(prod.aks, true);
    expect(user.name).toMatch(/^user[0-9a-f]{6}$/);
    // Stable for the same properties...
    expect(userPool(prod.aks, true).name).toBe(user.name);
    // ...and new when AKS would have to replace the pool, so the new one is created before the old goes.
    expect(userPoolName({ ...user, vmSize: "Standard_D16ds_v5" })).not.toBe(user.name);
    expect(userPoolName({ ...user, maxPods: 50 })).not.toBe(user.name);
    expect(userPoolName({ ...user, availabilityZones: undefined })).not.toBe(user.name);
    // Autoscaler bounds are updatable in place: same pool.
    expect(userPool({ ...prod.aks, userPool: { ...prod.aks.userPool, maxCount: 20 } }, true).name).toBe(
      user.name,
    );
  });

  it("leaves to AKS what AKS changes: the autoscaled count, and the inline pool list after creation", () => {
    expect(USER_POOL_IGNORED).toEqual(["count"]);
    expect(CLUSTER_IGNORED).toEqual(["agentPoolProfiles"]);
  });

  it("turns on Cilium FQDN policies only when the app needs egress by name", () => {
    expect(networkProfile(prod.network, false)).not.toHaveProperty("advancedNetworking");
    expect(networkProfile(prod.network, true).advancedNetworking).toEqual({
      enabled: true,
      observability: { enabled: false },
      security: { enabled: true, advancedNetworkPolicies: "FQDN" },
    });
  });

  it.each([
    [{ private: true, authorizedIpRanges: [] }, { enablePrivateCluster: true }],
    [
      { private: false, authorizedIpRanges: ["203.0.113.0/24"] },
      { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24"] },
    ],
  ])("API server access %j", (api, expected) => {
    expect(apiServerAccess(api)).toEqual(expected);
  });

  it("gates both cluster and node-OS upgrades by the same window", () => {
    const s = maintenanceSchedules(prod.aks.maintenanceWindow);
    expect(s.map((x) => x.configName)).toEqual([
      "aksManagedAutoUpgradeSchedule",
      "aksManagedNodeOSUpgradeSchedule",
    ]);
    expect(s[0]?.maintenanceWindow.schedule.weekly).toEqual({ dayOfWeek: "Sunday", intervalWeeks: 1 });
  });

  it("converts a device-code kubelogin kubeconfig to azurecli login", () => {
    const kc = yaml.dump({
      users: [
        {
          name: "u",
          user: {
            exec: {
              command: "kubelogin",
              args: [
                "get-token",
                "--environment",
                "AzurePublicCloud",
                "--server-id",
                "6dae",
                "--client-id",
                "80fa",
                "--tenant-id",
                "t",
                "--login",
                "devicecode",
              ],
            },
          },
        },
      ],
    });
    const out = yaml.load(useAzureCliLogin(kc)) as { users: { user: { exec: { args: string[] } } }[] };
    expect(out.users[0]?.user.exec.args).toEqual(["get-token", "--server-id", "6dae", "--login", "azurecli"]);
  });
});
