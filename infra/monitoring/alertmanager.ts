// The Alertmanager configuration (the kube-prometheus-stack chart's `alertmanager.config` value) as a pure
// function of the stack config. No Pulumi here: the component only hands the object to the chart, and the
// tests feed the same object to amtool and to a real Alertmanager in the fire drill.
//
// Routing (docs: https://prometheus.io/docs/alerting/latest/configuration/):
//   Watchdog            → heartbeat (dead man's switch), pinged every minute
//   severity="critical" → pagerduty-critical + slack-incidents
//   severity="warning"  → pagerduty-warning during business hours, slack-on-call outside them
//   severity="info"     → slack-alerts
// Secrets never appear in the config: every integration reads them from files of the Key Vault CSI mount.
import type { MonitoringConfig } from "./config";
import { VAULT_SECRETS } from "../azure/secrets";

type Monitoring = MonitoringConfig;

/** The business hours from stack config `monitoring.businessHours`. */
export type BusinessHours = Monitoring["businessHours"];
/** The Slack channels from stack config `monitoring.slackChannels`. */
export type SlackChannels = Monitoring["slackChannels"];

/** Input of {@link alertmanagerConfig}. */
export interface AlertmanagerInput {
  /** When a warning may page; outside these hours warnings only go to Slack. */
  businessHours: BusinessHours;
  /** Slack channel per severity. */
  slackChannels: SlackChannels;
  /**
   * Directory where the Key Vault secrets are mounted as files named after the secret
   * (infra/azure/secrets.ts), e.g. `/etc/alertmanager/keyvault`.
   */
  secretDir: string;
  /** Grafana base URL: the dashboard link of an alert that has no `dashboard_url` annotation. */
  grafanaUrl: string;
}

/** A node of the routing tree. */
export interface Route {
  receiver?: string;
  /** Matchers in Alertmanager's string syntax, e.g. `severity="critical"`. */
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  /** Time intervals during which this route does not notify. */
  mute_time_intervals?: string[];
  /** Time intervals outside of which this route does not notify. */
  active_time_intervals?: string[];
  routes?: Route[];
}

export interface PagerdutyConfig {
  routing_key_file: string;
  severity: string;
  description: string;
  links: { href: string; text: string }[];
  details: Record<string, string>;
  send_resolved: boolean;
}

export interface SlackConfig {
  api_url_file: string;
  channel: string;
  title: string;
  title_link: string;
  text: string;
  color: string;
  send_resolved: boolean;
}

/** Exactly one of `url` and `url_file`; only the fire drill uses `url` (a local capture server). */
export interface WebhookConfig {
  url?: string;
  url_file?: string;
  send_resolved: boolean;
  max_alerts?: number;
}

export interface Receiver {
  name: string;
  pagerduty_configs?: PagerdutyConfig[];
  slack_configs?: SlackConfig[];
  webhook_configs?: WebhookConfig[];
}

export interface TimeIntervalSpec {
  /** Day ranges such as `monday:friday`, in Alertmanager's Sunday-first order. */
  weekdays?: string[];
  times?: { start_time: string; end_time: string }[];
  /** IANA time zone the times and weekdays are read in. */
  location?: string;
}

export interface TimeInterval {
  name: string;
  time_intervals: TimeIntervalSpec[];
}

export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

/** The plain object that becomes alertmanager.yaml. */
export interface AlertmanagerConfig {
  global: { resolve_timeout: string };
  route: Route;
  inhibit_rules: InhibitRule[];
  time_intervals: TimeInterval[];
  receivers: Receiver[];
  templates: string[];
}

/** Receiver names, referenced by tests and the fire drill. */
export const RECEIVERS = {
  pagerdutyCritical: "pagerduty-critical",
  pagerdutyWarning: "pagerduty-warning",
  slackIncidents: "slack-incidents",
  slackOnCall: "slack-on-call",
  slackAlerts: "slack-alerts",
  heartbeat: "heartbeat",
} as const;

/**
 * Labels a source and a target alert must share for the source to inhibit the target: the same alert name
 * (the critical and warning rules of one condition, e.g. a fast and a slow burn), the same service, and the
 * same object. Alertmanager compares each label's value and treats a missing label as the empty value
 * (https://prometheus.io/docs/alerting/latest/configuration/#inhibit_rule), so an aggregated alert (no
 * `pod`) and a per-pod one of the same name do not inhibit each other, and one volume filling up does not
 * silence a warning about another. Equal on `service` alone let one critical of service `kubernetes` mute
 * every node and pod warning for as long as it fired. kube-prometheus does the same with
 * `equal: [namespace, alertname]` (the chart's default `alertmanager.config`).
 */
