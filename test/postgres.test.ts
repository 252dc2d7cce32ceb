import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateComponents, stackConfig, type StackRun, SEEDED_OBJECT_ID } from "./mocks";
import { isSecretWrapper } from "../cli/shared/mockRuntime";
import { parseStackConfig } from "../infra/config";
import { postgresPlan } from "../infra/data/postgresPlan";

const prodPg = parseStackConfig(stackConfig("prod").config).postgres;
const devPg = parseStackConfig(stackConfig("dev").config).postgres;

const SERVER = "azure-native:dbforpostgresql:Server";

function build() {
  return async () => {
    const { Postgres } = await import("../infra/data/postgres");
    const { loadConfig } = await import("../infra/config");
    const cfg = loadConfig();
    const pg = new Postgres("postgres", {
      resourceGroupName: "rg-agents-x",
      location: cfg.location,
      stack: cfg.stack,
      postgres: cfg.postgres,
      zoneRedundant: cfg.zoneRedundant,
      delegatedSubnetId:
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/postgres",
      vnetId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
      tenantId: "11111111-1111-1111-1111-111111111111",
      administratorLoginPassword: pulumi.secret("Seeded-Admin-Pw-42"),
      logAnalyticsWorkspaceId:
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log",
      protect: cfg.protect,
      tags: { project: "monitoring-platform", stack: cfg.stack },
    });
    return { fqdn: pg.fqdn, serverId: pg.serverId };
  };
}

describe("postgres plan (pure)", () => {
  it("is zone-redundant in prod: primary in zone 1, standby in zone 2", () => {
    const p = postgresPlan({ stack: "prod", postgres: prodPg, zoneRedundant: true });
    expect(p.highAvailability).toEqual({ mode: "ZoneRedundant", standbyAvailabilityZone: "2" });
    expect(p.availabilityZone).toBe("1");
    expect(p.backup).toEqual({ backupRetentionDays: 35, geoRedundantBackup: "Enabled" });
    expect(p.privateDnsZoneName).toBe("psql-agents-prod.private.postgres.database.azure.com");
  });

  it("is a cheap single server in dev: Burstable, no HA, no zone pinning, no geo backup", () => {
    const p = postgresPlan({ stack: "dev", postgres: devPg, zoneRedundant: false });
    expect(p.sku).toEqual({ name: "Standard_B2ms", tier: "Burstable" });
    expect(p.highAvailability).toEqual({ mode: "Disabled", standbyAvailabilityZone: undefined });
    expect(p.availabilityZone).toBeUndefined();
    expect(p.backup.geoRedundantBackup).toBe("Disabled");
  });

  it("requires TLS and sets max_connections from config", () => {
    const p = postgresPlan({ stack: "prod", postgres: prodPg, zoneRedundant: true });
    const params = Object.fromEntries(p.configurations.map((c) => [c.name, c.value]));
    expect(params).toEqual({
      require_secure_transport: "on",
      ssl_min_protocol_version: "TLSv1.2",
      max_connections: "400",
    });
  });

  it.each<[string, Partial<typeof devPg>, boolean, RegExp]>([
    ["HA on a Burstable server", { highAvailability: "SameZone" }, false, /Burstable servers have no HA/],
    [
      "a SKU from another tier",
      { skuName: "Standard_D4ds_v5" },
      false,
      /postgres\.skuName Standard_D4ds_v5 does not belong/,
    ],
    [
      "zone-redundant HA in a stack without zones",
      { skuName: "Standard_D2ds_v5", skuTier: "GeneralPurpose", highAvailability: "ZoneRedundant" },
      false,
      /set zoneRedundant to true/,
    ],
    ["a database listed twice", { databases: ["agents", "agents"] }, false, /lists "agents" twice/],
  ])("refuses %s, naming the key and the fix", (_what, over, zoneRedundant, message) => {
    expect(() => postgresPlan({ stack: "dev", postgres: { ...devPg, ...over }, zoneRedundant })).toThrow(
      message,
    );
  });
});

