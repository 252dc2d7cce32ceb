/**
 * `npm run preview:comment -- --stack <name> --log <file> --exit-code <n> --run-url <url>`: prints the
 * pull-request comment for one stack's `pulumi preview` (see cli/preview-comment/prComment.ts). Used by
 * .github/workflows/preview.yml, which edits the comment in place on every push.
 */
import * as fs from "fs";
import { previewComment } from "./prComment";

import { USAGE } from "./usage";

function main(): number {
  const args: Record<string, string> = {};
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!.replace(/^--/, "");
    const v = argv[i + 1];
    if (!["stack", "log", "exit-code", "run-url"].includes(k) || v === undefined) {
      console.error(`bad argument "${argv[i]}"; ${USAGE}`);
      return 2;
    }
    args[k] = v;
  }
  const missing = ["stack", "log", "exit-code", "run-url"].filter((k) => !args[k]);
  if (missing.length) {
    console.error(`missing --${missing.join(", --")}; ${USAGE}`);
    return 2;
  }
  if (!fs.existsSync(args.log!)) {
    console.error(`--log ${args.log} not found`);
    return 2;
  }
  const exitCode = Number(args["exit-code"]);
  if (!Number.isInteger(exitCode)) {
    console.error(`--exit-code must be a whole number, got "${args["exit-code"]}"`);
    return 2;
  }
  console.log(
    previewComment({
      stack: args.stack!,
      log: fs.readFileSync(args.log!, "utf8"),
      exitCode,
      runUrl: args["run-url"]!,
    }),
  );
  return 0;
}

process.exitCode = main();