export const INHIBIT_EQUAL = [
  "alertname",
  "service",
  "namespace",
  "pod",
  "node",
  "instance",
  "persistentvolumeclaim",
  "mountpoint",
] as const;

/**
 * One outage, one page: a cause alert and the alerts that are only its symptoms. While the cause fires,
 * Alertmanager inhibits the symptoms, whatever their severity, so the on-call gets the page that names the
 * cause and not three pages for one broken thing. Before this, the only inhibition was by severity and
 * needed the same `alertname` ({@link INHIBIT_EQUAL}), so a complete agent-api outage paged for
 * AgentCompleteOutage, AgentLiveServiceNoEndpoints and AgentExternalProbeFailing, and after 10 minutes
 * AgentInstancesDown paged too (business hours).
 *
 * The chain, from the widest cause down (each alert's rule is in rules/agent.yaml):
 *   AgentCompleteOutage (no agent-api target answers, or none is left) → the live Service has no ready
 *   endpoint, the public probe fails, instances are down: all three follow from it;
 *   AgentLiveServiceNoEndpoints (the live color has no ready pod) → the public probe fails;
 *   AgentExternalProbeFailing (the probe fails continuously) → the probe SLI's budget burns
 *   (AgentProbeBudgetBurn, rules/slo.yaml), which therefore pages alone only for intermittent failures.
 * AgentExternalProbeFailing on its own (DNS, ingress, TLS broken, pods fine) is never inhibited by these.
 *
 * `equal` is what the labels of cause and symptoms really share. Every one of these rules carries the
 * static label `service: agent-api`; `namespace` is not shared: AgentCompleteOutage aggregates `by (job)`
 * and its `absent()` branch has only `job`, the probe's series carry the Probe's labels (no app
 * namespace), and only AgentLiveServiceNoEndpoints has `namespace`. Alertmanager compares a missing label
 * as the empty string (inhibit/inhibit.go, `a.Labels[n] != lset[n]`, read at v0.34's tree), so equal on
 * `namespace` would never match and the symptoms would page again. A stack runs one agent-api, so
 * `service` names the outage exactly; test/alertmanager.test.ts checks every `equal` label is a static
 * label of both rules. Upstream (same file): a source alert inhibits while it is unresolved, even when it
 * is itself inhibited, so the chain needs no ordering.
 */
export const CAUSE_INHIBITIONS: readonly {
  cause: string;
  symptoms: readonly string[];
  equal: readonly string[];
}[] = [
  {
    cause: "AgentCompleteOutage",
    symptoms: [
      "AgentLiveServiceNoEndpoints",
      "AgentExternalProbeFailing",
      "AgentInstancesDown",
      "AgentProbeBudgetBurn",
    ],
    equal: ["service"],
  },
  {
    cause: "AgentLiveServiceNoEndpoints",
    symptoms: ["AgentExternalProbeFailing", "AgentProbeBudgetBurn"],
    equal: ["service"],
  },
  // The probe failing right now is the cause; the budget it burns is the symptom (rules/slo.yaml).
  { cause: "AgentExternalProbeFailing", symptoms: ["AgentProbeBudgetBurn"], equal: ["service"] },
];

/** Name of the time interval built from `monitoring.businessHours`. */
export const BUSINESS_HOURS = "business-hours";

/** Labels every notification is grouped by; every alert rule sets `severity` and `service`. */
export const GROUP_BY = ["alertname", "service", "severity"];

/**
 * Notification timings per severity. A page must leave fast; an info message may wait for its group to
 * fill up and repeat once a day.
 */
export const TIMINGS = {
  default: { group_wait: "30s", group_interval: "5m", repeat_interval: "4h" },
  critical: { group_wait: "10s", group_interval: "1m", repeat_interval: "1h" },
  warning: { group_wait: "30s", group_interval: "5m", repeat_interval: "4h" },
  info: { group_wait: "1m", group_interval: "10m", repeat_interval: "24h" },
  // The dead man's switch expects a ping every minute or so; a missing ping is what pages. With
  // group_interval 30s and repeat_interval 1m a ping leaves every 60-90 s: give the switch a period of 1
  // minute and a grace of at least 2 minutes.
  heartbeat: { group_wait: "0s", group_interval: "30s", repeat_interval: "1m" },
} as const;

/** Thrown by {@link validateAlertmanagerConfig}; the message lists every problem and its fix. */
export class AlertmanagerConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid Alertmanager configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "AlertmanagerConfigError";
  }
}

// Go template helpers. The first alert of a group stands for the group: groups are per alertname, service
// and severity, so their alerts share summary, runbook and dashboard.
const FIRST = "(index .Alerts 0)";
const goString = (s: string) => JSON.stringify(s);

