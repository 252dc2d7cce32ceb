/**
 * Config messages: every problem names the key, shows the value given and what is
 * allowed, and ends with the command that fixes it — the exact `pulumi config set` line, with `--path` and
 * quotes for nested keys and `--secret` for secrets. And the render CLI's own usage errors.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, editDistance, nearest, parseStackConfig, setCommand } from "../infra/config";
import { stackConfig } from "./mocks";
import { npmRun } from "./cli";

/** The ConfigError message for the dev stack with `overrides` (and extra raw keys). */
function messageFor(overrides: Record<string, unknown>, extraRaw: Record<string, string> = {}): string {
  const { config } = stackConfig("dev", overrides);
  try {
    parseStackConfig({ ...config, ...extraRaw });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(overrides)} ${JSON.stringify(extraRaw)}`);
}

describe("config messages: the fix is the working command", () => {
  it.each([
    [
      "nested integer out of range: --path, quoted key, the nearest allowed value",
      { logAnalytics: { retentionDays: 5, dailyQuotaGb: 1 } },
      "monitoring-platform:logAnalytics.retentionDays must be an integer from 30 to 730 (got 5)\n" +
        "    fix: pulumi config set --path 'monitoring-platform:logAnalytics.retentionDays' 30",
    ],
    [
      "nested integer above the range",
      { keyVault: { softDeleteRetentionDays: 120, purgeProtection: false } },
      "monitoring-platform:keyVault.softDeleteRetentionDays must be an integer from 7 to 90 (got 120)\n" +
        "    fix: pulumi config set --path 'monitoring-platform:keyVault.softDeleteRetentionDays' 90",
    ],
    [
      "top-level wrong type: no --path, the value given and the allowed values",
      { protect: "yes" },
      'monitoring-platform:protect must be true or false (got "yes")\n' +
        "    fix: pulumi config set monitoring-platform:protect <true|false>",
    ],
    [
      "egress through a firewall is refused, pointing at why and at what is there",
      { network: { egress: "firewall" } },
      "monitoring-platform:network.egress must be loadBalancer or natGateway (Azure Firewall egress is not built: " +
        'docs/security-baseline.md); allowed: one of: loadBalancer, natGateway (got "firewall")\n' +
        "    fix: pulumi config set --path 'monitoring-platform:network.egress' <loadBalancer|natGateway>",
    ],
    [
      "nested enum typo: the allowed values and the nearest one in the command",
      { aks: { tier: "Standrad" } },
      'monitoring-platform:aks.tier must be one of: Free, Standard (got "Standrad")\n' +
        "    fix: pulumi config set --path 'monitoring-platform:aks.tier' Standard",
    ],
    [
      "a number where a numeric-looking string belongs needs --type string (--path stores integers as numbers)",
      { postgres: { version: 16 } },
      'monitoring-platform:postgres.version must be one of: "14", "15", "16", "17" (got 16)\n' +
        "    fix: pulumi config set --path --type string 'monitoring-platform:postgres.version' <14|15|16|17>",
    ],
    [
      "a fraction under --path needs --type float (only integers become numbers)",
      { monitoring: { slo: { availabilityTarget: 2 } } },
      "monitoring-platform:monitoring.slo.availabilityTarget must be a number from 0.9 to 0.99999 (got 2)\n" +
        "    fix: pulumi config set --path --type float 'monitoring-platform:monitoring.slo.availabilityTarget' 0.99999",
    ],
    [
      "a custom rule keeps its message and still shows the value given",
      { app: { activeColor: "red" } },
      'monitoring-platform:app.activeColor must be "blue" or "green"; allowed: one of: blue, green (got "red")\n' +
        "    fix: pulumi config set --path 'monitoring-platform:app.activeColor' <blue|green>",
    ],
    [
      "an empty list is filled item by item",
      { aks: { adminGroupObjectIds: [] } },
      "monitoring-platform:aks.adminGroupObjectIds needs at least one Entra ID group object id, or nobody can administer the cluster (got [])\n" +
        "    fix: pulumi config set --path 'monitoring-platform:aks.adminGroupObjectIds[0]' <value>",
    ],
    [
      "a missing nested key",
      { app: { blue: { tag: undefined } } },
      "monitoring-platform:app.blue.tag is missing: set it\n" +
        "    fix: pulumi config set --path 'monitoring-platform:app.blue.tag' <value>",
    ],
    [
      "a secret: --secret, and its value is never shown",
      { pagerdutyRoutingKey: "" },
      "monitoring-platform:pagerdutyRoutingKey must not be empty\n" +
        "    fix: pulumi config set --secret monitoring-platform:pagerdutyRoutingKey <value>",
    ],
  ])("%s", (_name, overrides, expected) => {
    expect(messageFor(overrides)).toContain(expected);
  });

  it("never prints a secret's value", () => {
    const msg = messageFor({ slackWebhookUrlInfo: "https://hooks.slack.com/x y" });
    expect(msg).toContain("monitoring-platform:slackWebhookUrlInfo must not contain whitespace");
    expect(msg).not.toContain("hooks.slack.com/x y");
  });

  it("setCommand quotes list indexes (brackets are shell globs) and types string enums", () => {
    expect(setCommand(["aks", "apiServer", "authorizedIpRanges", 1], "10.1.0.0/24")).toBe(
      "pulumi config set --path 'monitoring-platform:aks.apiServer.authorizedIpRanges[1]' 10.1.0.0/24",
    );
    expect(setCommand(["location"], "westeurope")).toBe(
      "pulumi config set monitoring-platform:location westeurope",
    );
    expect(setCommand(["aks", "kubernetesVersion"], "1.33")).toBe(
      "pulumi config set --path 'monitoring-platform:aks.kubernetesVersion' 1.33",
    );
    expect(setCommand(["heartbeatUrl"], "<url>")).toBe(
      "pulumi config set --secret monitoring-platform:heartbeatUrl <url>",
    );
  });
});

describe("config messages: unknown keys and namespaces", () => {
  it("suggests the nearest known top-level key, with the commands to move the value", () => {
    const msg = messageFor({ protcet: "true" });
    expect(msg).toContain(
      "unknown key: protcet — monitoring-platform:protcet: did you mean monitoring-platform:protect?",
    );
    expect(msg).toContain(
      "fix: pulumi config rm 'monitoring-platform:protcet'; pulumi config set monitoring-platform:protect true",
    );
  });

  it("suggests the nearest known nested key", () => {
    const msg = messageFor({ logAnalytics: { retentionDays: 30, dailyQuotaGb: 5, retentionDay: 30 } });
    expect(msg).toContain("did you mean monitoring-platform:logAnalytics.retentionDays?");
    expect(msg).toContain("pulumi config rm --path 'monitoring-platform:logAnalytics.retentionDay'");
  });

  it("lists the known keys when nothing is close", () => {
    expect(messageFor({ redis: { zzzzzzzzzz: 1 } })).toContain(
      "did you mean one of skuName, highAvailability?",
    );
  });

  it("names a misspelled project namespace instead of ignoring the key", () => {
    const msg = messageFor({}, { "monitoring-platfrom:location": "westeurope" });
    expect(msg).toContain(
      'monitoring-platfrom:location: unknown config namespace "monitoring-platfrom" — did you mean "monitoring-platform:location"?',
    );
    expect(msg).toContain("pulumi config rm 'monitoring-platfrom:location'");
  });

  it("names a misspelled provider namespace", () => {
    expect(messageFor({}, { "azure-nativ:location": "westeurope" })).toContain(
      'did you mean "azure-native:location"?',
    );
  });

  it.each(["azure-native:location", "pulumi:template", "kubernetes:context", "vault:address"])(
    "accepts keys of other real namespaces (%s)",
    (key) => {
      const { config } = stackConfig("dev");
      expect(() => parseStackConfig({ ...config, [key]: "x" })).not.toThrow();
    },
  );

  it.each([
    ["kitten", "sitting", 3],
    ["protect", "protcet", 2],
    ["", "abc", 3],
    ["same", "same", 0],
  ])("editDistance(%s, %s) = %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it("nearest() refuses far-off guesses", () => {
    expect(nearest("tierr", ["tier", "systemPool"])).toBe("tier");
    expect(nearest("banana", ["tier", "systemPool"])).toBeUndefined();
  });
});

describe("render CLI usage", () => {
  it("--help prints the usage and exits 0", async () => {
    const r = await npmRun("render", ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run render -- --stack <dev\|prod>/);
    expect(r.stdout).toContain("--out <dir>");
  });

  it("a missing --stack is an error with the usage, not a silent render of dev", async () => {
    const r = await npmRun("render", ["--out", "/nonexistent/never-written"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("render: --stack is required");
    expect(r.stderr).toContain("usage: npm run render -- --stack <dev|prod>");
    expect(r.stdout).not.toMatch(/resources in/);
  });

  it("an unknown option is an error with the usage", async () => {
    const r = await npmRun("render", ["--stack", "dev", "--outt", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --outt[\s\S]*usage:/);
  });
});
