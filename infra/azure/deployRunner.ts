/**
 * Where CI's `pulumi up` runs, and whether it can reach what it deploys.
 *
 * The deployer talks to two restricted endpoints: the AKS API server (private, or public behind
 * `aks.apiServer.authorizedIpRanges`) and the Key Vault data plane (private endpoint from inside the VNet,
 * or `keyVault.deployerIpRanges`). GitHub-hosted runners egress from a shared pool of Azure addresses that
 * changes weekly (https://api.github.com/meta, "actions": thousands of ranges, and GitHub's docs advise
 * against allow-listing them: docs.github.com/actions/using-github-hosted-runners/about-github-hosted-runners,
 * "IP addresses"). From one, the provider's cluster-admin wait times out and nothing in the cluster deploys.
 *
 * The shapes that work (`deploy.runner`):
 *  - `selfHosted`: a runner VM in this stack's VNet, in `deploy.runnerSubnetCidr`, which the program creates
 *    with a NAT gateway and one static public IP (infra/azure/network.ts). That IP is added to the API
 *    server's authorized ranges; Key Vault is reached through its private endpoint (the privatelink zone is
 *    linked to the VNet); a private cluster's API server through AKS's private DNS zone in the VNet. The
 *    workflows select it with `runs-on` labels (`deploy.runnerLabels`, by default
 *    [self-hosted, linux, x64, monitoring-platform-<stack>], what .github/workflows/pulumi-up.yml asks for).
 *  - `staticEgress`: runners outside the VNet with fixed egress addresses (GitHub larger runners with static
 *    IPs, or a self-hosted fleet behind a known NAT): `deploy.egressIpRanges`, which must lie inside
 *    `aks.apiServer.authorizedIpRanges` and `keyVault.deployerIpRanges`. Not possible with a private cluster.
 *  - `workstation`: no CI deploy; `pulumi up` from an operator's machine whose address is in the ranges.
 *  - `githubHosted`: refused, with the reason above and the fix.
 */
import { contains, overlaps, parseCidr } from "../cidr";
import type { Issue } from "../configSchema";
import {
  SUBNET_KEYS,
  type AksConfig,
  type DeployConfig,
  type KeyVaultConfig,
  type NetworkConfig,
} from "./config";

/** The `runs-on` labels of the stack's deploy runner when `deploy.runnerLabels` does not name them. */
export function defaultRunnerLabels(stack: string): string[] {
  return ["self-hosted", "linux", "x64", `monitoring-platform-${stack}`];
}

export function runnerLabels(deploy: DeployConfig, stack: string): string[] {
  return deploy.runnerLabels ?? defaultRunnerLabels(stack);
}

const RUNNER_SUBNET_PREFIX = 27;

/** The first /27 in the VNet that no subnet of ours overlaps: what the fix for a missing runner subnet sets. */
export function freeRunnerSubnet(n: NetworkConfig): string | undefined {
  const vnet = parseCidr(n.vnetCidr);
  if (!vnet) return undefined;
  const taken = SUBNET_KEYS.map((k) => parseCidr(n[k])).filter((c) => c !== undefined);
  const size = 2 ** (32 - RUNNER_SUBNET_PREFIX);
  for (let start = vnet.start; start + size - 1 <= vnet.end; start += size) {
    const text = `${[24, 16, 8, 0].map((s) => (start >>> s) & 255).join(".")}/${RUNNER_SUBNET_PREFIX}`;
    const candidate = parseCidr(text)!;
    if (!taken.some((t) => overlaps(t, candidate))) return text;
  }
  return undefined;
}

interface DeployContext {
  deploy: DeployConfig;
  network: NetworkConfig;
  apiServer: AksConfig["apiServer"];
  keyVault: KeyVaultConfig;
}

/** Config rules: the runner the stack names can be in the ranges it must be in. */
export function checkDeploy({ deploy, network, apiServer, keyVault }: DeployContext, issue: Issue): void {
  if (deploy.runner === "githubHosted") {
    issue(
      ["deploy", "runner"],
      'must be "selfHosted" (a runner in the VNet; or "staticEgress" for runners with fixed addresses): ' +
        "GitHub-hosted runners egress from a shared pool that changes weekly (api.github.com/meta), which " +
        "aks.apiServer.authorizedIpRanges and keyVault.deployerIpRanges cannot list, so `pulumi up` from one " +
        "times out reaching the API server (docs/deploy-runner.md)",
    );
  }
  if (deploy.runner === "selfHosted" || deploy.runner === "githubHosted") {
    checkRunnerSubnet(deploy, network, issue);
  }
  if (deploy.runner === "staticEgress") checkStaticEgress(deploy, apiServer, keyVault, issue);
}