function templates(grafanaUrl: string) {
  const dashboardOf = (alert: string) =>
    `{{ or ${alert}.Annotations.dashboard_url ${goString(grafanaUrl)} }}`;
  return {
    slackTitle:
      '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] ' +
      "{{ .GroupLabels.severity | toUpper }}: {{ .GroupLabels.alertname }} ({{ .GroupLabels.service }})",
    slackTitleLink: dashboardOf(FIRST),
    slackText: [
      "{{ range .Alerts -}}",
      '{{ if eq .Status "firing" }}:rotating_light:{{ else }}:white_check_mark:{{ end }} *{{ .Annotations.summary }}*',
      "{{ .Annotations.description }}",
      "*Severity:* `{{ .Labels.severity }}`  *Service:* `{{ .Labels.service }}`",
      "{{ with .Annotations.runbook_url }}<{{ . }}|:book: Runbook>{{ else }}(no runbook){{ end }}" +
        `  <${dashboardOf("")}|:bar_chart: Dashboard>`,
      "{{ end }}",
    ].join("\n"),
    slackColor:
      '{{ if eq .Status "firing" }}{{ if eq .GroupLabels.severity "critical" }}danger{{ else }}warning{{ end }}' +
      "{{ else }}good{{ end }}",
    pagerdutyDescription:
      "[{{ .GroupLabels.severity | toUpper }}] {{ .GroupLabels.alertname }} ({{ .GroupLabels.service }}): " +
      `{{ ${FIRST}.Annotations.summary }}`,
    runbook: `{{ ${FIRST}.Annotations.runbook_url }}`,
    dashboard: dashboardOf(FIRST),
  };
}

/**
 * Builds the Alertmanager configuration: receivers reading their secrets from `secretDir`, the severity
 * routing tree, business hours as a time interval, and inhibition (a critical alert silences the warning
 * and info alerts of the same name and object, a warning the info ones, {@link INHIBIT_EQUAL}; a cause
 * silences its symptoms, {@link CAUSE_INHIBITIONS}). The
 * result is validated before it is returned.
 */
export function alertmanagerConfig(input: AlertmanagerInput): AlertmanagerConfig {
  const cfg: AlertmanagerConfig = {
    global: { resolve_timeout: "5m" },
    route: routeTree(),
    inhibit_rules: inhibitRules(),
    time_intervals: [{ name: BUSINESS_HOURS, time_intervals: [businessHoursInterval(input.businessHours)] }],
    receivers: receivers(input),
    templates: [],
  };
  validateAlertmanagerConfig(cfg);
  return cfg;
}

const severity = (s: "critical" | "warning" | "info") => [`severity="${s}"`];

/** The receivers: PagerDuty per paging severity, Slack per channel, the heartbeat webhook. */
function receivers(input: AlertmanagerInput): Receiver[] {
  const { slackChannels, grafanaUrl } = input;
  const secretDir = input.secretDir.replace(/\/+$/, "");
  const secretFile = (name: string) => `${secretDir}/${name}`;
  const t = templates(grafanaUrl);

  const pagerduty = (name: string, severity: "critical" | "warning"): Receiver => ({
    name,
    pagerduty_configs: [
      {
        routing_key_file: secretFile(VAULT_SECRETS.pagerdutyRoutingKey),
        severity,
        description: t.pagerdutyDescription,
        links: [
          { href: t.runbook, text: "Runbook" },
          { href: t.dashboard, text: "Grafana dashboard" },
        ],
        details: {
          severity: "{{ .GroupLabels.severity }}",
          service: "{{ .GroupLabels.service }}",
          summary: `{{ ${FIRST}.Annotations.summary }}`,
          description: `{{ ${FIRST}.Annotations.description }}`,
          runbook_url: t.runbook,
          dashboard_url: t.dashboard,
          firing: "{{ .Alerts.Firing | len }}",
          resolved: "{{ .Alerts.Resolved | len }}",
        },
        send_resolved: true,
      },
    ],
  });

  // Each channel has its own webhook secret: Slack app webhooks post only to the channel they were created
  // for and ignore `channel` (kept for legacy webhooks and for readers of the config).
  const slack = (name: string, channel: string, webhookSecret: string): Receiver => ({
    name,
    slack_configs: [
      {
        api_url_file: secretFile(webhookSecret),
        channel,
        title: t.slackTitle,
        title_link: t.slackTitleLink,
        text: t.slackText,
        color: t.slackColor,
        // Slack's default is false; a resolved message is what lets the channel stand down.
        send_resolved: true,
      },
    ],
  });

  return [
    pagerduty(RECEIVERS.pagerdutyCritical, "critical"),
    pagerduty(RECEIVERS.pagerdutyWarning, "warning"),
    slack(RECEIVERS.slackIncidents, slackChannels.critical, VAULT_SECRETS.slackWebhookUrlCritical),
    slack(RECEIVERS.slackOnCall, slackChannels.warning, VAULT_SECRETS.slackWebhookUrlWarning),
    slack(RECEIVERS.slackAlerts, slackChannels.info, VAULT_SECRETS.slackWebhookUrlInfo),
    {
      name: RECEIVERS.heartbeat,
      webhook_configs: [
        {
          // The heartbeat URL is itself the secret (whoever knows it can fake a healthy pipeline).
          // `url_file` exists since Alertmanager 0.26, and before 0.28 a non-2xx reply to a `url_file`
          // webhook crashed Alertmanager (prometheus/alertmanager#3798, fixed by #3800 in 0.28.0, see its
          // CHANGELOG). The chart deploys 0.34.1 (chartVersions.ts); the fire drill runs that very version
          // against a heartbeat endpoint answering 500 and checks Alertmanager stays up.
          url_file: secretFile(VAULT_SECRETS.heartbeatUrl),
          // A resolved Watchdog means the pipeline is stopping: it must not count as a ping.
          send_resolved: false,
          max_alerts: 1,
        },
      ],
    },
  ];
}

