/**
 * The Azure core's part of the stack config: network, Log Analytics, AKS, Key Vault, registry. Schemas,
 * their types and the checks within the area; infra/config.ts composes them.
 */
import { z } from "zod";
import { contains, overlaps, parseCidr, parseIp } from "../cidr";
import { ephemeralOsDisk } from "./vmSizes";
import { cidr, hhmm, int, MAINTENANCE_DAYS, UUID_RE, vmSize, type Issue } from "../configSchema";

export const EGRESS_MODES = ["loadBalancer", "natGateway"] as const;
export type EgressMode = (typeof EGRESS_MODES)[number];

export const networkSchema = z.strictObject({
  /** Address space of the VNet. */
  vnetCidr: cidr,
  /** Subnet for AKS nodes (pods use the overlay podCidr, so this can stay small). */
  aksNodesCidr: cidr,
  /** Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers. */
  postgresCidr: cidr,
  /** Subnet for private endpoints (Key Vault, Redis). */
  endpointsCidr: cidr,
  /** Azure CNI overlay pod range; must not overlap the VNet. */
  podCidr: cidr,
  /** Kubernetes service range; must not overlap the VNet or pod range. */
  serviceCidr: cidr,
  /** Cluster DNS service IP, inside serviceCidr. */
  dnsServiceIp: z.string().refine((s) => parseIp(s) !== undefined, { message: "must be an IPv4 address" }),
  /**
   * How the nodes reach the internet (infra/azure/egressPlan.ts): "loadBalancer" (AKS' outbound rules on
   * its load balancer) or "natGateway" (a NAT gateway on the node subnet, one static address). Unset:
   * natGateway in prod, loadBalancer in dev. Fixed at cluster creation (AKS outboundType).
   */
  egress: z
    .enum(EGRESS_MODES, {
      // Azure Firewall egress would break the public ingress (asymmetric routing): docs/security-baseline.md.
      message:
        "must be loadBalancer or natGateway (Azure Firewall egress is not built: docs/security-baseline.md)",
    })
    .optional(),
  /** VNet flow logs (NSG flow logs can no longer be created since 30 June 2025): retention in days. */
  flowLogs: z
    .strictObject({
      retentionDays: int(1, 365).default(30),
      /** Where Azure keeps this region's Network Watcher (`NetworkWatcher_<location>`, created automatically). */
      networkWatcherResourceGroup: z.string().min(1).default("NetworkWatcherRG"),
    })
    .prefault({}),
});

export const aksSchema = z.strictObject({
  /** Kubernetes minor version only ("1.33"): patch versions come from the auto-upgrade channel. */
  kubernetesVersion: z.string().regex(/^1\.\d{2}$/, {
    message: 'must be a Kubernetes minor version such as "1.33" (no patch: auto-upgrade owns patches)',
  }),
  tier: z.enum(["Free", "Standard"]),
  systemPool: z.strictObject({ vmSize, count: int(1, 10) }),
  userPool: z.strictObject({ vmSize, minCount: int(1, 100), maxCount: int(1, 100), maxPods: int(30, 250) }),
  apiServer: z.strictObject({
    /** A private cluster's API server has no public endpoint at all. */
    private: z.boolean(),
    /** When not private: the only source ranges allowed to reach the public API endpoint. */
    authorizedIpRanges: z.array(cidr),
  }),
  /** Entra ID groups that get cluster-admin through Azure RBAC. */
  adminGroupObjectIds: z
    .array(z.string().regex(UUID_RE, { message: "must be an Entra ID object id (a UUID)" }))
    .min(1, { message: "needs at least one Entra ID group object id, or nobody can administer the cluster" }),
  /**
   * What runs `pulumi up` (it gets cluster-admin through Azure RBAC): "User" for `az login` as a person,
   * "ServicePrincipal" for CI (service principal or managed identity), or "auto" (default): detected from
   * the azure-native provider's credential settings (infra/azure/deployer.ts).
   */
  deployerPrincipalType: z
    .enum(["auto", "User", "ServicePrincipal"], {
      message: 'must be "auto", "User" (az login as a person) or "ServicePrincipal" (CI / managed identity)',
    })
    .default("auto"),
  /**
   * Only channels that keep the minor version we pin: "stable"/"rapid" would move the minor behind
   * Pulumi's back and the next `pulumi up` would try to downgrade it. Minor upgrades are a config change.
   */
  upgradeChannel: z.enum(["patch", "node-image"], {
    message: 'must be "patch" or "node-image": minor upgrades happen by changing aks.kubernetesVersion',
  }),
  nodeOsUpgradeChannel: z.enum(["NodeImage", "SecurityPatch"]),
  maintenanceWindow: z.strictObject({
    dayOfWeek: z.enum(MAINTENANCE_DAYS),
    startTime: hhmm,
    durationHours: int(4, 24),
    utcOffset: z.string().regex(/^[+-]\d{2}:\d{2}$/, { message: 'must be a UTC offset such as "+00:00"' }),
  }),
});

