/**
 * The monitoring part of the stack config (Prometheus, Alertmanager, Grafana, SLOs, routing hours): schema,
 * type and the checks within the area; infra/config.ts composes it.
 */
import { z } from "zod";
import {
  DNS_LABEL_RE,
  duration,
  hhmm,
  httpsUrl,
  int,
  PROJECT,
  quantity,
  timeZone,
  UUID_RE,
  WEEKDAYS,
  type Issue,
} from "../configSchema";
import { AZURE_REGIONS } from "../regions";

export const monitoringSchema = z.strictObject({
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
  /**
   * Prometheus remote-writes to an Azure Monitor workspace (managed Prometheus), so metrics and queries
   * outlive the cluster: docs/remote-write.md. `workspaceId`: an existing workspace (one for many
   * clusters, or the one a rebuilt cluster reconnects to) in `location`; without it the stack creates
   * `amw-agents-<stack>` in its own resource group.
   */
  remoteWrite: z
    .strictObject({
      enabled: z.boolean(),
      workspaceId: z
        .string()
        .regex(
          /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Monitor\/accounts\/[^/]+$/i,
          {
            message:
              "must be an Azure Monitor workspace resource id: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Monitor/accounts/<name>",
          },
        )
        .optional(),
      /** Region of the workspace and of the ingestion endpoint and rule made for it (default: the stack's). */
      location: z.enum(AZURE_REGIONS, { message: "must be an Azure region such as westeurope" }).optional(),
    })
    .default({ enabled: false }),
  slackChannels: z.strictObject({
    critical: z.string().regex(/^#[-a-z0-9_]+$/, { message: "must be a Slack channel such as #incidents" }),
    warning: z.string().regex(/^#[-a-z0-9_]+$/, { message: "must be a Slack channel such as #on-call" }),
    info: z.string().regex(/^#[-a-z0-9_]+$/, { message: "must be a Slack channel such as #alerts" }),
  }),
});

export type MonitoringConfig = z.infer<typeof monitoringSchema>;

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

export function checkMonitoring(m: MonitoringConfig, issue: Issue): void {
  // Azure Monitor requires the data collection endpoint and rule in the workspace's region, which the
  // program cannot read from an id before the workspace is looked up.
  if (m.remoteWrite.enabled && m.remoteWrite.workspaceId && !m.remoteWrite.location) {
    issue(
      ["monitoring", "remoteWrite", "location"],
      `is required with monitoring.remoteWrite.workspaceId (${m.remoteWrite.workspaceId}): the ingestion ` +
        "endpoint and rule are created in the workspace's region. Fix: " +
        `pulumi config set --path '${PROJECT}:monitoring.remoteWrite.location' <the workspace's region, e.g. westeurope>`,
    );
  }
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
  if (m.businessHours.start >= m.businessHours.end) {
    issue(["monitoring", "businessHours", "end"], "must be later than monitoring.businessHours.start");
  }
}
