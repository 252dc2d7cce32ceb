// The monthly DR drill, offline: `npm run dr:rebuild -- --from prod --region northeurope --restore-time
// <yesterday> --offline --out <dir>` renders prod rebuilt in its paired region. It must have every kind of
// resource prod has, restore Postgres from prod's geo-redundant backups, place everything in northeurope
// and mention the lost region nowhere. A normal prod render must be byte-for-byte what it would be without
// the recovery code: the restore render, with exactly the recovery differences undone, is the prod render.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { POSTGRES_RESTORE_FIELDS } from "../infra/recovery";
import { npmRun } from "./cli";

interface Doc {
  project: string;
  stack: string;
  resources: {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    options: { ignoreChanges: string[] };
  }[];
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dr-drill-"));
// Yesterday, to the second: the render depends on this value only, never on the time it runs.
const RESTORE_TIME = new Date(Math.floor((Date.now() - 24 * 3600 * 1000) / 1000) * 1000)
  .toISOString()
  .replace(".000Z", "Z");

async function run(script: string, args: string[]): Promise<string> {
  const r = await npmRun(script, args, { timeoutMs: 240_000 });
  if (r.code !== 0)
    throw new Error(`npm run ${script} ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const drill = (out: string) =>
  run("dr:rebuild", [
    "--from",
    "prod",
    "--region",
    "northeurope",
    "--restore-time",
    RESTORE_TIME,
    "--offline",
    "--out",
    out,
  ]);
const read = (dir: string) => fs.readFileSync(path.join(dir, "resources.json"), "utf8");

let restoreText: string;
let restore: Doc;
let prodText: string;
let prod: Doc;
let stdout: string;

beforeAll(async () => {
  stdout = await drill(path.join(tmp, "restore"));
  restoreText = read(path.join(tmp, "restore"));
  prodText = read(inject("renders").prod.dir); // the run's one prod render (test/globalSetup.ts)
  restore = JSON.parse(restoreText) as Doc;
  prod = JSON.parse(prodText) as Doc;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const count = (d: Doc) =>
  d.resources.reduce<Record<string, number>>((m, r) => ({ ...m, [r.type]: (m[r.type] ?? 0) + 1 }), {});

describe("DR drill: prod rebuilt in northeurope (offline)", () => {
  it("says what it did", () => {
    expect(stdout).toContain(
      `prod (westeurope) rebuilt as prod-dr in northeurope; Postgres GeoRestore to ${RESTORE_TIME}`,
    );
    expect(restore.stack).toBe("prod-dr");
  });

  it("has every kind of resource prod has, as many of each", () => {
    expect(count(restore)).toEqual(count(prod));
  });

  it("restores Postgres from prod's server at the given time, and ignores the restore inputs afterwards", () => {
    const server = restore.resources.find((r) => r.type === "azure-native:dbforpostgresql:Server")!;
    expect(server.inputs).toMatchObject({
      createMode: "GeoRestore",
      pointInTimeUTC: new Date(RESTORE_TIME).toISOString(),
      sourceServerResourceId: expect.stringMatching(
        /\/resourceGroups\/rg-agents-prod\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/psql-agents-prod$/,
      ),
      serverName: "psql-agents-prod-dr",
      location: "northeurope",
    });
    expect(server.options.ignoreChanges).toEqual(expect.arrayContaining([...POSTGRES_RESTORE_FIELDS]));
    // The source region (the pair of northeurope) may be down: the restored server is locally redundant.
    expect(server.inputs.backup).toMatchObject({ geoRedundantBackup: "Disabled", backupRetentionDays: 35 });
  });

  it("places every located resource in northeurope (private DNS zones are global by definition)", () => {
    const located = restore.resources.filter((r) => typeof r.inputs.location === "string");
    expect(located.length).toBe(prod.resources.filter((r) => typeof r.inputs.location === "string").length);
    for (const r of located) {
      // Private DNS zones, action groups and alert rules are global resources by definition.
      const global = /^azure-native:(privatedns:|monitor:(ActionGroup|MetricAlert|ActivityLogAlert)$)/.test(
        r.type,
      );
      const location = String(r.inputs.location);
      expect(global ? location.toLowerCase() : location, `${r.type} ${r.name}`).toBe(
        global ? "global" : "northeurope",
      );
    }
  });

  it("refers to the lost region nowhere, in resources.json or any manifest", () => {
    expect(restoreText).not.toContain("westeurope");
    for (const f of fs.readdirSync(path.join(tmp, "restore", "manifests"))) {
      expect(fs.readFileSync(path.join(tmp, "restore", "manifests", f), "utf8"), f).not.toContain(
        "westeurope",
      );
    }
    // The only reference to the source is the restore source itself.
    const mentions = restoreText.split("\n").filter((l) => /psql-agents-prod"/.test(l));
    expect(mentions).toEqual([expect.stringContaining('"sourceServerResourceId"')]);
  });

  it("renders the same bytes whenever it runs: only the given restore time matters", async () => {
    await drill(path.join(tmp, "again"));
    expect(read(path.join(tmp, "again"))).toBe(restoreText);
  });

  it("passes the policy pack as far as the normal prod render does (no policy fails only for the restore)", async () => {
    const failing = async (dir: string) => {
      const r = await npmRun("policy:check", ["--render", dir], { timeoutMs: 240_000 });
      expect(r.stdout, r.stderr).toMatch(/\d+ of \d+ policies hold over \d+ resources/);
      const m = /failing: (.+)$/m.exec(r.stdout);
      return new Set(m ? m[1]!.split(", ") : []);
    };
    const [restoreFails, prodFails] = await Promise.all([
      failing(path.join(tmp, "restore")),
      failing(inject("renders").prod.dir),
    ]);
    expect([...restoreFails].filter((p) => !prodFails.has(p))).toEqual([]);
  });

  it("leaves a normal prod render byte-for-byte alone: undoing exactly the recovery differences gives it back", () => {
    const undone = JSON.parse(
      restoreText
        .replaceAll("prod-dr", "prod")
        .replaceAll("acragentsproddr", "acragentsprod")
        .replaceAll("stagentsproddr", "stagentsprod")
        .replaceAll("northeurope", "westeurope")
        // The region's display name, as Service Health reports it (the Azure alerts' region filter).
        .replaceAll("North Europe", "West Europe"),
    ) as Doc;
    undone.stack = "prod";
    for (const r of undone.resources) {
      if (r.type === "azure-native:dbforpostgresql:Server") {
        for (const k of POSTGRES_RESTORE_FIELDS) delete r.inputs[k];
        // A geo-restored server is created locally redundant (infra/recovery.ts restoredBackup).
        (r.inputs.backup as { geoRedundantBackup: string }).geoRedundantBackup = "Enabled";
        r.options.ignoreChanges = r.options.ignoreChanges.filter(
          (f) => !(POSTGRES_RESTORE_FIELDS as readonly string[]).includes(f),
        );
      }
    }
    const text = JSON.stringify(undone, null, 2) + "\n";
    expect(
      text === prodText,
      "the prod render differs from the restore render beyond the recovery fields",
    ).toBe(true);
    // And a normal render carries no trace of recovery.
    expect(prodText).not.toMatch(/createMode|pointInTimeUTC|sourceServerResourceId/);
  });
});
