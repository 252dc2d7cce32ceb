/**
 * The stack configuration: one schema for everything, parsed and validated once at program start.
 *
 * Dev and prod differ only by their stack files (Pulumi.<stack>.yaml). Anything a component needs comes
 * from the frozen object returned here; components never read `pulumi.Config` themselves.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { contains, overlaps, parseCidr, parseIp } from "./cidr";
import { postgresConfigProblems } from "./data/postgresPlan";
import { redisConfigProblems } from "./data/redisPlan";
import { appConfigProblems } from "./apps/blueGreenPlan";
import { providerAuthConfig, type ProviderAuthConfig } from "./azure/deployer";
import { registryConfigProblems } from "./azure/registryPlan";
import { ingressConfigProblems } from "./apps/ingressPlan";
import { recoveryProblems, recoverySchema } from "./recovery";
import { findPlaceholders } from "./placeholders";
import { isOfflineRender } from "./runMode";
import { AZURE_REGIONS } from "./regions";

/** The Pulumi project name; config keys are `<PROJECT>:<key>`. */
export const PROJECT = "monitoring-platform";

export { AZURE_REGIONS };

// Standard_D4s_v5, Standard_D8ds_v5, Standard_B2s, Standard_E16as_v6, Standard_D2pds_v6 ...
const VM_SIZE_RE = /^Standard_[A-Z]{1,3}\d{1,3}(-\d{1,3})?[a-z]*(_v\d)?$/;
const IMAGE_TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DNS_LABEL_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DURATION_RE = /^\d+(s|m|h|d|w)$/;
const QUANTITY_RE = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/;
const HHMM_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: "must be an IPv4 network in CIDR notation with no host bits set, e.g. 10.20.0.0/16",
});
const vmSize = z.string().regex(VM_SIZE_RE, {
  message: "must be an Azure VM size such as Standard_D4ds_v5 (case-sensitive, with the Standard_ prefix)",
});
const duration = (example: string) =>
  z.string().regex(DURATION_RE, { message: `must be a Prometheus duration such as ${example}` });
const quantity = (example: string) =>
  z.string().regex(QUANTITY_RE, { message: `must be a Kubernetes quantity such as ${example}` });
const hhmm = z.string().regex(HHMM_RE, { message: "must be a 24-hour time HH:MM, e.g. 09:00" });
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be an IANA time zone such as Europe/Berlin or America/New_York" },
);
const httpsUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith("https://"), { message: "must be an https:// URL" });

/**
 * Storage sizes Flexible Server offers on Premium SSD (learn.microsoft.com/azure/postgresql/flexible-server/
 * concepts-storage: 32 GiB to 32 TiB in these steps); any other number is refused by ARM.
 */
export const POSTGRES_STORAGE_SIZES_GB = [
  32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768,
] as const;

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
const MAINTENANCE_DAYS = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
] as const;

const networkSchema = z.strictObject({
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
});

