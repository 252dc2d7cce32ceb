/** Argument parsing for `npm run bluegreen`, kept apart from the entry so tests import it without running it. */
import { USAGE } from "./usage";

export { USAGE };

export const COMMAND_NAMES = ["status", "promote", "rollback"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface BlueGreenArgs {
  command: CommandName;
  stack: string;
  prometheusUrl: string;
  /** Where the URL came from (the unreachable-Prometheus hint depends on it). */
  prometheusUrlOrigin: "flag" | "env" | "default";
  yes: boolean;
}

/** Parses argv (after the script name); `"help"` when the user asked for usage. Throws on bad input. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BlueGreenArgs | "help" {
  if (argv.includes("--help") || argv.includes("-h") || argv[0] === "help") return "help";
  const [command, ...rest] = argv;
  if (!command) throw new Error(`missing command: status, promote or rollback\n\n${USAGE}`);
  if (!(COMMAND_NAMES as readonly string[]).includes(command))
    throw new Error(`unknown command "${command}": status, promote or rollback\n\n${USAGE}`);
  let stack: string | undefined;
  let prometheusUrl = env.PROMETHEUS_URL || "http://127.0.0.1:9090";
  let prometheusUrlOrigin: BlueGreenArgs["prometheusUrlOrigin"] = env.PROMETHEUS_URL ? "env" : "default";
  let yes = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = () => {
      const v = rest[++i];
      if (!v || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--stack") stack = value();
    else if (a === "--prometheus-url") {
      prometheusUrl = value();
      prometheusUrlOrigin = "flag";
    } else if (a === "--yes") yes = true;
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (!stack) throw new Error(`--stack is required\n${USAGE}`);
  if (!/^https?:\/\/[^\s/]+/.test(prometheusUrl))
    throw new Error(`--prometheus-url "${prometheusUrl}" is not an http(s) URL\n${USAGE}`);
  return { command: command as CommandName, stack, prometheusUrl, prometheusUrlOrigin, yes };
}
