/**
 * Pure decisions for the AKS cluster (Microsoft's AKS baseline): node pools, network profile, add-ons,
 * upgrade policy and the ignoreChanges that keep auto-upgrade and the autoscaler from fighting Pulumi.
 */
import * as yaml from "js-yaml";
import type { AksConfig, NetworkConfig } from "./config";
import type { OutboundType } from "./egressPlan";
import { ephemeralOsDisk } from "./vmSizes";

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
  osDiskType: "Ephemeral";
  osDiskSizeGB: number;
}

/**
 * Both pools boot from an ephemeral OS disk on the VM's local temp disk, as the AKS baseline does
 * (cluster-stamp.bicep: osDiskType Ephemeral on every pool): faster reimage and scale-out, no OS managed
 * disk to pay for or be throttled on. Set explicitly (AKS only defaults to it when its 128 GB default fits
 * the local disk, which Standard_D2ds_v5's 75 GiB does not). The config schema refuses a size without a
 * local disk, so the fallback below is never reached with a parsed config.
 */
function osDisk(vmSize: string) {
  const disk = ephemeralOsDisk(vmSize);
  if (!disk)
    throw new Error(`${vmSize} has no local temp disk for an ephemeral OS disk (checked by the config)`);
  return disk;
}

function commonPool(aks: AksConfig, zoneRedundant: boolean, vmSize: string) {
  return {
    ...osDisk(vmSize),
    orchestratorVersion: aks.kubernetesVersion,
    osType: "Linux" as const,
    osSKU: "AzureLinux" as const,
    type: "VirtualMachineScaleSets" as const,
    availabilityZones: zones(zoneRedundant),
  };
}

/**
 * System pool, inline in the cluster (AKS needs one System pool to create a cluster): fixed size, tainted
 * `CriticalAddonsOnly` so application pods never starve CoreDNS, metrics-server or the CSI drivers.
 */
export function systemPool(aks: AksConfig, zoneRedundant: boolean): PoolPlan {
  return {
    ...commonPool(aks, zoneRedundant, aks.systemPool.vmSize),
    name: SYSTEM_POOL,
    mode: "System",
    vmSize: aks.systemPool.vmSize,
    count: aks.systemPool.count,
    enableAutoScaling: false,
    maxPods: 110,
    nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
    upgradeSettings: { maxSurge: "33%" },
  };
}

/**
 * User pool, its own `containerservice.AgentPool` resource (never inline): pools listed inline in the
 * cluster cannot be added to later ("Adding agent pools to an existing cluster is not allowed through
 * managed cluster operations", pulumi-azure-native#579), and an edit of one inline pool puts every pool into
 * Scaling (pulumi-azure-native#4264). Autoscaled between min and max.
 */
export function userPool(aks: AksConfig, zoneRedundant: boolean): PoolPlan {
  const plan: PoolPlan = {
    ...commonPool(aks, zoneRedundant, aks.userPool.vmSize),
    name: USER_POOL,
    mode: "User",
    vmSize: aks.userPool.vmSize,
    count: aks.userPool.minCount,
    enableAutoScaling: true,
    minCount: aks.userPool.minCount,
    maxCount: aks.userPool.maxCount,
    maxPods: aks.userPool.maxPods,
    upgradeSettings: { maxSurge: "33%" },
  };
  return { ...plan, name: userPoolName(plan) };
}

/**
 * `user` + a short hash of the pool's create-only properties. AKS cannot change a pool's VM size, max pods
 * or zones in place (learn.microsoft.com/azure/aks/manage-node-pools#limitations; azure-native therefore
 * replaces the AgentPool, pulumi-azure-native#3655); the OS disk type and size are create-only too. With
 * the hash in the name, such a change creates the new pool *before* the old one is drained and deleted (Pulumi's default create-before-delete), so the
 * workloads always have somewhere to go. Linux pool names: lowercase alphanumerics, at most 12 characters.
 */
export function userPoolName(
  p: Pick<PoolPlan, "vmSize" | "maxPods" | "availabilityZones" | "osSKU" | "osDiskType" | "osDiskSizeGB">,
): string {
  const key = [
    p.vmSize,
    p.maxPods,
    (p.availabilityZones ?? []).join(","),
    p.osSKU,
    p.osDiskType,
    p.osDiskSizeGB,
  ].join("|");
  let h = 2166136261;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `${USER_POOL}${h.toString(16).padStart(8, "0").slice(0, 6)}`;
}

