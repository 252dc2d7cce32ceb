// The recovery rules and plan (infra/recovery.ts): pure, with a fixed clock. The behaviours each rule
// stands for are Azure's (sources in infra/recovery.ts): PITR restores into the source's region, geo-restore
// only into the paired region and only from geo-redundant backups, backups cover backupRetentionDays, a
// soft-deleted vault comes back only in its own region.
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../infra/config";
import {
  PAIRED_REGION,
  POSTGRES_RESTORE_FIELDS,
  ZONE_REGIONS,
  postgresServerId,
  recoveryPlan,
  restoredBackup,
  recoveryProblems,
  recoverySection,
  recoveryStackConfig,
  type RecoveryConfig,
  type RecoveryContext,
} from "../infra/recovery";
import type { RecordedResource } from "../cli/shared/mockRuntime";
import { evaluateStack, stackConfig } from "./mocks";

const NOW = new Date("2026-12-02T01:00:00Z");
const SUB = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

function section(over: Partial<RecoveryConfig> = {}): RecoveryConfig {
  return {
    sourceStack: "prod",
    sourceLocation: "westeurope",
    restoreTime: "2026-12-01T01:00:00Z",
    postgres: { createMode: "GeoRestore", sourceServerId: postgresServerId(SUB, "prod") },
    keyVault: { mode: "create" },
    ...over,
  };
}
const ctx = (over: Partial<RecoveryContext> = {}): RecoveryContext => ({
  location: "northeurope",
  zoneRedundant: true,
  postgres: { backupRetentionDays: 35, geoRedundantBackup: true },
  ...over,
});