/** Severity routing: the Watchdog to the heartbeat, critical to PagerDuty and #incidents, warning by hours. */
function routeTree(): Route {
  return {
    // An alert without a known severity is a rule bug: it shows up in the on-call channel instead of
    // vanishing, but never pages.
    receiver: RECEIVERS.slackOnCall,
    group_by: [...GROUP_BY],
    ...TIMINGS.default,
    routes: [
      { matchers: ['alertname="Watchdog"'], receiver: RECEIVERS.heartbeat, ...TIMINGS.heartbeat },
      {
        matchers: severity("critical"),
        receiver: RECEIVERS.pagerdutyCritical,
        continue: true,
        ...TIMINGS.critical,
      },
      { matchers: severity("critical"), receiver: RECEIVERS.slackIncidents, ...TIMINGS.critical },
      // A warning matches both routes; the time intervals let exactly one of them notify at any moment.
      {
        matchers: severity("warning"),
        receiver: RECEIVERS.pagerdutyWarning,
        active_time_intervals: [BUSINESS_HOURS],
        continue: true,
        ...TIMINGS.warning,
      },
      {
        matchers: severity("warning"),
        receiver: RECEIVERS.slackOnCall,
        mute_time_intervals: [BUSINESS_HOURS],
        ...TIMINGS.warning,
      },
      { matchers: severity("info"), receiver: RECEIVERS.slackAlerts, ...TIMINGS.info },
    ],
  };
}

function inhibitRules(): InhibitRule[] {
  // The Watchdog is severity info, but inhibiting it would stop the heartbeat and make the dead man's
  // switch page for a pipeline that works (e.g. while a critical monitoring alert fires).
  const notWatchdog = 'alertname!="Watchdog"';
  return [
    {
      source_matchers: severity("critical"),
      target_matchers: ['severity=~"warning|info"', notWatchdog],
      equal: [...INHIBIT_EQUAL],
    },
    {
      source_matchers: severity("warning"),
      target_matchers: ['severity="info"', notWatchdog],
      equal: [...INHIBIT_EQUAL],
    },
    ...CAUSE_INHIBITIONS.map(({ cause, symptoms, equal }): InhibitRule => ({
      source_matchers: [`alertname="${cause}"`],
      target_matchers: [`alertname=~"${symptoms.join("|")}"`],
      equal: [...equal],
    })),
  ];
}

// Alertmanager numbers weekdays Sunday-first and rejects a range whose start comes after its end
// ("monday:sunday"), so ranges are built in this order.
const AM_WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

/**
 * Turns a list of weekdays into Alertmanager weekday ranges: runs of consecutive days become `from:to`,
 * single days stay single (`[monday … friday]` → `["monday:friday"]`).
 */
export function weekdayRanges(weekdays: readonly string[]): string[] {
  const idx = [...new Set(weekdays.map((d) => d.toLowerCase()))]
    .map((d) => {
      const i = AM_WEEKDAYS.indexOf(d as (typeof AM_WEEKDAYS)[number]);
      if (i < 0) throw new AlertmanagerConfigError([`"${d}" is not a weekday: use monday … sunday`]);
      return i;
    })
    .sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
    const from = AM_WEEKDAYS[idx[i]!]!;
    const to = AM_WEEKDAYS[idx[j]!]!;
    ranges.push(i === j ? from : `${from}:${to}`);
    i = j + 1;
  }
  return ranges;
}

