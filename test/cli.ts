/**
 * Runs a command the way users type it: `npm run -s <script> -- <args>` from the repository root, so a test
 * covers package.json, the esbuild launcher (cli/run.cjs) and the entry's own top level — a command once
 * printed nothing and exited 0 for every argument while tests that imported its module passed.
 */
import { execFile } from "child_process";
import { ROOT } from "./mocks";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages that may go to either. */
  out: string;
}

export function npmRun(
  script: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "-s", script, "--", ...args],
      {
        cwd: opts.cwd ?? ROOT,
        timeout: opts.timeoutMs ?? 120_000,
        env: { ...process.env, ...opts.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === "number" ? err.code : 1) : 0,
          stdout,
          stderr,
          out: stdout + stderr,
        }),
    );
  });
}
