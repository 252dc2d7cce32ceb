/**
 * postgres_exporter and redis_exporter in the monitoring namespace, scraped by the kube-prometheus-stack
 * Prometheus through ServiceMonitors with the job names of the metric contract (docs/metrics.md):
 * `postgres-exporter` and `redis-exporter`.
 *
 * Credentials never pass through Pulumi into the cluster: both exporters mount a Key Vault
 * SecretProviderClass (CSI) with their workload identity and read the files. Both read them once at start,
 * so a rotated credential needs a rollout restart (see infra/kubernetes/secretSync.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels } from "../naming";
import { VAULT_SECRETS } from "../azure/secrets";
import { csiSecretsVolume, registerSecretProviderClass, type VaultObject } from "../kubernetes/secretSync";
import {
  dnsEgressRule,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "../kubernetes/namespace";
import { REDIS_EXPORTER_PASSWORD_MAP_SECRET } from "./redis";

/** Pinned images: an exporter upgrade is a reviewed change (metric names do change between releases). */
export const EXPORTER_IMAGES = {
  postgres: "quay.io/prometheuscommunity/postgres-exporter:v0.18.1",
  redis: "oliver006/redis_exporter:v1.77.0",
} as const;

/** Job names the alert rules and dashboards query. */
export const EXPORTER_JOBS = { postgres: "postgres-exporter", redis: "redis-exporter" } as const;

const SECRETS_DIR = "/mnt/secrets";
const FILES = { postgresPassword: "postgres-password", redisPasswordMap: "redis-password-map.json" } as const;
// Both images are static binaries with no user of their own that we rely on: run as "nobody".
const UID = 65534;

export interface ExportersPlanInput {
  namespace: string;
  serviceAccountName: string;
  secretProviderClassName: string;
  /** Labels the Prometheus ServiceMonitor selector matches (kube-prometheus-stack: `release: <name>`). */
  serviceMonitorLabels: Record<string, string>;
  postgres: {
    /** Server FQDN. */
    host: pulumi.Input<string>;
    user: string;
    /** Database the exporter connects to (stats cover every database). */
    database: string;
    /** The Postgres subnet (egress is allowed there on 5432 only). */
    subnetCidr: string;
  };
  redis: {
    /** `rediss://<host>:10000` — the exact key of the password map. */
    address: pulumi.Input<string>;
    /** The private-endpoint subnet (egress is allowed there on 10000 only). */
    subnetCidr: string;
    port: number;
  };
}

interface ExporterSpec {
  key: "postgres" | "redis";
  job: string;
  image: string;
  port: number;
  healthPath: string;
  env: { name: string; value: pulumi.Input<string> }[];
  egress: { cidr: string; port: number };
}

/** The Key Vault objects the exporters mount (file names are what the env vars point at). */
export function exporterVaultObjects(): VaultObject[] {
  return [
    // The pg_monitor role's password, never the admin's (infra/data/postgresMonitorRole.ts).
    { objectName: VAULT_SECRETS.postgresMonitorPassword, key: FILES.postgresPassword },
    { objectName: REDIS_EXPORTER_PASSWORD_MAP_SECRET, key: FILES.redisPasswordMap },
  ];
}

/** `host:5432/db?sslmode=require`; plain string in, plain string out (tests), Output otherwise. */
function postgresUri(host: pulumi.Input<string>, database: string): pulumi.Input<string> {
  const uri = (h: string) => `${h}:5432/${database}?sslmode=require`;
  return typeof host === "string" ? uri(host) : pulumi.output(host).apply(uri);
}

