/**
 * Azure Monitor's own alerts (docs/azure-alerts.md): AMBA metric alerts on the cluster, Postgres, Redis, Key
 * Vault and the registry; a Service Health alert for our regions; with remote write, the dead man's switch
 * evaluated in the Azure Monitor workspace. All go to one action group whose Logic App routes them as
 * Alertmanager does. Decisions in platformAlertsPlan.ts and alertNotifierPlan.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as logic from "@pulumi/azure-native/logic";
import * as alertsmanagement from "@pulumi/azure-native/alertsmanagement";
import { azureName, stackSlug } from "../naming";
import { NOTIFIER_SECRETS, NOTIFIER_TRIGGER, notifierDefinition } from "./alertNotifierPlan";
import {
  type AlertTarget,
  METRICS_MISSING_ALERT,
  metricAlertPlans,
  metricCriteria,
  metricsMissingExpr,
  ourSeverity,
  payloadOf,
  SERVICE_HEALTH_ALERT,
  serviceHealthCondition,
} from "./platformAlertsPlan";

export interface PlatformAlertsArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  tags: Record<string, string>;
  subscriptionId: pulumi.Input<string>;
  /** Resource ids of what the metric alerts watch. */
  targets: Record<AlertTarget, pulumi.Input<string>>;
  registrySku: "Basic" | "Standard" | "Premium";
  /** Stack secrets the notifier posts with (Pulumi secrets; SecureString workflow parameters). */
  secrets: Record<keyof typeof NOTIFIER_SECRETS, pulumi.Input<string>>;
  runbookBaseUrl: string;
  grafanaUrl: string;
  /** Display names of the regions we run in (Service Health matches on them). */
  regionDisplayNames: string[];
  /** With remote write: the workspace (and its region) the dead man's switch is evaluated in. */
  metrics?: { workspaceId: pulumi.Input<string>; location: string; clusterName: pulumi.Input<string> };
}

export class PlatformAlerts extends pulumi.ComponentResource {
  public readonly actionGroupId: pulumi.Output<string>;

  constructor(name: string, args: PlatformAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:PlatformAlerts", name, {}, opts);
    const actionGroup = this.actionGroup(name, args);
    this.actionGroupId = actionGroup.id;
    this.metricAlerts(name, args, actionGroup.id);
    this.serviceHealth(name, args, actionGroup.id);
    if (args.metrics) this.metricsMissing(name, args, args.metrics, actionGroup.id);
    this.registerOutputs({ actionGroupId: this.actionGroupId });
  }

  /** The notifier Logic App and the one action group that calls it (common alert schema). */
  private actionGroup(name: string, args: PlatformAlertsArgs): monitor.ActionGroup {
    const parameters = Object.fromEntries(
      (Object.keys(NOTIFIER_SECRETS) as (keyof typeof NOTIFIER_SECRETS)[]).map((p) => [
        p,
        { value: pulumi.secret(args.secrets[p]) },
      ]),
    );
    const workflow = new logic.Workflow(
      `${name}-notifier`,
      {
        workflowName: azureName("logic", args.stack, "alerts"),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        state: "Enabled",
        definition: notifierDefinition(),
        parameters,
        tags: args.tags,
      },
      { parent: this },
    );
    // The trigger's signed URL (a SAS in its query string): a secret, kept encrypted in state.
    const callbackUrl = pulumi.secret(
      logic.listWorkflowTriggerCallbackUrlOutput(
        {
          resourceGroupName: args.resourceGroupName,
          workflowName: workflow.name,
          triggerName: NOTIFIER_TRIGGER,
        },
        { parent: this },
      ).value,
    );
    return new monitor.ActionGroup(
      `${name}-action-group`,
      {
        actionGroupName: azureName("ag", args.stack),
        // At most 12 characters: the sender name of SMS and e-mail notifications.
        groupShortName: `ag-${stackSlug(args.stack)}`.slice(0, 12).replace(/-+$/, ""),
        resourceGroupName: args.resourceGroupName,
        // Action groups are global resources (learn.microsoft.com/azure/azure-monitor/alerts/action-groups).
        location: "Global",
        enabled: true,
        logicAppReceivers: [
          { name: "notifier", resourceId: workflow.id, callbackUrl, useCommonAlertSchema: true },
        ],
        tags: args.tags,
      },
      { parent: this },
    );
  }

