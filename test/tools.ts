// Where the Go-built tools live: `npm run tools` (scripts/tools.sh) builds them from the pinned tools module
// into the git-ignored .bin/ at the repository root, at the versions the pinned chart deploys. Tests use
// these binaries, never whatever happens to be on PATH, and fail loudly when one is missing.
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

/** Absolute path of `<repo>/.bin/<name>`; throws, naming the fix, when the tool has not been built. */
export function toolPath(name: string): string {
  const file = path.join(ROOT, ".bin", name);
  if (!fs.existsSync(file)) {
    throw new Error(`${name} not found at ${file}: run \`npm run tools\``);
  }
  return file;
}