/** The business-hours time interval: weekdays and times read in the configured time zone. */
export function businessHoursInterval(hours: BusinessHours): TimeIntervalSpec {
  return {
    weekdays: weekdayRanges(hours.weekdays),
    times: [{ start_time: hours.start, end_time: hours.end }],
    location: hours.timeZone,
  };
}

// Integration fields that would carry a secret inline; each has a `_file` twin that reads it from a file.
const INLINE_SECRET_FIELDS = new Set([
  "routing_key",
  "service_key",
  "api_url",
  "slack_api_url",
  "url",
  "webhook_url",
  "api_key",
  "token",
  "bearer_token",
  "password",
  "auth_password",
  "auth_secret",
  "smtp_auth_password",
  "smtp_auth_secret",
]);

/**
 * Checks what Alertmanager would only discover at load time (or never): routes naming unknown receivers,
 * duplicate receivers or time intervals, time intervals referenced but not defined, and secrets inlined
 * instead of read from the Key Vault mount. Throws {@link AlertmanagerConfigError} listing every problem.
 */
export function validateAlertmanagerConfig(cfg: AlertmanagerConfig): void {
  const problems: string[] = [];
  const receiverNames = new Set<string>();
  for (const [i, r] of cfg.receivers.entries()) {
    if (receiverNames.has(r.name)) {
      problems.push(
        `receivers[${i}]: receiver "${r.name}" is defined twice: give every receiver a unique name ` +
          `(Alertmanager refuses to load duplicates)`,
      );
    }
    receiverNames.add(r.name);
  }
  const intervalNames = new Set<string>();
  for (const ti of cfg.time_intervals) {
    if (intervalNames.has(ti.name)) {
      problems.push(`time_intervals: "${ti.name}" is defined twice: give every time interval a unique name`);
    }
    intervalNames.add(ti.name);
  }
  const known = [...receiverNames].join(", ");

  const walk = (route: Route, where: string): void => {
    const label = route.matchers?.length ? `${where} {${route.matchers.join(", ")}}` : where;
    if (route.receiver === undefined && where === "route") {
      problems.push(
        `route: the root route has no receiver: set route.receiver (it catches unmatched alerts)`,
      );
    }
    if (route.receiver !== undefined && !receiverNames.has(route.receiver)) {
      problems.push(
        `${label} names receiver "${route.receiver}", which is not defined: add a receiver with that name ` +
          `or use one of: ${known}`,
      );
    }
    for (const field of ["mute_time_intervals", "active_time_intervals"] as const) {
      for (const name of route[field] ?? []) {
        if (!intervalNames.has(name)) {
          problems.push(
            `${label} references time interval "${name}" in ${field}, which is not defined: add it to ` +
              `time_intervals or fix the name (defined: ${[...intervalNames].join(", ") || "none"})`,
          );
        }
      }
    }
    route.routes?.forEach((child, i) => walk(child, `${where}.routes[${i}]`));
  };
  walk(cfg.route, "route");

  const findInlineSecrets = (value: unknown, where: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => findInlineSecrets(v, `${where}[${i}]`));
    } else if (value && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (INLINE_SECRET_FIELDS.has(key) && v !== undefined && v !== "") {
          problems.push(
            `${where}.${key} inlines a secret: use ${key}_file pointing into the Key Vault mount ` +
              `(e.g. <secretDir>/<secret name from infra/azure/secrets.ts>) so it never lands in the config`,
          );
        }
        findInlineSecrets(v, `${where}.${key}`);
      }
    }
  };
  cfg.receivers.forEach((r) => findInlineSecrets(r, `receiver "${r.name}"`));
  findInlineSecrets(cfg.global, "global");

  if (problems.length) throw new AlertmanagerConfigError(problems);
}

/**
 * A copy of `cfg` for the fire drill: every receiver's integrations are replaced by a single webhook to
 * `urlFor(receiverName)`; the route tree, time intervals and inhibition stay exactly as they are, so the
 * drill exercises the real routing. The copy inlines URLs on purpose and is never deployed.
 */
export function redirectReceivers(
  cfg: AlertmanagerConfig,
  urlFor: (receiver: string) => string,
): AlertmanagerConfig {
  const copy = structuredClone(cfg);
  copy.receivers = cfg.receivers.map((r) => ({
    name: r.name,
    webhook_configs: [{ url: urlFor(r.name), send_resolved: true }],
  }));
  return copy;
}
