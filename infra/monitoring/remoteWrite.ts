/**
 * Prometheus remote write to an Azure Monitor workspace (`monitoring.remoteWrite`, docs/remote-write.md):
 * the workspace with its ingestion endpoint and rule, and Prometheus' own workload identity with only
 * "Monitoring Metrics Publisher" on that rule. MonitoringStack gets the URL and the client id.
 */
import * as pulumi from "@pulumi/pulumi";
import { MetricsWorkspace } from "../azure/metricsWorkspace";
import { WorkloadIdentity } from "../azure/workloadIdentity";
import type { MonitoringConfig } from "./config";
import * as authorization from "@pulumi/azure-native/authorization";
import {
  MONITORING_DATA_READER,
  MONITORING_METRICS_PUBLISHER,
  PROMETHEUS_SERVICE_ACCOUNT,
} from "./remoteWritePlan";

export interface PrometheusRemoteWriteArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  tags: Record<string, string>;
  monitoring: MonitoringConfig;
  oidcIssuerUrl: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  protect: boolean;
  /** Grafana's identity (the monitoring identity): gets Monitoring Data Reader on the workspace. */
  grafanaPrincipalId: pulumi.Input<string>;
}

export class PrometheusRemoteWrite extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  public readonly clientId: pulumi.Output<string>;
  public readonly workspaceId: pulumi.Output<string>;
  public readonly queryEndpoint: pulumi.Output<string | undefined>;
  /** The workspace's region (`monitoring.remoteWrite.location`, default the stack's). */
  public readonly location: string;

  constructor(name: string, args: PrometheusRemoteWriteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:monitoring:PrometheusRemoteWrite", name, {}, opts);
    const rw = args.monitoring.remoteWrite;
    this.location = rw.location ?? args.location;
    const metrics = new MetricsWorkspace(
      "metrics",
      {
        resourceGroupName: args.resourceGroupName,
        location: this.location,
        stack: args.stack,
        existingWorkspaceId: rw.workspaceId,
        tags: args.tags,
        protect: args.protect,
      },
      { parent: this },
    );
    const identity = new WorkloadIdentity(
      "prometheus-identity",
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        stack: args.stack,
        tags: args.tags,
        role: "prometheus",
        oidcIssuerUrl: args.oidcIssuerUrl,
        serviceAccounts: [{ namespace: args.monitoring.namespace, name: PROMETHEUS_SERVICE_ACCOUNT }],
        secrets: {},
        roles: {
          metricsPublisher: { roleDefinitionGuid: MONITORING_METRICS_PUBLISHER, scope: metrics.ruleId },
        },
        subscriptionId: args.subscriptionId,
      },
      { parent: this },
    );
    // Grafana queries the workspace as its own workload identity (its second data source, helmValues.ts).
    new authorization.RoleAssignment(
      `${name}-grafana-reader`,
      {
        principalId: args.grafanaPrincipalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${MONITORING_DATA_READER}`,
        scope: metrics.workspaceId,
      },
      { parent: this },
    );
    this.url = metrics.remoteWriteUrl;
    this.clientId = identity.clientId;
    this.workspaceId = metrics.workspaceId;
    this.queryEndpoint = metrics.queryEndpoint;
    this.registerOutputs({ workspaceId: this.workspaceId });
  }
}