function checkRunnerSubnet(deploy: DeployConfig, network: NetworkConfig, issue: Issue): void {
  const free = freeRunnerSubnet(network) ?? "<a free /27 in network.vnetCidr>";
  if (!deploy.runnerSubnetCidr) {
    issue(
      ["deploy", "runnerSubnetCidr"],
      `must be "${free}" or another free range in network.vnetCidr ${network.vnetCidr}: the deploy runner's subnet`,
    );
    return;
  }
  const subnet = parseCidr(deploy.runnerSubnetCidr);
  const vnet = parseCidr(network.vnetCidr);
  if (!subnet || !vnet) return;
  const clash = SUBNET_KEYS.find((k) => {
    const other = parseCidr(network[k]);
    return other && overlaps(other, subnet);
  });
  if (!contains(vnet, subnet) || clash) {
    const why = clash
      ? `overlaps network.${clash} ${network[clash]}`
      : `is outside network.vnetCidr ${network.vnetCidr}`;
    issue(
      ["deploy", "runnerSubnetCidr"],
      `must be "${free}" or another free range in the VNet: ${deploy.runnerSubnetCidr} ${why}`,
    );
  }
}

function checkStaticEgress(
  deploy: DeployConfig,
  apiServer: AksConfig["apiServer"],
  keyVault: KeyVaultConfig,
  issue: Issue,
): void {
  if (apiServer.private) {
    issue(
      ["deploy", "runner"],
      'must be "selfHosted": aks.apiServer.private is true, and a private API server has no public endpoint ' +
        "that runners outside the VNet could reach from any address",
    );
    return;
  }
  if (deploy.egressIpRanges.length === 0) {
    issue(
      ["deploy", "egressIpRanges"],
      "must list the runners' fixed egress ranges (deploy.runner is staticEgress)",
    );
  }
  const covered = (range: string, by: readonly string[]) => {
    const r = parseCidr(range);
    return (
      r !== undefined &&
      by.some((b) => {
        const c = parseCidr(b);
        return c !== undefined && contains(c, r);
      })
    );
  };
  // A range the API server or the vault does not admit: the fix adds it as the next entry of that list.
  let nextApi = apiServer.authorizedIpRanges.length;
  let nextVault = keyVault.deployerIpRanges.length;
  deploy.egressIpRanges.forEach((range, i) => {
    if (!covered(range, apiServer.authorizedIpRanges)) {
      issue(
        ["aks", "apiServer", "authorizedIpRanges", nextApi++],
        `must be "${range}" (deploy.egressIpRanges[${i}]): no authorized range covers it, so runners there cannot reach the API server`,
      );
    }
    if (!covered(range, keyVault.deployerIpRanges)) {
      issue(
        ["keyVault", "deployerIpRanges", nextVault++],
        `must be "${range}" (deploy.egressIpRanges[${i}]): no deployer range covers it, so runners there cannot write the vault's secrets`,
      );
    }
  });
}

/**
 * At `pulumi up` time (never in the offline render or under mocks): refuse a CI run on a runner the stack
 * does not deploy from, before any resource is registered. GitHub sets GITHUB_ACTIONS=true in every job and
 * RUNNER_ENVIRONMENT to "github-hosted" or "self-hosted" (docs.github.com/actions/reference/variables-reference).
 */
export function runnerProblems(
  deploy: DeployConfig,
  stack: string,
  env: Record<string, string | undefined>,
): string[] {
  if (env.GITHUB_ACTIONS !== "true") return [];
  const where = env.RUNNER_ENVIRONMENT ?? "unknown";
  const labels = runnerLabels(deploy, stack);
  if (deploy.runner === "workstation") {
    return [
      `monitoring-platform:deploy.runner is "workstation" but this is a GitHub Actions run (${where} runner): ` +
        `this stack is deployed from an operator's machine. To deploy it from CI, give it a runner in the VNet: ` +
        `pulumi config set --path 'monitoring-platform:deploy.runner' selfHosted (docs/deploy-runner.md)`,
    ];
  }
  if (deploy.runner === "selfHosted" && where === "github-hosted") {
    return [
      `monitoring-platform:deploy.runner is "selfHosted" but this run is on a GitHub-hosted runner, whose ` +
        `address is not in aks.apiServer.authorizedIpRanges: run the job on the stack's runner, ` +
        `runs-on: [${labels.join(", ")}] (.github/workflows/pulumi-up.yml, docs/deploy-runner.md)`,
    ];
  }
  return [];
}