export const logAnalyticsSchema = z.strictObject({
  retentionDays: int(30, 730),
  dailyQuotaGb: z.number().min(-1),
});

export const keyVaultSchema = z.strictObject({
  /** Create-only: Azure fixes the soft-delete retention when the vault is created. */
  softDeleteRetentionDays: int(7, 90),
  purgeProtection: z.boolean(),
  /**
   * Public source ranges of deploy runners outside the VNet that write and delete secrets through the
   * vault's data plane (inside the VNet they use the private endpoint). Empty: only the VNet.
   */
  deployerIpRanges: z.array(cidr).default([]),
});
/**
 * The container registry the app images come from: created per environment (acragents<env>), or an
 * existing one by resource id. The kubelet identity gets AcrPull on it.
 */
export const registrySchema = z
  .strictObject({
    existingId: z
      .string()
      .regex(
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/[A-Za-z0-9]+$/i,
        {
          message:
            "must be a container registry resource id: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>",
        },
      )
      .optional(),
    sku: z.enum(["Basic", "Standard", "Premium"]).default("Premium"),
    /** false: no public endpoint (Premium); nodes pull through a private endpoint, releases arrive by `az acr import`. */
    publicNetworkAccess: z.boolean().default(false),
  })
  .default({ sku: "Premium", publicNetworkAccess: false });
/**
 * Where CI's `pulumi up` runs and how it reaches the API server and Key Vault (infra/azure/deployRunner.ts
 * says which shapes work and why GitHub-hosted runners do not).
 */
export const deploySchema = z
  .strictObject({
    runner: z.enum(["selfHosted", "staticEgress", "workstation", "githubHosted"], {
      message:
        'must be "selfHosted" (a runner in the VNet), "staticEgress" (runners with fixed egress IPs) or "workstation" (no CI deploy)',
    }),
    /** selfHosted: the runner's subnet in network.vnetCidr (created with a NAT gateway and a static egress IP). */
    runnerSubnetCidr: cidr.optional(),
    /** The `runs-on` labels the deploy workflows use; default [self-hosted, linux, x64, monitoring-platform-<stack>]. */
    runnerLabels: z
      .array(z.string().regex(/^[^\s,]+$/, { message: "must be a runner label (no spaces or commas)" }))
      .min(1)
      .optional(),
    /** staticEgress: the runners' fixed public egress ranges (inside the API server's and Key Vault's ranges). */
    egressIpRanges: z.array(cidr).default([]),
  })
  .default({ runner: "workstation", egressIpRanges: [] });
export type DeployConfig = z.infer<typeof deploySchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type AksConfig = z.infer<typeof aksSchema>;
export type KeyVaultConfig = z.infer<typeof keyVaultSchema>;
export type RegistryConfig = z.infer<typeof registrySchema>;

/** The subnets of `network` (the deploy runner's, when there is one, is checked beside them). */
export const SUBNET_KEYS = ["aksNodesCidr", "postgresCidr", "endpointsCidr"] as const;

