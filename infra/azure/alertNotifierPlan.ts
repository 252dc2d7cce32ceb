/**
 * Pure decisions for how Azure Monitor's own alerts reach people (infra/azure/platformAlerts.ts): one
 * action group per environment whose only receiver is a Logic App that routes each alert the way our
 * Alertmanager does (infra/monitoring/alertmanager.ts routeTree):
 *   critical → PagerDuty (Events API v2, the same routing key) + Slack #incidents
 *   warning  → Slack #on-call
 *   info     → Slack #alerts
 *   anything else (a rule without our severity) → Slack #on-call, never a page (Alertmanager's default route).
 * Alertmanager also pages warnings during business hours; the Azure side does not (the issue asks
 * warning/info → Slack), and says so in docs/azure-alerts.md.
 *
 * Why a Logic App and not the action group's own receivers: an action group has no Slack or PagerDuty
 * receiver, and a webhook receiver posts the common alert schema as is — which a Slack incoming webhook
 * refuses (it needs `text`) and PagerDuty's Events API v2 refuses (it needs `routing_key`/`event_action`).
 * An action group is also attached per alert rule, not per severity, so routing by severity needs a step
 * that reads the alert. Logic App receivers get the common alert schema (`useCommonAlertSchema`,
 * learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema): `data.essentials` (alertRule,
 * severity, monitorCondition Fired/Resolved, alertId, alertTargetIDs, description) and `data.customProperties`
 * — the `webHookProperties` each of our rules sets (severity, runbook_url, dashboard), as Prometheus labels
 * and annotations do. Routing reads our `severity` custom property, not Azure's Sev0–4: activity-log alerts
 * (Service Health) have no severity of their own in that schema.
 *
 * Secrets (the routing key, the three webhook URLs) are SecureString workflow parameters, which ARM never
 * returns on GET, and Pulumi stores them encrypted. A parameter used in an action's URI or body would still
 * show in the run history ("Access to parameter inputs", learn.microsoft.com/azure/logic-apps/
 * logic-apps-securing-a-logic-app), so every HTTP action hides its inputs (runtimeConfiguration.secureData).
 */

/** Our severities, as the rules' `severity` label and the Azure rules' `severity` custom property. */
export type Severity = "critical" | "warning" | "info";

/** The workflow parameters holding secrets, by the stack config key they come from. */
export const NOTIFIER_SECRETS = {
  pagerdutyRoutingKey: "pagerdutyRoutingKey",
  slackCritical: "slackWebhookUrlCritical",
  slackWarning: "slackWebhookUrlWarning",
  slackInfo: "slackWebhookUrlInfo",
} as const;
type NotifierParameter = keyof typeof NOTIFIER_SECRETS;

/** Where each severity goes; `default` catches a rule without a known severity (it never pages). */
export const AZURE_ROUTES: Record<Severity | "default", NotifierParameter[]> = {
  critical: ["pagerdutyRoutingKey", "slackCritical"],
  warning: ["slackWarning"],
  info: ["slackInfo"],
  default: ["slackWarning"],
};

/** The trigger's name: the action group's callback URL is this trigger's (listWorkflowTriggerCallbackUrl). */
export const NOTIFIER_TRIGGER = "azure-alert";

/** PagerDuty Events API v2 (developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty). */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

const essentials = (field: string) => `triggerBody()?['data']?['essentials']?['${field}']`;
const custom = (field: string) => `triggerBody()?['data']?['customProperties']?['${field}']`;

/** The Slack message: state, rule, target, description, runbook and dashboard links (mrkdwn). */
function slackMessage(): Record<string, unknown> {
  const text = [
    `[@{${essentials("monitorCondition")}}] *@{${essentials("alertRule")}}* (@{${custom("severity")}}, Azure Monitor)`,
    // A Service Health event's own title when there is one (alertContext.properties), else the rule's description.
    `@{coalesce(triggerBody()?['data']?['alertContext']?['properties']?['title'], ${essentials("description")})}`,
    `Resource: @{first(${essentials("alertTargetIDs")})}`,
    `Runbook: @{${custom("runbook_url")}}`,
    `Dashboard: @{${custom("dashboard")}}`,
  ].join("\n");
  return { text };
}

