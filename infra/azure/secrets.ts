/**
 * The names of every secret in Key Vault. Key Vault is the source of truth; the cluster reads these
 * through the Secrets Store CSI driver (see infra/kubernetes/secretSync.ts).
 */
export const VAULT_SECRETS = {
  grafanaAdminUser: "grafana-admin-user",
  grafanaAdminPassword: "grafana-admin-password",
  postgresAdminPassword: "postgres-admin-password",
  /** The `pg_monitor` login role postgres_exporter uses (infra/data/postgresMonitorRole.ts). */
  postgresMonitorPassword: "postgres-monitor-password",
  pagerdutyRoutingKey: "pagerduty-routing-key",
  // Slack app webhooks are bound to one channel (a `channel` override is ignored): one per severity.
  slackWebhookUrlCritical: "slack-webhook-url-critical",
  slackWebhookUrlWarning: "slack-webhook-url-warning",
  slackWebhookUrlInfo: "slack-webhook-url-info",
  heartbeatUrl: "heartbeat-url",
  /** Client secret of the Grafana Entra ID app registration; Grafana reads it as a file ($__file{}). */
  grafanaEntraClientSecret: "grafana-entra-client-secret",
  redisAccessKey: "redis-access-key",
  /** redis_exporter reads REDIS_PASSWORD_FILE as a JSON map {"rediss://host:port": "key"}. */
  redisExporterPasswordMap: "redis-exporter-password-map",
} as const;

export type VaultSecretName = (typeof VAULT_SECRETS)[keyof typeof VAULT_SECRETS];
