/**
 * Remote write to an Azure Monitor workspace (issue 16, item 4): the pure pieces, the config checks, and what
 * both renders hold (prod writes, dev does not).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../infra/config";
import { helmValues } from "../infra/monitoring/helmValues";
import {
  MONITORING_METRICS_PUBLISHER,
  PROMETHEUS_SERVICE_ACCOUNT,
  ingestionRule,
  remoteWriteNames,
  remoteWriteUrl,
} from "../infra/monitoring/remoteWritePlan";
import { stackConfig } from "./mocks";
import { releaseValues, renderResources } from "./renderFiles";

/* eslint-disable @typescript-eslint/no-explicit-any */
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

describe("remote write: pure pieces", () => {
  it("builds the rule's ingestion URL from the endpoint and the rule's immutable id", () => {
    expect(remoteWriteUrl("https://dce-x.westeurope-1.metrics.ingest.monitor.azure.com/", "dcr-0123")).toBe(
      "https://dce-x.westeurope-1.metrics.ingest.monitor.azure.com/dataCollectionRules/dcr-0123/streams/Microsoft-PrometheusMetrics/api/v1/write?api-version=2023-04-24",
    );
  });

  it("routes the Prometheus stream to the workspace it names, and only there", () => {
    const rule = ingestionRule("/subscriptions/s/resourceGroups/r/providers/Microsoft.Monitor/accounts/amw");
    const dest = rule.destinations.monitoringAccounts;
    expect(dest).toEqual([
      {
        accountResourceId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Monitor/accounts/amw",
        name: "workspace",
      },
    ]);
    expect(rule.dataFlows).toEqual([
      { streams: ["Microsoft-PrometheusMetrics"], destinations: ["workspace"] },
    ]);
    expect(rule.dataSources.prometheusForwarder[0]!.streams).toEqual(["Microsoft-PrometheusMetrics"]);
  });

  it("names the workspace, endpoint and rule after the stack", () => {
    expect(remoteWriteNames("prod")).toEqual({
      workspace: "amw-agents-prod",
      endpoint: "dce-agents-prod-prom",
      rule: "dcr-agents-prod-prom",
    });
  });

  const values = (remoteWrite?: { url: string; clientId: string; queryEndpoint?: string }) =>
    helmValues({
      monitoring: parseStackConfig(stackConfig("prod").config).monitoring,
      zoneRedundant: true,
      alertmanagerConfig: { route: { receiver: "x" } },
      workloadIdentityClientId: "monitoring-client",
      cluster: "aks-agents-prod",
      environment: "prod",
      tenantId: TENANT,
      clusterIssuer: "letsencrypt",
      remoteWrite,
    }) as any;

  it("makes Prometheus write as its own workload identity", () => {
    const p = values({ url: "https://ingest/write", clientId: "prom-client" }).prometheus;
    expect(p.serviceAccount).toEqual({ annotations: { "azure.workload.identity/client-id": "prom-client" } });
    expect(p.prometheusSpec.podMetadata).toEqual({ labels: { "azure.workload.identity/use": "true" } });
    expect(p.prometheusSpec.remoteWrite).toEqual([
      {
        url: "https://ingest/write",
        azureAd: { cloud: "AzurePublic", workloadIdentity: { clientId: "prom-client", tenantId: TENANT } },
      },
    ]);
  });

  it("gives Grafana the workspace as a second data source, through the Azure Prometheus plugin as its own identity", () => {
    const g = values({
      url: "https://ingest/write",
      clientId: "prom-client",
      queryEndpoint: "https://amw.westeurope.prometheus.monitor.azure.com",
    }).grafana;
    expect(g.additionalDataSources).toEqual([
      {
        name: "Azure Monitor workspace (long-term, all clusters)",
        uid: "azure-monitor-workspace",
        type: "grafana-azureprometheus-datasource",
        access: "proxy",
        url: "https://amw.westeurope.prometheus.monitor.azure.com",
        editable: false,
        jsonData: { httpMethod: "POST", azureCredentials: { authType: "workloadidentity" } },
      },
    ]);
    expect(g.plugins).toEqual(["grafana-azureprometheus-datasource 1.0.2"]);
    // The plugin attaches tokens only with Azure auth and workload identity on; Entra sign-in stays as it was.
    expect(g["grafana.ini"].auth).toEqual({ disable_login_form: true, azure_auth_enabled: true });
    expect(g["grafana.ini"].azure).toEqual({ workload_identity_enabled: true });
    expect(g["grafana.ini"]["auth.azuread"].enabled).toBe(true);
    // An existing workspace without a known endpoint: no data source (docs/remote-write.md says how to add it).
    const shared = values({ url: "https://ingest/write", clientId: "prom-client" }).grafana;
    expect(shared).not.toHaveProperty("additionalDataSources");
    expect(shared["grafana.ini"]).not.toHaveProperty("azure");
  });

  it("without remote write, sets none of it", () => {
    const p = values().prometheus;
    expect(p).not.toHaveProperty("serviceAccount");
    expect(p.prometheusSpec).not.toHaveProperty("remoteWrite");
    expect(p.prometheusSpec).not.toHaveProperty("podMetadata");
  });
});