function exporterSpecs(input: ExportersPlanInput): ExporterSpec[] {
  return [
    {
      key: "postgres",
      job: EXPORTER_JOBS.postgres,
      image: EXPORTER_IMAGES.postgres,
      port: 9187,
      // The landing page: answers without touching the database, so a database outage shows as pg_up=0
      // instead of a restarting exporter.
      healthPath: "/",
      env: [
        // sslmode=require: TLS always (the server refuses anything else: require_secure_transport=on).
        { name: "DATA_SOURCE_URI", value: postgresUri(input.postgres.host, input.postgres.database) },
        { name: "DATA_SOURCE_USER", value: input.postgres.user },
        { name: "DATA_SOURCE_PASS_FILE", value: `${SECRETS_DIR}/${FILES.postgresPassword}` },
      ],
      egress: { cidr: input.postgres.subnetCidr, port: 5432 },
    },
    {
      key: "redis",
      job: EXPORTER_JOBS.redis,
      image: EXPORTER_IMAGES.redis,
      port: 9121,
      healthPath: "/health",
      env: [
        // rediss:// = TLS; the server has no plaintext port.
        { name: "REDIS_ADDR", value: input.redis.address },
        // A JSON map { "<REDIS_ADDR>": "<key>" }: that is the format redis_exporter expects in this file.
        { name: "REDIS_PASSWORD_FILE", value: `${SECRETS_DIR}/${FILES.redisPasswordMap}` },
        // Azure Managed Redis blocks CONFIG; skip the config metrics instead of logging an error per scrape.
        { name: "REDIS_EXPORTER_CONFIG_COMMAND", value: "-" },
      ],
      egress: { cidr: input.redis.subnetCidr, port: input.redis.port },
    },
  ];
}

/** Pure: every Kubernetes object of both exporters (the SecretProviderClass is registered separately). */
export function exporterManifests(input: ExportersPlanInput) {
  const ns = input.namespace;
  const serviceAccount = {
    apiVersion: "v1" as const,
    kind: "ServiceAccount" as const,
    metadata: {
      name: input.serviceAccountName,
      namespace: ns,
      labels: k8sLabels("data-exporters", "metrics", "monitoring-platform"),
    },
    // The client id itself is set by the component (an output of the identity).
  };
  const exporters = exporterSpecs(input).map((e) => {
    const labels = k8sLabels(e.job, "metrics", "monitoring-platform");
    const selector = { "app.kubernetes.io/name": e.job, "app.kubernetes.io/instance": e.job };
    const deployment = {
      apiVersion: "apps/v1" as const,
      kind: "Deployment" as const,
      metadata: { name: e.job, namespace: ns, labels },
      spec: {
        // One scraper per target: two replicas would only duplicate every series.
        replicas: 1,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            // The workload identity webhook projects the federated token into pods with this label.
            labels: { ...labels, "azure.workload.identity/use": "true" },
          },
          spec: {
            serviceAccountName: input.serviceAccountName,
            // Exporters never talk to the Kubernetes API.
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(UID),
            containers: [
              {
                name: "exporter",
                image: e.image,
                imagePullPolicy: "IfNotPresent",
                env: e.env,
                ports: [{ name: "metrics", containerPort: e.port, protocol: "TCP" }],
                readinessProbe: {
                  httpGet: { path: e.healthPath, port: "metrics" },
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                },
                livenessProbe: {
                  httpGet: { path: e.healthPath, port: "metrics" },
                  initialDelaySeconds: 10,
                  periodSeconds: 20,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                resources: {
                  requests: { cpu: "25m", memory: "48Mi" },
                  limits: { cpu: "250m", memory: "128Mi" },
                },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: "keyvault", mountPath: SECRETS_DIR, readOnly: true }],
              },
            ],
            volumes: [csiSecretsVolume("keyvault", input.secretProviderClassName)],
          },
        },
      },
    };
    const service = {
      apiVersion: "v1" as const,
      kind: "Service" as const,
      // The Service name is the job name: that is the operator's default `job` label.
      metadata: { name: e.job, namespace: ns, labels },
      spec: {
        type: "ClusterIP",
        selector,
        ports: [{ name: "metrics", port: e.port, targetPort: "metrics", protocol: "TCP" }],
      },
    };
    const serviceMonitor = {
      apiVersion: "monitoring.coreos.com/v1" as const,
      kind: "ServiceMonitor" as const,
      metadata: {
        name: e.job,
        namespace: ns,
        labels: { ...labels, ...input.serviceMonitorLabels } as Record<string, string>,
      },
      spec: {
        selector: { matchLabels: selector },
        namespaceSelector: { matchNames: [ns] },
        endpoints: [
          {
            port: "metrics",
            path: "/metrics",
            // Explicit, so renaming the Service can never silently break the alert rules' job selector.
            relabelings: [{ action: "replace" as const, targetLabel: "job", replacement: e.job }],
          },
        ],
      },
    };
    const networkPolicy = {
      apiVersion: "networking.k8s.io/v1" as const,
      kind: "NetworkPolicy" as const,
      metadata: { name: e.job, namespace: ns, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        // Only Prometheus (same namespace) scrapes; the exporter reaches only DNS and its one target.
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } }],
            ports: [{ protocol: "TCP", port: e.port }],
          },
        ],
        egress: [
          dnsEgressRule(),
          { to: [{ ipBlock: { cidr: e.egress.cidr } }], ports: [{ protocol: "TCP", port: e.egress.port }] },
        ],
      },
    };
    return { key: e.key, job: e.job, deployment, service, serviceMonitor, networkPolicy };
  });
  return { serviceAccount, exporters };
}

