/**
 * The charts we deploy and the component versions each ships, written ONCE here. helmValues.ts and
 * blackbox.ts pin the charts from this record; tools/go.mod pins promtool/prometheus and
 * amtool/alertmanager, and test/tools.test.ts fails when go.mod or a built binary's `--version` differs
 * from what the pinned chart deploys. How each number was read, and what could not be read here:
 * docs/monitoring-upgrades.md.
 */
export const CHART_VERSIONS = {
  /**
   * kube-prometheus-stack 91.8.2 (git tag kube-prometheus-stack-91.8.2, 2026-09-29). Chart.yaml:
   * appVersion v0.94.1 (the prometheus-operator whose CRDs the chart carries), grafana subchart 13.2.7 from
   * oci://ghcr.io/grafana-community/helm-charts (grafana.github.io → grafana-community since chart 90.0.0).
   * values.yaml: prometheus.prometheusSpec.image.tag v3.15.0-distroless,
   * alertmanager.alertmanagerSpec.image.tag v0.34.1.
   */
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    version: "91.8.2",
    repo: "https://prometheus-community.github.io/helm-charts",
    operatorVersion: "v0.94.1",
    prometheusImageTag: "v3.15.0-distroless",
    alertmanagerImageTag: "v0.34.1",
    grafanaChart: { version: "13.2.7", repository: "oci://ghcr.io/grafana-community/helm-charts" },
  },
  /**
   * prometheus-blackbox-exporter 11.17.2 (git tag prometheus-blackbox-exporter-11.17.2, 2026-08); the
   * chart moved to blackbox_exporter v0.27.0 in 11.2.0 (prometheus-community/helm-charts#5985).
   */
  blackboxExporter: {
    chart: "prometheus-blackbox-exporter",
    version: "11.17.2",
    repo: "https://prometheus-community.github.io/helm-charts",
  },
} as const;
