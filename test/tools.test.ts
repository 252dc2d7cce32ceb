/**
 * The Go tools of tools/go.mod, built into .bin/ by `npm run tools`: pinned at exactly the versions the
 * pinned kube-prometheus-stack deploys (infra/monitoring/chartVersions.ts), and the built binaries report
 * those versions. A drift in either place fails here.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { DEPLOYED } from "../infra/monitoring/helmValues";
import { npmRun } from "./cli";
import { run, tool, type ToolName } from "./tools";

const ROOT = path.resolve(__dirname, "..");

/** `require` lines of tools/go.mod: module → version. */
function goModRequires(): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, "tools", "go.mod"), "utf8");
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\s*(\S+)\s+(v\S+)(?:\s*\/\/.*)?$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** Prometheus publishes release v3.X.Y as Go module v0.3XX.Y (prometheus/prometheus README). */
function prometheusModuleVersion(release: string): string {
  const [major, minor, patch] = release.split(".").map(Number) as [number, number, number];
  return `v0.${major}${String(minor).padStart(2, "0")}.${patch}`;
}

const PINS: Record<string, string> = {
  "github.com/prometheus/prometheus": prometheusModuleVersion(DEPLOYED.prometheus),
  "github.com/prometheus/alertmanager": `v${DEPLOYED.alertmanager}`,
  "github.com/rhysd/actionlint": "v1.7.12",
  "github.com/slok/sloth": "v0.16.0",
};

describe("tools/go.mod", () => {
  const requires = goModRequires();

  it.each(Object.entries(PINS))("pins %s at %s (the chart's version where the chart ships it)", (mod, v) => {
    expect(requires.get(mod), `tools/go.mod: go get -tool ${mod}@${v}`).toBe(v);
  });

  it("declares every tool scripts/tools.sh builds", () => {
    const gomod = fs.readFileSync(path.join(ROOT, "tools", "go.mod"), "utf8");
    const script = fs.readFileSync(path.join(ROOT, "scripts", "tools.sh"), "utf8");
    for (const pkg of script.matchAll(/\|(github\.com\/[^|]+\/cmd\/[^|]+)\|/g)) {
      expect(gomod).toContain(`\t${pkg[1]}\n`);
    }
  });

  it("maps Prometheus releases to its Go module versions", () => {
    expect(prometheusModuleVersion("3.15.0")).toBe("v0.315.0");
    expect(prometheusModuleVersion("3.5.1")).toBe("v0.305.1");
  });
});

/** First line of `<tool> <args>` (stdout and stderr: kingpin prints --version to either). */
async function versionLine(name: ToolName, args: string[]): Promise<string> {
  const r = await run(tool(name), args, { timeoutMs: 20_000 });
  return `${r.stdout}${r.stderr}`.trim().split("\n")[0] ?? "";
}

describe("the built tools in .bin/ report the pinned versions", () => {
  it.each([
    ["promtool", DEPLOYED.prometheus],
    ["prometheus", DEPLOYED.prometheus],
    ["amtool", DEPLOYED.alertmanager],
    ["alertmanager", DEPLOYED.alertmanager],
  ] as const)("%s --version is the chart's %s", async (name, version) => {
    expect(await versionLine(name, ["--version"])).toMatch(
      new RegExp(`^${name}, version ${version.replace(/\./g, "\\.")} `),
    );
  });

  it("actionlint is v1.7.12", async () => {
    expect(await versionLine("actionlint", ["-version"])).toBe("v1.7.12");
  });

  it("a missing tool fails with the command that builds it", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-tools-"));
    try {
      expect(() => tool("promtool", empty)).toThrow(/no-tools-.*\/promtool is missing: run `npm run tools`/);
      expect(() => tool("sloth", empty)).toThrow(/sloth is missing: run `npm run tools -- sloth`/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

// sloth is built only for the bench (`npm run tools -- sloth`); the bench prints the module version Go
// recorded in the binary it ran (cli/bench/ruleCostRun.ts), and its pin is checked above.
describe("npm run tools", () => {
  it("reuses what is already built at the pinned version, one line per tool, through the npm script users type", async () => {
    const r = await npmRun("tools", [], { timeoutMs: 120_000 });
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^tools\.sh: 5 tools in \.bin\/ \(0 built, 5 reused\) in \d+ s$/m);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 5).map((l) => l.split(" ")[1])).toEqual([
      "promtool",
      "amtool",
      "actionlint",
      "prometheus",
      "alertmanager",
    ]);
    for (const l of lines.slice(0, 5)) expect(l).toMatch(/^tools\.sh: \S+ reused \(github\.com\/\S+ v\S+/);
    expect(r.stdout).not.toContain("sloth");
  }, 130_000);

  it("refuses an unknown tool name with the known ones", async () => {
    const r = await npmRun("tools", ["promtol"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "tools.sh: unknown tool 'promtol' (known: promtool amtool actionlint prometheus alertmanager sloth)",
    );
  });
});