const aksSchema = z.strictObject({
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

const monitoringSchema = z.strictObject({
  namespace: z.string().regex(DNS_LABEL_RE, { message: "must be a DNS label" }),
  prometheus: z.strictObject({
    replicas: int(1, 5),
    retention: duration("15d"),
    retentionSize: z.string().regex(/^\d+(MB|GB|TB)$/, { message: "must be a size such as 45GB" }),
    storageSize: quantity("50Gi"),
    storageClass: z.string().min(1),
    scrapeInterval: duration("30s"),
    evaluationInterval: duration("30s"),
    cpuRequest: quantity("500m"),
    memoryRequest: quantity("2Gi"),
    memoryLimit: quantity("4Gi"),
  }),
  alertmanager: z.strictObject({ replicas: int(1, 5), storageSize: quantity("5Gi") }),
  /** One Grafana replica on a volume: dashboards are code, so there is little state to make HA. */
  grafana: z.strictObject({
    storageSize: quantity("10Gi"),
    /**
     * Where people open Grafana: the ingress host is taken from this URL (one value, never two), and
     * alert links point here. A bare origin: Grafana is served at the root of its host.
     */
    url: httpsUrl.refine((u) => /^https:\/\/[a-z0-9.-]+\/?$/i.test(u), {
      message: "must be a bare https://<host> without path, port or query, e.g. https://grafana.example.com",
    }),
    /** Sign-in through Microsoft Entra ID (the app registration is created once by hand: README). */
    entra: z.strictObject({
      /** Application (client) id of the Grafana app registration. */
      clientId: z.string().regex(UUID_RE, { message: "must be the app registration's client id (a UUID)" }),
      /** Entra group object ids whose members become Grafana Admin / Editor / Viewer. */
      adminGroupObjectIds: z
        .array(z.string().regex(UUID_RE, { message: "must be an Entra group object id" }))
        .min(1),
      editorGroupObjectIds: z
        .array(z.string().regex(UUID_RE, { message: "must be an Entra group object id" }))
        .default([]),
      viewerGroupObjectIds: z
        .array(z.string().regex(UUID_RE, { message: "must be an Entra group object id" }))
        .min(1),
    }),
  }),
  /** Base URL under which docs/runbooks/<AlertName>.md is browsable. */
  runbookBaseUrl: httpsUrl,
  slo: z.strictObject({
    /** Share of agent requests that must succeed over 30 days. */
    availabilityTarget: z.number().min(0.9).max(0.99999),
    /** Share of agent requests that must finish within 2 s over 30 days. */
    latencyTarget: z.number().min(0.9).max(0.99999),
  }),
  llmDailyTokenBudget: z.number().int().positive(),
  businessHours: z.strictObject({
    timeZone,
    weekdays: z.array(z.enum(WEEKDAYS)).min(1),
    start: hhmm,
    end: hhmm,
  }),
  slackChannels: z.strictObject({
    critical: z.string().regex(/^#[-a-z0-9_]+$/, { message: "must be a Slack channel such as #incidents" }),
    warning: z.string().regex(/^#[-a-z0-9_]+$/, { message: "must be a Slack channel such as #on-call" }),
    info: z.string().regex(/^#[-a-z0-9_]+$/, { message: "must be a Slack channel such as #alerts" }),
  }),
});

const postgresSchema = z.strictObject({
  /** Major version, pinned: a major upgrade is a deliberate change, never a side effect. */
  version: z.enum(["14", "15", "16", "17"]),
  skuName: z
    .string()
    .regex(/^Standard_[A-Z]/, { message: "must be a Flexible Server SKU such as Standard_D2ds_v5" }),
  skuTier: z.enum(["Burstable", "GeneralPurpose", "MemoryOptimized"]),
  /**
   * Initial disk size: one of the sizes Azure offers (Premium SSD tiers). Auto-grow raises it later; the
   * program then keeps the larger live size (Azure cannot shrink a disk, infra/data/postgres.ts).
   */
  storageSizeGb: z.number().refine((n) => (POSTGRES_STORAGE_SIZES_GB as readonly number[]).includes(n), {
    message: `must be a size Azure offers: ${POSTGRES_STORAGE_SIZES_GB.join(", ")} (GiB)`,
  }),
  highAvailability: z.enum(["Disabled", "SameZone", "ZoneRedundant"]),
  geoRedundantBackup: z.boolean(),
  backupRetentionDays: int(7, 35),
  maxConnections: int(25, 5000),
  adminLogin: z.string().regex(/^[a-z][a-z0-9_]{2,62}$/, { message: "must be a lower-case identifier" }),
  /** The Entra ID administrator (a group, ideally): Entra authentication is useless without one. */
  entraAdmin: z.strictObject({
    objectId: z.string().regex(UUID_RE, { message: "must be an Entra ID object id (a UUID)" }),
    principalName: z.string().min(1),
    principalType: z.enum(["Group", "User", "ServicePrincipal"]),
  }),
  databases: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/)).min(1),
});

const redisSchema = z.strictObject({
  /** Azure Managed Redis SKU, e.g. Balanced_B0 (dev) or Balanced_B5 (prod). */
  skuName: z.string().regex(/^(Balanced|MemoryOptimized|ComputeOptimized|FlashOptimized)_[A-Z]\d+$/, {
    message: "must be an Azure Managed Redis SKU such as Balanced_B1",
  }),
  highAvailability: z.boolean(),
});

const colorDeploymentSchema = z.strictObject({
  tag: z
    .string()
    .regex(IMAGE_TAG_RE, { message: "must be an image tag such as 1.4.2" })
    .refine((t) => t !== "latest", {
      message: 'must be an immutable tag, not "latest" (rollback needs a fixed tag)',
    }),
  replicas: int(0, 100),
});

const appSchema = z.strictObject({
  name: z.string().regex(DNS_LABEL_RE, { message: "must be a DNS label" }),
  namespace: z.string().regex(DNS_LABEL_RE, { message: "must be a DNS label" }),
  /** Image repository without tag, e.g. myregistry.azurecr.io/agent-api. */
  image: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, {
    message: "must be an image repository without tag, e.g. acragentsprod.azurecr.io/agent-api",
  }),
  port: int(1024, 65535),
  /** HTTP paths of the app's probes on `port` (the agent API serves /health). */
  probes: z
    .strictObject({
      livenessPath: z
        .string()
        .regex(/^\/[\w./-]*$/, { message: "must be an absolute URL path such as /health" }),
      readinessPath: z
        .string()
        .regex(/^\/[\w./-]*$/, { message: "must be an absolute URL path such as /health" }),
    })
    .default({ livenessPath: "/health", readinessPath: "/health" }),
  /** Numeric uid the containers run as (restricted Pod Security: never root). */
  runAsUser: int(1, 2147483647).default(10001),
  /**
   * Public entry: the AKS app-routing (managed NGINX) Ingress for `hostname`. Its TLS certificate is issued
   * and renewed by cert-manager through ACME DNS-01 in the Azure DNS zone `dnsZoneId` (workload identity, no
   * human step; see infra/kubernetes/certManager.ts); the app-routing add-on also keeps the hostname's A record
   * in that zone pointing at the ingress. The blackbox exporter probes https://<hostname><probes.readinessPath>.
   */
  ingress: z.strictObject({
    hostname: z.string().regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, {
      message: "must be a DNS name such as agents.example.com",
    }),
    /** Resource id of the public Azure DNS zone that holds `hostname` (delegated to Azure DNS once, by hand). */
    dnsZoneId: z
      .string()
      .regex(
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/dnszones\/[a-z0-9.-]+$/i,
        {
          message:
            "must be an Azure DNS zone resource id: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/dnszones/<zone>",
        },
      ),
    /** ACME account e-mail: Let's Encrypt writes here when a certificate is about to expire unrenewed. */
    acmeEmail: z.string().email({ message: "must be an e-mail address for the ACME account" }),
    /** "production" issues trusted certificates; "staging" is for trying the setup (untrusted, high limits). */
    acmeServer: z.enum(["production", "staging"]).default("production"),
  }),
  /** Namespace of the ingress controller allowed to reach the app (AKS app routing by default). */
  ingressNamespace: z
    .string()
    .regex(DNS_LABEL_RE, { message: "must be a DNS label" })
    .default("app-routing-system"),
  /**
   * HTTPS (443) egress the app needs besides Postgres, Redis and DNS: the LLM provider. By name (Cilium FQDN
   * policy; needs the AKS Advanced Container Networking security feature, enabled when this list is not
   * empty) and/or by CIDR. `*.openai.azure.com` matches any Azure OpenAI resource; list your own
   * (`<resource>.openai.azure.com`, `api.openai.com`, …) to narrow it.
   */
  httpsEgressFqdns: z
    .array(
      z.string().regex(/^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, {
        message:
          "must be a DNS name, optionally starting with *. (e.g. myaoai.openai.azure.com or *.openai.azure.com)",
      }),
    )
    .default(["*.openai.azure.com"]),
  httpsEgressCidrs: z.array(cidr).default([]),
  activeColor: z.enum(["blue", "green"], { message: 'must be "blue" or "green"' }),
  blue: colorDeploymentSchema,
  green: colorDeploymentSchema,
  autoscaling: z.strictObject({
    minReplicas: int(1, 100),
    maxReplicas: int(1, 200),
    cpuUtilization: int(10, 95),
  }),
  resources: z.strictObject({
    cpuRequest: quantity("250m"),
    memoryRequest: quantity("256Mi"),
    cpuLimit: quantity("1"),
    memoryLimit: quantity("512Mi"),
  }),
  promotion: z.strictObject({
    window: duration("10m"),
    maxErrorRatio: z.number().min(0).max(1),
    maxP95Seconds: z.number().positive(),
    minRequests: z.number().int().min(1),
  }),
});

/** Secret stack values (set with `pulumi config set --secret`); never printed. */
export const SECRET_KEYS = [
  "pagerdutyRoutingKey",
  "slackWebhookUrlCritical",
  "slackWebhookUrlWarning",
  "slackWebhookUrlInfo",
  "heartbeatUrl",
  "grafanaEntraClientSecret",
] as const;
const secretValue = z
  .string()
  .min(1, { message: "must not be empty" })
  .refine((s) => !/\s/.test(s), { message: "must not contain whitespace" });

export const configSchema = z
  .strictObject({
    /** Which rule set applies: prod refuses settings that trade away durability or availability. */
    environment: z.enum(["dev", "prod"]),
    location: z.enum(AZURE_REGIONS, { message: `must be an Azure region such as westeurope` }),
    /** `protect` on stateful resources: a `pulumi up`/`destroy` cannot delete them. */
    protect: z.boolean(),
    /** Spread AKS nodes, Postgres HA and Redis over availability zones 1-3. */
    zoneRedundant: z.boolean(),
    tags: z.record(z.string(), z.string()).default({}),
    network: networkSchema,
    logAnalytics: z.strictObject({ retentionDays: int(30, 730), dailyQuotaGb: z.number().min(-1) }),
    aks: aksSchema,
    keyVault: z.strictObject({
      /** Create-only: Azure fixes the soft-delete retention when the vault is created. */
      softDeleteRetentionDays: int(7, 90),
      purgeProtection: z.boolean(),
      /**
       * Public source ranges of deploy runners outside the VNet that write and delete secrets through the
       * vault's data plane (inside the VNet they use the private endpoint). Empty: only the VNet.
       */
      deployerIpRanges: z.array(cidr).default([]),
    }),
    /**
     * The container registry the app images come from: created per environment (acragents<env>), or an
     * existing one by resource id. The kubelet identity gets AcrPull on it.
     */
    registry: z
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
      .default({ sku: "Premium", publicNetworkAccess: false }),
    monitoring: monitoringSchema,
    postgres: postgresSchema,
    redis: redisSchema,
    app: appSchema,
    pagerdutyRoutingKey: secretValue,
    /** One Slack incoming webhook per channel: a webhook posts only to the channel it was created for. */
    slackWebhookUrlCritical: secretValue,
    slackWebhookUrlWarning: secretValue,
    slackWebhookUrlInfo: secretValue,
    heartbeatUrl: secretValue,
    /** Client secret of the Grafana Entra ID app registration (monitoring.grafana.entra.clientId). */
    grafanaEntraClientSecret: secretValue,
    /** Disaster recovery: rebuild another stack from its backups (see infra/recovery.ts); absent normally. */
    recovery: recoverySchema.optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    checkNetwork(c.network, issue);
    if (c.aks.userPool.minCount > c.aks.userPool.maxCount) {
      issue(["aks", "userPool", "minCount"], "must not exceed aks.userPool.maxCount");
    }
    if (!c.aks.apiServer.private && c.aks.apiServer.authorizedIpRanges.length === 0) {
      issue(
        ["aks", "apiServer", "authorizedIpRanges"],
        "is empty while aks.apiServer.private is false: list the source ranges allowed to reach the API server, or make the cluster private",
      );
    }
    c.aks.apiServer.authorizedIpRanges.forEach((r, i) => {
      if (parseCidr(r)?.prefix === 0) {
        issue(
          ["aks", "apiServer", "authorizedIpRanges", i],
          "must not be 0.0.0.0/0: that is the whole internet",
        );
      }
    });
    if (c.app.autoscaling.minReplicas > c.app.autoscaling.maxReplicas) {
      issue(["app", "autoscaling", "minReplicas"], "must not exceed app.autoscaling.maxReplicas");
    }
    checkMonitoring(c.monitoring, issue);
    if (c.monitoring.businessHours.start >= c.monitoring.businessHours.end) {
      issue(["monitoring", "businessHours", "end"], "must be later than monitoring.businessHours.start");
    }
    if (c.environment === "prod") checkProd(c, issue);
  });

type Issue = (path: (string | number)[], message: string) => void;

function checkNetwork(n: z.infer<typeof networkSchema>, issue: Issue): void {
  const vnet = parseCidr(n.vnetCidr);
  const subnets = (["aksNodesCidr", "postgresCidr", "endpointsCidr"] as const).map((k) => ({
    k,
    c: parseCidr(n[k]),
  }));
  if (!vnet) return;
  for (const { k, c } of subnets) {
    if (c && !contains(vnet, c)) issue(["network", k], `${n[k]} is outside network.vnetCidr ${n.vnetCidr}`);
  }
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const a = subnets[i]!;
      const b = subnets[j]!;
      if (a.c && b.c && overlaps(a.c, b.c)) {
        issue(
          ["network", b.k],
          `${n[b.k]} overlaps network.${a.k} ${n[a.k]}: give each subnet its own range`,
        );
      }
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

/**
 * Prometheus needs room on its volume beyond `retentionSize`: size-based retention deletes whole blocks only
 * after compaction has written the replacement, and the WAL and head chunks count towards the limit while
 * they grow (https://prometheus.io/docs/prometheus/latest/storage/#operational-aspects). A limit at or
 * near the volume size fills the disk before retention acts (and PrometheusTSDB/KubePersistentVolume
 * alerts page forever), so the limit may use at most 85 % of the volume.
 */
export const MAX_RETENTION_SHARE = 0.85;

/** Prometheus size units (B, KB, MB, GB, TB, PB) are powers of 1024, per its storage docs. */
export function prometheusSizeBytes(size: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(B|KB|MB|GB|TB|PB)$/.exec(size);
  if (!m) return undefined;
  const exp = ["B", "KB", "MB", "GB", "TB", "PB"].indexOf(m[2]!);
  return Number(m[1]) * 1024 ** exp;
}

/** A Kubernetes quantity (binary or decimal suffix) in bytes. */
export function quantityBytes(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(q);
  if (!m) return undefined;
  const factors: Record<string, number> = {
    "": 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    Pi: 1024 ** 5,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
  };
  return Number(m[1]) * factors[m[2] ?? ""]!;
}

function checkMonitoring(m: z.infer<typeof monitoringSchema>, issue: Issue): void {
  const limit = prometheusSizeBytes(m.prometheus.retentionSize);
  const volume = quantityBytes(m.prometheus.storageSize);
  if (limit !== undefined && volume !== undefined && limit > volume * MAX_RETENTION_SHARE) {
    const gib = Math.floor((volume * MAX_RETENTION_SHARE) / 1024 ** 3);
    issue(
      ["monitoring", "prometheus", "retentionSize"],
      `is ${m.prometheus.retentionSize}, more than ${MAX_RETENTION_SHARE * 100} % of monitoring.prometheus.storageSize ` +
        `${m.prometheus.storageSize}: Prometheus needs headroom for compaction and the WAL. Fix: ` +
        `pulumi config set --path '${PROJECT}:monitoring.prometheus.retentionSize' ${gib}GB ` +
        `(or raise monitoring.prometheus.storageSize)`,
    );
  }
  const groups = [
    ...m.grafana.entra.adminGroupObjectIds,
    ...m.grafana.entra.editorGroupObjectIds,
    ...m.grafana.entra.viewerGroupObjectIds,
  ];
  const seen = new Set<string>();
  for (const g of groups) {
    if (seen.has(g.toLowerCase())) {
      issue(
        ["monitoring", "grafana", "entra"],
        `group ${g} is listed for more than one Grafana role: give each group one role (the highest wins anyway)`,
      );
    }
    seen.add(g.toLowerCase());
  }
}

/** Prod may not trade durability or availability for cost; dev may (but never security). */
function checkProd(c: z.infer<typeof configSchema>, issue: Issue): void {
  const need = (ok: boolean, path: (string | number)[], message: string) => {
    if (!ok) issue(path, `${message} (required when environment is prod)`);
  };
  need(c.protect, ["protect"], "must be true so stateful resources cannot be deleted by an update");
  need(c.zoneRedundant, ["zoneRedundant"], "must be true so a zone outage does not take the platform down");
  need(c.aks.tier === "Standard", ["aks", "tier"], 'must be "Standard" (the Free tier has no uptime SLA)');
  need(c.aks.systemPool.count >= 3, ["aks", "systemPool", "count"], "must be at least 3, one node per zone");
  need(c.keyVault.purgeProtection, ["keyVault", "purgeProtection"], "must be true");
  need(
    c.postgres.highAvailability === "ZoneRedundant",
    ["postgres", "highAvailability"],
    'must be "ZoneRedundant"',
  );
  need(c.postgres.geoRedundantBackup, ["postgres", "geoRedundantBackup"], "must be true");
  need(c.postgres.backupRetentionDays >= 14, ["postgres", "backupRetentionDays"], "must be at least 14");
  need(c.redis.highAvailability, ["redis", "highAvailability"], "must be true");
  need(c.monitoring.prometheus.replicas >= 2, ["monitoring", "prometheus", "replicas"], "must be at least 2");
  need(
    c.monitoring.alertmanager.replicas >= 2,
    ["monitoring", "alertmanager", "replicas"],
    "must be at least 2",
  );
}

/** The validated, frozen stack configuration. Secret values stay plain here; see `PlatformConfig`. */
export type StackConfig = z.infer<typeof configSchema>;

/** Thrown for any invalid stack config; the message lists every problem with its key and fix. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    title = "Invalid stack configuration",
  ) {
    super(
      `${title} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.replace(/\n/g, "\n    ")}`).join("\n") +
        `\nRun the command under each problem, or edit Pulumi.<stack>.yaml (README "Config reference"): ` +
        `\`pulumi config set ${PROJECT}:<key> <value>\` for a top-level key, ` +
        `\`pulumi config set --path '${PROJECT}:<key>.<field>' <value>\` for a nested one, \`--secret\` for secrets.`,
    );
    this.name = "ConfigError";
  }
}

/** Renders a zod path as the config key users type: `monitoring-platform:aks.systemPool.count`. */
function keyOf(path: PropertyKey[]): string {
  if (path.length === 0) return `${PROJECT}:<root>`;
  const [head, ...rest] = path;
  return (
    `${PROJECT}:${String(head)}` +
    rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")
  );
}

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k] : undefined),
    obj,
  );
}