describe("recovery rules", () => {
  it("accept a geo-restore of prod into its paired region from yesterday", () => {
    expect(recoveryProblems(section(), ctx(), NOW)).toEqual([]);
  });

  it("accept a point-in-time restore in the source's own region", () => {
    const r = section({ postgres: { ...section().postgres, createMode: "PointInTimeRestore" } });
    expect(recoveryProblems(r, ctx({ location: "westeurope" }), NOW)).toEqual([]);
  });

  it.each([
    ["in the future", "2026-12-02T01:00:01Z", /restoreTime 2026-12-02T01:00:01Z is in the future/],
    [
      "older than the retention window",
      "2026-10-27T00:59:59Z",
      /restoreTime .* outside the backup retention window: postgres.backupRetentionDays is 35, so the earliest restore point is 2026-10-28T01:00:00.000Z/,
    ],
    ["not a time", "yesterday", /restoreTime "yesterday" is not an ISO 8601 time with a zone/],
    ["without a zone", "2026-12-01T01:00:00", /is not an ISO 8601 time with a zone/],
  ])("refuse a restore time %s, naming the key", (_, restoreTime, message) => {
    const problems = recoveryProblems(section({ restoreTime }), ctx(), NOW);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^monitoring-platform:recovery\.restoreTime /);
    expect(problems[0]).toMatch(message);
  });

  it("accept the exact edges of the window (now, and now minus the retention days)", () => {
    expect(recoveryProblems(section({ restoreTime: NOW.toISOString() }), ctx(), NOW)).toEqual([]);
    expect(recoveryProblems(section({ restoreTime: "2026-10-28T01:00:00Z" }), ctx(), NOW)).toEqual([]);
  });

  it("judge the window against completedAt once the rebuild is done, not against now", () => {
    const done = section({ restoreTime: "2026-12-01T01:00:00Z", completedAt: "2026-12-01T03:00:00Z" });
    // A year later the backups are long gone, but the record stays valid: no error on the next update.
    expect(recoveryProblems(done, ctx(), new Date("2027-12-01T00:00:00Z"))).toEqual([]);
  });

  it("refuse GeoRestore into the source's own region", () => {
    const [p] = recoveryProblems(section(), ctx({ location: "westeurope" }), NOW);
    expect(p).toMatch(
      /^monitoring-platform:recovery\.postgres\.createMode is GeoRestore into the source's own region westeurope: geo-restore targets the paired region \(northeurope\); to restore in westeurope use PointInTimeRestore/,
    );
  });

  it("refuse GeoRestore into a region that is not the pair, naming the pair", () => {
    const [p] = recoveryProblems(section(), ctx({ location: "swedencentral" }), NOW);
    expect(p).toMatch(
      /replicated only to its paired region northeurope, but location is swedencentral: rebuild with --region northeurope/,
    );
  });

  it("refuse GeoRestore from a source without geo-redundant backup", () => {
    const problems = recoveryProblems(
      section(),
      ctx({ postgres: { backupRetentionDays: 7, geoRedundantBackup: false } }),
      NOW,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /created with postgres.geoRedundantBackup false: there is no copy outside westeurope/,
      ),
    ]);
  });

  it("refuse GeoRestore from a region without a pair", () => {
    const r = section({ sourceLocation: "polandcentral" });
    expect(recoveryProblems(r, ctx({ location: "germanywestcentral" }), NOW)).toEqual([
      expect.stringMatching(/polandcentral has no paired region/),
    ]);
  });

  it("refuse PointInTimeRestore into another region", () => {
    const r = section({ postgres: { ...section().postgres, createMode: "PointInTimeRestore" } });
    expect(recoveryProblems(r, ctx(), NOW)).toEqual([
      expect.stringMatching(
        /createMode is PointInTimeRestore, which restores into the source's region westeurope, but location is northeurope: use GeoRestore/,
      ),
    ]);
  });

  it("refuse a zone-redundant rebuild in a region without availability zones", () => {
    // westus has no zones; eastus (whose pair it is) does.
    const r = section({ sourceLocation: "eastus" });
    expect(recoveryProblems(r, ctx({ location: "westus" }), NOW)).toEqual([
      expect.stringMatching(
        /^monitoring-platform:location westus has no availability zones, but the stack is zone-redundant/,
      ),
    ]);
    expect(recoveryProblems(r, ctx({ location: "westus", zoneRedundant: false }), NOW)).toEqual([]);
  });

  it("refuse recovering the vault in another region, or without its name", () => {
    const r = section({ keyVault: { mode: "recover" } });
    const problems = recoveryProblems(r, ctx(), NOW);
    expect(problems).toContainEqual(
      expect.stringMatching(/keyVault\.name is missing: name the soft-deleted vault/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(
        /keyVault\.mode is recover, but a soft-deleted vault can only be recovered in its own region westeurope, not northeurope: use mode create/,
      ),
    );
  });

  it("reports a missing or malformed source through the schema, before any resource", () => {
    const { config } = stackConfig("prod");
    const bad = { ...section(), postgres: { createMode: "GeoRestore" } };
    expect(() =>
      parseStackConfig({
        ...config,
        "monitoring-platform:location": "northeurope",
        "monitoring-platform:recovery": JSON.stringify(bad),
      }),
    ).toThrow(/monitoring-platform:recovery\.postgres\.sourceServerId is missing/);
    const wrong = {
      ...section(),
      postgres: { createMode: "GeoRestore", sourceServerId: "psql-agents-prod" },
    };
    expect(() =>
      parseStackConfig({
        ...config,
        "monitoring-platform:location": "northeurope",
        "monitoring-platform:recovery": JSON.stringify(wrong),
      }),
    ).toThrow(/recovery\.postgres\.sourceServerId must be the ARM id of the source server/);
  });

  it("run inside the config validation, so a bad request fails with every other config problem", () => {
    const { config } = stackConfig("prod");
    // prod lives in westeurope: GeoRestore into westeurope is the source's own region.
    expect(() =>
      parseStackConfig({ ...config, "monitoring-platform:recovery": JSON.stringify(section()) }),
    ).toThrow(/recovery\.postgres\.createMode is GeoRestore into the source's own region/);
  });
});

