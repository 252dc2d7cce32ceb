// The Alertmanager configuration: pure tests of the generated object, then the real tool. amtool checks the
// YAML the chart will receive and evaluates the routing tree for each severity, and renders the
// notification templates, so a config Alertmanager would refuse (or a template that would fail at 3 a.m.)
// breaks the build instead.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, tool } from "./tools";
import type { StackConfig } from "../infra/config";
import { VAULT_SECRETS } from "../infra/azure/secrets";
import {
  AlertmanagerConfigError,
  BUSINESS_HOURS,
  CAUSE_INHIBITIONS,
  RECEIVERS,
  alertmanagerConfig,
  redirectReceivers,
  validateAlertmanagerConfig,
  weekdayRanges,
  type AlertmanagerConfig,
  type Route,
} from "../infra/monitoring/alertmanager";
import { isAlertingRule, loadRuleFiles, ruleConstants } from "../infra/monitoring/rules";

const ROOT = path.resolve(__dirname, "..");
const SECRET_DIR = "/etc/alertmanager/keyvault";
const STACKS = ["dev", "prod"] as const;

/** The `monitoring-platform:monitoring` block of a stack file, as the stack would be deployed. */
function stackMonitoring(stack: string): StackConfig["monitoring"] {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const monitoring = doc.config["monitoring-platform:monitoring"];
  if (!monitoring) throw new Error(`Pulumi.${stack}.yaml has no monitoring-platform:monitoring block`);
  return monitoring as StackConfig["monitoring"];
}

function configFor(stack: string): AlertmanagerConfig {
  const m = stackMonitoring(stack);
  return alertmanagerConfig({
    businessHours: m.businessHours,
    slackChannels: m.slackChannels,
    secretDir: SECRET_DIR,
    grafanaUrl: m.grafana.url,
  });
}

const child = (cfg: AlertmanagerConfig, receiver: string): Route[] =>
  (cfg.route.routes ?? []).filter((r) => r.receiver === receiver);
