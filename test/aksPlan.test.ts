import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { ephemeralOsDisk, tempDiskGib } from "../infra/azure/vmSizes";
import {
  apiServerAccess,
  CLUSTER_IGNORED,
  controlPlaneDiagnostics,
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

describe("ephemeral OS disks and control-plane logs (AKS baseline)", () => {
  it("knows the local temp disk of the v5 sizes with one, and no other size", () => {
    // Azure's size tables: Standard_D2ds_v5 75 GiB, D4ds_v5 150, D8ds_v5 300, E4ds_v5 150, D4ads_v5 150.
    expect(tempDiskGib("Standard_D2ds_v5")).toBe(75);
    expect(tempDiskGib("Standard_D4ds_v5")).toBe(150);
    expect(tempDiskGib("Standard_D8ds_v5")).toBe(300);
    expect(tempDiskGib("Standard_E4ds_v5")).toBe(150);
    expect(tempDiskGib("Standard_D4ads_v5")).toBe(150);
    expect(tempDiskGib("Standard_E8-4ds_v5")).toBe(300);
    // No local disk, or a family not known here.
    expect(tempDiskGib("Standard_D4s_v5")).toBeUndefined();
    expect(tempDiskGib("Standard_D4ds_v6")).toBeUndefined();
    expect(tempDiskGib("Standard_DS3_v2")).toBeUndefined();
  });

  it("gives both pools an ephemeral OS disk that fits the local disk (128 GB, or all of a smaller one)", () => {
    for (const pool of [systemPool(prod.aks, true), userPool(prod.aks, true)]) {
      expect(pool.osDiskType, pool.name).toBe("Ephemeral");
    }
    expect(systemPool(prod.aks, true).osDiskSizeGB).toBe(128); // D4ds_v5: 150 GiB local
    const small = { ...prod.aks, systemPool: { vmSize: "Standard_D2ds_v5", count: 1 } };
    expect(systemPool(small, false).osDiskSizeGB).toBe(75);
    expect(ephemeralOsDisk("Standard_D4s_v5")).toBeUndefined();
  });

  it("moves the user pool to a new name when its OS disk changes (create-only)", () => {
    const user = userPool(prod.aks, true);
    expect(userPoolName({ ...user, osDiskSizeGB: 64 })).not.toBe(user.name);
  });

  it("sends the controller manager and the admin audit log to resource-specific tables", () => {
    const d = controlPlaneDiagnostics();
    expect(d.logAnalyticsDestinationType).toBe("Dedicated");
    expect(d.logs.map((l) => l.category)).toEqual([
      "kube-audit-admin",
      "kube-apiserver",
      "kube-controller-manager",
      "cluster-autoscaler",
      "guard",
    ]);
    expect(d.logs.every((l) => l.enabled)).toBe(true);
  });
});
