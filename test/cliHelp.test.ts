/**
 * One `--help` convention for every command users type: `npm run -s <script> -- --help` prints the usage
 * with every option described and exits 0, before the program is loaded (cli/run.cjs prints
 * cli/<command>/usage.ts). Usage errors exit non-zero with the same text.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { npmRun } from "./cli";
import { ROOT } from "./mocks";

const SCRIPTS = [
  "render",
  "render:diff",
  "bluegreen",
  "policy:check",
  "preview:comment",
  "dr:rebuild",
  "smoke",
  "bootstrap:state",
  "bench",
] as const;

/** `--flags` named in the synopsis (the lines before the first blank line). */
function synopsisFlags(usage: string): string[] {
  const synopsis = usage.split("\n\n")[0]!;
  return [...new Set([...synopsis.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]))];
}

describe("npm run <command> -- --help", () => {
  it.each(SCRIPTS)("%s prints its usage, each option described on its own line, exit 0", async (script) => {
    const r = await npmRun(script, ["--help"]);
    expect(r.code, r.out).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^usage: npm run ${script}( |$)`, "m"));
    const body = r.stdout.split("\n\n").slice(1).join("\n\n");
    for (const flag of synopsisFlags(r.stdout)) {
      expect(body, `${script}: ${flag} is in the synopsis but not described`).toMatch(
        new RegExp(`^\\s+(\\S+ )*${flag}\\b.*\\S`, "m"),
      );
    }
    expect(body).toMatch(/^\s+--help\s+print this help$/m);
  });

  it("-h is the same as --help", async () => {
    const [a, b] = await Promise.all([npmRun("policy:check", ["-h"]), npmRun("policy:check", ["--help"])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it("loads nothing but the usage: help works in a copy without infra/ (so it is quick)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "help-only-"));
    try {
      fs.cpSync(path.join(ROOT, "cli"), path.join(dir, "cli"), { recursive: true });
      fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
      const r = await npmRun("render", ["--help"], { cwd: dir });
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toMatch(/^usage: npm run render -- --stack/);
      const broken = await npmRun("render", ["--stack", "dev"], { cwd: dir });
      expect(broken.code).not.toBe(0); // the command itself needs infra/: help did not
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("usage errors", () => {
  it.each([
    ["policy:check", [], 2, /^policy:check: give exactly one of --stack or --render; usage:/],
    ["dr:rebuild", [], 2, /^dr:rebuild: --from is required/],
    ["bootstrap:state", ["--location", "westeurope"], 2, /^bootstrap:state: --account is required/],
    ["bench", ["nope"], 2, /^bench: unknown bench "nope"\n\nusage: npm run bench/],
    ["render:diff", ["only-one"], 2, /^render:diff needs exactly two render directories, got 1\n\nusage:/],
    ["preview:comment", [], 2, /^missing --stack, --log, --exit-code, --run-url; usage:/],
  ] as const)("%s %j exits %i with the problem and the usage", async (script, args, code, message) => {
    const r = await npmRun(script, [...args]);
    expect(r.code, r.out).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