const seconds = (d: string | undefined): number => {
  const m = /^(\d+)([smhd])$/.exec(d ?? "");
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
};
/** Every [path, value] pair of a nested object, for "no key anywhere looks like X" assertions. */
function entries(value: unknown, at = ""): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => entries(v, `${at}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => [
      [`${at}.${k}`, v] as [string, unknown],
      ...entries(v, `${at}.${k}`),
    ]);
  }
  return [];
}

describe.each(STACKS)("alertmanagerConfig (%s stack)", (stack) => {
  const m = stackMonitoring(stack);
  const cfg = configFor(stack);

  it("groups by alertname, service and severity, with critical fastest and info slowest", () => {
    expect(cfg.route.group_by).toEqual(["alertname", "service", "severity"]);
    const timing = (receiver: string) => child(cfg, receiver)[0]!;
    const critical = timing(RECEIVERS.pagerdutyCritical);
    const warning = timing(RECEIVERS.pagerdutyWarning);
    const info = timing(RECEIVERS.slackAlerts);
    for (const key of ["group_wait", "group_interval", "repeat_interval"] as const) {
      expect(seconds(critical[key]), key).toBeLessThan(seconds(warning[key]));
      expect(seconds(warning[key]), key).toBeLessThan(seconds(info[key]));
    }
  });

  it("sends the Watchdog to the heartbeat only, first and every minute", () => {
    const first = cfg.route.routes?.[0];
    expect(first).toMatchObject({ matchers: ['alertname="Watchdog"'], receiver: RECEIVERS.heartbeat });
    expect(first?.continue).toBeFalsy();
    expect(seconds(first?.repeat_interval)).toBeLessThanOrEqual(60);
    expect(seconds(first?.group_interval)).toBeLessThanOrEqual(seconds(first?.repeat_interval));
  });

  it("pages and posts to the incident channel for critical alerts", () => {
    const routes = cfg.route.routes ?? [];
    const i = routes.findIndex((r) => r.receiver === RECEIVERS.pagerdutyCritical);
    expect(routes[i]).toMatchObject({ matchers: ['severity="critical"'], continue: true });
    expect(routes[i + 1]).toMatchObject({
      matchers: ['severity="critical"'],
      receiver: RECEIVERS.slackIncidents,
    });
  });

  it("pages warnings during business hours and posts them to on-call outside them", () => {
    const [page] = child(cfg, RECEIVERS.pagerdutyWarning);
    const slack = child(cfg, RECEIVERS.slackOnCall);
    expect(page).toMatchObject({
      matchers: ['severity="warning"'],
      active_time_intervals: [BUSINESS_HOURS],
      continue: true,
    });
    expect(page?.mute_time_intervals).toBeUndefined();
    expect(slack).toEqual([
      expect.objectContaining({ matchers: ['severity="warning"'], mute_time_intervals: [BUSINESS_HOURS] }),
    ]);
    expect(slack[0]?.active_time_intervals).toBeUndefined();
  });

  it("posts info alerts to the alerts channel only", () => {
    expect(child(cfg, RECEIVERS.slackAlerts)).toEqual([
      expect.objectContaining({ matchers: ['severity="info"'] }),
    ]);
    expect(child(cfg, RECEIVERS.slackAlerts)[0]?.continue).toBeFalsy();
  });

  it("builds the business-hours interval from monitoring.businessHours", () => {
    expect(cfg.time_intervals).toEqual([
      {
        name: BUSINESS_HOURS,
        time_intervals: [
          {
            weekdays: weekdayRanges(m.businessHours.weekdays),
            times: [{ start_time: m.businessHours.start, end_time: m.businessHours.end }],
            location: m.businessHours.timeZone,
          },
        ],
      },
    ]);
  });

  it("uses the configured Slack channel per severity", () => {
    const channel = (name: string) => cfg.receivers.find((r) => r.name === name)?.slack_configs?.[0]?.channel;
    expect(channel(RECEIVERS.slackIncidents)).toBe(m.slackChannels.critical);
    expect(channel(RECEIVERS.slackOnCall)).toBe(m.slackChannels.warning);
    expect(channel(RECEIVERS.slackAlerts)).toBe(m.slackChannels.info);
  });

  it("lets critical silence warning and info, and warning silence info, of the same alert and object only", () => {
    const equal = [
      "alertname",
      "service",
      "namespace",
      "pod",
      "node",
      "instance",
      "persistentvolumeclaim",
      "mountpoint",
    ];
    expect(cfg.inhibit_rules.slice(0, 2)).toEqual([
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity=~"warning|info"', 'alertname!="Watchdog"'],
        equal,
      },
      {
        source_matchers: ['severity="warning"'],
        target_matchers: ['severity="info"', 'alertname!="Watchdog"'],
        equal,
      },
    ]);
  });

  it("lets the cause of an agent-api outage silence its symptoms, equal on service only", () => {
    expect(cfg.inhibit_rules.slice(2)).toEqual([
      {
        source_matchers: ['alertname="AgentCompleteOutage"'],
        target_matchers: [
          'alertname=~"AgentLiveServiceNoEndpoints|AgentExternalProbeFailing|AgentInstancesDown|AgentProbeBudgetBurn"',
        ],
        equal: ["service"],
      },
      {
        source_matchers: ['alertname="AgentLiveServiceNoEndpoints"'],
        target_matchers: ['alertname=~"AgentExternalProbeFailing|AgentProbeBudgetBurn"'],
        equal: ["service"],
      },
      {
        source_matchers: ['alertname="AgentExternalProbeFailing"'],
        target_matchers: ['alertname=~"AgentProbeBudgetBurn"'],
        equal: ["service"],
      },
    ]);
  });

  it("has no route or receiver for the chart's InfoInhibitor (the chart's rules are off)", () => {
    expect(JSON.stringify(cfg)).not.toContain("InfoInhibitor");
    expect(cfg.receivers.map((r) => r.name)).not.toContain("null");
  });

  it("inlines no secret: every integration reads a Key Vault secret file from the CSI mount", () => {
    const all = entries(cfg);
    const fileRefs = all.filter(([p]) => p.endsWith("_file")).map(([, v]) => v);
    expect(new Set(fileRefs)).toEqual(
      new Set(
        [
          VAULT_SECRETS.pagerdutyRoutingKey,
          VAULT_SECRETS.slackWebhookUrlCritical,
          VAULT_SECRETS.slackWebhookUrlWarning,
          VAULT_SECRETS.slackWebhookUrlInfo,
          VAULT_SECRETS.heartbeatUrl,
        ].map((s) => `${SECRET_DIR}/${s}`),
      ),
    );
    const inline = all.filter(([p]) => /\.(routing_key|service_key|api_url|url|slack_api_url)$/.test(p));
    expect(inline).toEqual([]);
    expect(JSON.stringify(cfg)).not.toMatch(/hooks\.slack\.com|hc-ping\.com|events\.pagerduty\.com/);
  });

  it("links every notification to the runbook and dashboard and shows severity and summary", () => {
    const pd = cfg.receivers.find((r) => r.name === RECEIVERS.pagerdutyCritical)?.pagerduty_configs?.[0];
    expect(pd?.severity).toBe("critical");
    expect(pd?.links.map((l) => l.href).join()).toMatch(/runbook_url.*dashboard_url/);
    expect(pd?.details).toMatchObject({ runbook_url: expect.stringContaining("runbook_url") });
    expect(pd?.details.dashboard_url).toContain(m.grafana.url);
    const slack = cfg.receivers.find((r) => r.name === RECEIVERS.slackAlerts)?.slack_configs?.[0];
    expect(slack?.send_resolved).toBe(true);
    for (const field of ["severity", "summary", "description", "runbook_url", "dashboard_url"]) {
      expect(`${slack?.title} ${slack?.text}`).toContain(field);
    }
  });
});

// Inhibition compares labels by value and a missing label is the empty string (Alertmanager
// inhibit/inhibit.go): an `equal` label one side does not carry silently disables the rule. So every cause
// and symptom must be an alert of rules/, and every `equal` label a static label of all its rules (a label
// taken from the expression may be missing, e.g. in an `absent()` branch).
describe("CAUSE_INHIBITIONS against rules/", () => {
  const m = stackMonitoring("prod");
  const alerts = loadRuleFiles(path.join(ROOT, "rules"), {
    grafanaUrl: m.grafana.url,
    runbookBaseUrl: m.runbookBaseUrl,
    constants: ruleConstants(m),
  })
    .flatMap((f) => f.groups.flatMap((g) => g.rules))
    .filter(isAlertingRule);

  /** What would keep `cause` from inhibiting `symptom` on `equal`; empty when nothing does. */
  const problems = (cause: string, symptom: string, equal: readonly string[]): string[] => {
    const out: string[] = [];
    const values = new Map<string, Set<string>>();
    for (const name of [cause, symptom]) {
      const rules = alerts.filter((a) => a.alert === name);
      if (!rules.length) out.push(`${name} is not an alert in rules/`);
      for (const rule of rules) {
        for (const label of equal) {
          const v = rule.labels[label];
          if (v === undefined) out.push(`${name} (${rule.labels.severity}) has no static label ${label}`);
          else values.set(`${name}/${label}`, (values.get(`${name}/${label}`) ?? new Set()).add(v));
        }
      }
    }
    for (const label of equal) {
      const [c, s] = [values.get(`${cause}/${label}`), values.get(`${symptom}/${label}`)];
      if (c && s && ![...s].every((v) => c.has(v))) out.push(`${label}: ${[...s]} is not among ${[...c]}`);
    }
    return out;
  };

  it.each(CAUSE_INHIBITIONS.flatMap((c) => c.symptoms.map((s) => [c.cause, s, c.equal] as const)))(
    "%s silences %s: both exist and every rule of both carries %j as a static label, same values",
    (cause, symptom, equal) => {
      expect(problems(cause, symptom, equal)).toEqual([]);
    },
  );

  it("the check fails for a label the cause does not carry (namespace) and for an unknown alert", () => {
    expect(problems("AgentCompleteOutage", "AgentLiveServiceNoEndpoints", ["service", "namespace"])).toEqual([
      "AgentCompleteOutage (critical) has no static label namespace",
      "AgentLiveServiceNoEndpoints (critical) has no static label namespace",
    ]);
    expect(problems("AgentCompleteOutage", "NoSuchAlert", ["service"])).toEqual([
      "NoSuchAlert is not an alert in rules/",
    ]);
  });
});

describe("weekdayRanges", () => {
  it.each([
    [["monday", "tuesday", "wednesday", "thursday", "friday"], ["monday:friday"]],
    [["friday", "monday", "wednesday", "tuesday", "thursday"], ["monday:friday"]],
    [["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], ["sunday:saturday"]],
    // Alertmanager numbers Sunday first and rejects "saturday:sunday", so a weekend is two entries.
    [
      ["saturday", "sunday"],
      ["sunday", "saturday"],
    ],
    [
      ["monday", "wednesday", "thursday"],
      ["monday", "wednesday:thursday"],
    ],
    [["tuesday"], ["tuesday"]],
  ])("%j → %j", (days, ranges) => {
    expect(weekdayRanges(days)).toEqual(ranges);
  });

  it("rejects a day that is not a weekday", () => {
    expect(() => weekdayRanges(["mondy"])).toThrow(/"mondy" is not a weekday/);
  });
});

describe("validateAlertmanagerConfig", () => {
  const base = () => structuredClone(configFor("prod"));
  const problemsOf = (cfg: AlertmanagerConfig): string => {
    try {
      validateAlertmanagerConfig(cfg);
    } catch (e) {
      expect(e).toBeInstanceOf(AlertmanagerConfigError);
      return (e as Error).message;
    }
    throw new Error("expected validateAlertmanagerConfig to throw");
  };

  it("accepts the generated config", () => {
    expect(() => validateAlertmanagerConfig(base())).not.toThrow();
  });

  it("names the route and the unknown receiver, and lists the defined ones", () => {
    const cfg = base();
    cfg.route.routes![2]!.receiver = "pagerduty-critcal";
    expect(problemsOf(cfg)).toMatch(
      /route\.routes\[2\] \{severity="critical"\} names receiver "pagerduty-critcal", which is not defined: add a receiver with that name or use one of: pagerduty-critical, /,
    );
  });

  it("rejects a root route without receiver", () => {
    const cfg = base();
    delete cfg.route.receiver;
    expect(problemsOf(cfg)).toMatch(/the root route has no receiver: set route\.receiver/);
  });

  it("rejects duplicate receiver names", () => {
    const cfg = base();
    cfg.receivers.push({ name: RECEIVERS.slackAlerts });
    expect(problemsOf(cfg)).toMatch(
      /receivers\[6\]: receiver "slack-alerts" is defined twice: give every receiver a unique name/,
    );
  });

  it("rejects a time interval that is referenced but not defined", () => {
    const cfg = base();
    cfg.time_intervals = [];
    const msg = problemsOf(cfg);
    expect(msg).toMatch(
      /route\.routes\[3\] \{severity="warning"\} references time interval "business-hours" in active_time_intervals, which is not defined: add it to time_intervals/,
    );
    expect(msg).toMatch(/route\.routes\[4\] .* in mute_time_intervals/);
  });

  it.each([
    [
      "a PagerDuty routing key",
      (c: AlertmanagerConfig) =>
        Object.assign(c.receivers[0]!.pagerduty_configs![0]!, { routing_key: "R0UT1NGK3Y" }),
      /receiver "pagerduty-critical"\.pagerduty_configs\[0\]\.routing_key inlines a secret: use routing_key_file/,
    ],
    [
      "a Slack webhook URL",
      (c: AlertmanagerConfig) =>
        Object.assign(c.receivers[2]!.slack_configs![0]!, {
          api_url: "https://hooks.slack.com/services/T/B/X",
        }),
      /receiver "slack-incidents"\.slack_configs\[0\]\.api_url inlines a secret: use api_url_file/,
    ],
    [
      "the heartbeat URL",
      (c: AlertmanagerConfig) =>
        Object.assign(c.receivers[5]!.webhook_configs![0]!, { url: "https://hc-ping.com/uuid" }),
      /receiver "heartbeat"\.webhook_configs\[0\]\.url inlines a secret: use url_file/,
    ],
    [
      "a global Slack URL",
      (c: AlertmanagerConfig) =>
        Object.assign(c.global, { slack_api_url: "https://hooks.slack.com/services/T/B/X" }),
      /global\.slack_api_url inlines a secret/,
    ],
  ])("rejects %s inlined in the config", (_what, mutate, expected) => {
    const cfg = base();
    mutate(cfg);
    expect(problemsOf(cfg)).toMatch(expected);
  });

  it("reports every problem at once", () => {
    const cfg = base();
    cfg.route.routes![0]!.receiver = "nope";
    cfg.receivers.push({ name: RECEIVERS.heartbeat });
    expect(problemsOf(cfg)).toMatch(/^Invalid Alertmanager configuration \(2 problems\):/);
  });
});

describe("redirectReceivers", () => {
  const cfg = configFor("prod");
  const drill = redirectReceivers(cfg, (name) => `http://127.0.0.1:9/${name}`);

  it("replaces every receiver's integrations by one webhook to urlFor(name)", () => {
    expect(drill.receivers).toEqual(
      cfg.receivers.map((r) => ({
        name: r.name,
        webhook_configs: [{ url: `http://127.0.0.1:9/${r.name}`, send_resolved: true }],
      })),
    );
  });

  it("keeps the route tree, time intervals and inhibition exactly", () => {
    expect(drill.route).toEqual(cfg.route);
    expect(drill.time_intervals).toEqual(cfg.time_intervals);
    expect(drill.inhibit_rules).toEqual(cfg.inhibit_rules);
    expect(drill.global).toEqual(cfg.global);
  });

  it("returns a copy and leaves the input untouched", () => {
    const before = JSON.stringify(configFor("prod"));
    drill.route.routes![0]!.group_wait = "1s";
    expect(JSON.stringify(cfg)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------- amtool --

/** .bin/amtool: the version the chart's Alertmanager runs (test/tools.test.ts checks it). */
async function amtool(args: string[]): Promise<{ status: number; out: string }> {
  const r = await run(tool("amtool"), args, { timeoutMs: 20_000 });
  return { status: r.code, out: `${r.stdout}${r.stderr}` };
}

const dump = (cfg: AlertmanagerConfig) => yaml.dump(cfg, { lineWidth: -1, noRefs: true });

describe("amtool", () => {
  let dir: string;
  const files: Record<string, string> = {};

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "amtool-"));
    for (const stack of STACKS) {
      files[stack] = path.join(dir, `${stack}.yaml`);
      fs.writeFileSync(files[stack], dump(configFor(stack)));
    }
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(STACKS)(
    "%s: check-config accepts the generated alertmanager.yaml as it is deployed",
    async (stack) => {
      const r = await amtool(["check-config", files[stack]!]);
      expect(r.out).toMatch(/SUCCESS/);
      expect(r.out).toMatch(/5 inhibit rules/);
      expect(r.out).toMatch(/6 receivers/);
      expect(r.status).toBe(0);
    },
  );

  it("check-config rejects a config Alertmanager would refuse (the check can fail)", async () => {
    const broken = path.join(dir, "broken.yaml");
    const cfg = configFor("prod");
    fs.writeFileSync(broken, dump({ ...cfg, route: { ...cfg.route, receiver: "nobody" } }));
    const r = await amtool(["check-config", broken]);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/undefined receiver "nobody"/);
  });

  // amtool evaluates the tree, not the clock: a warning matches both of its routes, and the time intervals
  // decide at notification time which of the two speaks (the fire drill checks that part).
  it.each(
    STACKS.flatMap((stack) => [
      [
        stack,
        ["severity=critical", "service=agent-api", "alertname=AgentCompleteOutage"],
        "pagerduty-critical,slack-incidents",
      ],
      [
        stack,
        ["severity=warning", "service=agent-api", "alertname=AgentHighLatency"],
        "pagerduty-warning,slack-on-call",
      ],
      [stack, ["severity=info", "service=agent-api", "alertname=AgentLowCacheHitRate"], "slack-alerts"],
      [stack, ["severity=info", "service=monitoring", "alertname=Watchdog"], "heartbeat"],
      [stack, ["alertname=NoSeverity"], "slack-on-call"],
      // The symptoms of an outage route to a page like their cause: only inhibition keeps them quiet.
      [
        stack,
        ["severity=critical", "service=agent-api", "alertname=AgentLiveServiceNoEndpoints"],
        "pagerduty-critical,slack-incidents",
      ],
      [
        stack,
        ["severity=critical", "service=agent-api", "alertname=AgentExternalProbeFailing"],
        "pagerduty-critical,slack-incidents",
      ],
    ]),
  )("%s: routes %j to %s", async (stack, labels, receivers) => {
    const r = await amtool(["config", "routes", "test", `--config.file=${files[stack]!}`, ...labels]);
    expect(r.status).toBe(0);
    expect(r.out.split("\n")[0]?.trim()).toBe(receivers);
  });

  describe("notification templates render", () => {
    const alert = (annotations: Record<string, string>) => ({
      status: "firing",
      labels: { alertname: "AgentCompleteOutage", severity: "critical", service: "agent-api" },
      annotations,
      startsAt: "2024-01-01T03:12:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus/graph",
      fingerprint: "0123456789abcdef",
    });
    const data = (annotations: Record<string, string>) => ({
      receiver: RECEIVERS.slackIncidents,
      status: "firing",
      alerts: [alert(annotations)],
      groupLabels: { alertname: "AgentCompleteOutage", severity: "critical", service: "agent-api" },
      commonLabels: { alertname: "AgentCompleteOutage", severity: "critical", service: "agent-api" },
      commonAnnotations: annotations,
      externalURL: "http://alertmanager",
    });
    const full = {
      summary: "agent-api is completely down.",
      description: "No agent-api instance has answered a scrape for 2 minutes.",
      runbook_url: "https://runbooks.example/AgentCompleteOutage.md",
      dashboard_url: "https://grafana.example/d/system-overview",
    };

    /** Renders every template field of one integration in one amtool call; returns field → text. */
    async function render(fields: Record<string, string>, annotations: Record<string, string>) {
      const empty = path.join(dir, "empty.tmpl");
      fs.writeFileSync(empty, "");
      const dataFile = path.join(dir, "data.json");
      fs.writeFileSync(dataFile, JSON.stringify(data(annotations)));
      const sep = "\n@@@FIELD@@@\n";
      const r = await amtool([
        "template",
        "render",
        `--template.glob=${empty}`,
        `--template.data=${dataFile}`,
        `--template.text=${Object.values(fields).join(sep)}`,
      ]);
      expect(r.status, r.out).toBe(0);
      const parts = r.out.split(sep.trim()).map((s) => s.trim());
      return Object.fromEntries(Object.keys(fields).map((k, i) => [k, parts[i] ?? ""]));
    }

    const cfg = configFor("prod");
    const slack = cfg.receivers.find((r) => r.name === RECEIVERS.slackIncidents)!.slack_configs![0]!;
    const pd = cfg.receivers.find((r) => r.name === RECEIVERS.pagerdutyCritical)!.pagerduty_configs![0]!;

    it("Slack: severity, summary, description, runbook and dashboard links", async () => {
      const out = await render(
        { title: slack.title, link: slack.title_link, text: slack.text, color: slack.color },
        full,
      );
      expect(out.title).toBe("[FIRING:1] CRITICAL: AgentCompleteOutage (agent-api)");
      expect(out.link).toBe(full.dashboard_url);
      expect(out.color).toBe("danger");
      expect(out.text).toContain(`*${full.summary}*`);
      expect(out.text).toContain(full.description);
      expect(out.text).toContain("*Severity:* `critical`");
      expect(out.text).toContain(`<${full.runbook_url}|:book: Runbook>`);
      expect(out.text).toContain(`<${full.dashboard_url}|:bar_chart: Dashboard>`);
    });

    it("Slack: falls back to Grafana when an alert has no dashboard_url", async () => {
      const out = await render(
        { text: slack.text },
        { summary: "s", description: "d", runbook_url: "https://rb" },
      );
      expect(out.text).toContain(`<${stackMonitoring("prod").grafana.url}|:bar_chart: Dashboard>`);
    });

    it("PagerDuty: description, links and details", async () => {
      const out = await render(
        {
          title: pd.description,
          ...Object.fromEntries(pd.links.map((l) => [`link ${l.text}`, l.href])),
          ...pd.details,
        },
        full,
      );
      expect(out.title).toBe(`[CRITICAL] AgentCompleteOutage (agent-api): ${full.summary}`);
      expect(out["link Runbook"]).toBe(full.runbook_url);
      expect(out["link Grafana dashboard"]).toBe(full.dashboard_url);
      expect(out).toMatchObject({
        severity: "critical",
        service: "agent-api",
        summary: full.summary,
        description: full.description,
        runbook_url: full.runbook_url,
        dashboard_url: full.dashboard_url,
        firing: "1",
        resolved: "0",
      });
    });
  });
});
