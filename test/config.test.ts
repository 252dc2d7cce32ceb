import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { ConfigError, configSchema, parseStackConfig } from "../infra/config";
import type { RecordedResource } from "../cli/shared/mockRuntime";
import { evaluateStack, ROOT, stackConfig } from "./mocks";

/** Runs the whole program with a bad override; returns the error and what was registered before it. */
async function failingRun(stack: string, overrides: Record<string, unknown>) {
  try {
    await evaluateStack(stack, overrides);
  } catch (e) {
    return {
      error: e as Error,
      registered: (e as { registeredResources?: RecordedResource[] }).registeredResources,
    };
  }
  throw new Error(`expected the ${stack} program to reject ${JSON.stringify(overrides)}`);
}

// [description, stack, overrides, expected message fragment]
const BAD: [string, string, Record<string, unknown>, RegExp][] = [
  [
    "a pool size without a local disk for the ephemeral OS disk",
    "dev",
    { aks: { userPool: { vmSize: "Standard_D4s_v5" } } },
    /aks\.userPool\.vmSize must be "Standard_D4ds_v5" or another v5 size with a local temp disk.*Standard_D4s_v5 has none/,
  ],
  ["missing location", "dev", { location: undefined }, /monitoring-platform:location is missing/],
  [
    "unknown region",
    "dev",
    { location: "westeruope" },
    /monitoring-platform:location must be an Azure region/,
  ],
  ["unknown top-level key (typo)", "dev", { protcet: "true" }, /unknown key: protcet/],
  [
    "unknown nested key (typo)",
    "dev",
    { aks: { tierr: "Free" } },
    /unknown key under monitoring-platform:aks: tierr/,
  ],
  ["wrong type", "dev", { protect: "yes" }, /monitoring-platform:protect/],
  [
    "invalid CIDR",
    "dev",
    { network: { vnetCidr: "10.20.0.0/33" } },
    /network\.vnetCidr must be an IPv4 network/,
  ],
  [
    "host bits set",
    "dev",
    { network: { aksNodesCidr: "10.20.0.5/22" } },
    /network\.aksNodesCidr must be an IPv4 network/,
  ],
  [
    "overlapping subnets",
    "dev",
    { network: { postgresCidr: "10.20.1.0/24" } },
    /network\.postgresCidr 10\.20\.1\.0\/24 overlaps network\.aksNodesCidr/,
  ],
  [
    "subnet outside the VNet",
    "dev",
    { network: { endpointsCidr: "10.99.9.0/24" } },
    /network\.endpointsCidr 10\.99\.9\.0\/24 is outside network\.vnetCidr/,
  ],
  [
    "pod CIDR overlapping the VNet",
    "dev",
    { network: { podCidr: "10.20.128.0/17" } },
    /network\.podCidr .* overlaps the VNet/,
  ],
  [
    "DNS IP outside the service range",
    "dev",
    { network: { dnsServiceIp: "172.17.0.10" } },
    /dnsServiceIp 172\.17\.0\.10 must lie inside/,
  ],
  [
    "bad VM size format",
    "dev",
    { aks: { systemPool: { vmSize: "D4s_v5", count: 1 } } },
    /aks\.systemPool\.vmSize must be an Azure VM size/,
  ],
  [
    "out-of-range node count",
    "dev",
    { aks: { systemPool: { vmSize: "Standard_D2ds_v5", count: 0 } } },
    /aks\.systemPool\.count/,
  ],
  [
    "patch version pinned",
    "dev",
    { aks: { kubernetesVersion: "1.33.2" } },
    /aks\.kubernetesVersion must be a Kubernetes minor version/,
  ],
  [
    "minor-moving upgrade channel",
    "dev",
    { aks: { upgradeChannel: "stable" } },
    /aks\.upgradeChannel must be "patch" or "node-image"/,
  ],
  [
    "public API server open to everyone",
    "dev",
    { aks: { apiServer: { private: false, authorizedIpRanges: [] } } },
    /authorizedIpRanges is empty/,
  ],
  [
    "0.0.0.0/0 as authorized range",
    "dev",
    { aks: { apiServer: { private: false, authorizedIpRanges: ["0.0.0.0/0"] } } },
    /must not be 0\.0\.0\.0\/0/,
  ],
  [
    "autoscaler min above max",
    "dev",
    { aks: { userPool: { vmSize: "Standard_D4ds_v5", minCount: 5, maxCount: 3, maxPods: 110 } } },
    /aks\.userPool\.minCount must not exceed/,
  ],
  [
    "log retention out of range",
    "dev",
    { logAnalytics: { retentionDays: 5, dailyQuotaGb: 1 } },
    /logAnalytics\.retentionDays/,
  ],
  [
    "soft-delete retention out of range",
    "dev",
    { keyVault: { softDeleteRetentionDays: 120, purgeProtection: false } },
    /keyVault\.softDeleteRetentionDays/,
  ],
  [
    "bad time zone",
    "dev",
    { monitoring: { businessHours: { timeZone: "Mars/Olympus" } } },
    /businessHours\.timeZone must be an IANA time zone/,
  ],
  [
    "activeColor not blue/green",
    "dev",
    { app: { activeColor: "red" } },
    /app\.activeColor must be "blue" or "green"/,
  ],
  [
    "latest image tag",
    "dev",
    { app: { green: { tag: "latest", replicas: 1 } } },
    /app\.green\.tag must be an immutable tag, not "latest"/,
  ],
  ["missing image tag", "dev", { app: { blue: { tag: undefined } } }, /app\.blue\.tag is missing/],
  [
    "zero replicas for the active color",
    "dev",
    { app: { blue: { tag: "1.5.1", replicas: 0 } } },
    /app\.blue\.replicas is 0 for the active color/,
  ],
  ["empty secret", "dev", { pagerdutyRoutingKey: "" }, /pagerdutyRoutingKey must not be empty/],
  [
    "Postgres SKU outside its tier",
    "dev",
    { postgres: { skuName: "Standard_D4ds_v5" } },
    /postgres\.skuName Standard_D4ds_v5 does not belong to postgres\.skuTier Burstable/,
  ],
  [
    "Postgres HA on Burstable",
    "dev",
    { postgres: { highAvailability: "SameZone" } },
    /Burstable servers have no HA/,
  ],
  [
    "zone-redundant Postgres HA in a stack without zones",
    "dev",
    {
      postgres: { skuName: "Standard_D2ds_v5", skuTier: "GeneralPurpose", highAvailability: "ZoneRedundant" },
    },
    /postgres\.highAvailability is ZoneRedundant but zoneRedundant is false/,
  ],
  [
    "zone-redundant stack with Redis without HA",
    "dev",
    { zoneRedundant: "true", redis: { highAvailability: false } },
    /redis\.highAvailability is false but zoneRedundant is true/,
  ],
  [
    "a running color below the autoscaling floor",
    "prod",
    { app: { green: { tag: "1.5.2", replicas: 1 } } },
    /app\.green\.replicas is 1, below app\.autoscaling\.minReplicas \(3\)/,
  ],
  [
    "a color above the autoscaling ceiling",
    "dev",
    { app: { blue: { tag: "1.5.1", replicas: 9 } } },
    /app\.blue\.replicas is 9, above app\.autoscaling\.maxReplicas \(3\)/,
  ],
  [
    "prod without protection",
    "prod",
    { protect: "false" },
    /protect must be true .* \(required when environment is prod\)/,
  ],
  [
    "prod without zone redundancy",
    "prod",
    { zoneRedundant: "false" },
    /zoneRedundant must be true .*required when environment is prod/,
  ],
  ["prod on the Free tier", "prod", { aks: { tier: "Free" } }, /aks\.tier must be "Standard"/],
  [
    "prod without purge protection",
    "prod",
    { keyVault: { softDeleteRetentionDays: 90, purgeProtection: false } },
    /keyVault\.purgeProtection must be true/,
  ],
  [
    "prod Postgres without HA",
    "prod",
    { postgres: { highAvailability: "Disabled" } },
    /postgres\.highAvailability must be "ZoneRedundant"/,
  ],
  [
    "prod Postgres without geo backup",
    "prod",
    { postgres: { geoRedundantBackup: false } },
    /postgres\.geoRedundantBackup must be true/,
  ],
  [
    "prod Redis without HA",
    "prod",
    { redis: { highAvailability: false } },
    /redis\.highAvailability must be true/,
  ],
  [
    "prod single Prometheus",
    "prod",
    { monitoring: { prometheus: { replicas: 1 } } },
    /monitoring\.prometheus\.replicas must be at least 2/,
  ],
];