/** The zod schema of a config path (through defaults, optionals and arrays), for allowed values and types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySchema = any;
function unwrapSchema(s: AnySchema): AnySchema {
  let cur = s;
  while (cur?.def && ["default", "optional", "nullable", "prefault", "pipe"].includes(cur.def.type)) {
    cur = cur.def.type === "pipe" ? cur.def.in : cur.def.innerType;
  }
  return cur;
}
function schemaAt(path: PropertyKey[]): AnySchema {
  let cur: AnySchema = configSchema;
  for (const k of path) {
    cur = unwrapSchema(cur);
    if (cur?.def?.type === "object") cur = cur.shape[k as string];
    else if (cur?.def?.type === "array") cur = cur.def.element;
    else if (cur?.def?.type === "record") cur = cur.def.valueType;
    else return undefined;
  }
  return unwrapSchema(cur);
}

/** What a key accepts, in words ("an integer from 30 to 730", "one of: Free, Standard"), if the schema says. */
function allowedText(s: AnySchema): string | undefined {
  switch (s?.def?.type) {
    case "number": {
      const kind = s.isInt ? "an integer" : "a number";
      const lo = Number.isFinite(s.minValue) && Math.abs(s.minValue) < Number.MAX_SAFE_INTEGER;
      const hi = Number.isFinite(s.maxValue) && Math.abs(s.maxValue) < Number.MAX_SAFE_INTEGER;
      if (lo && hi) return `${kind} from ${s.minValue} to ${s.maxValue}`;
      if (lo) return `${kind} of at least ${s.minValue}`;
      if (hi) return `${kind} of at most ${s.maxValue}`;
      return kind;
    }
    case "enum":
      // Quoted when an option looks like a number: YAML `version: 16` is a number, not the string "16".
      return `one of: ${(s.options as unknown[]).map((o) => (/^[\d.]+$/.test(String(o)) ? `"${String(o)}"` : String(o))).join(", ")}`;
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
      return "an object";
    default:
      return undefined;
  }
}

