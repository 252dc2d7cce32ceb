/** What the commands that talk to the cluster through kubectl (smoke, bluegreen status) check first. */
import * as fs from "fs";
import * as path from "path";
import { azureName } from "../../infra/naming";

/**
 * Why kubectl would have no cluster to talk to, or undefined when a kubeconfig is there: the flag's file, else
 * every file of $KUBECONFIG, else ~/.kube/config (kubectl's own order). The fix names this stack's cluster.
 */
export function missingKubeconfig(
  stack: string,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  home: string,
  exists: (file: string) => boolean = fs.existsSync,
  /** What else the command accepts instead, e.g. "pass --kubeconfig <file>". */
  alternatives = "",
): string | undefined {
  const files = flag
    ? [flag]
    : env.KUBECONFIG
      ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
      : [path.join(home, ".kube", "config")];
  if (files.some(exists)) return undefined;
  return (
    `no kubeconfig (looked for ${files.join(", ")}): run ` +
    `\`az aks get-credentials --resource-group ${azureName("rg", stack)} --name ${azureName("aks", stack)}\` ` +
    "then `kubelogin convert-kubeconfig -l azurecli`" +
    (alternatives ? `, or ${alternatives}` : "")
  );
}

/** kubectl's error in one line: the last line it printed, without klog's "E1203 11:03:58.19 … ]" prefix. */
export function kubectlError(stderr: string): string {
  const last = stderr.trim().split("\n").filter(Boolean).pop() ?? "";
  return last.replace(/^[EWIF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] /, "").trim();
}
