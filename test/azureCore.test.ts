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
import { redact } from "../cli/shared/mockRuntime";

const prod = parseStackConfig(stackConfig("prod").config);
const common = {
  location: "westeurope",
  stack: "prod",
  tags: { project: "p", stack: "prod" },
  resourceGroupName: "rg-x",
};

let run: StackRun;
let wi: WorkloadIdentity;
beforeAll(async () => {
  run = await evaluateComponents(() => {
    const logs = new LogAnalytics("logs", { ...common, retentionDays: 90, dailyQuotaGb: -1, protect: true });
    const network = new Network("net", {
      ...common,
      cidrs: prod.network,
      egress: "natGateway",
      zoneRedundant: true,
      logAnalyticsWorkspaceId: logs.workspaceId,
      logAnalyticsCustomerId: logs.customerId,
      protect: true,
    });
    const vault = new KeyVault("kv", {
      ...common,
      tenantId: "t",
      softDeleteRetentionDays: 90,
      purgeProtection: true,
      allowedSubnetId: network.aksSubnetId,
      deployerIpRanges: ["198.51.100.16/28"],
      endpointsSubnetId: network.endpointsSubnetId,
      vnetId: network.vnetId,
      logAnalyticsWorkspaceId: logs.workspaceId,
      deployerObjectId: "deployer",
      deployerPrincipalType: "User",
      subscriptionId: "sub",
      protect: true,
    });
    const pw = generatedPassword("pw", true, vault);
    const secret = vault.addSecret("db-password", pw.result, "password");
    wi = new WorkloadIdentity("wi", {
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
      egress: "natGateway",
      nodesEgressIp: network.nodesEgressIp,
      logAnalyticsWorkspaceId: logs.workspaceId,
      tenantId: "t",
      subscriptionId: "sub",
      deployerObjectId: "deployer",
      deployerPrincipalType: "ServicePrincipal",
      dnsZoneIds: [prod.app.ingress.dnsZoneId],
      fqdnPolicies: true,
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

  it("is RBAC-only with a Deny firewall that admits the AKS subnet and the deployer ranges", () => {
    const p = run.inputsOf(run.one("azure-native:keyvault:Vault")).properties;
    expect(p.enableRbacAuthorization).toBe(true);
    expect(p.accessPolicies).toEqual([]);
    expect(p.networkAcls.defaultAction).toBe("Deny");
    expect(p.networkAcls.ipRules).toEqual([{ value: "198.51.100.16/28" }]);
  });

  it("gives the deployer Secrets Officer on the vault, and every secret waits for it (and for the private path)", () => {
    const officer = run.one("azure-native:authorization:RoleAssignment", "kv-deployer-secrets-officer");
    expect(run.inputsOf(officer)).toMatchObject({
      principalId: "deployer",
      principalType: "User",
      roleDefinitionId:
        "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    });
    expect(run.inputsOf(officer).scope).toMatch(
      /\/providers\/Microsoft\.KeyVault\/vaults\/kv-agents-prod-\w+$/,
    );
    expect(run.one("azure-native:keyvault:Secret").options.dependsOn).toEqual(
      expect.arrayContaining([
        "azure-native:authorization:RoleAssignment::kv-deployer-secrets-officer",
        "azure-native:network:PrivateDnsZoneGroup::kv-pe-dns",
      ]),
    );
  });

  it("is reachable from the VNet through a private endpoint with the vaultcore privatelink zone", () => {
    const pe = run.inputsOf(run.one("azure-native:network:PrivateEndpoint", "kv-pe"));
    expect(pe.privateLinkServiceConnections[0].groupIds).toEqual(["vault"]);
    expect(pe.subnet.id).toMatch(/endpoints/);
    const zones = run.all("azure-native:privatedns:PrivateZone").map((z) => run.inputsOf(z).privateZoneName);
    expect(zones).toContain("privatelink.vaultcore.azure.net");
  });

  it("sends AuditEvent logs to Log Analytics", () => {
    const diag = run.inputsOf(run.one("azure-native:monitor:DiagnosticSetting", "kv-diagnostics"));
    expect(diag.logs).toEqual([{ category: "AuditEvent", enabled: true }]);
    expect(diag.resourceUri).toMatch(/\/vaults\/kv-agents-prod-/);
  });

  it("protects the suffix, the vault, the generated password and the secret", () => {
    for (const [t, name] of [
      ["random:index/randomString:RandomString", "kv-suffix"],
      ["azure-native:keyvault:Vault", undefined],
      ["random:index/randomPassword:RandomPassword", undefined],
      ["azure-native:keyvault:Secret", undefined],
    ] as const) {
      expect(run.one(t, name).options.protect, t).toBe(true);
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

  it("hands out a client id that carries the federated credential and the role assignments as dependencies", async () => {
    // Whatever is configured with the client id (service account annotation, Helm values) therefore waits
    // for them: Pulumi orders a resource after every resource its inputs' Outputs came from.
    const deps = (await (
      wi.clientId as unknown as { allResources(): Promise<Set<{ __name?: string }>> }
    ).allResources()) as Set<{ __name?: string }>;
    const names = [...deps].map((r) => r.__name);
    expect(names).toEqual(
      expect.arrayContaining(["wi-identity", "wi-fic-agents-agent-api", "wi-kv-read-db-password"]),
    );
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
    const diag = run.inputsOf(run.one("azure-native:monitor:DiagnosticSetting", "aks-diagnostics"));
    expect(diag.logs.map((l: { category: string }) => l.category)).toContain("kube-audit-admin");
    expect(
      run.all("azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("aks-rbac-")),
    ).toHaveLength(2);
  });

  it("keeps only the system pool inline and makes the user pool its own AgentPool with an ignored count", () => {
    const cluster = run.one("azure-native:containerservice:ManagedCluster");
    const inline = run.inputsOf(cluster).agentPoolProfiles;
    expect(inline.map((p: { name: string; mode: string }) => [p.name, p.mode])).toEqual([
      ["system", "System"],
    ]);
    expect(cluster.options.ignoreChanges).toEqual(["agentPoolProfiles"]);
    const pool = run.one("azure-native:containerservice:AgentPool");
    expect(run.inputsOf(pool)).toMatchObject({
      mode: "User",
      enableAutoScaling: true,
      minCount: prod.aks.userPool.minCount,
      maxCount: prod.aks.userPool.maxCount,
      vmSize: prod.aks.userPool.vmSize,
      availabilityZones: ["1", "2", "3"],
    });
    expect(run.inputsOf(pool).agentPoolName).toMatch(/^user[0-9a-f]{6}$/);
    expect(pool.options.ignoreChanges).toEqual(["count"]);
  });

  it("creates a user-assigned control-plane identity with Network Contributor on the node subnet before the cluster", () => {
    const id = run.one("azure-native:managedidentity:UserAssignedIdentity", "aks-control-plane");
    expect(run.inputsOf(id).resourceName).toBe("id-agents-prod-aks");
    const ra = run.inputsOf(run.one("azure-native:authorization:RoleAssignment", "aks-control-plane-subnet"));
    expect(ra.roleDefinitionId).toMatch(/4d97b98b-1d4f-4787-a291-c67834d212e7$/);
    expect(ra.scope).toMatch(/snet-agents-prod-aks$/);
    const cluster = run.one("azure-native:containerservice:ManagedCluster");
    expect(run.inputsOf(cluster).identity.type).toBe("UserAssigned");
    expect(run.inputsOf(cluster).identity.userAssignedIdentities).toHaveLength(1);
    expect(cluster.options.dependsOn).toContain(
      "azure-native:authorization:RoleAssignment::aks-control-plane-subnet",
    );
  });

  it("gives the deployer cluster-admin with the principal type it was given", () => {
    const ra = run.inputsOf(run.one("azure-native:authorization:RoleAssignment", "aks-rbac-deployer"));
    expect(ra).toMatchObject({ principalId: "deployer", principalType: "ServicePrincipal" });
  });

  it("lets the app-routing add-on keep A records in the DNS zone (DNS Zone Contributor)", () => {
    const cluster = run.inputsOf(run.one("azure-native:containerservice:ManagedCluster"));
    expect(cluster.ingressProfile.webAppRouting.dnsZoneResourceIds).toEqual([prod.app.ingress.dnsZoneId]);
    const ra = run.inputsOf(run.one("azure-native:authorization:RoleAssignment", "aks-app-routing-dns-0"));
    expect(ra.roleDefinitionId).toMatch(/befefa01-2a29-4197-83a8-272ff33ce314$/);
    expect(ra.scope).toBe(prod.app.ingress.dnsZoneId);
  });

  it("builds its Kubernetes provider from a secret kubeconfig", () => {
    const p = run.one("pulumi:providers:kubernetes");
    expect(JSON.stringify(p.inputs.kubeconfig)).toContain("1b47061264138c4ac30d75fd1eb44270");
  });
});
