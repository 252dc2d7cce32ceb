import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { azureName } from "../naming";

export interface LogAnalyticsArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  /** Days logs are kept (30-730). */
  retentionDays: number;
  /** Daily ingestion cap in GB; -1 for none. */
  dailyQuotaGb: number;
  /** Keep the workspace (and its logs) from being deleted by an update. */
  protect: boolean;
  tags: Record<string, string>;
}

/** The Log Analytics workspace that AKS Container Insights and diagnostic settings write to. */
export class LogAnalytics extends pulumi.ComponentResource {
  public readonly workspaceId: pulumi.Output<string>;
  /** The workspace (customer) id, a GUID: traffic analytics names the workspace by it. */
  public readonly customerId: pulumi.Output<string>;

  constructor(name: string, args: LogAnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:LogAnalytics", name, {}, opts);
    const ws = new operationalinsights.Workspace(
      `${name}-workspace`,
      {
        workspaceName: azureName("log", args.stack),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        sku: { name: "PerGB2018" },
        retentionInDays: args.retentionDays,
        workspaceCapping: { dailyQuotaGb: args.dailyQuotaGb },
        tags: args.tags,
      },
      // Logs are evidence for postmortems: losing the workspace loses them.
      { parent: this, protect: args.protect },
    );
    this.workspaceId = ws.id;
    this.customerId = ws.customerId;
    this.registerOutputs({ workspaceId: this.workspaceId });
  }
}