/** Levenshtein distance: how many single-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidate closest to `word` (case-insensitive), if it is close enough to be a likely typo. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

const isSecretKey = (key: string) => SECRET_KEYS.includes(key as (typeof SECRET_KEYS)[number]);

/**
 * The `pulumi config set` command that sets `path` to `value`. Nested keys need `--path` (and quotes: the
 * brackets of list indexes are shell globs). With `--path`, Pulumi stores "true"/"false" as booleans and
 * integers as numbers and everything else as a string; top-level values are always strings
 * (https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/) — so a string that looks like a number
 * needs `--type string` and a fractional number `--type float`.
 */
export function setCommand(path: PropertyKey[], value: string): string {
  const key = keyOf(path);
  if (path.length === 1) {
    return `pulumi config set${isSecretKey(String(path[0])) ? " --secret" : ""} ${key} ${value}`;
  }
  const s = schemaAt(path);
  let type = "";
  const looksTyped = (v: string) => /^(-?\d+|true|false)$/.test(v);
  if (s?.def?.type === "number" && !s.isInt) type = " --type float";
  else if (s?.def?.type === "string" && looksTyped(value)) type = " --type string";
  else if (s?.def?.type === "enum" && (s.options as unknown[]).some((o) => looksTyped(String(o))))
    type = " --type string";
  return `pulumi config set --path${type} '${key}' ${value}`;
}

