import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { MonitoringConfig } from "./config";
import { k8sLabels } from "../naming";
import { repoRoot } from "../repoRoot";
import { VAULT_SECRETS } from "../azure/secrets";
import { registerSecretProviderClass } from "../kubernetes/secretSync";
import { alertmanagerConfig, validateAlertmanagerConfig } from "./alertmanager";
import { loadRuleFiles, ruleConstants } from "./rules";
import { BLACKBOX_CHART, BLACKBOX_RELEASE, blackboxValues, probeManifest } from "./blackbox";
import { loadDashboards, type Dashboard } from "./dashboards";
import {
  ALERTMANAGER_SECRET_DIR,
  CHART,
  GRAFANA_ADMIN_SECRET,
  helmValues,
  MONITORING_SECRET_PROVIDER_CLASS,
  MONITORING_SERVICE_ACCOUNT,
  RELEASE,
  SELECTOR_LABELS,
} from "./helmValues";

const REPO_ROOT = repoRoot();

export interface MonitoringStackArgs {
  monitoring: MonitoringConfig;
  zoneRedundant: boolean;
  environment: string;
  clusterName: pulumi.Input<string>;
  vaultName: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  /** Client id of the workload identity allowed to read the monitoring secrets. */
  workloadIdentityClientId: pulumi.Input<string>;
  provider: k8s.Provider;
  /** URLs probed from inside the cluster through the public path (availability, TLS expiry). */
  probeUrls: string[];
  /** The `service` label the probe series carry (routing and inhibition). */
  probeService: string;
  /** cert-manager ClusterIssuer that issues Grafana's TLS certificate (annotation on its Ingress). */
  clusterIssuer: pulumi.Input<string>;
  /** Remote write (`monitoring.remoteWrite.enabled`): the ingestion URL and Prometheus' identity. */
  remoteWrite?: {
    url: pulumi.Input<string>;
    clientId: pulumi.Input<string>;
    /** The workspace's PromQL endpoint: Grafana's second data source (known for a workspace made here). */
    queryEndpoint?: pulumi.Input<string | undefined>;
  };
}

/**
 * Everything read from the repository (rules, dashboards) and computed (Alertmanager), validated. `root`
 * is the checkout; nothing returned may depend on where it lives (test/dashboards.test.ts loads two copies).
 */
export function monitoringContent(monitoring: MonitoringConfig, root: string = REPO_ROOT) {
  const rules = loadRuleFiles(path.join(root, "rules"), {
    grafanaUrl: monitoring.grafana.url,
    runbookBaseUrl: monitoring.runbookBaseUrl,
    constants: ruleConstants(monitoring),
  });
  // Loaded, not linted: the lint (test/dashboardLint.ts) runs in the tests and CI.
  const dashboards = loadDashboards(path.join(root, "dashboards"));
  const alertmanager = alertmanagerConfig({
    businessHours: monitoring.businessHours,
    slackChannels: monitoring.slackChannels,
    secretDir: ALERTMANAGER_SECRET_DIR,
    grafanaUrl: monitoring.grafana.url,
  });
  validateAlertmanagerConfig(alertmanager);
  return { rules, dashboards, alertmanager };
}

/**
 * The sidecar ConfigMap of one dashboard. Its source annotation is the path inside the repository
 * (`dashboards/<folder>/<uid>.json`), never the absolute path of the checkout: that would make every
 * `pulumi up` from another folder or machine, and every pull-request diff, show all dashboards changed.
 */
export function dashboardConfigMap(d: Dashboard, namespace: string, labels: Record<string, string>) {
  return {
    metadata: {
      name: `dashboard-${d.uid}`,
      namespace,
      labels: { ...labels, grafana_dashboard: "1" },
      annotations: {
        grafana_folder: d.folder,
        "monitoring-platform/source": path.posix.join("dashboards", d.folder, path.basename(d.file)),
      },
    },
    data: { [`${d.uid}.json`]: d.json },
  };
}

