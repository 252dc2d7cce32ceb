/**
 * Pure: the blackbox exporter release and the Probe that checks the app from the outside path (DNS,
 * ingress, TLS) — the only source of `probe_success` and `probe_ssl_earliest_cert_expiry`.
 */
import { k8sLabels } from "../naming";
import { CHART_VERSIONS } from "./chartVersions";
import { SELECTOR_LABELS } from "./helmValues";

/** prometheus-community/prometheus-blackbox-exporter, pinned in chartVersions.ts. */
export const BLACKBOX_CHART = {
  name: CHART_VERSIONS.blackboxExporter.chart,
  version: CHART_VERSIONS.blackboxExporter.version,
  repo: CHART_VERSIONS.blackboxExporter.repo,
} as const;
export const BLACKBOX_RELEASE = "blackbox-exporter";
export const BLACKBOX_JOB = "blackbox";
export const BLACKBOX_MODULE = "https_2xx";

export function blackboxValues(): Record<string, unknown> {
  return {
    fullnameOverride: BLACKBOX_RELEASE,
    config: {
      modules: {
        // A 2xx over TLS with a valid certificate, IPv4 (AKS egress): a plain-HTTP answer is a failure.
        [BLACKBOX_MODULE]: {
          prober: "http",
          timeout: "5s",
          http: { preferred_ip_protocol: "ip4", fail_if_not_ssl: true, follow_redirects: false },
        },
      },
    },
    // Scraped through the Probe below, not a ServiceMonitor of its own.
    serviceMonitor: { enabled: false },
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
  };
}

/** A Probe (prometheus-operator) of the given URLs through the blackbox exporter. */
export function probeManifest(namespace: string, name: string, urls: string[], service: string) {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "Probe",
    metadata: {
      name,
      namespace,
      labels: { ...k8sLabels(name, "probe", "monitoring-platform"), ...SELECTOR_LABELS },
    },
    spec: {
      jobName: BLACKBOX_JOB,
      interval: "30s",
      module: BLACKBOX_MODULE,
      prober: { url: `${BLACKBOX_RELEASE}.${namespace}.svc:9115` },
      targets: { staticConfig: { static: urls, labels: { service } } },
    },
  };
}