/** A value to put into the fix command: the nearest allowed one when the schema tells, else `<value>`. */
function suggestedValue(i: z.core.$ZodIssue, given: unknown, s: AnySchema): string {
  if (i.code === "too_small" && i.origin === "number") return String(i.minimum);
  if (i.code === "too_big" && i.origin === "number") return String(i.maximum);
  if (s?.def?.type === "enum") {
    const options = (s.options as unknown[]).map(String);
    return (typeof given === "string" && nearest(given, options)) || `<${options.join("|")}>`;
  }
  if (s?.def?.type === "boolean")
    return i.code === "custom" && /must be true/.test(i.message) ? "true" : "<true|false>";
  if (i.code === "custom" && /^must be true\b/.test(i.message)) return "true";
  // A number where a string belongs (YAML `kubernetesVersion: 1.33`): the same text, stored as a string.
  if (i.code === "invalid_type" && i.expected === "string" && typeof given === "number") return String(given);
  return "<value>";
}

/** zod's own wording ("Invalid input", "Too small: expected …"): replaced by ours; schema messages are kept. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid (input|option|string|type|element|key|value)|Too (small|big))/;

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

function describeIssue(i: z.core.$ZodIssue, raw: unknown): string {
  if (i.code === "unrecognized_keys") {
    const parent = schemaAt(i.path);
    const known = parent?.def?.type === "object" ? Object.keys(parent.shape as object) : [];
    const where = i.path.length ? ` under ${keyOf(i.path)}` : "";
    const lines = i.keys.map((k) => {
      const guess = nearest(k, known);
      const full = keyOf([...i.path, k]);
      const flag = i.path.length ? " --path" : "";
      return (
        `${full}: did you mean ${guess ? keyOf([...i.path, guess]) : `one of ${known.join(", ")}`}?\n` +
        `fix: pulumi config rm${flag} '${full}'` +
        (guess ? `; ${setCommand([...i.path, guess], "<value>")}` : "")
      );
    });
    return `unknown key${i.keys.length > 1 ? "s" : ""}${where}: ${i.keys.join(", ")} — ${lines.join("\n")}`;
  }
  const s = schemaAt(i.path);
  const given = valueAt(raw, i.path);
  const allowed = allowedText(s);
  // An empty list is filled item by item: `--path '<key>[0]'`.
  const fixPath = i.code === "too_small" && i.origin === "array" ? [...i.path, 0] : i.path;
  const fix = `fix: ${setCommand(fixPath, suggestedValue(i, given, s))}`;
  if (i.code !== "custom" && i.path.length > 0 && given === undefined) {
    const what = ZOD_DEFAULT_MESSAGE.test(i.message) ? allowed && `it takes ${allowed}` : `it ${i.message}`;
    return `${keyOf(i.path)} is missing: set it${what ? ` (${what})` : ""}\n${fix}`;
  }
  const secret = i.path.length === 1 && isSecretKey(String(i.path[0]));
  const got = secret ? "" : ` (got ${show(given)})`;
  let message = i.message;
  if (ZOD_DEFAULT_MESSAGE.test(message)) {
    if (i.code === "too_small" && i.origin === "array")
      message = `needs at least ${String(i.minimum)} item(s)`;
    else if (i.code === "too_big" && i.origin === "array")
      message = `takes at most ${String(i.maximum)} item(s)`;
    else if (i.code === "invalid_type" && !allowed) message = `must be a ${i.expected}`;
    else message = allowed ? `must be ${allowed}` : "has an invalid value";
  } else if (allowed && ["number", "enum", "boolean"].includes(s?.def?.type)) {
    message = `${message}; allowed: ${allowed}`;
  }
  return `${keyOf(i.path)} ${message}${got}\n${fix}`;
}

/**
 * Namespaces that legitimately appear in a stack file beside ours (provider and engine settings). A key in
 * another namespace is ignored unless that namespace looks like a typo of ours or of one of these: Pulumi
 * itself would silently ignore `monitoring-platfrom:location`, and the program would then report the key as
 * missing, or worse, use a default.
 */
