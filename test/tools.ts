import * as fs from "fs";
import * as path from "path";

/** Absolute path of a Go-built tool in <repo>/.bin (built by `npm run tools`); throws when it is missing. */
export function toolPath(name: string): string {
  const p = path.resolve(__dirname, "..", ".bin", name);
  if (!fs.existsSync(p)) throw new Error(`${name} not found at ${p}: run \`npm run tools\``);
  return p;
}