export interface DataExportersArgs {
  /** The monitoring namespace (created by the monitoring stack). */
  namespace: string;
  /** Labels the Prometheus ServiceMonitor selector matches, e.g. `{ release: "kube-prometheus-stack" }`. */
  serviceMonitorLabels: Record<string, string>;
  /** Postgres server FQDN, the `pg_monitor` login role (PostgresMonitorRole.role) and the database. */
  postgres: { host: pulumi.Input<string>; user: string; database?: string; subnetCidr: string };
  /** Redis address (`Redis.address`), port and the private-endpoint subnet. */
  redis: { address: pulumi.Input<string>; port: number; subnetCidr: string };
  vaultName: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  /** Client id of the workload identity allowed to read the two exporter secrets (and nothing else). */
  workloadIdentityClientId: pulumi.Input<string>;
  /** The service account federated to that identity. Default `data-exporters`. */
  serviceAccountName?: string;
  provider: k8s.Provider;
  /** E.g. the monitoring stack: ServiceMonitor CRDs come with its chart. */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The two exporters with their identity, secrets mount, Services, ServiceMonitors and NetworkPolicies. */
export class DataExporters extends pulumi.ComponentResource {
  public readonly serviceAccountName: string;

  constructor(name: string, args: DataExportersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:data:DataExporters", name, {}, opts);
    const serviceAccountName = args.serviceAccountName ?? "data-exporters";
    const secretProviderClassName = `${serviceAccountName}-keyvault`;
    const plan = exporterManifests({
      namespace: args.namespace,
      serviceAccountName,
      secretProviderClassName,
      serviceMonitorLabels: args.serviceMonitorLabels,
      postgres: {
        host: args.postgres.host,
        user: args.postgres.user,
        database: args.postgres.database ?? "postgres",
        subnetCidr: args.postgres.subnetCidr,
      },
      redis: args.redis,
    });
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };

    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        ...plan.serviceAccount,
        metadata: {
          ...plan.serviceAccount.metadata,
          annotations: { "azure.workload.identity/client-id": args.workloadIdentityClientId },
        },
      },
      k8sOpts,
    );
    const spc = registerSecretProviderClass(
      `${name}-secrets`,
      {
        name: secretProviderClassName,
        namespace: args.namespace,
        vaultName: args.vaultName,
        tenantId: args.tenantId,
        clientId: args.workloadIdentityClientId,
        secrets: exporterVaultObjects(),
        labels: plan.serviceAccount.metadata.labels,
      },
      k8sOpts,
    );
    for (const e of plan.exporters) {
      new k8s.apps.v1.Deployment(`${name}-${e.key}`, e.deployment, {
        ...k8sOpts,
        // The pod cannot mount its secrets before the class and the identity annotation exist.
        dependsOn: [...(args.dependsOn ?? []), sa, spc],
      });
      new k8s.core.v1.Service(`${name}-${e.key}`, e.service, k8sOpts);
      new k8s.networking.v1.NetworkPolicy(`${name}-${e.key}`, e.networkPolicy, k8sOpts);
      new k8s.apiextensions.CustomResource(`${name}-${e.key}-monitor`, e.serviceMonitor, k8sOpts);
    }
    this.serviceAccountName = serviceAccountName;
    this.registerOutputs({});
  }
}
