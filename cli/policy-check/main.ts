/**
 * `npm run policy:check -- --stack <name>` renders the stack offline into a temporary directory and runs
 * the platform's policies (the same ones as the CrossGuard pack in policy/) over it;
 * `npm run policy:check -- --render <dir>` checks an existing render's resources.json.
 * Options: `--policy-config <file>` (CrossGuard's --policy-pack-config format; default
 * policy/config.<stack>.json when it exists). Exit 0: every promise holds; 1: findings (each names the
 * policy and the resource); 2: bad usage or a render that failed.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../../infra/repoRoot";
import { evaluatePolicies } from "../../policy/policies";
import { contextFrom, fromRender, report, type PolicyConfigFile } from "./policyCheck";
import type { RenderDocument } from "../shared/renderOutput";
import { USAGE } from "./usage";

class UsageError extends Error {}

function parseArgs(argv: string[]): { stack?: string; render?: string; policyConfig?: string } {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = a.replace(/^--/, "");
    if (!a.startsWith("--") || !["stack", "render", "policy-config"].includes(key)) {
      throw new UsageError(`unknown argument "${a}"; ${USAGE}`);
    }
    const v = argv[++i];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value; ${USAGE}`);
    out[key] = v;
  }
  if (!out.stack === !out.render) throw new UsageError(`give exactly one of --stack or --render; ${USAGE}`);
  return { stack: out.stack, render: out.render, policyConfig: out["policy-config"] };
}

function renderStack(root: string, stack: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `policy-${stack}-`));
  // Its own process: the render sets Pulumi's global mock runtime (cli/shared/mockRuntime.ts).
  const r = spawnSync(
    process.execPath,
    [path.join(root, "cli/run.cjs"), "render", "--stack", stack, "--out", dir],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) {
    throw new UsageError(`render of stack ${stack} failed:\n${r.stderr || r.stdout}`);
  }
  return dir;
}

function main(): number {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const root = repoRoot();
  const args = parseArgs(argv);
  const dir = args.render ? path.resolve(args.render) : renderStack(root, args.stack!);
  const file = path.join(dir, "resources.json");
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `${file} not found: render first (npm run render -- --stack <name> --out ${args.render})`,
    );
  }
  const doc = JSON.parse(fs.readFileSync(file, "utf8")) as RenderDocument;
  const configFile = args.policyConfig ?? path.join(root, "policy", `config.${doc.stack}.json`);
  if (args.policyConfig && !fs.existsSync(configFile))
    throw new UsageError(`--policy-config ${configFile} not found`);
  const config = fs.existsSync(configFile)
    ? (JSON.parse(fs.readFileSync(configFile, "utf8")) as PolicyConfigFile)
    : {};
  const resources = fromRender(doc);
  // The render marks secret values "[secret]", so the secret checks can see secretness here.
  const findings = evaluatePolicies(resources, contextFrom(config, true));
  console.log(report(doc.stack, resources.length, findings));
  if (args.stack) fs.rmSync(dir, { recursive: true, force: true });
  return findings.length ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`policy:check: ${(e as Error).message}`);
  process.exitCode = 2;
}