/** Options of the stack's Kubernetes resources: always the cluster's provider. */
type K8sOpts = pulumi.CustomResourceOptions & { provider: k8s.Provider };

/**
 * kube-prometheus-stack (Prometheus, Alertmanager, Grafana, kube-state-metrics, node-exporter) with our
 * rules as PrometheusRule objects, dashboards as sidecar ConfigMaps, and receiver/admin secrets from Key
 * Vault. Rule files and the Alertmanager config are validated and dashboards loaded before anything is
 * registered: a broken file fails the whole deployment, never half of it (the dashboard lint runs in the
 * tests: test/dashboardLint.ts).
 */
export class MonitoringStack extends pulumi.ComponentResource {
  public readonly namespace: string;

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:monitoring:MonitoringStack", name, {}, opts);
    const content = monitoringContent(args.monitoring);
    const ns = args.monitoring.namespace;
    this.namespace = ns;
    const k8sOpts = { parent: this, provider: args.provider };
    const labels = k8sLabels("monitoring", "observability", "monitoring-platform");
    const namespace = this.monitoringNamespace(name, ns, labels, k8sOpts);
    const nsOpts = { ...k8sOpts, dependsOn: [namespace] };
    this.serviceAccount(name, args, ns, labels, nsOpts);
    const providerClass = this.secretProviderClass(name, args, ns, labels, nsOpts);
    const release = this.kubePrometheusStack(name, args, content, ns, {
      ...nsOpts,
      dependsOn: [namespace, providerClass],
    });
    this.rulesAndDashboards(name, content, ns, labels, k8sOpts, nsOpts, release);
    this.blackbox(name, args, ns, k8sOpts, nsOpts, release);
    this.registerOutputs({ namespace: ns });
  }

  private monitoringNamespace(
    name: string,
    ns: string,
    labels: Record<string, string>,
    k8sOpts: K8sOpts,
  ): k8s.core.v1.Namespace {
    // node-exporter needs hostNetwork/hostPID/hostPath: this namespace cannot enforce the restricted
    // Pod Security Standard; it warns and audits against it instead.
    return new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: ns,
          labels: {
            ...labels,
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/warn": "baseline",
            "pod-security.kubernetes.io/audit": "baseline",
          },
        },
      },
      k8sOpts,
    );
  }

  private serviceAccount(
    name: string,
    args: MonitoringStackArgs,
    ns: string,
    labels: Record<string, string>,
    nsOpts: K8sOpts,
  ): void {
    new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          name: MONITORING_SERVICE_ACCOUNT,
          namespace: ns,
          labels,
          annotations: { "azure.workload.identity/client-id": args.workloadIdentityClientId },
        },
      },
      nsOpts,
    );
  }

  /** Key Vault secrets mounted by Alertmanager (receivers) and Grafana (admin, Entra client secret). */
  private secretProviderClass(
    name: string,
    args: MonitoringStackArgs,
    ns: string,
    labels: Record<string, string>,
    nsOpts: K8sOpts,
  ) {
    return registerSecretProviderClass(
      `${name}-secret-provider-class`,
      {
        name: MONITORING_SECRET_PROVIDER_CLASS,
        namespace: ns,
        labels,
        vaultName: args.vaultName,
        tenantId: args.tenantId,
        clientId: args.workloadIdentityClientId,
        secrets: [
          { objectName: VAULT_SECRETS.grafanaAdminUser, key: "admin-user" },
          { objectName: VAULT_SECRETS.grafanaAdminPassword, key: "admin-password" },
          { objectName: VAULT_SECRETS.pagerdutyRoutingKey, key: VAULT_SECRETS.pagerdutyRoutingKey },
          ...[
            VAULT_SECRETS.slackWebhookUrlCritical,
            VAULT_SECRETS.slackWebhookUrlWarning,
            VAULT_SECRETS.slackWebhookUrlInfo,
          ].map((objectName) => ({ objectName, key: objectName })),
          { objectName: VAULT_SECRETS.heartbeatUrl, key: VAULT_SECRETS.heartbeatUrl },
          {
            objectName: VAULT_SECRETS.grafanaEntraClientSecret,
            key: VAULT_SECRETS.grafanaEntraClientSecret,
          },
        ],
        syncAs: { secretName: GRAFANA_ADMIN_SECRET, type: "Opaque", keys: ["admin-user", "admin-password"] },
      },
      nsOpts,
    );
  }

  private kubePrometheusStack(
    name: string,
    args: MonitoringStackArgs,
    content: ReturnType<typeof monitoringContent>,
    ns: string,
    releaseOpts: K8sOpts,
  ): k8s.helm.v3.Release {
    const values = pulumi
      .all([
        args.clusterName,
        args.workloadIdentityClientId,
        args.tenantId,
        args.clusterIssuer,
        args.remoteWrite
          ? pulumi.all([args.remoteWrite.url, args.remoteWrite.clientId, args.remoteWrite.queryEndpoint])
          : undefined,
      ])
      .apply(([cluster, clientId, tenantId, clusterIssuer, remoteWrite]) =>
        helmValues({
          monitoring: args.monitoring,
          zoneRedundant: args.zoneRedundant,
          alertmanagerConfig: content.alertmanager as unknown as Record<string, unknown>,
          workloadIdentityClientId: clientId,
          cluster,
          environment: args.environment,
          tenantId,
          clusterIssuer,
          remoteWrite: remoteWrite
            ? { url: remoteWrite[0], clientId: remoteWrite[1], queryEndpoint: remoteWrite[2] }
            : undefined,
        }),
      );
    return new k8s.helm.v3.Release(
      `${name}-kube-prometheus-stack`,
      {
        name: RELEASE,
        namespace: ns,
        chart: CHART.name,
        version: CHART.version,
        repositoryOpts: { repo: CHART.repo },
        values,
        // Wait for the workloads so rules/dashboards land on a running stack; fail after 15 minutes.
        timeout: 900,
        atomic: true,
        cleanupOnFail: true,
      },
      releaseOpts,
    );
  }

  private rulesAndDashboards(
    name: string,
    content: ReturnType<typeof monitoringContent>,
    ns: string,
    labels: Record<string, string>,
    k8sOpts: K8sOpts,
    nsOpts: K8sOpts,
    release: k8s.helm.v3.Release,
  ): void {
    // PrometheusRule CRDs come with the chart.
    const crOpts = { ...k8sOpts, dependsOn: [release] };
    for (const file of content.rules) {
      new k8s.apiextensions.CustomResource(
        `${name}-rules-${file.name}`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: {
            name: `platform-${file.name}`,
            namespace: ns,
            labels: { ...labels, ...SELECTOR_LABELS },
            annotations: { "monitoring-platform/source": `rules/${file.file}` },
          },
          spec: { groups: file.groups },
        },
        crOpts,
      );
    }
    for (const d of content.dashboards) {
      new k8s.core.v1.ConfigMap(`${name}-dashboard-${d.uid}`, dashboardConfigMap(d, ns, labels), nsOpts);
    }
  }

  /** The blackbox exporter and the Probe of the public URLs (what users go through). */
  private blackbox(
    name: string,
    args: MonitoringStackArgs,
    ns: string,
    k8sOpts: K8sOpts,
    nsOpts: K8sOpts,
    release: k8s.helm.v3.Release,
  ): void {
    const crOpts = { ...k8sOpts, dependsOn: [release] };
    new k8s.helm.v3.Release(
      `${name}-blackbox-exporter`,
      {
        name: BLACKBOX_RELEASE,
        namespace: ns,
        chart: BLACKBOX_CHART.name,
        version: BLACKBOX_CHART.version,
        repositoryOpts: { repo: BLACKBOX_CHART.repo },
        values: blackboxValues(),
        atomic: true,
        cleanupOnFail: true,
      },
      nsOpts,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-probe-external`,
      probeManifest(ns, "external-endpoints", args.probeUrls, args.probeService),
      crOpts,
    );
  }
}