describe("the program with a bad recovery section", () => {
  it("stops before any resource is registered, naming the key", async () => {
    // GeoRestore of prod into westeurope, prod's own region.
    const err = await evaluateStack("prod", {
      recovery: section({ restoreTime: new Date(Date.now() - 3600_000).toISOString() }),
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { registeredResources?: RecordedResource[] },
    );
    expect(err?.message).toMatch(
      /monitoring-platform:recovery\.postgres\.createMode is GeoRestore into the source's own region/,
    );
    expect(err?.registeredResources?.filter((r) => r.custom)).toEqual([]);
  });
});

describe("region tables", () => {
  it("pair West and North Europe both ways, and one-way pairs as Microsoft lists them", () => {
    expect(PAIRED_REGION.westeurope).toBe("northeurope");
    expect(PAIRED_REGION.northeurope).toBe("westeurope");
    expect(PAIRED_REGION.westus3).toBe("eastus");
    expect(PAIRED_REGION.eastus).toBe("westus");
    expect(PAIRED_REGION.brazilsouth).toBe("southcentralus");
    expect(PAIRED_REGION.southcentralus).toBe("northcentralus");
  });

  it("know every region the config accepts", async () => {
    const { AZURE_REGIONS } = await import("../infra/config");
    for (const r of AZURE_REGIONS) {
      expect(r in PAIRED_REGION, `${r} missing from PAIRED_REGION`).toBe(true);
    }
    // Secondary regions without availability zones in Microsoft's list: a zone-redundant stack cannot go there.
    for (const r of ["westus", "ukwest", "canadaeast", "japanwest", "northcentralus"])
      expect(ZONE_REGIONS.has(r)).toBe(false);
  });
});

describe("recovery plan", () => {
  it("creates a geo-restored server locally redundant (the pair may be down), a PITR server unchanged", () => {
    const backup = { backupRetentionDays: 35, geoRedundantBackup: "Enabled" as const };
    const geo = recoveryPlan(section()).postgres;
    const pitr = { ...geo, createMode: "PointInTimeRestore" as const };
    expect(restoredBackup(backup, geo)).toEqual({ backupRetentionDays: 35, geoRedundantBackup: "Disabled" });
    expect(restoredBackup(backup, pitr)).toBe(backup);
    expect(restoredBackup(backup, undefined)).toBe(backup);
  });

  it("turns the section into the server's restore inputs, time normalised to UTC", () => {
    const plan = recoveryPlan(section({ restoreTime: "2026-12-01T03:00:00+02:00" }));
    expect(plan.postgres).toEqual({
      createMode: "GeoRestore",
      sourceServerResourceId: `/subscriptions/${SUB}/resourceGroups/rg-agents-prod/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-agents-prod`,
      pointInTimeUTC: "2026-12-01T01:00:00.000Z",
    });
    expect(plan.keyVault).toBeUndefined();
    expect(
      recoveryPlan(section({ keyVault: { mode: "recover", name: "kv-agents-prod-a1b2c3" } })).keyVault,
    ).toEqual({
      vaultName: "kv-agents-prod-a1b2c3",
    });
  });

  it("ignores exactly the restore-only server inputs afterwards", () => {
    expect([...POSTGRES_RESTORE_FIELDS]).toEqual(Object.keys(recoveryPlan(section()).postgres));
  });

  it("derives GeoRestore when the region changes and PITR when it stays; recover only when asked", () => {
    const base = {
      sourceStack: "prod",
      targetStack: "prod-dr",
      sourceLocation: "westeurope",
      restoreTime: "2026-12-01T01:00:00Z",
      subscriptionId: SUB,
    };
    expect(recoverySection({ ...base, region: "northeurope" }).postgres.createMode).toBe("GeoRestore");
    expect(recoverySection({ ...base, region: "westeurope" }).postgres.createMode).toBe("PointInTimeRestore");
    expect(recoverySection({ ...base, region: "westeurope", recoverVault: "kv-x-1" }).keyVault).toEqual({
      mode: "recover",
      name: "kv-x-1",
    });
  });

  it("copies the source config, replacing location and adding the section only", () => {
    const source = { "monitoring-platform:location": "westeurope", "monitoring-platform:protect": "true" };
    const out = recoveryStackConfig(source, {
      sourceStack: "prod",
      targetStack: "prod-dr",
      sourceLocation: "westeurope",
      region: "northeurope",
      restoreTime: "2026-12-01T01:00:00Z",
      subscriptionId: SUB,
    });
    expect(Object.keys(out).sort()).toEqual([...Object.keys(source), "monitoring-platform:recovery"].sort());
    expect(out["monitoring-platform:location"]).toBe("northeurope");
    expect(out["monitoring-platform:protect"]).toBe("true");
  });

  it("moves the app image to the recovery stack's own registry, unless the source uses an existing one", () => {
    const req = {
      sourceStack: "prod",
      targetStack: "prod-dr",
      sourceLocation: "westeurope",
      region: "northeurope",
      restoreTime: "2026-12-01T01:00:00Z",
      subscriptionId: SUB,
    };
    const app = JSON.stringify({ name: "agent-api", image: "acragentsprod.azurecr.io/agent-api" });
    const own = recoveryStackConfig(
      { "monitoring-platform:app": app, "monitoring-platform:registry": '{"sku":"Premium"}' },
      req,
    );
    expect(JSON.parse(own["monitoring-platform:app"]!)).toEqual({
      name: "agent-api",
      image: "acragentsproddr.azurecr.io/agent-api",
    });
    const shared = recoveryStackConfig(
      {
        "monitoring-platform:app": app,
        "monitoring-platform:registry":
          '{"existingId":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acrshared"}',
      },
      req,
    );
    expect(shared["monitoring-platform:app"]).toBe(app);
  });

  it("reconnects to the source's metrics workspace when it is still there, and makes a new one when it is lost", () => {
    const req = (region: string) => ({
      sourceStack: "prod",
      targetStack: "prod-dr",
      sourceLocation: "westeurope",
      region,
      restoreTime: "2026-12-01T01:00:00Z",
      subscriptionId: SUB,
    });
    const monitoring = (remoteWrite: Record<string, unknown>) => ({
      "monitoring-platform:monitoring": JSON.stringify({ namespace: "monitoring", remoteWrite }),
    });
    const rw = (out: Record<string, string>) =>
      JSON.parse(out["monitoring-platform:monitoring"]!).remoteWrite;
    const own = `/subscriptions/${SUB}/resourceGroups/rg-agents-prod/providers/Microsoft.Monitor/accounts/amw-agents-prod`;
    // Same region (the cluster was lost, the region stands): the same workspace, history continues.
    expect(rw(recoveryStackConfig(monitoring({ enabled: true }), req("westeurope")))).toEqual({
      enabled: true,
      workspaceId: own,
      location: "westeurope",
    });
    // Region lost with the workspace in it: the rebuild makes its own (config unchanged).
    expect(rw(recoveryStackConfig(monitoring({ enabled: true }), req("northeurope")))).toEqual({
      enabled: true,
    });
    // The workspace was elsewhere (remoteWrite.location): reachable, so reconnect.
    expect(
      rw(recoveryStackConfig(monitoring({ enabled: true, location: "swedencentral" }), req("northeurope"))),
    ).toEqual({
      enabled: true,
      workspaceId: own,
      location: "swedencentral",
    });
    // A shared workspace, or no remote write: left as they are.
    const shared = {
      enabled: true,
      workspaceId: "/subscriptions/x/resourceGroups/m/providers/Microsoft.Monitor/accounts/shared",
      location: "westeurope",
    };
    expect(rw(recoveryStackConfig(monitoring(shared), req("northeurope")))).toEqual(shared);
    expect(rw(recoveryStackConfig(monitoring({ enabled: false }), req("westeurope")))).toEqual({
      enabled: false,
    });
  });
});
