/**
 * The one way tests and scripts find the Go-built tools pinned in tools/go.mod: `.bin/<name>`, built by
 * `npm run tools` (scripts/tools.sh). Never whatever promtool/prometheus/amtool happens to be on PATH: a
 * system package is another version than the chart deploys, and a leftover one once made CI green on a
 * machine where a clean clone failed. test/toolPaths.test.ts fails on any spawn of a bare tool name.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const BIN_DIR = path.resolve(__dirname, "..", "..", ".bin");

/** Tools built by scripts/tools.sh. */
export const TOOL_NAMES = [
  "promtool",
  "prometheus",
  "amtool",
  "alertmanager",
  "actionlint",
  "sloth",
  "kube-apiserver",
  "etcd",
  "crds",
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/**
 * The `npm run tools` arguments that build a tool: sloth (only the bench needs it) and the API server suite's
 * kube-apiserver, etcd and CRDs (`npm run test:apiserver`) are not built by default.
 */
function buildCommand(name: ToolName): string {
  if (name === "sloth") return "npm run tools -- sloth";
  if (name === "kube-apiserver" || name === "etcd" || name === "crds")
    return "npm run tools -- kube-apiserver etcd crds";
  return "npm run tools";
}

/**
 * Absolute path of `.bin/<name>`. Throws when it has not been built: what needs a tool fails loudly with
 * the command that builds it, it never skips.
 */
export function tool(name: ToolName, binDir: string = BIN_DIR): string {
  const file = path.join(binDir, name);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(
      `${file} is missing: run \`${buildCommand(name)}\` (builds the tools pinned under tools/ into .bin/; needs Go)`,
    );
  }
  return file;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion without blocking the event loop (a long spawnSync in a vitest worker starves
 * its RPC to the main process: "Timeout calling onTaskUpdate"). Resolves with the exit code; never rejects
 * on a non-zero exit, only when the program cannot be started at all.
 */
export function run(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code === "string") {
          reject(new Error(`cannot run ${file}: ${err.message}`));
          return;
        }
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
