/**
 * `npm run render:diff -- <base-dir> <head-dir> [--max-chars N | --full] [--full-diff-url URL]`: a markdown diff of
 * two renders (replacements first, then resources added, removed and changed with every changed value in
 * full) for a pull-request comment. Reads only resources.json, where secrets are already "[secret]", so
 * the diff cannot leak them. The output is cut between resources to fit a GitHub comment (65,536
 * characters, or `--max-chars`) and links `--full-diff-url`; `--full` never cuts.
 */
import * as fs from "fs";
import * as path from "path";
import { diffRenders, toMarkdown } from "./renderDiff";
import type { RenderDocument } from "../shared/renderOutput";

import { USAGE } from "./usage";

/** What one GitHub comment body holds (the README promises the diff fits one by default). */
const DEFAULT_MAX_CHARS = 65_536;

function load(dir: string): RenderDocument {
  const file = path.join(dir, "resources.json");
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found: render both sides first (npm run render -- --stack <s> --out <dir>)`);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as RenderDocument;
}

function main(): number {
  const positional: string[] = [];
  const opts: { maxChars?: number; fullDiffUrl?: string } = { maxChars: DEFAULT_MAX_CHARS };
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--max-chars") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1000) {
        console.error(`--max-chars needs a whole number of at least 1000, got "${argv[i]}"; ${USAGE}`);
        return 2;
      }
      opts.maxChars = n;
    } else if (a === "--full") {
      delete opts.maxChars;
    } else if (a === "--full-diff-url") {
      opts.fullDiffUrl = argv[++i];
    } else if (a.startsWith("--")) {
      console.error(`unknown option ${a}; ${USAGE}`);
      return 2;
    } else positional.push(a);
  }
  const [base, head, ...rest] = positional;
  if (!base || !head || rest.length) {
    console.error(`render:diff needs exactly two render directories, got ${positional.length}\n\n${USAGE}`);
    return 2;
  }
  console.log(toMarkdown(diffRenders(load(base), load(head)), opts));
  return 0;
}

// A reader that stops early (`| head`) closes the pipe: that is not an error of the diff. Without this,
// node throws EPIPE on the next write once the output outgrows the pipe buffer (64 KiB on Linux).
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

try {
  process.exitCode = main();
} catch (e) {
  console.error(`render:diff failed: ${(e as Error).message}`);
  process.exitCode = 1;
}