describe("Postgres component, prod", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await evaluateComponents(build(), "prod");
  });

  it("pins the version, SKU, HA and backup from config", () => {
    const s = run.inputsOf(run.one(SERVER));
    expect(s).toMatchObject({
      serverName: "psql-agents-prod",
      version: "16",
      sku: { name: "Standard_D4ds_v5", tier: "GeneralPurpose" },
      storage: { storageSizeGB: 256, autoGrow: "Enabled" },
      availabilityZone: "1",
      highAvailability: { mode: "ZoneRedundant", standbyAvailabilityZone: "2" },
      backup: { backupRetentionDays: 35, geoRedundantBackup: "Enabled" },
    });
  });

  it("is private only: delegated subnet, its own private DNS zone linked to the VNet, no public access", () => {
    const s = run.inputsOf(run.one(SERVER));
    expect(s.network).toMatchObject({
      delegatedSubnetResourceId: expect.stringContaining("/subnets/postgres"),
      publicNetworkAccess: "Disabled",
    });
    const zone = run.one("azure-native:privatedns:PrivateZone");
    expect(run.inputsOf(zone)).toMatchObject({
      privateZoneName: "psql-agents-prod.private.postgres.database.azure.com",
      location: "global",
    });
    expect(s.network.privateDnsZoneArmResourceId).toContain(
      "psql-agents-prod.private.postgres.database.azure.com",
    );
    const link = run.inputsOf(run.one("azure-native:privatedns:VirtualNetworkLink"));
    expect(link).toMatchObject({
      registrationEnabled: false,
      virtualNetwork: { id: expect.stringContaining("virtualNetworks/v") },
    });
    // The zone must be linked before the server is created.
    expect(run.one(SERVER).options.dependsOn).toContain(
      "azure-native:privatedns:VirtualNetworkLink::postgres-dns-link",
    );
    expect(run.outputs.fqdn).toBe("psql-agents-prod.postgres.database.azure.com");
  });

  it("enables Entra ID and password auth with the generated password kept secret", () => {
    const raw = run.one(SERVER).inputs;
    expect(isSecretWrapper(raw.administratorLoginPassword)).toBe(true);
    const s = run.inputsOf(run.one(SERVER));
    expect(s.administratorLogin).toBe("pgadmin");
    expect(s.administratorLoginPassword).toBe("Seeded-Admin-Pw-42");
    expect(s.authConfig).toEqual({
      activeDirectoryAuth: "Enabled",
      passwordAuth: "Enabled",
      tenantId: "11111111-1111-1111-1111-111111111111",
    });
    const admin = run.inputsOf(run.one("azure-native:dbforpostgresql:AdministratorsMicrosoftEntra"));
    expect(admin).toMatchObject({
      objectId: SEEDED_OBJECT_ID, // the stack file's example id, made deployable (test/mocks.ts)
      principalName: "platform-sre",
      principalType: "Group",
    });
  });

  it("requires TLS and sets max_connections as server parameters, one after another", () => {
    const params = run.all("azure-native:dbforpostgresql:Configuration");
    const values = Object.fromEntries(
      params.map((p) => [run.inputsOf(p).configurationName, run.inputsOf(p).value]),
    );
    expect(values).toMatchObject({ require_secure_transport: "on", max_connections: "400" });
    // Chained: each parameter waits for the previous one (the first for the Entra admin, itself after the
    // server: the server takes one administrative change at a time).
    const deps = params.map((p) => p.options.dependsOn);
    expect(deps[0]).toEqual([
      "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra::postgres-entra-admin",
    ]);
    for (let i = 1; i < params.length; i++) {
      expect(deps[i]).toEqual([`azure-native:dbforpostgresql:Configuration::${params[i - 1]!.name}`]);
    }
  });

  it("protects the server and every database", () => {
    expect(run.one(SERVER).options.protect).toBe(true);
    const dbs = run.all("azure-native:dbforpostgresql:Database");
    expect(dbs.map((d) => run.inputsOf(d).databaseName)).toEqual(["agents"]);
    for (const d of dbs) expect(d.options.protect).toBe(true);
  });

  it("makes a geo-redundant-backup change a visible replace (which protect then refuses)", () => {
    const o = run.one(SERVER).options;
    expect(o.replaceOnChanges).toEqual(["backup.geoRedundantBackup"]);
    expect(o.deleteBeforeReplace).toBe(true);
    expect(o.ignoreChanges).toEqual([
      "availabilityZone",
      "highAvailability.standbyAvailabilityZone",
      "storage.tier",
    ]);
  });

  it("sends logs and metrics to Log Analytics", () => {
    const d = run.inputsOf(run.one("azure-native:monitor:DiagnosticSetting"));
    expect(d.resourceUri).toBe(run.outputs.serverId);
    expect(d.workspaceId).toContain("workspaces/log");
    expect(d.logs).toEqual([{ categoryGroup: "allLogs", enabled: true }]);
    expect(d.metrics).toEqual([{ category: "AllMetrics", enabled: true }]);
  });
});

describe("Postgres component, dev", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await evaluateComponents(build(), "dev");
  });

  it("uses the cheap SKU without HA, zones or geo backup, and is not protected", () => {
    const s = run.inputsOf(run.one(SERVER));
    expect(s.sku).toEqual({ name: "Standard_B2ms", tier: "Burstable" });
    expect(s.highAvailability.mode).toBe("Disabled");
    expect(s.highAvailability.standbyAvailabilityZone ?? "").toBe(""); // the SDK's default
    expect(s.availabilityZone ?? "").toBe(""); // unset: Azure chooses
    expect(s.backup).toEqual({ backupRetentionDays: 7, geoRedundantBackup: "Disabled" });
    expect(run.one(SERVER).options.protect).toBe(false);
    // Security is not a dev dial.
    expect(s.network.publicNetworkAccess).toBe("Disabled");
    const tls = run.all("azure-native:dbforpostgresql:Configuration").map((p) => run.inputsOf(p));
    expect(tls).toContainEqual(
      expect.objectContaining({ configurationName: "require_secure_transport", value: "on" }),
    );
  });
});
