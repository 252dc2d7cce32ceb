/**
 * Runs `npm run -s <script> -- <args>` from the repository root, the way users type it, without blocking
 * the test worker's event loop (a long spawnSync starves vitest's worker RPC and fails the run).
 */
import { spawn } from "child_process";
import { ROOT } from "./mocks";

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function npmScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 180_000,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "-s", script, "--", ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `npm run ${script} ${args.join(" ")} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