describe("remote write: config", () => {
  /** The stack's config (values are JSON strings, as the engine passes them) with `monitoring` edited. */
  const editMonitoring = (stack: "dev" | "prod", edit: (m: Record<string, unknown>) => void) => {
    const config = { ...stackConfig(stack).config } as Record<string, string>;
    const monitoring = JSON.parse(config["monitoring-platform:monitoring"]!) as Record<string, unknown>;
    edit(monitoring);
    config["monitoring-platform:monitoring"] = JSON.stringify(monitoring);
    return config;
  };
  const withRemoteWrite = (remoteWrite: unknown) => () =>
    parseStackConfig(editMonitoring("prod", (m) => (m.remoteWrite = remoteWrite)));

  it("needs the workspace's region with an existing workspace, and says how to set it", () => {
    const id =
      "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-shared/providers/Microsoft.Monitor/accounts/amw-shared";
    expect(withRemoteWrite({ enabled: true, workspaceId: id })).toThrow(ConfigError);
    expect(withRemoteWrite({ enabled: true, workspaceId: id })).toThrow(
      /monitoring\.remoteWrite\.location.*amw-shared.*pulumi config set --path 'monitoring-platform:monitoring\.remoteWrite\.location'/s,
    );
    expect(withRemoteWrite({ enabled: true, workspaceId: id, location: "westeurope" })).not.toThrow();
  });

  it("refuses a workspace id that is not one, showing the value", () => {
    expect(withRemoteWrite({ enabled: true, workspaceId: "amw-shared", location: "westeurope" })).toThrow(
      /monitoring\.remoteWrite\.workspaceId.*must be an Azure Monitor workspace resource id/s,
    );
  });

  it("is off unless a stack turns it on", () => {
    const config = editMonitoring("dev", (m) => {
      expect(m).toHaveProperty("remoteWrite");
      delete m.remoteWrite;
    });
    expect(parseStackConfig(config).monitoring.remoteWrite).toEqual({ enabled: false });
  });
});

function render(stack: "dev" | "prod") {
  return {
    resources: renderResources(stack) as any[],
    values: releaseValues(stack, "monitoring-kube-prometheus-stack"),
  };
}

describe("remote write in the renders", () => {
  it("prod: a protected workspace, the endpoint and rule into it, Prometheus' identity allowed to publish on the rule", () => {
    const { resources, values } = render("prod");
    const of = (type: string) => resources.filter((r) => r.type === type);
    const [ws] = of("azure-native:monitor:AzureMonitorWorkspace");
    expect(ws.inputs.azureMonitorWorkspaceName).toBe("amw-agents-prod");
    expect(ws.options.protect).toBe(true);
    const [rule] = of("azure-native:monitor:DataCollectionRule").filter((r) => r.name === "metrics-rule");
    expect(rule.inputs.dataFlows).toEqual([
      { streams: ["Microsoft-PrometheusMetrics"], destinations: ["workspace"] },
    ]);
    expect(
      of("azure-native:monitor:DataCollectionEndpoint").map((r) => r.inputs.dataCollectionEndpointName),
    ).toEqual(["dce-agents-prod-prom"]);
    const fic = resources.find(
      (r) =>
        r.type === "azure-native:managedidentity:FederatedIdentityCredential" &&
        r.name.startsWith("prometheus-identity"),
    );
    expect(fic.inputs.subject).toBe(`system:serviceaccount:monitoring:${PROMETHEUS_SERVICE_ACCOUNT}`);
    const roles = resources.filter(
      (r) =>
        r.type === "azure-native:authorization:RoleAssignment" && r.name.startsWith("prometheus-identity"),
    );
    // One role and nothing else: publish metrics on the rule (no Key Vault secret, no other scope).
    expect(roles.map((r) => String(r.inputs.roleDefinitionId).split("/").pop())).toEqual([
      MONITORING_METRICS_PUBLISHER,
    ]);
    const rw = values.prometheus.prometheusSpec.remoteWrite;
    expect(rw).toHaveLength(1);
    expect(rw[0].url).toMatch(
      /\/dataCollectionRules\/.+\/streams\/Microsoft-PrometheusMetrics\/api\/v1\/write\?api-version=2023-04-24$/,
    );
    expect(rw[0].azureAd.workloadIdentity).toHaveProperty("clientId");
    // Grafana (the monitoring identity) may read the workspace, nothing more.
    const readers = resources.filter(
      (r) =>
        r.type === "azure-native:authorization:RoleAssignment" &&
        String(r.inputs.roleDefinitionId).endsWith("/b0d8363b-8ddd-447d-831f-62ca05bff136"),
    );
    expect(readers.map((r) => r.name)).toEqual(["remote-write-grafana-reader"]);
    expect(values.grafana.additionalDataSources.map((d: { uid: string }) => d.uid)).toEqual([
      "azure-monitor-workspace",
    ]);
  });

  it("dev: no workspace, no rule, no identity, no remote write", () => {
    const { resources, values } = render("dev");
    expect(resources.filter((r) => r.type === "azure-native:monitor:AzureMonitorWorkspace")).toEqual([]);
    expect(resources.filter((r) => r.name.startsWith("prometheus-identity"))).toEqual([]);
    expect(values.prometheus.prometheusSpec).not.toHaveProperty("remoteWrite");
  });
});
