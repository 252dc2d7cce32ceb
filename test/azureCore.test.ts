/**
 * The Azure core components one by one under mocks (Network, LogAnalytics, KeyVault, WorkloadIdentity,
 * AksCluster): what each registers, independent of the whole program.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../infra/config";
import { Network } from "../infra/azure/network";
import { LogAnalytics } from "../infra/azure/logAnalytics";
import { KeyVault, generatedPassword } from "../infra/azure/keyVault";
import { WorkloadIdentity } from "../infra/azure/workloadIdentity";
import { AksCluster } from "../infra/azure/aks";
import { evaluateComponents, stackConfig, type StackRun } from "./mocks";
import { redact } from "../scripts/lib/mockRuntime";

const prod = parseStackConfig(stackConfig("prod").config);
const common = {
  location: "westeurope",
  stack: "prod",
  tags: { project: "p", stack: "prod" },
  resourceGroupName: "rg-x",
};

let run: StackRun;
beforeAll(async () => {
  run = await evaluateComponents(() => {
    const network = new Network("net", { ...common, cidrs: prod.network });
    const logs = new LogAnalytics("logs", { ...common, retentionDays: 90, dailyQuotaGb: -1, protect: true });
    const vault = new KeyVault("kv", {
      ...common,
      tenantId: "t",
      softDeleteRetentionDays: 90,
      purgeProtection: true,
      allowedSubnetId: network.aksSubnetId,
      protect: true,
    });
    const pw = generatedPassword("pw", true, vault);
    const secret = vault.addSecret("db-password", pw.result, "password");
    new WorkloadIdentity("wi", {
      ...common,
      role: "app",
      oidcIssuerUrl: "https://issuer.example/",
      serviceAccounts: [{ namespace: "agents", name: "agent-api" }],
      secrets: { "db-password": secret.id },
      subscriptionId: "sub",
    });
    new AksCluster("aks", {
      ...common,
      aks: prod.aks,
      network: prod.network,
      zoneRedundant: true,
      nodesSubnetId: network.aksSubnetId,
      logAnalyticsWorkspaceId: logs.workspaceId,
      tenantId: "t",
      subscriptionId: "sub",
      deployerObjectId: "deployer",
    });
    return {};
  }, "prod");
});

describe("Network", () => {
  it("creates the VNet with the configured space and ignores its inline subnets", () => {
    const vnet = run.one("azure-native:network:VirtualNetwork");
    expect(run.inputsOf(vnet).addressSpace.addressPrefixes).toEqual([prod.network.vnetCidr]);
    expect(vnet.options.ignoreChanges).toEqual(["subnets"]);
  });

  it("creates the three subnets one after another, Postgres delegated, AKS with the Key Vault endpoint", () => {
    const [aks, pg, pe] = ["net-aks", "net-postgres", "net-endpoints"].map((n) =>
      run.one("azure-native:network:Subnet", n),
    );
    expect(run.inputsOf(aks!).addressPrefix).toBe(prod.network.aksNodesCidr);
    expect(run.inputsOf(aks!).serviceEndpoints).toEqual([{ service: "Microsoft.KeyVault" }]);
    expect(run.inputsOf(pg!).delegations[0].serviceName).toBe("Microsoft.DBforPostgreSQL/flexibleServers");
    expect(pg!.options.dependsOn).toEqual(["azure-native:network:Subnet::net-aks"]);
    expect(pe!.options.dependsOn).toEqual(["azure-native:network:Subnet::net-postgres"]);
  });
});

describe("LogAnalytics", () => {
  it("keeps logs for the configured days and is protected", () => {
    const ws = run.one("azure-native:operationalinsights:Workspace");
    expect(run.inputsOf(ws)).toMatchObject({
      retentionInDays: 90,
      sku: { name: "PerGB2018" },
      workspaceCapping: { dailyQuotaGb: -1 },
    });
    expect(ws.options.protect).toBe(true);
  });
});

describe("KeyVault", () => {
  it("names the vault with the random suffix, within Azure's 24 characters", () => {
    const name = run.inputsOf(run.one("azure-native:keyvault:Vault")).vaultName as string;
    expect(name).toMatch(/^kv-agents-prod-[a-z0-9]{6}$/);
    expect(name.length).toBeLessThanOrEqual(24);
  });

  it("protects the suffix, the vault, the generated password and the secret", () => {
    for (const t of [
      "random:index/randomString:RandomString",
      "azure-native:keyvault:Vault",
      "random:index/randomPassword:RandomPassword",
      "azure-native:keyvault:Secret",
    ]) {
      expect(run.one(t).options.protect, t).toBe(true);
    }
  });

  it("stores the secret value as a Pulumi secret", () => {
    const s = run.one("azure-native:keyvault:Secret");
    expect(JSON.stringify(redact(s.inputs))).not.toContain("MockPw-");
    expect(run.inputsOf(s).properties.value).toMatch(/^MockPw-pw-/);
  });
});

describe("WorkloadIdentity", () => {
  it("federates the identity to the service account with the AKS audience", () => {
    const fic = run.inputsOf(run.one("azure-native:managedidentity:FederatedIdentityCredential"));
    expect(fic).toMatchObject({
      subject: "system:serviceaccount:agents:agent-api",
      issuer: "https://issuer.example/",
      audiences: ["api://AzureADTokenExchange"],
    });
  });

  it("grants Key Vault Secrets User on each secret, not on the vault", () => {
    const ra = run.inputsOf(run.one("azure-native:authorization:RoleAssignment", "wi-kv-read-db-password"));
    expect(ra.roleDefinitionId).toBe(
      "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
    );
    expect(ra.scope).toMatch(
      /\/providers\/Microsoft\.KeyVault\/vaults\/kv-agents-prod-\w+\/secrets\/db-password$/,
    );
  });
});

describe("AksCluster", () => {
  it("registers the cluster, both maintenance schedules, diagnostics and the admin role assignments", () => {
    expect(run.all("azure-native:containerservice:ManagedCluster")).toHaveLength(1);
    expect(run.all("azure-native:containerservice:MaintenanceConfiguration")).toHaveLength(2);
    const diag = run.inputsOf(run.one("azure-native:monitor:DiagnosticSetting"));
    expect(diag.logs.map((l: { category: string }) => l.category)).toContain("kube-audit-admin");
    expect(
      run.all("azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("aks-rbac-")),
    ).toHaveLength(2);
  });

  it("builds its Kubernetes provider from a secret kubeconfig", () => {
    const p = run.one("pulumi:providers:kubernetes");
    expect(JSON.stringify(p.inputs.kubeconfig)).toContain("1b47061264138c4ac30d75fd1eb44270");
  });
});
