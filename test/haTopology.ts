/**
 * The highly available alerting path the HA drill (test/hadrill.test.ts) proves, and that prod must deploy
 * (test/haValues.test.ts ties the two): how many replicas, and the prometheus-operator behaviours the drill
 * reproduces by hand because no operator runs here. Sources: prometheus-operator v0.94.1 (the version the
 * pinned chart deploys), pkg/prometheus/promcfg.go and pkg/alertmanager/statefulset.go.
 */

export const PROMETHEUS_REPLICAS = 2;
export const ALERTMANAGER_REPLICAS = 3;

/** prod's Prometheus externalLabels (infra/monitoring/helmValues.ts), carried by every alert it sends. */
export const PROD_EXTERNAL_LABELS = { cluster: "aks-agents-prod", environment: "prod" };

/** The Prometheus CR the chart creates (`<fullname>-prometheus`) and its pods, `prometheus-<cr>-<i>`. */
export const PROMETHEUS_CR = "monitoring/kube-prometheus-stack-prometheus";
export const prometheusPod = (i: number) => `prometheus-kube-prometheus-stack-prometheus-${i}`;
export const alertmanagerPod = (i: number) => `alertmanager-kube-prometheus-stack-alertmanager-${i}`;

/**
 * promcfg.go: every replica gets the external labels `prometheus: <namespace>/<name>` and
 * `prometheus_replica: $(POD_NAME)` (defaultReplicaExternalLabelName), besides the CR's own externalLabels;
 * alert_relabel_configs drops `prometheus_replica` "to enable proper deduplication on the Alertmanager side".
 */
export const REPLICA_LABEL = "prometheus_replica";
export function prometheusReplica(i: number, externalLabels: Record<string, string>) {
  return {
    externalLabels: { ...externalLabels, prometheus: PROMETHEUS_CR, [REPLICA_LABEL]: prometheusPod(i) },
    alertRelabelConfigs: [{ action: "labeldrop", regex: REPLICA_LABEL }],
  };
}

/**
 * statefulset.go: `--cluster.peer=<pod>.<governing service>:9094` for every replica (itself included),
 * `--cluster.peer-name=$(POD_NAME)` (Alertmanager >= 0.30), and `--cluster.peer-timeout` only when the CR
 * sets clusterPeerTimeout, which ours does not: Alertmanager's default, 15 s, applies. A peer at position i
 * of the sorted member list waits i × peer-timeout before it notifies, after checking the notification log
 * its peers gossip; that is what keeps three replicas from paging three times.
 */
export const PEER_TIMEOUT_MS = 15_000;
