/**
 * The monitoring platform, per stack. Table of contents:
 *   1. config      — validated once (infra/config.ts); bad input stops here, before any resource.
 *   2. Azure core  — resource group, network (+ the deploy runner's subnet), Log Analytics, AKS (+ the
 *                    Kubernetes provider), container registry (AcrPull for the nodes, allowed-images policy),
 *                    Key Vault (private endpoint, deployer data-plane role).
 *   3. secrets     — generated passwords and stack secrets into Key Vault; workload identities to read them.
 *   4. monitoring  — kube-prometheus-stack, our rules, dashboards and Alertmanager routing; remote write to
 *                    an Azure Monitor workspace (metrics that outlive the cluster).
 *   5. data        — Postgres Flexible Server, Azure Managed Redis, their exporters.
 *   6. apps        — agent-api as a blue-green service (flip `app.activeColor` to switch), its public
 *                    ingress with a cert-manager certificate (ACME DNS-01 in Azure DNS).
 *   7. Azure alerts — Azure Monitor's own alerts on the managed services (AMBA), Service Health, and the
 *                    dead man's switch in the metrics workspace; routed like Alertmanager (docs/azure-alerts.md).
 *   8. outputs     — what operators and other stacks need.
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import * as authorization from "@pulumi/azure-native/authorization";
import { loadConfig } from "./config";
import { azureName, tags as tagSet } from "./naming";
import { Network } from "./azure/network";
import { egressMode } from "./azure/egressPlan";
import { LogAnalytics } from "./azure/logAnalytics";
import { AksCluster } from "./azure/aks";
import { KeyVault, generatedPassword } from "./azure/keyVault";
import { ContainerRegistry } from "./azure/registry";
import { ImagePolicy } from "./azure/imagePolicy";
import { PodSecurityPolicy } from "./azure/podSecurityPolicy";
import { registryLoginServer as loginServerOf } from "./azure/registryPlan";
import { deployerPrincipalType } from "./azure/deployer";
import { ROLES } from "./azure/aksPlan";
import { WorkloadIdentity } from "./azure/workloadIdentity";
import { VAULT_SECRETS } from "./azure/secrets";
import { MonitoringStack } from "./monitoring/monitoringStack";
import { PrometheusRemoteWrite } from "./monitoring/remoteWrite";
import { SELECTOR_LABELS } from "./monitoring/helmValues";
import { Postgres } from "./data/postgres";
import { Redis } from "./data/redis";
import { REDIS_ENTRA_SCOPE } from "./data/redisPlan";
import { DataExporters } from "./data/exporters";
import {
  PG_ROLES_SERVICE_ACCOUNT,
  POSTGRES_ENTRA_SCOPE,
  PostgresMonitorRole,
} from "./data/postgresMonitorRole";
import { BlueGreenService } from "./apps/blueGreen";
import { AppIngress } from "./apps/ingress";
import { createNamespace, ENTRA_TOKEN_FQDN } from "./kubernetes/namespace";
import { CertManager } from "./kubernetes/certManager";
import {
  CERT_MANAGER_NAMESPACE,
  CERT_MANAGER_SERVICE_ACCOUNT,
  CLUSTER_ISSUER,
} from "./kubernetes/certManagerPlan";
import { recoveryPlan } from "./recovery";
import { PlatformAlerts } from "./azure/platformAlerts";
import { regionDisplayName } from "./regions";

// 1. config
const cfg = loadConfig();
const tags = tagSet(cfg.project, cfg.stack, cfg.environment, cfg.tags);
const client = authorization.getClientConfigOutput();
const common = { location: cfg.location, stack: cfg.stack, tags };
const deployer = {
  objectId: client.objectId,
  principalType: deployerPrincipalType(cfg.aks.deployerPrincipalType, cfg.azureProvider, client.clientId),
};
// Disaster recovery (config `recovery`, written by `npm run dr:rebuild`): restore Postgres, recover the vault.
const recovery = cfg.recovery ? recoveryPlan(cfg.recovery) : undefined;

// 2. Azure core
const rg = new resources.ResourceGroup(
  "rg",
  { resourceGroupName: azureName("rg", cfg.stack), location: cfg.location, tags },
  // Deleting the group deletes everything in it, data included.
  { protect: cfg.protect },
);
const resourceGroupName = rg.name;
const logs = new LogAnalytics("logs", {
  ...common,
  resourceGroupName,
  retentionDays: cfg.logAnalytics.retentionDays,
  dailyQuotaGb: cfg.logAnalytics.dailyQuotaGb,
  protect: cfg.protect,
});
// NSGs on every subnet, VNet flow logs, and the nodes' egress (`network.egress`, infra/azure/egressPlan.ts).
const egress = egressMode(cfg.network, cfg.environment);
const network = new Network("network", {
  ...common,
  resourceGroupName,
  cidrs: cfg.network,
  // `deploy.runner: selfHosted`: the runner's subnet with its static egress IP (infra/azure/deployRunner.ts).
  runnerSubnetCidr: cfg.deploy.runner === "selfHosted" ? cfg.deploy.runnerSubnetCidr : undefined,
  egress,
  zoneRedundant: cfg.zoneRedundant,
  logAnalyticsWorkspaceId: logs.workspaceId,
  logAnalyticsCustomerId: logs.customerId,
  protect: cfg.protect,
});
const aks = new AksCluster("aks", {
  ...common,
  resourceGroupName,
  aks: cfg.aks,
  network: cfg.network,
  zoneRedundant: cfg.zoneRedundant,
  nodesSubnetId: network.aksSubnetId,
  runnerEgressIp: network.runnerEgressIp,
  egress,
  nodesEgressIp: network.nodesEgressIp,
  logAnalyticsWorkspaceId: logs.workspaceId,
  tenantId: client.tenantId,
  subscriptionId: client.subscriptionId,
  deployerObjectId: deployer.objectId,
  deployerPrincipalType: deployer.principalType,
  dnsZoneIds: [cfg.app.ingress.dnsZoneId],
  // Always: the app and the roles Job reach Entra ID by name (login.microsoftonline.com).
  fqdnPolicies: true,
});
const registry = new ContainerRegistry("registry", {
  ...common,
  resourceGroupName,
  registry: cfg.registry,
  zoneRedundant: cfg.zoneRedundant,
  kubeletObjectId: aks.kubeletObjectId,
  endpointsSubnetId: network.endpointsSubnetId,
  vnetId: network.vnetId,
  subscriptionId: client.subscriptionId,
  protect: cfg.protect,
});
// Pods in the app namespace run only images from that registry (Azure Policy, deny); elsewhere audited.
new ImagePolicy("image-policy", {
  clusterId: aks.clusterId,
  registryLoginServer: loginServerOf(cfg.stack, cfg.registry),
  appNamespace: cfg.app.namespace,
});
// The AKS baseline's pod security initiative: Audit in dev, Deny in prod (system and monitoring namespaces excluded).
new PodSecurityPolicy("pod-security", {
  clusterId: aks.clusterId,
  environment: cfg.environment,
  monitoringNamespace: cfg.monitoring.namespace,
});
const vault = new KeyVault("vault", {
  ...common,
  resourceGroupName,
  tenantId: client.tenantId,
  softDeleteRetentionDays: cfg.keyVault.softDeleteRetentionDays,
  purgeProtection: cfg.keyVault.purgeProtection,
  allowedSubnetId: network.aksSubnetId,
  deployerIpRanges: cfg.keyVault.deployerIpRanges,
  endpointsSubnetId: network.endpointsSubnetId,
  vnetId: network.vnetId,
  logAnalyticsWorkspaceId: logs.workspaceId,
  deployerObjectId: deployer.objectId,
  deployerPrincipalType: deployer.principalType,
  subscriptionId: client.subscriptionId,
  protect: cfg.protect,
  recover: recovery?.keyVault,
});

// 3. secrets
const grafanaAdmin = generatedPassword("grafana-admin-password", cfg.protect, vault);
const postgresAdmin = generatedPassword("postgres-admin-password", cfg.protect, vault);
const postgresMonitor = generatedPassword("postgres-monitor-password", cfg.protect, vault);
const secrets = {
  // Not secret, but the Grafana chart reads user and password from the same mirrored Secret.
  grafanaAdminUser: vault.addSecret(VAULT_SECRETS.grafanaAdminUser, "admin", "username"),
  grafanaAdminPassword: vault.addSecret(VAULT_SECRETS.grafanaAdminPassword, grafanaAdmin.result, "password"),
  postgresAdminPassword: vault.addSecret(
    VAULT_SECRETS.postgresAdminPassword,
    postgresAdmin.result,
    "password",
  ),
  postgresMonitorPassword: vault.addSecret(
    VAULT_SECRETS.postgresMonitorPassword,
    postgresMonitor.result,
    "password",
  ),
  pagerdutyRoutingKey: vault.addSecret(
    VAULT_SECRETS.pagerdutyRoutingKey,
    cfg.secrets.pagerdutyRoutingKey,
    "token",
  ),
  slackWebhookUrlCritical: vault.addSecret(
    VAULT_SECRETS.slackWebhookUrlCritical,
    cfg.secrets.slackWebhookUrlCritical,
    "url",
  ),
  slackWebhookUrlWarning: vault.addSecret(
    VAULT_SECRETS.slackWebhookUrlWarning,
    cfg.secrets.slackWebhookUrlWarning,
    "url",
  ),
  slackWebhookUrlInfo: vault.addSecret(
    VAULT_SECRETS.slackWebhookUrlInfo,
    cfg.secrets.slackWebhookUrlInfo,
    "url",
  ),
  heartbeatUrl: vault.addSecret(VAULT_SECRETS.heartbeatUrl, cfg.secrets.heartbeatUrl, "url"),
  grafanaEntraClientSecret: vault.addSecret(
    VAULT_SECRETS.grafanaEntraClientSecret,
    cfg.secrets.grafanaEntraClientSecret,
    "password",
  ),
};
const monitoringIdentity = new WorkloadIdentity("monitoring-identity", {
  ...common,
  resourceGroupName,
  role: "monitoring",
  oidcIssuerUrl: aks.oidcIssuerUrl,
  serviceAccounts: [{ namespace: cfg.monitoring.namespace, name: "monitoring-secrets" }],
  secrets: {
    [VAULT_SECRETS.grafanaAdminUser]: secrets.grafanaAdminUser.id,
    [VAULT_SECRETS.grafanaAdminPassword]: secrets.grafanaAdminPassword.id,
    [VAULT_SECRETS.pagerdutyRoutingKey]: secrets.pagerdutyRoutingKey.id,
    [VAULT_SECRETS.slackWebhookUrlCritical]: secrets.slackWebhookUrlCritical.id,
    [VAULT_SECRETS.slackWebhookUrlWarning]: secrets.slackWebhookUrlWarning.id,
    [VAULT_SECRETS.slackWebhookUrlInfo]: secrets.slackWebhookUrlInfo.id,
    [VAULT_SECRETS.heartbeatUrl]: secrets.heartbeatUrl.id,
    [VAULT_SECRETS.grafanaEntraClientSecret]: secrets.grafanaEntraClientSecret.id,
  },
  subscriptionId: client.subscriptionId,
});

// 4. monitoring
// Metrics that outlive the cluster (`monitoring.remoteWrite`): Prometheus remote-writes, as its own workload
// identity with only "Monitoring Metrics Publisher" on the ingestion rule, to an Azure Monitor workspace.
const remoteWrite = cfg.monitoring.remoteWrite.enabled
  ? new PrometheusRemoteWrite("remote-write", {
      ...common,
      resourceGroupName,
      monitoring: cfg.monitoring,
      oidcIssuerUrl: aks.oidcIssuerUrl,
      subscriptionId: client.subscriptionId,
      protect: cfg.protect,
      grafanaPrincipalId: monitoringIdentity.principalId,
    })
  : undefined;
const monitoring = new MonitoringStack("monitoring", {
  monitoring: cfg.monitoring,
  zoneRedundant: cfg.zoneRedundant,
  environment: cfg.environment,
  clusterName: aks.clusterName,
  vaultName: vault.vaultName,
  tenantId: client.tenantId,
  workloadIdentityClientId: monitoringIdentity.clientId,
  provider: aks.provider,
  probeUrls: [`https://${cfg.app.ingress.hostname}${cfg.app.probes.readinessPath}`],
  probeService: cfg.app.name,
  // cert-manager's ClusterIssuer, by the name the CertManager component gives it. It is created after this
  // stack (cert-manager's ServiceMonitor needs the operator's CRDs), so Grafana's Ingress names it rather than
  // depending on it: cert-manager's ingress-shim creates the Certificate once the issuer exists and retries
  // until then (https://cert-manager.io/docs/usage/ingress/).
  clusterIssuer: CLUSTER_ISSUER,
  remoteWrite: remoteWrite && {
    url: remoteWrite.url,
    clientId: remoteWrite.clientId,
    queryEndpoint: remoteWrite.queryEndpoint,
  },
});

// 5. data
// The app's workload identity: its Postgres role and Redis access are made in this section.
const appIdentity = new WorkloadIdentity("app-identity", {
  ...common,
  resourceGroupName,
  role: cfg.app.name,
  oidcIssuerUrl: aks.oidcIssuerUrl,
  serviceAccounts: [{ namespace: cfg.app.namespace, name: cfg.app.name }],
  // Postgres and Redis by Entra ID token, with the roles made for it: it reads no secret at all.
  secrets: {},
  subscriptionId: client.subscriptionId,
});
// The roles Job's identity (infra/data/postgresMonitorRole.ts): an Entra administrator of the server, which
// creates the exporter's pg_monitor role and the app's Entra role; it reads only the monitor password.
const pgRolesIdentity = new WorkloadIdentity("pg-roles-identity", {
  ...common,
  resourceGroupName,
  role: "pgroles",
  oidcIssuerUrl: aks.oidcIssuerUrl,
  serviceAccounts: [{ namespace: cfg.monitoring.namespace, name: PG_ROLES_SERVICE_ACCOUNT }],
  secrets: { [VAULT_SECRETS.postgresMonitorPassword]: secrets.postgresMonitorPassword.id },
  subscriptionId: client.subscriptionId,
});
const postgres = new Postgres("postgres", {
  ...common,
  resourceGroupName,
  postgres: cfg.postgres,
  zoneRedundant: cfg.zoneRedundant,
  delegatedSubnetId: network.postgresSubnetId,
  vnetId: network.vnetId,
  tenantId: client.tenantId,
  workloadAdmins: [
    { key: "pg-roles", objectId: pgRolesIdentity.principalId, principalName: pgRolesIdentity.identityName },
  ],
  administratorLoginPassword: postgresAdmin.result,
  logAnalyticsWorkspaceId: logs.workspaceId,
  protect: cfg.protect,
  restore: recovery?.postgres,
});
const redis = new Redis("redis", {
  ...common,
  resourceGroupName,
  redis: cfg.redis,
  zoneRedundant: cfg.zoneRedundant,
  endpointsSubnetId: network.endpointsSubnetId,
  vnetId: network.vnetId,
  logAnalyticsWorkspaceId: logs.workspaceId,
  vault,
  protect: cfg.protect,
});
const exportersIdentity = new WorkloadIdentity("exporters-identity", {
  ...common,
  resourceGroupName,
  role: "exporters",
  oidcIssuerUrl: aks.oidcIssuerUrl,
  serviceAccounts: [{ namespace: cfg.monitoring.namespace, name: "data-exporters" }],
  secrets: {
    [VAULT_SECRETS.postgresMonitorPassword]: secrets.postgresMonitorPassword.id,
    [VAULT_SECRETS.redisExporterPasswordMap]: redis.exporterPasswordMapSecret.id,
  },
  subscriptionId: client.subscriptionId,
});
const monitorRole = new PostgresMonitorRole("postgres-monitor-role", {
  namespace: cfg.monitoring.namespace,
  host: postgres.fqdn,
  loginUser: pgRolesIdentity.identityName,
  app: {
    role: appIdentity.identityName,
    objectId: appIdentity.principalId,
    databases: cfg.postgres.databases,
  },
  subnetCidr: cfg.network.postgresCidr,
  vaultName: vault.vaultName,
  tenantId: client.tenantId,
  workloadIdentityClientId: pgRolesIdentity.clientId,
  provider: aks.provider,
  dependsOn: [monitoring, pgRolesIdentity, postgres],
});
new DataExporters("exporters", {
  namespace: cfg.monitoring.namespace,
  serviceMonitorLabels: SELECTOR_LABELS,
  postgres: { host: postgres.fqdn, user: monitorRole.role, subnetCidr: cfg.network.postgresCidr },
  redis: { address: redis.address, port: redis.port, subnetCidr: cfg.network.endpointsCidr },
  vaultName: vault.vaultName,
  tenantId: client.tenantId,
  workloadIdentityClientId: exportersIdentity.clientId,
  provider: aks.provider,
  // The pod starts once the role exists (Pulumi waits for the Job), and its identity can read the secret.
  dependsOn: [monitoring, monitorRole, exportersIdentity],
});

// 6. apps
const appRedisAccess = redis.grantEntraAccess(cfg.app.name, appIdentity.principalId);
const appNamespace = createNamespace(
  "app-namespace",
  { name: cfg.app.namespace, component: "api", partOf: cfg.app.name },
  { provider: aks.provider },
);
const app = new BlueGreenService(cfg.app.name, {
  app: cfg.app,
  serviceAccountName: cfg.app.name,
  workloadIdentityClientId: appIdentity.clientId,
  // No Key Vault mount: Postgres and Redis are reached with Entra ID tokens of the app's own identity
  // (azure-identity's workload identity credential reads AZURE_CLIENT_ID/AZURE_FEDERATED_TOKEN_FILE, set by
  // the webhook), as the roles made for it: its Postgres role (created by the roles Job) and its Redis access
  // policy assignment.
  env: {
    POSTGRES_HOST: postgres.fqdn,
    POSTGRES_USER: appIdentity.identityName,
    POSTGRES_DB: cfg.postgres.databases[0]!,
    POSTGRES_AUTH: "entra",
    POSTGRES_ENTRA_SCOPE: POSTGRES_ENTRA_SCOPE,
    POSTGRES_SSLMODE: "require",
    REDIS_URL: redis.address,
    // Redis's Entra ID username is the identity's object id.
    REDIS_AUTH: "entra",
    REDIS_USERNAME: appIdentity.principalId,
    REDIS_ENTRA_SCOPE: REDIS_ENTRA_SCOPE,
  },
  egress: [
    { name: "postgres", cidr: cfg.network.postgresCidr, ports: [5432] },
    { name: "redis", cidr: cfg.network.endpointsCidr, ports: [redis.port] },
    ...cfg.app.httpsEgressCidrs.map((cidr, i) => ({ name: `https-${i}`, cidr, ports: [443] })),
  ],
  // The LLM provider and the Entra token endpoint by name (Cilium FQDN policy; AKS turns it on above).
  egressFqdns: { names: [...cfg.app.httpsEgressFqdns, ENTRA_TOKEN_FQDN], ports: [443] },
  ingressFromNamespaces: [cfg.app.ingressNamespace, cfg.monitoring.namespace],
  serviceMonitorLabels: SELECTOR_LABELS,
  provider: aks.provider,
  // Pods need their image pull right (AcrPull), their Redis access and their Postgres role before they start.
  dependsOn: [appNamespace, monitoring, registry, appRedisAccess, monitorRole],
});

const certManagerIdentity = new WorkloadIdentity("cert-manager-identity", {
  ...common,
  resourceGroupName,
  role: "cert-manager",
  oidcIssuerUrl: aks.oidcIssuerUrl,
  serviceAccounts: [{ namespace: CERT_MANAGER_NAMESPACE, name: CERT_MANAGER_SERVICE_ACCOUNT }],
  secrets: {},
  // TXT records for ACME DNS-01 challenges, in this one zone only.
  roles: { "dns-zone": { roleDefinitionGuid: ROLES.dnsZoneContributor, scope: cfg.app.ingress.dnsZoneId } },
  subscriptionId: client.subscriptionId,
});
const certManager = new CertManager("cert-manager", {
  ingress: cfg.app.ingress,
  workloadIdentityClientId: certManagerIdentity.clientId,
  serviceMonitorLabels: SELECTOR_LABELS,
  replicas: cfg.zoneRedundant ? 2 : 1,
  provider: aks.provider,
  dependsOn: [certManagerIdentity, monitoring],
});
new AppIngress(`${cfg.app.name}-ingress`, {
  app: cfg.app,
  serviceName: app.serviceName,
  clusterIssuer: certManager.clusterIssuer,
  provider: aks.provider,
  dependsOn: [app, certManager],
});

// 7. Azure alerts: platform metrics seen by Azure, so they page also when the cluster cannot.
new PlatformAlerts("azure-alerts", {
  ...common,
  resourceGroupName,
  subscriptionId: client.subscriptionId,
  targets: {
    aks: aks.clusterId,
    postgres: postgres.serverId,
    redis: redis.clusterId,
    vault: vault.vaultId,
    registry: registry.registryId,
  },
  registrySku: cfg.registry.sku,
  secrets: {
    pagerdutyRoutingKey: cfg.secrets.pagerdutyRoutingKey,
    slackCritical: cfg.secrets.slackWebhookUrlCritical,
    slackWarning: cfg.secrets.slackWebhookUrlWarning,
    slackInfo: cfg.secrets.slackWebhookUrlInfo,
  },
  runbookBaseUrl: cfg.monitoring.runbookBaseUrl,
  grafanaUrl: cfg.monitoring.grafana.url,
  regionDisplayNames: [cfg.location, remoteWrite?.location ?? cfg.location].map(regionDisplayName),
  metrics: remoteWrite && {
    workspaceId: remoteWrite.workspaceId,
    location: remoteWrite.location,
    clusterName: aks.clusterName,
  },
});

// 8. outputs
export const resourceGroup = rg.name;
export const clusterName = aks.clusterName;
export const kubeconfig = pulumi.secret(aks.kubeconfig);
export const oidcIssuerUrl = aks.oidcIssuerUrl;
export const vaultName = vault.vaultName;
export const vaultUri = vault.vaultUri;
export const logAnalyticsWorkspaceId = logs.workspaceId;
export const monitoringIdentityClientId = monitoringIdentity.clientId;
export const grafanaUrl = cfg.monitoring.grafana.url;
// The Azure Monitor workspace Prometheus remote-writes to, and its PromQL endpoint (a second Grafana data
// source that survives the cluster); null without `monitoring.remoteWrite.enabled`, and the endpoint also
// for a shared workspace the stack did not make. Null, not undefined: the engine warns "Undefined value
// (…) will not show as a stack output" for every top-level undefined, Outputs resolving to it included
// (@pulumi/pulumi runtime/stack.js `massage`); null is a value and prints as such.
export const metricsWorkspaceId = pulumi.output(remoteWrite?.workspaceId ?? null);
export const metricsQueryEndpoint = pulumi.output(remoteWrite?.queryEndpoint).apply((e) => e ?? null);
export const monitoringNamespace = monitoring.namespace;
export const postgresFqdn = postgres.fqdn;
export const redisHostName = redis.hostName;
export const activeColor = cfg.app.activeColor;
export const appService = app.serviceName;
export const appUrl = `https://${cfg.app.ingress.hostname}`;
export const registryLoginServer = registry.loginServer;
// Where the deploy runner goes (docs/deploy-runner.md) and the address the API server admits for it.
export const deployRunnerSubnetId = network.runnerSubnetId;
export const deployRunnerEgressIp = network.runnerEgressIp;
