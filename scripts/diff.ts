/**
 * `npm run render:diff -- <base-dir> <head-dir>`: a markdown diff of two renders (resources added,
 * removed, changed with property-level changes) for a pull-request comment. Reads only resources.json,
 * where secrets are already "[secret]", so the diff cannot leak them.
 */
import * as fs from "fs";
import * as path from "path";
import { diffRenders, toMarkdown } from "./lib/renderDiff";
import type { RenderDocument } from "./lib/renderOutput";

function load(dir: string): RenderDocument {
  const file = path.join(dir, "resources.json");
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found: render both sides first (npm run render -- --stack <s> --out <dir>)`);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as RenderDocument;
}

function main(): void {
  const [base, head, ...rest] = process.argv.slice(2);
  if (!base || !head || rest.length) {
    console.error("usage: npm run render:diff -- <base-dir> <head-dir>");
    process.exit(2);
  }
  console.log(toMarkdown(diffRenders(load(base), load(head))));
}

try {
  main();
} catch (e) {
  console.error(`render:diff failed: ${(e as Error).message}`);
  process.exit(1);
}
