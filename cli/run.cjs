#!/usr/bin/env node
// Launcher for the command-line entry points (cli/<command>/main.ts): transpiles infra/, cli/ and the pure
// policies (policy/policies/) with esbuild (≈50 ms, no type
// checking — `npm run typecheck` does that) into .build/ and runs the entry with plain node. Running the
// render through tsx instead made every module load go through its hooks and doubled the render time
// (see docs/benchmarks.md).
//   usage: node cli/run.cjs <command> [args...]
"use strict";
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
// One directory per process: concurrent renders (dev and prod side by side) must not share it.
const outdir = path.join(root, ".build", String(process.pid));
const [entry, ...args] = process.argv.slice(2);
const entries = {
  render: "cli/render/main.js",
  diff: "cli/diff/main.js",
  bluegreen: "cli/bluegreen/main.js",
  "policy:check": "cli/policy-check/main.js",
  "preview:comment": "cli/preview-comment/main.js",
  "dr-rebuild": "cli/dr/main.js",
  smoke: "cli/smoke/main.js",
  "bootstrap-state": "cli/bootstrap/main.js",
  bench: "cli/bench/main.js",
};
if (!entries[entry]) {
  console.error(`usage: node cli/run.cjs <${Object.keys(entries).join("|")}> [args...]`);
  process.exit(2);
}

// `--help`/`-h` anywhere: print the command's usage (cli/<command>/usage.ts, a module without imports) and
// exit 0, before the program or any library is transpiled or loaded, so help is instant and works even when
// the rest would fail.
if (args.includes("--help") || args.includes("-h")) {
  const usageFile = path.join(root, path.dirname(entries[entry]), "usage.ts");
  const { code } = esbuild.transformSync(fs.readFileSync(usageFile, "utf8"), { loader: "ts", format: "cjs" });
  const mod = { exports: {} };
  new Function("module", "exports", code)(mod, mod.exports);
  console.log(mod.exports.USAGE);
  process.exit(0);
}

function tsFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

process.on("exit", () => fs.rmSync(outdir, { recursive: true, force: true }));
esbuild.buildSync({
  entryPoints: [
    ...tsFiles(path.join(root, "infra")),
    ...tsFiles(path.join(root, "cli")),
    ...tsFiles(path.join(root, "policy", "policies")),
  ],
  outdir,
  outbase: root,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});
process.argv = [process.argv[0], path.join(outdir, entries[entry]), ...args];
require(path.join(outdir, entries[entry]));
