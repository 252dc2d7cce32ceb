/** Where CI's `pulumi up` runs: the config rules and the run-time refusal, pure, plus the stack files. */
import { describe, expect, it } from "vitest";
import {
  checkDeploy,
  defaultRunnerLabels,
  freeRunnerSubnet,
  runnerLabels,
  runnerProblems,
} from "../infra/azure/deployRunner";
import { parseStackConfig } from "../infra/config";
import type { DeployConfig } from "../infra/azure/config";
import { stackConfig } from "./mocks";

const prod = parseStackConfig(stackConfig("prod").config, "prod");
const problems = (deploy: DeployConfig, over: Partial<typeof prod.aks.apiServer> = {}) => {
  const found: string[] = [];
  checkDeploy(
    {
      deploy,
      network: prod.network,
      apiServer: { ...prod.aks.apiServer, ...over },
      keyVault: prod.keyVault,
    },
    (path, message) => found.push(`${path.join(".")} ${message}`),
  );
  return found;
};

describe("deploy runner config", () => {
  it("refuses GitHub-hosted runners, saying why, and names the subnet the fix needs in the same round", () => {
    const found = problems({ runner: "githubHosted", egressIpRanges: [] });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^deploy\.runner must be "selfHosted".*shared pool that changes weekly/);
    // prod's subnets take 10.30.0.0/21, .8.0/24 and .9.0/24: the first free /27 is 10.30.10.0/27.
    expect(found[1]).toMatch(/^deploy\.runnerSubnetCidr must be "10\.30\.10\.0\/27"/);
  });

  it("takes a self-hosted runner's subnet only inside the VNet and apart from the other subnets", () => {
    expect(problems({ runner: "selfHosted", runnerSubnetCidr: "10.30.10.0/27", egressIpRanges: [] })).toEqual(
      [],
    );
    expect(problems({ runner: "selfHosted", runnerSubnetCidr: "10.30.9.0/27", egressIpRanges: [] })).toEqual([
      'deploy.runnerSubnetCidr must be "10.30.10.0/27" or another free range in the VNet: 10.30.9.0/27 overlaps network.endpointsCidr 10.30.9.0/24',
    ]);
    expect(
      problems({ runner: "selfHosted", runnerSubnetCidr: "10.99.0.0/27", egressIpRanges: [] })[0],
    ).toContain("is outside network.vnetCidr 10.30.0.0/16");
  });

  it("takes static egress ranges only inside the API server's and Key Vault's ranges, and never for a private cluster", () => {
    // prod admits 203.0.113.0/24 and 198.51.100.16/28 at the API server, 203.0.113.0/24 at Key Vault.
    expect(problems({ runner: "staticEgress", egressIpRanges: ["203.0.113.8/29"] })).toEqual([]);
    expect(
      problems({ runner: "staticEgress", egressIpRanges: ["198.51.100.16/30", "192.0.2.0/28"] }),
    ).toEqual([
      'keyVault.deployerIpRanges.1 must be "198.51.100.16/30" (deploy.egressIpRanges[0]): no deployer range covers it, so runners there cannot write the vault\'s secrets',
      'aks.apiServer.authorizedIpRanges.2 must be "192.0.2.0/28" (deploy.egressIpRanges[1]): no authorized range covers it, so runners there cannot reach the API server',
      'keyVault.deployerIpRanges.2 must be "192.0.2.0/28" (deploy.egressIpRanges[1]): no deployer range covers it, so runners there cannot write the vault\'s secrets',
    ]);
    expect(problems({ runner: "staticEgress", egressIpRanges: [] })).toEqual([
      "deploy.egressIpRanges must list the runners' fixed egress ranges (deploy.runner is staticEgress)",
    ]);
    expect(
      problems({ runner: "staticEgress", egressIpRanges: ["203.0.113.8/29"] }, { private: true })[0],
    ).toMatch(/^deploy\.runner must be "selfHosted": aks\.apiServer\.private is true/);
  });

  it("finds no free subnet in a VNet the other subnets fill", () => {
    expect(
      freeRunnerSubnet({ ...prod.network, vnetCidr: "10.30.0.0/21", aksNodesCidr: "10.30.0.0/21" }),
    ).toBeUndefined();
  });

  it("labels the runner after the stack unless the stack file names the labels", () => {
    expect(defaultRunnerLabels("prod")).toEqual(["self-hosted", "linux", "x64", "monitoring-platform-prod"]);
    expect(runnerLabels({ runner: "selfHosted", egressIpRanges: [] }, "dev")).toEqual(
      defaultRunnerLabels("dev"),
    );
    expect(
      runnerLabels({ runner: "selfHosted", runnerLabels: ["deploy"], egressIpRanges: [] }, "dev"),
    ).toEqual(["deploy"]);
  });
});

describe("deploy runner at run time", () => {
  const selfHosted: DeployConfig = {
    runner: "selfHosted",
    runnerSubnetCidr: "10.30.10.0/27",
    egressIpRanges: [],
  };

  it("refuses a GitHub Actions run on a GitHub-hosted runner for a self-hosted stack, naming runs-on", () => {
    const found = runnerProblems(selfHosted, "prod", {
      GITHUB_ACTIONS: "true",
      RUNNER_ENVIRONMENT: "github-hosted",
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("runs-on: [self-hosted, linux, x64, monitoring-platform-prod]");
  });

  it("lets the stack's runner, and any run outside GitHub Actions, through", () => {
    expect(
      runnerProblems(selfHosted, "prod", { GITHUB_ACTIONS: "true", RUNNER_ENVIRONMENT: "self-hosted" }),
    ).toEqual([]);
    expect(runnerProblems(selfHosted, "prod", {})).toEqual([]);
    expect(runnerProblems({ runner: "workstation", egressIpRanges: [] }, "prod", {})).toEqual([]);
  });

  it("refuses a CI run of a stack deployed from a workstation, with the config that moves it to CI", () => {
    const found = runnerProblems({ runner: "workstation", egressIpRanges: [] }, "dev", {
      GITHUB_ACTIONS: "true",
      RUNNER_ENVIRONMENT: "self-hosted",
    });
    expect(found[0]).toContain("pulumi config set --path 'monitoring-platform:deploy.runner' selfHosted");
  });
});