export const KNOWN_NAMESPACES = [
  "pulumi",
  "azure-native",
  "azure",
  "azuread",
  "kubernetes",
  "random",
  "tls",
  "command",
  "aws",
  "gcp",
  "docker",
  "github",
  "cloudflare",
] as const;

/** Problem for a key of a misspelled namespace, or undefined for our own and other real namespaces. */
export function namespaceProblem(fullKey: string): string | undefined {
  const [ns, key] = splitKey(fullKey);
  if (ns === PROJECT || (KNOWN_NAMESPACES as readonly string[]).includes(ns)) return undefined;
  const guess =
    editDistance(ns, PROJECT) <= 3 || ns.includes("monitoring")
      ? PROJECT
      : ns.length >= 4
        ? nearest(ns, KNOWN_NAMESPACES)
        : undefined;
  if (!guess) return undefined;
  const rest = key ?? "<key>";
  return (
    `${fullKey}: unknown config namespace "${ns}" — did you mean "${guess}:${rest}"? ` +
    `Keys of "${ns}" are read by nobody, so this value is ignored.\n` +
    `fix: rename the key to ${guess}:${rest} in Pulumi.<stack>.yaml, or ` +
    `pulumi config rm '${fullKey}' and pulumi config set ${guess}:${rest} <value>`
  );
}

