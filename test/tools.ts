/**
 * Go-built CLI tools live in `<repo>/.bin/` (`npm run tools` builds them from tools/go.mod). A test that
 * needs one fails loudly when it is missing, with the command that builds it.
 */
import * as fs from "fs";
import * as path from "path";

export function toolPath(name: string): string {
  const p = path.resolve(__dirname, "..", ".bin", name);
  if (!fs.existsSync(p)) throw new Error(`${name} not found at ${p}: run \`npm run tools\``);
  return p;
}
