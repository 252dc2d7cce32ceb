/**
 * The pinned tools are found only through `.bin/` (cli/shared/tools.ts). A spawn of a bare `prometheus`
 * once passed here because the machine had a system copy, and failed on a clean one; this test fails on any
 * file under test/, cli/, scripts/, .github/ or .ci/ that runs one of the tools by its bare name.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { TOOL_NAMES } from "./tools";

const ROOT = path.resolve(__dirname, "..");
const NAMES = TOOL_NAMES.join("|");

// TypeScript/JavaScript: the program argument of child_process calls (and our run()) is a string literal.
const TS_SPAWN = new RegExp(
  String.raw`\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync|run)\(\s*["'\`](${NAMES})(?=["'\`\s])`,
  "g",
);
// Shell (scripts, workflow `run:` steps, .ci/run): the tool as a command word, at a line start or after
// `;`, `&&`, `||`, `|`, `$(`, `time`, `exec`, or `run:`.
const SHELL_CMD = new RegExp(
  String.raw`(?:^|[;&|(]|\$\(|\btime[ \t]|\bexec[ \t]|\brun:[ \t])[ \t]*(${NAMES})(?=\s|$)`,
  "gm",
);

export interface BareSpawn {
  file: string;
  line: number;
  tool: string;
}

/** Every place in `text` that runs a pinned tool by its bare name (so from PATH). */
export function bareToolSpawns(file: string, text: string): BareSpawn[] {
  const pattern = /\.(ts|cjs|mjs|js)$/.test(file) ? TS_SPAWN : SHELL_CMD;
  const out: BareSpawn[] = [];
  for (const m of text.matchAll(pattern)) {
    // Shell comments, echo'd help text and `case` labels (`actionlint | sloth)`) are not commands.
    const lineStart = text.lastIndexOf("\n", m.index) + 1;
    const lineText = text.slice(lineStart, text.indexOf("\n", m.index) >>> 0);
    if (pattern === SHELL_CMD && /^\s*(#|echo\b|[\w\s|-]+\)\s*$)/.test(lineText)) continue;
    out.push({ file, line: text.slice(0, m.index).split("\n").length, tool: m[1]! });
  }
  return out;
}

function filesUnder(dir: string, keep: (f: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "fixtures" ? [] : filesUnder(p, keep);
    return keep(p) ? [p] : [];
  });
}

/** Source text of a call `fn(<q>tool<q>, args)`: the inputs the scanner must refuse, built, not written. */
const call = (fn: string, q: string, tool: string, args = "[]") => `${fn}(${q}${tool}${q}, ${args})`;

describe("tools run only from .bin/", () => {
  it("finds bare spawns it must refuse (the check can fail)", () => {
    expect(bareToolSpawns("a.ts", call("spawn", '"', "prometheus", '["--config.file=x"]'))).toEqual([
      { file: "a.ts", line: 1, tool: "prometheus" },
    ]);
    expect(bareToolSpawns("a.ts", `x\n${call("execFileSync", "'", "promtool", '["check"]')}`)[0]?.line).toBe(
      2,
    );
    expect(bareToolSpawns("a.ts", call("spawnSync", "`", "amtool"))).toHaveLength(1);
    expect(bareToolSpawns("a.ts", `await ${call("run", '"', "sloth", '["generate"]')}`)).toHaveLength(1);
    expect(bareToolSpawns("run.sh", "set -e\npromtool check rules rules/*.yaml\n")).toHaveLength(1);
    expect(bareToolSpawns("ci.yml", "      - run: actionlint -color\n")).toHaveLength(1);
    expect(bareToolSpawns("run.sh", "x=$(alertmanager --version)")).toHaveLength(1);
    expect(bareToolSpawns("run.sh", "true && amtool check-config a.yml")).toHaveLength(1);
  });

  it("accepts what runs through .bin/ or only names a tool", () => {
    expect(bareToolSpawns("a.ts", `spawn(tool("prometheus"), args)`)).toEqual([]);
    expect(bareToolSpawns("a.ts", `spawn(prometheusBin, ["--x"]); const s = "prometheus";`)).toEqual([]);
    expect(bareToolSpawns("a.ts", `spawn(process.execPath, ["prometheus-x"])`)).toEqual([]);
    expect(bareToolSpawns("run.sh", '"$bin/promtool" check rules\n.bin/amtool check-config x\n')).toEqual([]);
    expect(bareToolSpawns("run.sh", "# promtool checks the rules\necho promtool\n")).toEqual([]);
    expect(bareToolSpawns("ci.yml", "      - name: pinned tools (promtool, amtool)\n")).toEqual([]);
    expect(bareToolSpawns("tools.sh", '  case "$name" in\n    actionlint | sloth)\n')).toEqual([]);
  });

  it("no file under test/, cli/, scripts/, .github/ or .ci/ spawns a bare tool name", () => {
    const files = [
      ...filesUnder(path.join(ROOT, "test"), (f) => f.endsWith(".ts") && !f.endsWith("toolPaths.test.ts")),
      ...filesUnder(path.join(ROOT, "scripts"), (f) => /\.(ts|cjs|mjs|js|sh)$/.test(f)),
      ...filesUnder(path.join(ROOT, "cli"), (f) => /\.(ts|cjs|mjs|js|sh)$/.test(f)),
      ...filesUnder(path.join(ROOT, ".github"), (f) => /\.ya?ml$/.test(f)),
      path.join(ROOT, ".ci", "run"),
    ];
    expect(files.length).toBeGreaterThan(40);
    const found = files.flatMap((f) => bareToolSpawns(path.relative(ROOT, f), fs.readFileSync(f, "utf8")));
    expect(
      found.map(
        (s) => `${s.file}:${s.line} runs bare \`${s.tool}\` (use tool("${s.tool}") / .bin/${s.tool})`,
      ),
    ).toEqual([]);
  });
});
