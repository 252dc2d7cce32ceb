// The rebuild orchestration (cli/dr/drRebuild.ts) with a fake workspace standing in for the Pulumi
// Automation API: the order of the steps, what stops it, and that the smoke check runs last. The command
// line is tested through the npm script users type (`npm run -s dr:rebuild -- …`).
import { describe, expect, it } from "vitest";
import { PROJECT } from "../infra/config";
import {
  rebuild,
  RebuildError,
  type ConfigEntry,
  type PreviewOutcome,
  type RebuildDeps,
  type UpOutcome,
} from "../cli/dr/drRebuild";
import { stackConfig } from "./mocks";
import { npmRun } from "./cli";

const NOW = new Date("2026-12-02T01:00:00Z");
const SUB = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const ARGS = {
  from: "prod",
  region: "northeurope",
  restoreTime: "2026-12-01T01:00:00Z",
  subscriptionId: SUB,
};

interface Fake {
  deps: RebuildDeps;
  calls: string[];
  config: Record<string, ConfigEntry>;
}

/** A workspace that records every call; `preview`/`up`/`smoke` behave as told. */
function fake(
  opts: {
    preview?: () => Promise<PreviewOutcome>;
    up?: () => Promise<UpOutcome>;
    smoke?: boolean;
  } = {},
): Fake {
  const calls: string[] = [];
  const config: Record<string, ConfigEntry> = {};
  const source = stackConfig("prod");
  return {
    calls,
    config,
    deps: {
      sourceConfig: async (stack) => {
        calls.push(`sourceConfig ${stack}`);
        return Object.fromEntries(
          Object.entries(source.config).map(([k, v]) => [
            k,
            { value: v, secret: source.secretKeys.includes(k) },
          ]),
        );
      },
      openStack: async (name) => {
        calls.push(`openStack ${name}`);
        return {
          name,
          setAllConfig: async (c) => {
            calls.push("setAllConfig");
            Object.assign(config, c);
          },
          setConfig: async (k, e) => {
            calls.push(`setConfig ${k}`);
            config[k] = e;
          },
          preview: async () => {
            calls.push("preview");
            return (opts.preview ?? (async () => ({ changeSummary: { create: 120 } })))();
          },
          up: async () => {
            calls.push("up");
            return (opts.up ?? (async () => ({ result: "succeeded" })))();
          },
        };
      },
      smoke: async (stack) => {
        calls.push(`smoke ${stack}`);
        return opts.smoke ?? true;
      },
      now: () => NOW,
      log: () => undefined,
    },
  };
}

