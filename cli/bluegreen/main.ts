/**
 * Blue-green operations for the app of a stack:
 *
 *   npm run bluegreen -- status   --stack <name> [--prometheus-url URL]
 *   npm run bluegreen -- promote  --stack <name> [--prometheus-url URL] [--yes]
 *   npm run bluegreen -- rollback --stack <name> [--prometheus-url URL] [--yes]
 *
 * status   prints the live color (the live Service's selector, read with kubectl; it says when the stack file
 *          disagrees) and both colors' health (the promotion gate's numbers).
 * promote  gates the preview color in Prometheus and, if healthy, flips app.activeColor and runs
 *          `pulumi up` (Automation API, this directory's project). Unhealthy: refuses with exit code 2.
 * rollback flips back without the gate (fast), printing the state it rolls back to.
 *
 * Prometheus: --prometheus-url, else $PROMETHEUS_URL, else http://127.0.0.1:9090 (e.g. after
 * `kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090`).
 * The logic lives in cli/bluegreen/promotionGate.ts; this file only parses arguments and wires real I/O.
 */
import { execFile } from "child_process";
import * as os from "os";
import { repoRoot } from "../../infra/repoRoot";
import * as readline from "readline/promises";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { parseStackConfig } from "../../infra/config";
import { readStackConfig } from "../shared/stackFile";
import { kubectlError, missingKubeconfig } from "../shared/kubeconfig";
import { parseArgs, USAGE } from "./args";
import {
  type Color,
  colorOfService,
  type CommandDeps,
  type ExitCode,
  prometheusQuery,
  promoteCommand,
  rollbackCommand,
  statusCommand,
} from "./promotionGate";

const ROOT = repoRoot();

/** The live Service's color, read with kubectl from the current kubeconfig context. */
function liveColor(stack: string, namespace: string, name: string): Promise<Color> {
  const noKubeconfig = missingKubeconfig(stack, undefined, process.env, os.homedir());
  if (noKubeconfig) return Promise.reject(new Error(noKubeconfig));
  return new Promise((resolve, reject) => {
    execFile(
      "kubectl",
      ["-n", namespace, "get", "service", name, "-o", "json", "--request-timeout=10s"],
      { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const why =
            (err as NodeJS.ErrnoException).code === "ENOENT"
              ? "kubectl is not installed (az aks install-cli)"
              : kubectlError(stderr) || err.message;
          reject(new Error(`kubectl -n ${namespace} get service ${name}: ${why}`));
          return;
        }
        try {
          resolve(colorOfService(stdout, `${namespace}/${name}`));
        } catch (e) {
          reject(e as Error);
        }
      },
    );
  });
}
const COMMANDS = { status: statusCommand, promote: promoteCommand, rollback: rollbackCommand } as const;

async function main(): Promise<ExitCode> {
  const args = parseArgs(process.argv.slice(2));
  if (args === "help") {
    console.log(USAGE);
    return 0;
  }
  // The same validation `pulumi up` runs: a broken stack file stops here, before anything changes.
  const app = parseStackConfig(readStackConfig(ROOT, args.stack).config).app;
  const deps: CommandDeps = {
    app,
    stackName: args.stack,
    query: prometheusQuery(args.prometheusUrl, 10_000, args.prometheusUrlOrigin),
    liveColor: () => liveColor(args.stack, app.namespace, app.name),
    openStack: () => LocalWorkspace.selectStack({ stackName: args.stack, workDir: ROOT }),
    log: (line) => console.log(line),
    confirm: async (question) => {
      if (args.yes) return true;
      if (!process.stdin.isTTY) throw new Error("not a terminal: pass --yes to confirm non-interactively");
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
  };
  return COMMANDS[args.command](deps);
}

// Runs unconditionally: under cli/run.cjs (what `npm run bluegreen` uses) this file is loaded with
// require(), so a `require.main === module` guard was false and the command silently did nothing.
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bluegreen: ${(e as Error).message}`);
    process.exit(1);
  },
);