/** Subnets inside the VNet and apart from each other; pod and service ranges apart from both. */
export function checkNetwork(n: NetworkConfig, issue: Issue): void {
  const vnet = parseCidr(n.vnetCidr);
  const subnets = SUBNET_KEYS.map((k) => ({
    k,
    c: parseCidr(n[k]),
  }));
  if (!vnet) return;
  for (const { k, c } of subnets) {
    if (c && !contains(vnet, c)) issue(["network", k], `${n[k]} is outside network.vnetCidr ${n.vnetCidr}`);
  }
  // A subnet that overlaps several others is the one that moved: blame it once, not each of the others.
  const pairs: [number, number][] = [];
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const a = subnets[i]!.c;
      const b = subnets[j]!.c;
      if (a && b && overlaps(a, b)) pairs.push([i, j]);
    }
  }
  const partners = (i: number) => pairs.filter((p) => p.includes(i)).map(([a, b]) => (a === i ? b : a));
  const culprit = subnets.findIndex((_, i) => partners(i).length > 1);
  const named = (i: number) => `network.${subnets[i]!.k} ${n[subnets[i]!.k]}`;
  if (culprit >= 0) {
    const k = subnets[culprit]!.k;
    issue(
      ["network", k],
      `${n[k]} overlaps ${partners(culprit).map(named).join(" and ")}: give each subnet its own range`,
    );
  } else {
    for (const [i, j] of pairs) {
      const b = subnets[j]!.k;
      issue(["network", b], `${n[b]} overlaps ${named(i)}: give each subnet its own range`);
    }
  }
  const pod = parseCidr(n.podCidr);
  const svc = parseCidr(n.serviceCidr);
  if (pod && overlaps(pod, vnet))
    issue(["network", "podCidr"], `${n.podCidr} overlaps the VNet ${n.vnetCidr}`);
  if (svc && overlaps(svc, vnet))
    issue(["network", "serviceCidr"], `${n.serviceCidr} overlaps the VNet ${n.vnetCidr}`);
  if (svc && pod && overlaps(svc, pod))
    issue(["network", "serviceCidr"], `${n.serviceCidr} overlaps network.podCidr`);
  const dns = parseIp(n.dnsServiceIp);
  if (svc && dns !== undefined && (dns < svc.start || dns > svc.end)) {
    issue(
      ["network", "dnsServiceIp"],
      `${n.dnsServiceIp} must lie inside network.serviceCidr ${n.serviceCidr}`,
    );
  }
}

/** The AKS settings that depend on each other. */
export function checkAks(a: AksConfig, issue: Issue): void {
  if (a.userPool.minCount > a.userPool.maxCount) {
    issue(["aks", "userPool", "minCount"], "must not exceed aks.userPool.maxCount");
  }
  // Both pools boot from an ephemeral OS disk on the VM's local disk (infra/azure/aksPlan.ts): refuse a size
  // that has none, naming the nearest size that has one ("s" -> "ds").
  for (const pool of ["systemPool", "userPool"] as const) {
    const size = a[pool].vmSize;
    if (ephemeralOsDisk(size)) continue;
    const withDisk = size.replace(/^(Standard_[DE]\d+(?:-\d+)?a?l?)s_v5$/, "$1ds_v5");
    const suggestion = withDisk !== size && ephemeralOsDisk(withDisk) ? withDisk : "Standard_D4ds_v5";
    issue(
      ["aks", pool, "vmSize"],
      `must be "${suggestion}" or another v5 size with a local temp disk ("ds" in the name): ${size} has none ` +
        "known to hold the ephemeral OS disk both pools boot from",
    );
  }
  if (!a.apiServer.private && a.apiServer.authorizedIpRanges.length === 0) {
    issue(
      ["aks", "apiServer", "authorizedIpRanges"],
      "is empty while aks.apiServer.private is false: list the source ranges allowed to reach the API server, or make the cluster private",
    );
  }
  a.apiServer.authorizedIpRanges.forEach((r, i) => {
    if (parseCidr(r)?.prefix === 0) {
      issue(
        ["aks", "apiServer", "authorizedIpRanges", i],
        "must not be 0.0.0.0/0: that is the whole internet",
      );
    }
  });
}