/**
 * Validates raw stack config (`{ "<project>:<key>": "<string or JSON>" }`, as Pulumi hands it over)
 * into a deeply frozen `StackConfig`. Keys of other real namespaces (`azure-native:*`, `pulumi:*`) are
 * ignored; a namespace that looks like a typo of ours (or of a provider's) is a problem.
 * Pure: throws `ConfigError` listing every problem; registers nothing. With `stack`, checks that need the
 * stack name (the per-environment registry the app image must come from) run too.
 */
export function parseStackConfig(raw: Record<string, string>, stack?: string): StackConfig {
  const obj: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [fullKey, value] of Object.entries(raw)) {
    const [ns, key] = splitKey(fullKey);
    if (ns !== PROJECT || key === undefined) {
      const problem = namespaceProblem(fullKey);
      if (problem) problems.push(problem);
      continue;
    }
    obj[key] = decodeValue(key, value, problems);
  }
  const result = configSchema.safeParse(obj);
  if (!result.success) problems.push(...result.error.issues.map((i) => describeIssue(i, obj)));
  else problems.push(...crossChecks(result.data, stack));
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(result.data!);
}

/**
 * Rules that live beside the planners that rely on them (Postgres SKU/HA, Redis HA, blue-green replicas),
 * run here so they too fail before any resource is registered.
 */
