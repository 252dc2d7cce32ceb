/**
 * The Go-built tools pinned in tools/go.mod, built into the git-ignored .bin/ by `npm run tools`
 * (scripts/tools.sh). Tests run these, never whatever promtool/amtool happens to be on PATH: the versions
 * must be the ones the pinned chart deploys (test/tools.test.ts checks that).
 */
import * as fs from "fs";
import * as path from "path";

export const BIN_DIR = path.resolve(__dirname, "..", ".bin");

/** Tools built by scripts/tools.sh. */
export type ToolName = "promtool" | "prometheus" | "amtool" | "alertmanager" | "actionlint" | "sloth";

/**
 * Absolute path of `.bin/<name>`. Throws when it has not been built: tests that need a tool fail loudly,
 * they never skip.
 */
export function tool(name: ToolName, binDir: string = BIN_DIR): string {
  const file = path.join(binDir, name);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(
      `${file} is missing: run \`npm run tools\` (builds the tools pinned in tools/go.mod into .bin/; needs Go)`,
    );
  }
  return file;
}

/** The name other helpers' tests use (policy, smoke): `.bin/<name>`, or an error saying to build it. */
export function toolPath(name: string): string {
  return tool(name as ToolName);
}