/**
 * What AKS changes on its own in the user pool, so the next `pulumi up` must not revert it: the cluster
 * autoscaler moves `count` between minCount and maxCount.
 * (The `patch` auto-upgrade channel moves the patch version, which AKS reports in
 * `currentOrchestratorVersion` while `orchestratorVersion` keeps the "1.33" we set — so it is not ignored:
 * changing the minor in config is a deliberate in-place upgrade.)
 */
export const USER_POOL_IGNORED = ["count"];

/**
 * The cluster's inline pool list is only used at creation. Afterwards AKS itself (and `az aks nodepool`)
 * owns it: the list AKS reports back also holds the separate user pool, and re-sending it through the
 * managed-cluster PUT is what fails or re-scales every pool (pulumi-azure-native#2719, #4264). Changes to
 * the system pool are refused with a clear message by the create-only check in aks.ts instead.
 */
export const CLUSTER_IGNORED = ["agentPoolProfiles"];

/**
 * Azure CNI overlay with Cilium dataplane and network policy; pods get overlay IPs, not VNet IPs.
 * With `fqdnPolicies`, Advanced Container Networking Services' security feature is on: it is what makes
 * Cilium FQDN (toFQDNs) policies work on AKS (learn.microsoft.com/azure/aks/how-to-apply-fqdn-filtering-policies;
 * billed per node, learn.microsoft.com/azure/aks/advanced-container-networking-services-overview). The app
 * needs it to reach its LLM provider by name (app.httpsEgressFqdns).
 */
export function networkProfile(
  n: NetworkConfig,
  fqdnPolicies = false,
  outbound: OutboundType = "loadBalancer",
) {
  return {
    ...(fqdnPolicies
      ? {
          advancedNetworking: {
            enabled: true,
            observability: { enabled: false },
            security: { enabled: true, advancedNetworkPolicies: "FQDN" },
          },
        }
      : {}),
    networkPlugin: "azure",
    networkPluginMode: "overlay",
    networkDataplane: "cilium",
    networkPolicy: "cilium",
    podCidr: n.podCidr,
    serviceCidr: n.serviceCidr,
    dnsServiceIP: n.dnsServiceIp,
    loadBalancerSku: "standard",
    // `network.egress` (infra/azure/egressPlan.ts); set explicitly: the SDK would default it to loadBalancer.
    outboundType: outbound,
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

/**
 * The control-plane log categories AKS sends to Log Analytics, as the AKS baseline collects them
 * (mspnp/aks-baseline cluster-stamp.bicep): the admin audit log (kube-audit-admin: every write, no reads,
 * so a fraction of kube-audit's volume), the API server, the controller manager (why a Deployment did not
 * roll, why a node was marked NotReady, PV attach/detach), the cluster autoscaler, and guard (Entra ID and
 * Azure RBAC decisions). Category names: learn.microsoft.com/azure/aks/monitor-aks-reference.
 *
 * `Dedicated` writes them to resource-specific tables (AKSAudit, AKSAuditAdmin, AKSControlPlane) instead of
 * the one AzureDiagnostics table, which Microsoft recommends for AKS (cheaper Basic-plan eligible tables,
 * typed columns, no 500-column limit; learn.microsoft.com/azure/aks/monitor-aks#resource-logs). ARM echoes
 * the value back as set, so it plans no change on the next `pulumi up`; queries: AKSAuditAdmin, AKSControlPlane
 * | where Category == "kube-controller-manager".
 */
export const CONTROL_PLANE_LOG_CATEGORIES = [
  "kube-audit-admin",
  "kube-apiserver",
  "kube-controller-manager",
  "cluster-autoscaler",
  "guard",
] as const;

export function controlPlaneDiagnostics() {
  return {
    logAnalyticsDestinationType: "Dedicated",
    logs: CONTROL_PLANE_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
  };
}

/**
 * API server: private, or public but only from the listed ranges (never the whole internet), plus the deploy
 * runner's static egress range when the stack has one (`deploy.runner: selfHosted`: `<ip>/32`, known only
 * once the public IP exists, so it is passed as it comes and the configured ranges stay readable in previews).
 */
export function apiServerAccess<R = string>(api: AksConfig["apiServer"], runnerRanges: R[] = []) {
  return api.private
    ? { enablePrivateCluster: true }
    : { enablePrivateCluster: false, authorizedIPRanges: [...api.authorizedIpRanges, ...runnerRanges] };
}

/** The two AKS planned-maintenance configurations that gate cluster and node-OS auto-upgrades. */
export function maintenanceSchedules(w: AksConfig["maintenanceWindow"]) {
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
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  dnsZoneContributor: "befefa01-2a29-4197-83a8-272ff33ce314",
} as const;