describe("config: bad input fails before any resource is registered", () => {
  it.each(BAD)("%s", async (_desc, stack, overrides, message) => {
    const { error, registered } = await failingRun(stack, overrides);
    expect(error.name).toBe("ConfigError");
    expect(error.message).toMatch(message);
    // The message always tells the user how to fix it.
    expect(error.message).toMatch(/pulumi config set monitoring-platform:<key>/);
    expect(registered).toEqual([]);
  });

  it("reports every problem at once, not one per run", () => {
    const { config } = stackConfig("prod", { protect: "false", redis: { highAvailability: false } });
    const err = (() => {
      try {
        parseStackConfig(config);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(err.problems).toHaveLength(2);
  });

  it("reports invalid JSON in a structured key", () => {
    const { config } = stackConfig("dev");
    expect(() => parseStackConfig({ ...config, "monitoring-platform:aks": "{ not json" })).toThrow(
      /monitoring-platform:aks is not valid JSON/,
    );
  });
});

describe("config: the stack files", () => {
  it.each(["dev", "prod"])("%s validates and is frozen", (stack) => {
    const cfg = parseStackConfig(stackConfig(stack).config);
    expect(cfg.environment).toBe(stack);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.aks.systemPool)).toBe(true);
  });

  it("dev and prod set the same keys: they differ only by values", () => {
    const keys = (stack: string) =>
      Object.keys(
        (yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: object })
          .config,
      ).sort();
    expect(keys("dev")).toEqual(keys("prod"));
  });

  it("ignores other namespaces such as azure-native:location", () => {
    const { config } = stackConfig("dev");
    expect(() => parseStackConfig({ ...config, "azure-native:location": "westeurope" })).not.toThrow();
  });

  it("Pulumi.yaml and the README name every nested key of each structured key", () => {
    const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      template: { config: Record<string, { description: string }> };
    };
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const unwrap = (t: any): any =>
      ["default", "optional", "nullable"].includes(t?.def?.type) ? unwrap(t.def.innerType) : t;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const nestedKeys = (t: any): string[] => {
      const o = unwrap(t);
      if (o?.def?.type !== "object") return [];
      return Object.entries(o.shape).flatMap(([k, v]) => [k, ...nestedKeys(v)]);
    };
    for (const [top, schema] of Object.entries(configSchema.shape)) {
      const keys = nestedKeys(schema);
      if (keys.length === 0) continue;
      const description = project.template.config[top]?.description ?? "";
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${top}\``)) ?? "";
      for (const k of keys) {
        expect(description, `Pulumi.yaml template.config.${top} does not mention ${k}`).toContain(k);
        expect(row, `README config reference row for ${top} does not mention ${k}`).toContain(k);
      }
    }
  });

  it("Pulumi.yaml describes every key of the schema (the README config reference is checked the same way)", () => {
    const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { description?: string }>;
      template: { config: Record<string, { description?: string }> };
    };
    const described = { ...project.config, ...project.template.config };
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    for (const key of Object.keys(configSchema.shape)) {
      expect(described[key]?.description, `Pulumi.yaml has no description for ${key}`).toBeTruthy();
      expect(readme, `README config reference lacks ${key}`).toContain(`\`${key}\``);
    }
    for (const key of Object.keys(described)) {
      expect(
        Object.keys(configSchema.shape),
        `Pulumi.yaml describes ${key}, which the schema does not know`,
      ).toContain(key);
    }
  });
});
