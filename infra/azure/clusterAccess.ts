/**
 * Waiting until the deployer's Azure RBAC role on the cluster works, before any in-cluster resource is
 * created. A role assignment exists as soon as ARM answers the PUT, but Kubernetes authorisation through
 * Azure RBAC honours it only after it has propagated — "up to 5 minutes" for Azure RBAC for Kubernetes
 * authorization (learn.microsoft.com/azure/aks/manage-azure-rbac, "Create role assignments for users to
 * access the cluster"; learn.microsoft.com/azure/role-based-access-control/troubleshooting: "may take up to
 * 10 minutes"). Without the wait the first `pulumi up` fails with 403s from the API server.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface WaitOptions {
  /** Gives up after this long (default 10 minutes, Azure's documented worst case). */
  timeoutMs?: number;
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** The answer of one probe: allowed, or not yet (with what the API server said). */
export type AccessProbe = () => Promise<{ allowed: boolean; detail: string }>;

/**
 * Polls `probe` until it is allowed; bounded. Throws a message that says what is wrong and what to do
 * (re-run, or check the role assignment) when the time is up.
 */
export async function waitForClusterAdmin(
  probe: AccessProbe,
  clusterName: string,
  o: WaitOptions = {},
): Promise<number> {
  const timeoutMs = o.timeoutMs ?? 10 * 60_000;
  const intervalMs = o.intervalMs ?? 15_000;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const started = now();
  let last = "";
  for (let attempt = 1; ; attempt++) {
    const r = await probe();
    if (r.allowed) return attempt;
    last = r.detail;
    if (now() - started + intervalMs > timeoutMs) {
      throw new Error(
        `the deployer still has no cluster-admin on AKS cluster ${clusterName} after ${Math.round(timeoutMs / 60_000)} ` +
          `minutes (${attempt} checks; last answer: ${last.trim() || "denied"}). Azure RBAC usually propagates within ` +
          `10 minutes: run \`pulumi up\` again. If it persists, check the "Azure Kubernetes Service RBAC Cluster Admin" ` +
          `assignment for your identity on the cluster (az role assignment list --scope <cluster id>) and that ` +
          `aks.deployerPrincipalType matches how you are logged in.`,
      );
    }
    await sleep(intervalMs);
  }
}

/**
 * The real probe: `kubectl auth can-i '*' '*' --all-namespaces` with the deployer's kubeconfig (the same
 * `kubelogin --login azurecli` credentials the Kubernetes provider uses). kubectl and kubelogin are
 * prerequisites of `pulumi up` (README, "Deploying for real").
 */
export function kubectlCanIProbe(kubeconfig: string): AccessProbe {
  return () =>
    new Promise((resolve, reject) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-access-"));
      const file = path.join(dir, "kubeconfig");
      fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
      execFile(
        "kubectl",
        ["auth", "can-i", "*", "*", "--all-namespaces", "--kubeconfig", file],
        { timeout: 60_000 },
        (err, stdout, stderr) => {
          fs.rmSync(dir, { recursive: true, force: true });
          if (err && (err as NodeJS.ErrnoException).code === "ENOENT") {
            reject(
              new Error(
                "kubectl is not on the PATH: install it (az aks install-cli installs kubectl and kubelogin)",
              ),
            );
            return;
          }
          // `can-i` prints yes/no; exit code 1 with "no" is a clean "not yet".
          resolve({ allowed: stdout.trim() === "yes", detail: `${stdout} ${stderr}` });
        },
      );
    });
}