  private metricAlerts(name: string, args: PlatformAlertsArgs, actionGroupId: pulumi.Output<string>): void {
    for (const p of metricAlertPlans(args.registrySku)) {
      new monitor.MetricAlert(
        `${name}-${p.name}`,
        {
          ruleName: p.name,
          resourceGroupName: args.resourceGroupName,
          // Metric alert rules are global resources evaluating the scope's regional metrics.
          location: "global",
          description: `${p.description} Stack ${args.stack}.`,
          scopes: [args.targets[p.target]],
          severity: p.azureSeverity,
          enabled: true,
          evaluationFrequency: p.evaluationFrequency,
          windowSize: p.windowSize,
          criteria: metricCriteria(p),
          // Resolves when the condition clears (a resolve closes the PagerDuty incident, as Alertmanager's).
          autoMitigate: true,
          actions: [
            {
              actionGroupId,
              webHookProperties: payloadOf(p, ourSeverity(p.azureSeverity), args),
            },
          ],
          tags: args.tags,
        },
        { parent: this },
      );
    }
  }

  private serviceHealth(name: string, args: PlatformAlertsArgs, actionGroupId: pulumi.Output<string>): void {
    new monitor.ActivityLogAlert(
      `${name}-${SERVICE_HEALTH_ALERT.name}`,
      {
        activityLogAlertName: SERVICE_HEALTH_ALERT.name,
        resourceGroupName: args.resourceGroupName,
        location: "Global",
        description: `Azure Service Health incident in a region of stack ${args.stack}.`,
        scopes: [pulumi.interpolate`/subscriptions/${args.subscriptionId}`],
        condition: serviceHealthCondition(args.regionDisplayNames),
        enabled: true,
        actions: {
          actionGroups: [
            {
              actionGroupId,
              webhookProperties: payloadOf(SERVICE_HEALTH_ALERT, SERVICE_HEALTH_ALERT.severity, args),
            },
          ],
        },
        tags: args.tags,
      },
      { parent: this },
    );
  }

  private metricsMissing(
    name: string,
    args: PlatformAlertsArgs,
    metrics: NonNullable<PlatformAlertsArgs["metrics"]>,
    actionGroupId: pulumi.Output<string>,
  ): void {
    const a = METRICS_MISSING_ALERT;
    new alertsmanagement.PrometheusRuleGroup(
      `${name}-${a.name}`,
      {
        ruleGroupName: azureName("prg", args.stack, "deadman"),
        resourceGroupName: args.resourceGroupName,
        // A rule group lives in its workspace's region and is evaluated by Azure Monitor there.
        location: metrics.location,
        description: `Dead man's switch: the cluster of stack ${args.stack} stopped remote-writing.`,
        scopes: [metrics.workspaceId],
        enabled: true,
        interval: "PT1M",
        rules: [
          {
            alert: a.name,
            expression: pulumi.output(metrics.clusterName).apply(metricsMissingExpr),
            for: a.for,
            severity: a.azureSeverity,
            labels: { severity: a.severity },
            annotations: {
              summary: pulumi.interpolate`No metrics from ${metrics.clusterName} in the Azure Monitor workspace`,
              description: pulumi.interpolate`No sample of up{cluster="${metrics.clusterName}"} reached the Azure Monitor workspace for 10 minutes: the cluster, its Prometheus or its remote write is gone.`,
            },
            enabled: true,
            resolveConfiguration: { autoResolved: true, timeToResolve: "PT10M" },
            actions: [{ actionGroupId, actionProperties: payloadOf(a, a.severity, args) }],
          },
        ],
        tags: args.tags,
      },
      { parent: this },
    );
  }
}