function crossChecks(c: StackConfig, stack: string | undefined): string[] {
  return [
    ...(stack === undefined ? [] : registryConfigProblems(stack, c.registry, c.app.image)),
    ...ingressConfigProblems(c.app.ingress),
    ...postgresConfigProblems(c.postgres, c.zoneRedundant),
    ...redisConfigProblems(c.redis, c.zoneRedundant),
    ...appConfigProblems(c.app),
    ...(c.recovery ? recoveryProblems(c.recovery, c, new Date()) : []),
  ];
}

function splitKey(fullKey: string): [string, string | undefined] {
  const idx = fullKey.indexOf(":");
  if (idx < 0) return [fullKey, undefined];
  // Pulumi may hand keys over as "<ns>:config:<key>"; strip the legacy infix.
  const rest = fullKey.slice(idx + 1).replace(/^config:/, "");
  return [fullKey.slice(0, idx), rest];
}

/** Pulumi stores scalars as strings and objects as JSON strings. */
function decodeValue(key: string, value: string, problems: string[]): unknown {
  if (isSecretKey(key)) return value;
  const t = value.trim();
  if (t === "true" || t === "false") return t === "true";
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch (e) {
      problems.push(
        `${PROJECT}:${key} is not valid JSON (${(e as Error).message}): check the stack file, ` +
          `or set the fields one by one with \`pulumi config set --path '${PROJECT}:${key}.<field>' <value>\``,
      );
      return undefined;
    }
  }
  return value;
}

/**
 * Throws when any config value is still an example from the stack files (infra/placeholders.ts): a first
 * `pulumi up` with them would lock everybody out of the API server or request a certificate for
 * example.com. Each key is named with what to set and the command to set it.
 */
export function refusePlaceholders(raw: Record<string, string>): void {
  const found = findPlaceholders(raw, PROJECT, SECRET_KEYS);
  if (found.length === 0) return;
  throw new ConfigError(
    found.map(
      (p) =>
        `${p.key} still holds the example ${p.value}: set ${p.hint}\nfix: ${setCommand(p.path, "<value>")}`,
    ),
    "The stack still holds example values that cannot be deployed; fill in before deploying",
  );
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The secret stack values, as Pulumi secrets (they never leave the program in plaintext). */
export type PlatformSecrets = Record<(typeof SECRET_KEYS)[number], pulumi.Output<string>>;

/** What components receive: the validated config without plaintext secrets, plus the secrets as outputs. */
export type PlatformConfig = Omit<StackConfig, (typeof SECRET_KEYS)[number]> & {
  project: string;
  stack: string;
  secrets: PlatformSecrets;
  /** The azure-native provider's credential settings (to detect how the deployer is logged in). */
  azureProvider: ProviderAuthConfig;
};

/**
 * Reads the whole stack config once, validates it and returns a frozen object. Throws `ConfigError`
 * before any resource is registered when anything is wrong.
 */
export function loadConfig(): PlatformConfig {
  const raw = pulumi.runtime.allConfig();
  const parsed = parseStackConfig(raw, pulumi.getStack());
  // The offline render evaluates the example stack files on purpose (and lists the examples in its summary).
  if (!isOfflineRender()) refusePlaceholders(raw);
  const secrets = Object.fromEntries(
    SECRET_KEYS.map((k) => [k, pulumi.secret(parsed[k])]),
  ) as PlatformSecrets;
  const rest = Object.fromEntries(
    Object.entries(parsed).filter(([k]) => !SECRET_KEYS.includes(k as (typeof SECRET_KEYS)[number])),
  ) as Omit<StackConfig, (typeof SECRET_KEYS)[number]>;
  return Object.freeze({
    ...rest,
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    secrets: Object.freeze(secrets),
    azureProvider: Object.freeze(providerAuthConfig(raw)),
  });
}
