import * as fs from "fs";
import * as path from "path";

/**
 * The project root (the directory holding Pulumi.yaml), found by walking up from this file. Rules,
 * dashboards and docs are read relative to it, so the program works from source (ts-node, tsx) and from
 * the transpiled copy the render runs (.build/).
 */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no Pulumi.yaml above ${from}: run from inside the project`);
    dir = up;
  }
}
