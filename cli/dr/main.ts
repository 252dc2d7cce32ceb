/**
 * Disaster-recovery rebuild of a stack from nothing:
 *
 *   npm run dr:rebuild -- --from <stack> --region <region> [--restore-time <ISO>] [--stack <name>]
 *                         [--subscription <id>] [--recover-vault <name>] [--secrets-provider <url>]
 *                         [--offline --out <dir>]
 *
 * Creates the recovery stack (default `<from>-dr`) from the source stack's config with `location` set to
 * <region> and the `recovery` section filled in (Postgres restored to --restore-time, default now; the Key
 * Vault recovered with --recover-vault, else created anew), previews, updates and runs the smoke check,
 * through the Pulumi Automation API. --offline writes the offline render of that stack to --out (the same
 * contract as `npm run render`) and touches no cloud: the drill anyone can run.
 * The steps live in cli/dr/drRebuild.ts; this file parses arguments and wires real I/O.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { AZURE_REGIONS } from "../../infra/regions";
import { repoRoot } from "../../infra/repoRoot";
import { readStackConfig } from "../shared/stackFile";
import { evaluateProgram } from "../shared/mockRuntime";
import { asTyped, summarize, writeRender } from "../shared/renderOutput";
import { findPlaceholders } from "../../infra/placeholders";
import { planRecoveryConfig, rebuild, RebuildError, recoveryStackName, type RebuildArgs } from "./drRebuild";
import { runSmoke } from "../smoke/smoke";
import { USAGE } from "./usage";

/** A command-line mistake: printed with the usage, exit code 2. */
class UsageError extends Error {}

/** Offline only: the source server's subscription is not known without a cloud; the render says so. */
const OFFLINE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

interface CliArgs extends Omit<RebuildArgs, "subscriptionId"> {
  subscriptionId?: string;
  offline: boolean;
  out?: string;
  secretsProvider?: string;
}

