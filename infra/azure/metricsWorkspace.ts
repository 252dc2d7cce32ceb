/**
 * Where Prometheus remote-writes (config `monitoring.remoteWrite`, docs/remote-write.md): an Azure Monitor
 * workspace — created here, or an existing one shared by many clusters — and the data collection endpoint
 * and rule that take the samples in. Decisions in infra/monitoring/remoteWritePlan.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import { ingestionRule, remoteWriteNames, remoteWriteUrl } from "../monitoring/remoteWritePlan";

export interface MetricsWorkspaceArgs {
  resourceGroupName: pulumi.Input<string>;
  /** Region of the workspace, the endpoint and the rule (Azure Monitor requires them together). */
  location: string;
  stack: string;
  /** An existing workspace's resource id; without it one is created in the stack's resource group. */
  existingWorkspaceId?: string;
  tags: Record<string, string>;
  protect: boolean;
}

export class MetricsWorkspace extends pulumi.ComponentResource {
  public readonly workspaceId: pulumi.Output<string>;
  /** The rule's resource id: "Monitoring Metrics Publisher" is granted on it. */
  public readonly ruleId: pulumi.Output<string>;
  /** Prometheus' remote-write URL (the rule's ingestion URL on the endpoint). */
  public readonly remoteWriteUrl: pulumi.Output<string>;
  /** PromQL endpoint of the workspace (a Grafana data source); only for a workspace made here. */
  public readonly queryEndpoint: pulumi.Output<string | undefined>;

  constructor(name: string, args: MetricsWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:MetricsWorkspace", name, {}, opts);
    const names = remoteWriteNames(args.stack);
    const created = args.existingWorkspaceId
      ? undefined
      : new monitor.AzureMonitorWorkspace(
          `${name}-workspace`,
          {
            azureMonitorWorkspaceName: names.workspace,
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            tags: args.tags,
          },
          // 18 months of metrics that outlive every cluster: losing the workspace loses them.
          { parent: this, protect: args.protect },
        );
    this.workspaceId = created ? created.id : pulumi.output(args.existingWorkspaceId!);
    this.queryEndpoint = created
      ? created.metrics.apply((m) => m?.prometheusQueryEndpoint)
      : pulumi.output(undefined);

    const endpoint = new monitor.DataCollectionEndpoint(
      `${name}-endpoint`,
      {
        dataCollectionEndpointName: names.endpoint,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        kind: "Linux",
        // Prometheus reaches the ingestion endpoint over the internet (AKS egress); it authenticates with
        // an Entra token and holds no key. A private link (AMPLS) is the stricter option, not built here.
        networkAcls: { publicNetworkAccess: "Enabled" },
        tags: args.tags,
      },
      { parent: this },
    );
    const rule = new monitor.DataCollectionRule(
      `${name}-rule`,
      {
        dataCollectionRuleName: names.rule,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        dataCollectionEndpointId: endpoint.id,
        description: "Prometheus remote write from the cluster into the Azure Monitor workspace",
        ...ingestionRule(this.workspaceId),
        tags: args.tags,
      },
      { parent: this },
    );
    this.ruleId = rule.id;
    this.remoteWriteUrl = pulumi
      .all([endpoint.metricsIngestion, rule.immutableId])
      .apply(([ingestion, immutableId]) => {
        if (!ingestion?.endpoint) throw new Error(`${names.endpoint} has no metrics ingestion endpoint`);
        return remoteWriteUrl(ingestion.endpoint, immutableId);
      });
    this.registerOutputs({ workspaceId: this.workspaceId, remoteWriteUrl: this.remoteWriteUrl });
  }
}
