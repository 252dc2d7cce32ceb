/**
 * `npm run smoke -- --stack <name> [URL flags]`: the post-deploy health check (cli/smoke/smoke.ts).
 * Prints a table; exits 0 when every check passed, 1 when any failed, 2 on bad usage.
 */
import { repoRoot } from "../../infra/repoRoot";
import { runSmoke } from "./smoke";
import { USAGE } from "./usage";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}

// Unconditional: under cli/run.cjs `require.main === module` is false (the bluegreen bug).
runSmoke(argv, { root: repoRoot(), log: (l) => console.log(l) }).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const msg = (e as Error).message;
    console.error(`smoke: ${msg}`);
    process.exit(msg.includes("usage:") ? 2 : 1);
  },
);
