/**
 * The fixes the render prints are commands that work: each case breaks a copy of a stack file, renders it
 * with `npm run render -- --config <copy>`, runs every printed `fix:` line against the copy and renders
 * again, which must then succeed. There is no Pulumi CLI here, so the `pulumi config set|rm` lines are
 * applied by `applyFix` below, which implements the documented semantics (pulumi.com/docs/iac/cli/commands/
 * pulumi_config_set: `--path` stores "true"/"false" as booleans and integers as numbers, everything else as
 * a string, `--type string` keeps a string; top-level values are always strings; `--config-file` names the
 * file) and refuses anything else, so a fix it cannot run fails the test.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { npmRun } from "./cli";
import { ROOT } from "./mocks";

type Doc = { config: Record<string, unknown> };
// A stack file's config as the cases edit it (nested objects of any shape).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Config = Record<string, any>;

/** Splits a shell command line with single quotes (what the fixes use). */
function words(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] ?? m[2])!.replace(/'\\''/g, "'"));
}

/** `a.b[0].c` → ["a", "b", 0, "c"] */
function pathOf(key: string): (string | number)[] {
  return [...key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** Runs one `pulumi config set|rm` command against the stack file it names with --config-file. */
export function applyFix(command: string): void {
  const w = words(command);
  if (w[0] !== "pulumi" || w[1] !== "config" || (w[2] !== "set" && w[2] !== "rm")) {
    throw new Error(`not a pulumi config set/rm command: ${command}`);
  }
  let file: string | undefined;
  let usePath = false;
  let type: string | undefined;
  const rest: string[] = [];
  for (let i = 3; i < w.length; i++) {
    if (w[i] === "--config-file") file = w[++i];
    else if (w[i] === "--path") usePath = true;
    else if (w[i] === "--type") type = w[++i];
    else if (w[i]!.startsWith("--")) throw new Error(`flag ${w[i]} not supported here: ${command}`);
    else rest.push(w[i]!);
  }
  if (!file) throw new Error(`no --config-file: the fix would change another stack file: ${command}`);
  const [key, value] = rest;
  if (!key || (w[2] === "set" && value === undefined) || /^<.*>$/.test(value ?? "")) {
    throw new Error(`the fix needs a value the user must choose: ${command}`);
  }
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as Doc;
  const [ns, ...dotted] = key.split(":");
  const steps = usePath ? pathOf(dotted.join(":")) : [dotted.join(":")];
  const top = `${ns}:${steps[0]}`;
  const typed =
    value === undefined
      ? undefined
      : !usePath || type === "string"
        ? value
        : type === "float" || /^-?\d+$/.test(value)
          ? Number(value)
          : value === "true" || value === "false"
            ? value === "true"
            : value;
  if (steps.length === 1) {
    if (w[2] === "rm") delete doc.config[top];
    else doc.config[top] = typed;
  } else {
    let cur = doc.config[top] as Record<string | number, unknown>;
    for (const s of steps.slice(1, -1)) cur = cur[s] as Record<string | number, unknown>;
    const last = steps[steps.length - 1]!;
    if (w[2] === "rm") delete cur[last];
    else cur[last] = typed;
  }
  fs.writeFileSync(file, yaml.dump(doc, { lineWidth: -1 }));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "config-fixes-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of Pulumi.<stack>.yaml with `edit` applied to its config. */
function brokenCopy(stack: string, name: string, edit: (c: Config) => void): string {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as Doc;
  edit(doc.config as Config);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, yaml.dump(doc, { lineWidth: -1 }));
  return file;
}

const render = (file: string) =>
  npmRun("render", ["--stack", "dev", "--config", file, "--out", path.join(tmp, "out")]);

/** The `fix:` commands of a failed render, split at `;`. */
function fixes(stderr: string): string[] {
  return [...stderr.matchAll(/^\s+fix: (.+)$/gm)].flatMap((m) => m[1]!.split("; "));
}

describe("printed config fixes fix the stack file they name", () => {
  it.each([
    [
      "environment: prod in a dev file: each rule's own value, not the value given again",
      (c: Config) => (c["monitoring-platform:environment"] = "prod"),
      [
        "--path 'monitoring-platform:aks.tier' Standard",
        "--path 'monitoring-platform:aks.systemPool.count' 3",
        "monitoring-platform:protect true",
      ],
    ],
    [
      "a misspelt nested key: reported once, its value moved to the right name",
      (c: Config) => {
        c["monitoring-platform:aks"].tierr = c["monitoring-platform:aks"].tier;
        delete c["monitoring-platform:aks"].tier;
      },
      ["rm --config-file", "--path 'monitoring-platform:aks.tier' Free"],
    ],
    [
      "an enum typo: the nearest allowed value",
      (c: Config) => (c["monitoring-platform:postgres"].highAvailability = "Disabld"),
      ["--path 'monitoring-platform:postgres.highAvailability' Disabled"],
    ],
  ])("%s", async (name, edit, expected) => {
    const file = brokenCopy("dev", name.replace(/\W+/g, "-").slice(0, 40), edit);
    const before = await render(file);
    expect(before.code, before.out).toBe(1);
    const lines = fixes(before.stderr);
    expect(lines.length).toBeGreaterThan(0);
    for (const e of expected)
      expect(
        lines.some((l) => l.includes(e)),
        `${e} in\n${lines.join("\n")}`,
      ).toBe(true);
    // Never "allowed: true or false" after "must be true", never a range that contradicts the rule.
    expect(before.stderr).not.toMatch(/must be true[^\n]*allowed: true or false/);
    expect(before.stderr).not.toMatch(/must be at least \d+[^\n]*allowed:/);
    // A misspelt key is not also reported as missing.
    expect(before.stderr).not.toMatch(/aks\.tier is missing/);
    // Apply the fixes, render again, repeat: a later round may show what the first one could not see yet
    // (cross-checks run once the schema passes), but every problem must carry a fix that can be run.
    let round = before;
    for (let n = 0; n < 3 && round.code !== 0; n++) {
      const printed = fixes(round.stderr);
      expect(printed.length, `a problem without a fix:\n${round.stderr}`).toBeGreaterThan(0);
      for (const l of printed) {
        expect(l).toContain(`--config-file ${file}`);
        applyFix(l);
      }
      round = await render(file);
    }
    const after = await render(file);
    expect(after.code, after.out).toBe(0);
  });

  it("a subnet moved onto two others is blamed once, not the two it now overlaps", async () => {
    const file = brokenCopy(
      "dev",
      "cidr",
      (c) => (c["monitoring-platform:network"].aksNodesCidr = "10.20.8.0/22"),
    );
    const r = await render(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "monitoring-platform:network.aksNodesCidr 10.20.8.0/22 overlaps network.postgresCidr 10.20.8.0/24 and network.endpointsCidr 10.20.9.0/24: give each subnet its own range",
    );
    expect(r.stderr).not.toMatch(/network\.postgresCidr [^\n]* overlaps/);
    expect(r.stderr).not.toMatch(/network\.endpointsCidr [^\n]* overlaps/);
  });

  it("applyFix refuses what it cannot run (so the test above can fail)", () => {
    expect(() => applyFix("pulumi config set --path 'monitoring-platform:aks.tier' Standard")).toThrow(
      /no --config-file/,
    );
    expect(() =>
      applyFix(`pulumi config set --config-file ${path.join(tmp, "x.yaml")} --path 'a:b' <value>`),
    ).toThrow(/a value the user must choose/);
  });
});
