/**
 * Offline render: `npm run render -- --stack <dev|prod> [--out <dir>] [--config <stack-file>]`.
 * Evaluates infra/index.ts under Pulumi's mock runtime with the stack file's config and writes
 * resources.json, manifests/ and alertmanager.yaml; prints a summary. No CLI, credentials or network.
 */
import * as path from "path";
import { readStackConfig } from "./lib/stackFile";
import { repoRoot } from "../infra/repoRoot";
import { evaluateProgram } from "./lib/mockRuntime";
import { summarize, writeRender } from "./lib/renderOutput";

function parseArgs(argv: string[]): { stack: string; out: string; config?: string } {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--"))
      throw new Error(`unexpected argument "${a}"; usage: render --stack <dev|prod> [--out <dir>]`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value`);
    args[a.slice(2)] = v;
    i++;
  }
  for (const k of Object.keys(args)) {
    if (!["stack", "out", "config"].includes(k))
      throw new Error(`unknown option --${k}; known: --stack, --out, --config`);
  }
  const stack = args.stack ?? "dev";
  return { stack, out: args.out ?? path.join("out", stack), config: args.config };
}

async function main(): Promise<void> {
  // Pulumi captures a stack trace per resource (source positions); with tsx's source maps on, mapping
  // each of them cost a quarter of the render time. Errors below still name files and keys.
  process.setSourceMapsEnabled(false);
  const root = repoRoot();
  const { stack, out, config } = parseArgs(process.argv.slice(2));
  const sc = readStackConfig(root, stack, config);
  const started = Date.now();
  const evaluation = await evaluateProgram({ ...sc, mode: "render" });
  const outDir = path.resolve(out);
  const written = writeRender(outDir, { project: sc.project, stack }, evaluation);
  console.log(summarize({ project: sc.project, stack }, evaluation, sc.placeholders));
  console.log(
    `\nwrote ${written.files} files to ${path.relative(process.cwd(), outDir) || "."}/ in ${Date.now() - started} ms`,
  );
}

main().catch((e: unknown) => {
  // Config errors already say which key and how to fix it; print them without a stack trace.
  const err = e as Error;
  console.error(
    `render failed: ${err.name === "ConfigError" || err.name?.endsWith("Error") ? err.message : String(e)}`,
  );
  process.exit(1);
});
