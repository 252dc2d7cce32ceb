/**
 * Pure decisions for the AKS cluster (Microsoft's AKS baseline): node pools, network profile, add-ons,
 * upgrade policy and the ignoreChanges that keep auto-upgrade and the autoscaler from fighting Pulumi.
 */
import * as yaml from "js-yaml";
import type { StackConfig } from "../config";

/** Availability zones when zone-redundant; none otherwise (dev saves the cross-zone cost). */
export function zones(zoneRedundant: boolean): string[] | undefined {
  return zoneRedundant ? ["1", "2", "3"] : undefined;
}

export const SYSTEM_POOL = "system";
export const USER_POOL = "user";

export interface PoolPlan {
  name: string;
  mode: "System" | "User";
  vmSize: string;
  count: number;
  enableAutoScaling: boolean;
  minCount?: number;
  maxCount?: number;
  maxPods: number;
  availabilityZones?: string[];
  nodeTaints?: string[];
  orchestratorVersion: string;
  osType: "Linux";
  osSKU: "AzureLinux";
  type: "VirtualMachineScaleSets";
  upgradeSettings: { maxSurge: string };
}

/**
 * System pool: fixed size, tainted `CriticalAddonsOnly` so application pods never starve CoreDNS,
 * metrics-server or the CSI drivers. User pool: autoscaled between min and max.
 */
export function nodePools(aks: StackConfig["aks"], zoneRedundant: boolean): PoolPlan[] {
  const common = {
    orchestratorVersion: aks.kubernetesVersion,
    osType: "Linux" as const,
    osSKU: "AzureLinux" as const,
    type: "VirtualMachineScaleSets" as const,
    availabilityZones: zones(zoneRedundant),
  };
  return [
    {
      ...common,
      name: SYSTEM_POOL,
      mode: "System",
      vmSize: aks.systemPool.vmSize,
      count: aks.systemPool.count,
      enableAutoScaling: false,
      maxPods: 110,
      nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
      upgradeSettings: { maxSurge: "33%" },
    },
    {
      ...common,
      name: USER_POOL,
      mode: "User",
      vmSize: aks.userPool.vmSize,
      count: aks.userPool.minCount,
      enableAutoScaling: true,
      minCount: aks.userPool.minCount,
      maxCount: aks.userPool.maxCount,
      maxPods: aks.userPool.maxPods,
      upgradeSettings: { maxSurge: "33%" },
    },
  ];
}

/**
 * Properties the platform changes behind Pulumi's back, so the next `pulumi up` must not try to revert
 * them:
 * - the autoscaler moves the user pool's `count`;
 * - the `patch` auto-upgrade channel moves patch versions, which AKS reports in
 *   `currentKubernetesVersion`/`currentOrchestratorVersion` while the minor we set ("1.33") stays as
 *   given — so `kubernetesVersion` is *not* ignored: changing the minor in config is a deliberate,
 *   in-place upgrade (never a replacement).
 */
export function ignoredChanges(pools: PoolPlan[]): string[] {
  return pools.flatMap((p, i) => (p.enableAutoScaling ? [`agentPoolProfiles[${i}].count`] : []));
}

/** Azure CNI overlay with Cilium dataplane and network policy; pods get overlay IPs, not VNet IPs. */
export function networkProfile(n: StackConfig["network"]) {
  return {
    networkPlugin: "azure",
    networkPluginMode: "overlay",
    networkDataplane: "cilium",
    networkPolicy: "cilium",
    podCidr: n.podCidr,
    serviceCidr: n.serviceCidr,
    dnsServiceIP: n.dnsServiceIp,
    loadBalancerSku: "standard",
    outboundType: "loadBalancer",
  };
}

/**
 * Add-ons: Key Vault secrets provider with rotation (synced secrets follow Key Vault within the poll
 * interval), Azure Policy, and Container Insights writing to our Log Analytics workspace.
 */
export function addonProfiles(logAnalyticsWorkspaceId: string) {
  return {
    azureKeyvaultSecretsProvider: {
      enabled: true,
      config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
    },
    azurepolicy: { enabled: true },
    omsagent: {
      enabled: true,
      config: { logAnalyticsWorkspaceResourceID: logAnalyticsWorkspaceId, useAADAuth: "true" },
    },
  };
}

/** API server: private, or public but only from the listed ranges (never the whole internet). */
export function apiServerAccess(api: StackConfig["aks"]["apiServer"]) {
  return api.private
    ? { enablePrivateCluster: true }
    : { enablePrivateCluster: false, authorizedIPRanges: [...api.authorizedIpRanges] };
}

/** The two AKS planned-maintenance configurations that gate cluster and node-OS auto-upgrades. */
export function maintenanceSchedules(w: StackConfig["aks"]["maintenanceWindow"]) {
  const window = {
    schedule: { weekly: { dayOfWeek: w.dayOfWeek, intervalWeeks: 1 } },
    durationHours: w.durationHours,
    startTime: w.startTime,
    utcOffset: w.utcOffset,
  };
  return [
    { configName: "aksManagedAutoUpgradeSchedule", maintenanceWindow: window },
    { configName: "aksManagedNodeOSUpgradeSchedule", maintenanceWindow: window },
  ];
}

/**
 * With local accounts disabled, AKS hands out a kubeconfig whose user runs `kubelogin` (device-code
 * login by default). Non-interactive `pulumi up` needs the Azure CLI login instead; this is what
 * `kubelogin convert-kubeconfig -l azurecli` does, as a pure function.
 */
export function useAzureCliLogin(kubeconfig: string): string {
  const doc = yaml.load(kubeconfig) as {
    users?: { user?: { exec?: { args?: string[]; command?: string } } }[];
  };
  for (const u of doc.users ?? []) {
    const exec = u.user?.exec;
    if (!exec || exec.command !== "kubelogin" || !exec.args) continue;
    const args = exec.args.filter((a, i, all) => a !== "--login" && all[i - 1] !== "--login");
    // Drop device-code-only flags; azurecli login uses the CLI's token cache.
    const keep: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (["--client-id", "--tenant-id", "--environment"].includes(a)) {
        i++;
        continue;
      }
      keep.push(a);
    }
    exec.args = [...keep, "--login", "azurecli"];
  }
  return yaml.dump(doc, { lineWidth: -1 });
}

/** Azure built-in role definition ids (stable GUIDs, the same in every tenant). */
export const ROLES = {
  aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  keyVaultSecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
} as const;
