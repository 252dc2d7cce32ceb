/**
 * `npm run bench`: prints ratios measured in one run (median of N runs each), so the machine's speed
 * cancels out:
 *   (a) offline render of prod (`node cli/run.cjs render`) ÷ bare `node -e "require('@pulumi/pulumi')"`
 *       target ≤ 2
 *   (b) `tsc --noEmit` of the project ÷ `tsc` of a one-file program with the same imports  target ≤ 1.5
 *   (c) samples touched per evaluation of our SLO rule groups ÷ the same for Sloth's rules of the same two
 *       SLOs, both counted by one Prometheus holding 30 days of synthetic history     target ≤ 1
 * `npm run bench -- rules` runs (c) only; `npm run bench -- build` runs (a) and (b) only.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { benchRuleCost } from "./ruleCostRun";
import { USAGE } from "./usage";

const ROOT = path.resolve(__dirname, "..", "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const bin = (n: string) => path.join(ROOT, "node_modules/.bin", n);

// Children get a clean environment: tsx (which runs this script) would otherwise hand its loader hooks
// down through NODE_OPTIONS and slow every measured node process.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_OPTIONS"));

function time(cmd: string, args: string[], cwd = ROOT): number {
  const t = process.hrtime.bigint();
  execFileSync(cmd, args, { cwd, stdio: "ignore", env });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (process.env.BENCH_VERBOSE)
    console.log(`  ${ms.toFixed(0)} ms  ${path.basename(cmd)} ${args.join(" ")}`);
  return ms;
}

function median(cmd: string, args: string[], cwd = ROOT): number {
  const xs = Array.from({ length: RUNS }, () => time(cmd, args, cwd)).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

/** Every distinct package import of the type-checked project (the baseline imports exactly these). */
function programImports(): string[] {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
    });
  const specs = new Set<string>();
  for (const dir of ["infra", "cli", "policy", "test"]) {
    for (const f of files(path.join(ROOT, dir))) {
      for (const m of fs.readFileSync(f, "utf8").matchAll(/^import [^;]*? from "([^".][^"]*)";/gms))
        specs.add(m[1]!);
    }
  }
  return [...specs].sort();
}

function buildBench(): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
  const bare = median(process.execPath, ["-e", "require('@pulumi/pulumi')"]);
  // What `npm run render` runs (minus npm's own start-up): transpile + evaluate + write.
  const renderArgs = ["cli/run.cjs", "render", "--stack", "prod", "--out", path.join(out, "render")];
  const render = median(process.execPath, renderArgs);

  // The baseline: one file importing the same modules, type-checked with the same compiler options.
  const baseDir = fs.mkdtempSync(path.join(ROOT, ".bench-"));
  try {
    const imports = programImports();
    fs.writeFileSync(
      path.join(baseDir, "one.ts"),
      imports.map((s, i) => `import * as m${i} from "${s}";\nvoid m${i};`).join("\n") + "\n",
    );
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8")) as Record<
      string,
      unknown
    >;
    fs.writeFileSync(
      path.join(baseDir, "tsconfig.json"),
      JSON.stringify({ ...tsconfig, include: ["one.ts"] }),
    );
    const project = median(bin("tsc"), ["-p", "tsconfig.json", "--noEmit"]);
    const one = median(bin("tsc"), ["-p", path.join(baseDir, "tsconfig.json"), "--noEmit"]);

    const a = render / bare;
    const b = project / one;
    console.log(`runs per measurement: ${RUNS} (median)`);
    console.log(`bare require('@pulumi/pulumi'):        ${bare.toFixed(0)} ms`);
    console.log(`render --stack prod:                   ${render.toFixed(0)} ms`);
    console.log(
      `(a) render ÷ bare require:             ${a.toFixed(2)}  (target ≤ 2)  ${a <= 2 ? "OK" : "OVER"}`,
    );
    console.log(`tsc --noEmit (project):                ${project.toFixed(0)} ms`);
    console.log(`tsc --noEmit (one file, ${imports.length} imports):   ${one.toFixed(0)} ms`);
    console.log(
      `(b) project ÷ one-file tsc:            ${b.toFixed(2)}  (target ≤ 1.5)  ${b <= 1.5 ? "OK" : "OVER"}`,
    );
  } finally {
    fs.rmSync(baseDir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only === "--help" || only === "-h") {
    console.log(USAGE);
    return;
  }
  if ((only !== undefined && only !== "rules" && only !== "build") || process.argv.length > 3) {
    console.error(`bench: unknown bench "${process.argv.slice(2).join(" ")}"\n\n${USAGE}`);
    process.exit(2);
  }
  if (only !== "rules") buildBench();
  if (only !== "build") await benchRuleCost(ROOT);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
