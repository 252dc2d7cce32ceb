/**
 * Renders both stacks once per test run, through the command users type (`npm run -s render -- --stack
 * <name> --out <dir>`), before any test file runs: the suites that read a render (policy check, policy pack,
 * runbook commands, the DR drill, placeholders) share these instead of evaluating the program again each.
 * Tests read them through `inject("renders")` and must not write into them (copy first).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TestProject } from "vitest/node";

export interface SharedRender {
  /** Directory holding resources.json, manifests/ and alertmanager.yaml. */
  dir: string;
  /** What the render command printed. */
  stdout: string;
  /** What it printed on stderr (the engine's warnings land there). */
  stderr: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    renders: { dev: SharedRender; prod: SharedRender };
  }
}

const ROOT = path.resolve(__dirname, "..");

function render(stack: string, dir: string): Promise<SharedRender> {
  return new Promise((resolve, reject) => {
    execFile(
      "npm",
      ["run", "-s", "render", "--", "--stack", stack, "--out", dir],
      { cwd: ROOT, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`npm run render -- --stack ${stack} failed (${err.code}):\n${stdout}${stderr}`));
        else resolve({ dir, stdout, stderr });
      },
    );
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shared-render-"));
  const [dev, prod] = await Promise.all([
    render("dev", path.join(tmp, "dev")),
    render("prod", path.join(tmp, "prod")),
  ]);
  project.provide("renders", { dev, prod });
  return () => fs.rmSync(tmp, { recursive: true, force: true });
}