/**
 * A PagerDuty event: `trigger` when Azure fires, `resolve` when it resolves; the dedup key is Azure's
 * alert id, which both notifications of one alert share, so a resolve closes the incident the trigger
 * opened (one page, one resolve), as Alertmanager's group key does.
 */
function pagerdutyEvent(): Record<string, unknown> {
  return {
    routing_key: "@parameters('pagerdutyRoutingKey')",
    event_action: `@if(equals(${essentials("monitorCondition")}, 'Resolved'), 'resolve', 'trigger')`,
    dedup_key: `@${essentials("alertId")}`,
    payload: {
      summary: `@{${essentials("alertRule")}}: @{${essentials("description")}}`,
      source: `@{first(${essentials("alertTargetIDs")})}`,
      severity: "critical",
      component: `@{${essentials("monitoringService")}}`,
      custom_details: `@triggerBody()?['data']`,
    },
    links: [
      { href: `@{${custom("runbook_url")}}`, text: "Runbook" },
      { href: `@{${custom("dashboard")}}`, text: "Dashboard" },
    ],
  };
}

/** One HTTP action per receiver: the workflow fails the run (and retries) on a non-2xx answer. */
function postTo(receiver: NotifierParameter): Record<string, unknown> {
  const inputs =
    receiver === "pagerdutyRoutingKey"
      ? { method: "POST", uri: PAGERDUTY_EVENTS_URL, body: pagerdutyEvent() }
      : { method: "POST", uri: `@parameters('${receiver}')`, body: slackMessage() };
  return {
    type: "Http",
    inputs: {
      ...inputs,
      headers: { "Content-Type": "application/json" },
      // Exponential retries on 408/429/5xx, as Alertmanager retries a failed notification.
      retryPolicy: { type: "exponential", count: 4, interval: "PT15S", minimumInterval: "PT10S" },
    },
    // The Slack URL and the PagerDuty routing key never show in run history.
    runtimeConfiguration: { secureData: { properties: ["inputs"] } },
    runAfter: {},
  };
}

function actionsFor(route: NotifierParameter[]): Record<string, unknown> {
  return Object.fromEntries(route.map((r) => [`notify-${r}`, postTo(r)]));
}

/**
 * The workflow definition (Workflow Definition Language, schema 2016-06-01): an HTTP request trigger and a
 * Switch on the alert's `severity` custom property with one case per severity of AZURE_ROUTES.
 */
export function notifierDefinition(): Record<string, unknown> {
  const cases = Object.fromEntries(
    (["critical", "warning", "info"] as const).map((s) => [
      s,
      { case: s, actions: actionsFor(AZURE_ROUTES[s]) },
    ]),
  );
  return {
    $schema:
      "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
    contentVersion: "1.0.0.0",
    parameters: Object.fromEntries(
      (Object.keys(NOTIFIER_SECRETS) as NotifierParameter[]).map((p) => [p, { type: "SecureString" }]),
    ),
    triggers: {
      [NOTIFIER_TRIGGER]: {
        type: "Request",
        kind: "Http",
        inputs: {
          method: "POST",
          schema: {
            type: "object",
            properties: {
              schemaId: { type: "string" },
              data: {
                type: "object",
                properties: { essentials: { type: "object" }, customProperties: { type: "object" } },
              },
            },
          },
        },
      },
    },
    actions: {
      route: {
        type: "Switch",
        // Our custom property; for a Prometheus rule group's alert also its `severity` label (alertContext),
        // should Azure not hand actionProperties on as custom properties.
        expression: `@coalesce(${custom("severity")}, triggerBody()?['data']?['alertContext']?['labels']?['severity'], '')`,
        cases,
        default: { actions: actionsFor(AZURE_ROUTES.default) },
        runAfter: {},
      },
    },
    outputs: {},
  };
}