describe("dr:rebuild orchestration", () => {
  it("reads the source, writes the config, previews, updates, records completion, and smoke-checks last", async () => {
    const f = fake();
    expect(await rebuild(ARGS, f.deps)).toBe(0);
    expect(f.calls).toEqual([
      "sourceConfig prod",
      "openStack prod-dr",
      "setAllConfig",
      "preview",
      "up",
      `setConfig ${PROJECT}:recovery`,
      "smoke prod-dr",
    ]);
    expect(f.config[`${PROJECT}:location`]).toEqual({ value: "northeurope", secret: false });
    const recovery = JSON.parse(f.config[`${PROJECT}:recovery`]!.value);
    expect(recovery).toMatchObject({
      sourceStack: "prod",
      sourceLocation: "westeurope",
      restoreTime: "2026-12-01T01:00:00Z",
      completedAt: NOW.toISOString(),
      postgres: { createMode: "GeoRestore" },
      keyVault: { mode: "create" },
    });
    // Secrets stay secrets in the new stack's config.
    expect(f.config[`${PROJECT}:pagerdutyRoutingKey`]?.secret).toBe(true);
  });

  it("stops at a failed preview: no update, no smoke check", async () => {
    const f = fake({
      preview: async () => {
        throw new Error("error: resource monitoring-platform:data:Postgres failed");
      },
    });
    await expect(rebuild(ARGS, f.deps)).rejects.toThrow(/preview failed, nothing was changed/);
    expect(f.calls).not.toContain("up");
    expect(f.calls.some((c) => c.startsWith("smoke"))).toBe(false);
  });

  it("stops when the preview would delete or replace anything", async () => {
    const f = fake({ preview: async () => ({ changeSummary: { create: 3, replace: 1, same: 100 } }) });
    const err = await rebuild(ARGS, f.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RebuildError);
    expect((err as RebuildError).step).toBe("preview");
    expect((err as Error).message).toMatch(/preview plans 1 replace in stack prod-dr/);
    expect(f.calls).not.toContain("up");
  });

  it("stops at a failed update without recording completion or smoke-checking", async () => {
    const f = fake({ up: async () => ({ result: "failed" }) });
    await expect(rebuild(ARGS, f.deps)).rejects.toThrow(/update ended "failed"; rerun the same command/);
    expect(f.calls.at(-1)).toBe("up");
  });

  it("exits 1 when the rebuilt platform fails its smoke check", async () => {
    const f = fake({ smoke: false });
    expect(await rebuild(ARGS, f.deps)).toBe(1);
    expect(f.calls.at(-1)).toBe("smoke prod-dr");
  });

  it("refuses bad recovery input before touching any stack", async () => {
    const f = fake();
    await expect(
      rebuild({ ...ARGS, region: "westeurope", restoreTime: "2026-12-03T00:00:00Z" }, f.deps),
    ).rejects.toThrow(/recovery\.restoreTime 2026-12-03T00:00:00Z is in the future/);
    await expect(rebuild({ ...ARGS, restoreTime: "2026-10-01T00:00:00Z" }, f.deps)).rejects.toThrow(
      new RegExp(
        "--restore-time 2026-10-01T00:00:00Z is older than stack prod's backups reach " +
          `\\(postgres.backupRetentionDays 35\\): pass --restore-time ≥ ${new Date(NOW.getTime() - 35 * 86_400_000).toISOString().replace(".000Z", "Z")}$`,
      ),
    );
    await expect(rebuild({ ...ARGS, stack: "prod" }, f.deps)).rejects.toThrow(/is the source stack itself/);
    expect(f.calls).toEqual(["sourceConfig prod", "sourceConfig prod", "sourceConfig prod"]);
  });

  it("without --restore-time restores to the latest point (now)", async () => {
    const f = fake();
    await rebuild({ ...ARGS, restoreTime: undefined }, f.deps);
    expect(JSON.parse(f.config[`${PROJECT}:recovery`]!.value).restoreTime).toBe(NOW.toISOString());
  });
});

async function npm(args: string[], env?: NodeJS.ProcessEnv) {
  const r = await npmRun("dr:rebuild", args, { env, timeoutMs: 180_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe("npm run dr:rebuild (command line)", () => {
  it("requires --from and --region, naming the flag", async () => {
    const r = await npm(["--region", "northeurope"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--from is required \(the stack to rebuild, e.g. prod\)/);
    expect(r.err).toMatch(/usage: npm run dr:rebuild/);
  });

  it("rejects an unknown region with the list of known ones", async () => {
    const r = await npm(["--from", "prod", "--region", "westeruope", "--offline", "--out", "/tmp/unused"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--region "westeruope" is not a region this program deploys to; one of: .*northeurope/,
    );
  });

  it("refuses a restore time in the future before rendering anything", async () => {
    const r = await npm([
      "--from",
      "prod",
      "--region",
      "northeurope",
      "--restore-time",
      "2999-01-01T00:00:00Z",
      "--offline",
      "--out",
      "/tmp/dr-unused",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/monitoring-platform:recovery\.restoreTime 2999-01-01T00:00:00Z is in the future/);
    expect(r.out).not.toMatch(/wrote \d+ files/);
  });

  it("online mode needs the source subscription and says how to get it", async () => {
    const r = await npm(["--from", "prod", "--region", "northeurope"], {
      ...process.env,
      ARM_SUBSCRIPTION_ID: "",
      AZURE_SUBSCRIPTION_ID: "",
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--subscription is required .*az account show --query id -o tsv/);
  });
});
