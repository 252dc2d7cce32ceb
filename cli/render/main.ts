/**
 * Offline render: `npm run render -- --stack <dev|prod> [--out <dir>] [--config <stack-file>]`.
 * Evaluates infra/index.ts under Pulumi's mock runtime with the stack file's config and writes
 * resources.json, manifests/ and alertmanager.yaml; prints a summary. No CLI, credentials or network.
 */
import * as path from "path";
import { fixesForFile, readStackConfig } from "../shared/stackFile";
import { repoRoot } from "../../infra/repoRoot";
import { evaluateProgram } from "../shared/mockRuntime";
import { asTyped, summarize, writeRender } from "../shared/renderOutput";
import { findPlaceholders } from "../../infra/placeholders";
import { USAGE } from "./usage";

/** A command-line mistake: printed with the usage, exit code 2. */
class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function parseArgs(argv: string[]): "help" | { stack: string; out: string; config?: string } {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument "${a}"`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
    args[a.slice(2)] = v;
    i++;
  }
  for (const k of Object.keys(args)) {
    if (!["stack", "out", "config"].includes(k))
      throw new UsageError(`unknown option --${k}; known: --stack, --out, --config, --help`);
  }
  // No default stack: rendering dev when prod was meant (or the reverse) silently reviews the wrong thing.
  if (!args.stack) throw new UsageError("--stack is required (e.g. --stack prod)");
  const stack = args.stack;
  return { stack, out: args.out ?? path.join("out", stack), config: args.config };
}

async function main(): Promise<void> {
  // Pulumi captures a stack trace per resource (source positions); with tsx's source maps on, mapping
  // each of them cost a quarter of the render time. Errors below still name files and keys.
  process.setSourceMapsEnabled(false);
  const root = repoRoot();
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === "help") {
    console.log(USAGE);
    return;
  }
  const { stack, out, config } = parsed;
  const sc = readStackConfig(root, stack, config);
  const started = Date.now();
  const evaluation = await evaluateProgram({ ...sc, mode: "render" });
  const outDir = path.resolve(out);
  const written = writeRender(outDir, { project: sc.project, stack }, evaluation);
  console.log(summarize({ project: sc.project, stack }, evaluation, sc.placeholders));
  // The stack file's example values render fine here; `pulumi up` refuses them (infra/config.ts).
  const examples = findPlaceholders(sc.config, sc.project, sc.secretKeys);
  if (examples.length) console.log(`fill in before deploying: ${examples.map((p) => p.key).join(", ")}`);
  console.log(`\nwrote ${written.files} files to ${asTyped(out)} in ${Date.now() - started} ms`);
}

/** The `--config <file>` given, as typed (for the fix commands), if any. */
function configFileArg(argv: string[]): string | undefined {
  const i = argv.indexOf("--config");
  return i >= 0 ? argv[i + 1] : undefined;
}

main().catch((e: unknown) => {
  // Config errors already say which key and how to fix it; print them without a stack trace.
  const err = e as Error;
  const configFile = configFileArg(process.argv.slice(2));
  if (err.name === "ConfigError" && configFile) err.message = fixesForFile(err.message, configFile);
  if (err instanceof UsageError) {
    console.error(`render: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(
    `render failed: ${err.name === "ConfigError" || err.name?.endsWith("Error") ? err.message : String(e)}`,
  );
  process.exit(1);
});