function parseArgs(argv: string[]): CliArgs {
  const a: Record<string, string> = {};
  let offline = false;
  const known = [
    "from",
    "region",
    "restore-time",
    "stack",
    "subscription",
    "recover-vault",
    "secrets-provider",
    "out",
  ];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--offline") {
      offline = true;
      continue;
    }
    if (!arg.startsWith("--") || !known.includes(arg.slice(2))) {
      throw new UsageError(`unknown argument "${arg}"\n${USAGE}`);
    }
    const v = argv[++i];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value\n${USAGE}`);
    a[arg.slice(2)] = v;
  }
  if (!a.from) throw new UsageError(`--from is required (the stack to rebuild, e.g. prod)\n${USAGE}`);
  if (!a.region) throw new UsageError(`--region is required (where to rebuild, e.g. northeurope)\n${USAGE}`);
  if (!(AZURE_REGIONS as readonly string[]).includes(a.region)) {
    throw new UsageError(
      `--region "${a.region}" is not a region this program deploys to; one of: ${AZURE_REGIONS.join(", ")}`,
    );
  }
  if (offline && !a.out) throw new UsageError(`--offline needs --out <dir> for the render\n${USAGE}`);
  if (!offline && a.out) throw new UsageError(`--out only applies with --offline\n${USAGE}`);
  return {
    from: a.from,
    region: a.region,
    restoreTime: a["restore-time"],
    stack: a.stack,
    subscriptionId:
      a.subscription || process.env.ARM_SUBSCRIPTION_ID || process.env.AZURE_SUBSCRIPTION_ID || undefined,
    recoverVault: a["recover-vault"],
    secretsProvider: a["secrets-provider"],
    offline,
    out: a.out,
  };
}

async function offlineDrill(root: string, args: CliArgs): Promise<number> {
  const sc = readStackConfig(root, args.from);
  const name = recoveryStackName(args);
  const { config, request } = planRecoveryConfig(
    sc.config,
    { ...args, subscriptionId: args.subscriptionId ?? OFFLINE_SUBSCRIPTION },
    new Date(),
  );
  const evaluation = await evaluateProgram({
    project: sc.project,
    stack: name,
    config,
    secretKeys: sc.secretKeys,
    mode: "render",
  });
  const outDir = path.resolve(args.out!);
  const written = writeRender(outDir, { project: sc.project, stack: name }, evaluation);
  console.log(summarize({ project: sc.project, stack: name }, evaluation, sc.placeholders));
  console.log(
    `\nrecovery drill (offline): ${args.from} (${request.sourceLocation}) rebuilt as ${name} in ${request.region}; ` +
      `Postgres ${request.region === request.sourceLocation ? "PointInTimeRestore" : "GeoRestore"} to ${request.restoreTime}` +
      (args.subscriptionId
        ? ""
        : `; source subscription shown as ${OFFLINE_SUBSCRIPTION} (pass --subscription)`),
  );
  // The same reminder as `npm run render`: the recovery stack inherits the source's example values.
  const examples = findPlaceholders(config, sc.project, sc.secretKeys);
  if (examples.length) console.log(`fill in before deploying: ${examples.map((p) => p.key).join(", ")}`);
  console.log(`wrote ${written.files} files to ${asTyped(args.out!)}`);
  return 0;
}

async function online(root: string, args: CliArgs): Promise<number> {
  if (!args.subscriptionId) {
    throw new Error(
      "--subscription is required (or ARM_SUBSCRIPTION_ID): the subscription of the source Postgres server, " +
        "e.g. --subscription $(az account show --query id -o tsv)",
    );
  }
  const onOutput = (s: string) => process.stdout.write(s);
  let opened: Awaited<ReturnType<typeof LocalWorkspace.createOrSelectStack>> | undefined;
  return rebuild(
    { ...args, subscriptionId: args.subscriptionId },
    {
      sourceConfig: async (stack) => {
        const s = await LocalWorkspace.selectStack({ stackName: stack, workDir: root });
        const all = await s.getAllConfig();
        return Object.fromEntries(
          Object.entries(all).map(([k, v]) => [k, { value: v.value, secret: v.secret ?? false }]),
        );
      },
      openStack: async (name) => {
        const s = await LocalWorkspace.createOrSelectStack(
          { stackName: name, workDir: root },
          args.secretsProvider ? { secretsProvider: args.secretsProvider } : {},
        );
        opened = s;
        return {
          name,
          setAllConfig: (c) => s.setAllConfig(c),
          setConfig: (k, e) => s.setConfig(k, e),
          preview: async () => {
            const r = await s.preview({ onOutput });
            return { changeSummary: r.changeSummary as Record<string, number> };
          },
          up: async () => ({ result: (await s.up({ onOutput })).summary.result }),
        };
      },
      // The rebuilt cluster's kubeconfig is a (secret) stack output: hand it to kubectl through a private
      // temp file for the smoke check's port-forwards, and delete it afterwards.
      smoke: async (stack) => {
        const kubeconfig = (await opened!.outputs()).kubeconfig?.value as string | undefined;
        if (!kubeconfig) throw new Error(`stack ${stack} has no kubeconfig output`);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-smoke-"));
        const file = path.join(dir, "kubeconfig");
        fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
        try {
          return (
            (await runSmoke(["--stack", stack, "--kubeconfig", file], {
              root,
              log: (l) => console.log(l),
            })) === 0
          );
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
      now: () => new Date(),
      log: (l) => console.log(l),
    },
  );
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  process.setSourceMapsEnabled(false);
  const root = repoRoot();
  const args = parseArgs(argv);
  return args.offline ? offlineDrill(root, args) : online(root, args);
}

// Unconditional: under cli/run.cjs `require.main === module` is false (the bluegreen bug).
main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    if (e instanceof UsageError) {
      console.error(`dr:rebuild: ${err.message}`);
      process.exit(2);
    }
    console.error(
      `dr:rebuild failed${e instanceof RebuildError ? ` at step "${err instanceof RebuildError ? err.step : ""}"` : ""}: ${err.message}`,
    );
    process.exit(1);
  },
);
