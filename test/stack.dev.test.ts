/**
 * The dev stack: cheaper (sizes, counts, tier, zones), never weaker on security.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type StackRun } from "./mocks";

let run: StackRun;
let prod: StackRun;
beforeAll(async () => {
  prod = await evaluateStack("prod");
  run = await evaluateStack("dev");
});

/** Every security-relevant setting of a stack, in one comparable object. */
function securityView(r: StackRun) {
  const one = (t: string, n?: string) => r.inputsOf(r.one(t, n));
  const aks = one("azure-native:containerservice:ManagedCluster");
  const vault = one("azure-native:keyvault:Vault").properties;
  const pg = one("azure-native:dbforpostgresql:Server");
  const redis = one("azure-native:redisenterprise:RedisEnterprise");
  const pods = r.all("kubernetes:apps/v1:Deployment").map((d) => ({
    name: d.name,
    pod: r.inputsOf(d).spec.template.spec.securityContext,
    containers: r
      .inputsOf(d)
      .spec.template.spec.containers.map((c: { securityContext: unknown }) => c.securityContext),
  }));
  return {
    aks: {
      disableLocalAccounts: aks.disableLocalAccounts,
      aad: aks.aadProfile.enableAzureRBAC,
      oidc: aks.oidcIssuerProfile,
      workloadIdentity: aks.securityProfile.workloadIdentity,
      keyVaultProvider: aks.addonProfiles.azureKeyvaultSecretsProvider,
      policy: aks.addonProfiles.azurepolicy,
      networkPolicy: aks.networkProfile.networkPolicy,
      apiServerRestricted:
        aks.apiServerAccessProfile.enablePrivateCluster ||
        aks.apiServerAccessProfile.authorizedIPRanges.length > 0,
    },
    vault: {
      rbac: vault.enableRbacAuthorization,
      acl: vault.networkAcls.defaultAction,
      softDelete: vault.enableSoftDelete,
    },
    postgres: {
      public: pg.network.publicNetworkAccess,
      auth: pg.authConfig,
      tls: r
        .all("azure-native:dbforpostgresql:Configuration")
        .map((c) => r.inputsOf(c))
        .find((c) => c.configurationName === "require_secure_transport")?.value,
    },
    redis: {
      tls: redis.minimumTlsVersion,
      public: redis.publicNetworkAccess,
      protocol: one("azure-native:redisenterprise:Database").clientProtocol,
    },
    namespaces: r
      .all("kubernetes:core/v1:Namespace")
      .map((n) => r.inputsOf(n).metadata.labels["pod-security.kubernetes.io/enforce"]),
    networkPolicies: r
      .all("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .map((n) => n.name)
      .sort(),
    pods,
    k8sSecrets: r.all("kubernetes:core/v1:Secret").length,
  };
}

describe("dev stack", () => {
  it("is exactly as secure as prod (every security-relevant setting compared)", () => {
    const dev = securityView(run);
    expect(dev.aks.disableLocalAccounts).toBe(true);
    expect(dev.postgres.tls).toBe("on");
    expect(dev.k8sSecrets).toBe(0);
    expect(dev).toEqual(securityView(prod));
  });

  const cluster = () => run.inputsOf(run.one("azure-native:containerservice:ManagedCluster"));

  it("relaxes cost: Free tier, one system node, no zones", () => {
    expect(cluster().sku.tier).toBe("Free");
    expect(cluster().agentPoolProfiles[0].count).toBe(1);
    expect(cluster().agentPoolProfiles[0].availabilityZones).toBeUndefined();
  });

  it("keeps security: local accounts off, Azure RBAC, restricted API server, network policy", () => {
    expect(cluster().disableLocalAccounts).toBe(true);
    expect(cluster().aadProfile.enableAzureRBAC).toBe(true);
    // evaluateStack runs as `pulumi up` would: the example range is replaced by a deployable one (test/mocks.ts);
    // the deploy runner's static egress IP (the mock cloud's 198.51.100.7) is admitted after it.
    expect(cluster().apiServerAccessProfile.authorizedIPRanges).toEqual([
      "20.203.113.0/24",
      "198.51.100.7/32",
    ]);
    expect(cluster().networkProfile.networkPolicy).toBe("cilium");
  });

  it("keeps the Key Vault firewall and RBAC, without purge protection", () => {
    const v = run.inputsOf(run.one("azure-native:keyvault:Vault")).properties;
    expect(v.enableRbacAuthorization).toBe(true);
    expect(v.networkAcls.defaultAction).toBe("Deny");
    expect(v.enablePurgeProtection).toBeUndefined();
  });

  it("does not protect resources (protect: false in Pulumi.dev.yaml)", () => {
    expect(run.one("azure-native:keyvault:Vault").options.protect).toBe(false);
  });
});
