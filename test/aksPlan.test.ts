import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import {
  apiServerAccess,
  ignoredChanges,
  maintenanceSchedules,
  nodePools,
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
    const [system, user] = nodePools(prod.aks, true);
    expect(system).toMatchObject({
      mode: "System",
      enableAutoScaling: false,
      nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
    });
    expect(user).toMatchObject({ mode: "User", enableAutoScaling: true, minCount: 3, maxCount: 12 });
    expect(system?.orchestratorVersion).toBe(prod.aks.kubernetesVersion);
  });

  it("ignores exactly the autoscaled pool's count", () => {
    expect(ignoredChanges(nodePools(prod.aks, true))).toEqual(["agentPoolProfiles[1].count"]);
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
