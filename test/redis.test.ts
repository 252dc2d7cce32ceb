import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { REDIS_ENTRA_SCOPE, redisAccessPolicyAssignment } from "../infra/data/redisPlan";
import { evaluateComponents, type StackRun } from "./mocks";
import { isSecretWrapper } from "../cli/shared/mockRuntime";
import { redisAddress, redisPasswordMap } from "../infra/data/redis";

const FAKE_KEY = "SeededRedisPrimaryKey0123456789abcdef=";
const keyCalls: pulumi.Output<{ clusterName: string; databaseName: string; resourceGroupName: string }>[] =
  [];

// cli/shared/mockRuntime.ts has no mock for this invoke (yet); answer it here with a recognisable key
// and record what it was asked for.
vi.mock("@pulumi/azure-native/redisenterprise", async (importOriginal) => {
  const real = await importOriginal<typeof import("@pulumi/azure-native/redisenterprise")>();
  return {
    ...real,
    listDatabaseKeysOutput: (args: Record<string, pulumi.Input<string>>) => {
      keyCalls.push(pulumi.all(args) as never);
      return pulumi.output({ primaryKey: FAKE_KEY, secondaryKey: "SeededRedisSecondaryKey=" });
    },
  };
});

function build(overrides: { zoneRedundant?: boolean } = {}) {
  return async () => {
    const { Redis } = await import("../infra/data/redis");
    const { KeyVault } = await import("../infra/azure/keyVault");
    const { loadConfig } = await import("../infra/config");
    const cfg = loadConfig();
    const vault = new KeyVault("vault", {
      resourceGroupName: "rg-agents-x",
      location: cfg.location,
      stack: cfg.stack,
      tenantId: "11111111-1111-1111-1111-111111111111",
      softDeleteRetentionDays: 7,
      purgeProtection: false,
      allowedSubnetId: "snet-aks",
      deployerIpRanges: [],
      endpointsSubnetId: "snet-endpoints",
      vnetId: "vnet",
      logAnalyticsWorkspaceId: "/workspaces/log",
      deployerObjectId: "deployer",
      deployerPrincipalType: "User",
      subscriptionId: "sub",
      protect: false,
      tags: {},
    });
    const redis = new Redis("redis", {
      resourceGroupName: "rg-agents-x",
      location: cfg.location,
      stack: cfg.stack,
      redis: cfg.redis,
      zoneRedundant: overrides.zoneRedundant ?? cfg.zoneRedundant,
      endpointsSubnetId:
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/endpoints",
      vnetId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
      logAnalyticsWorkspaceId:
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log",
      vault,
      protect: cfg.protect,
      tags: { stack: cfg.stack },
    });
    return {
      address: redis.address,
      hostName: redis.hostName,
      clusterName: redis.clusterName,
      clusterId: redis.clusterId,
    };
  };
}

const CLUSTER = "azure-native:redisenterprise:RedisEnterprise";
const DATABASE = "azure-native:redisenterprise:Database";

describe("redis helpers (pure)", () => {
  it("builds the TLS address and the exporter's password map for it", () => {
    expect(redisAddress("r.westeurope.redis.azure.net")).toBe("rediss://r.westeurope.redis.azure.net:10000");
    expect(JSON.parse(redisPasswordMap("rediss://h:10000", "k"))).toEqual({ "rediss://h:10000": "k" });
  });
});

describe("Redis component, prod", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await evaluateComponents(build(), "prod");
  });

  it("creates an HA (hence zone-redundant), TLS 1.2+, private Azure Managed Redis with the configured SKU", () => {
    const c = run.inputsOf(run.one(CLUSTER));
    expect(c).toMatchObject({
      clusterName: "redis-agents-prod",
      sku: { name: "Balanced_B5" },
      highAvailability: "Enabled",
      minimumTlsVersion: "1.2",
      publicNetworkAccess: "Disabled",
    });
    // Azure Managed Redis SKUs refuse explicit zones; HA spreads replicas over zones by itself.
    expect(c.zones).toBeUndefined();
    expect(run.one(CLUSTER).options.protect).toBe(true);
  });

  it("serves the database over TLS only on 10000 with a cluster-proxy policy and an eviction policy", () => {
    expect(run.inputsOf(run.one(DATABASE))).toMatchObject({
      databaseName: "default",
      clientProtocol: "Encrypted",
      port: 10000,
      clusteringPolicy: "EnterpriseCluster",
      evictionPolicy: "VolatileLRU",
    });
    expect(run.one(DATABASE).options.protect).toBe(true);
  });

  it("is reachable through a private endpoint in the endpoints subnet with the privatelink zone", () => {
    const pe = run.inputsOf(run.one("azure-native:network:PrivateEndpoint", "redis-pe"));
    expect(pe.subnet.id).toContain("/subnets/endpoints");
    expect(pe.privateLinkServiceConnections).toEqual([
      expect.objectContaining({ groupIds: ["redisEnterprise"], privateLinkServiceId: run.outputs.clusterId }),
    ]);
    const zone = run.one("azure-native:privatedns:PrivateZone", "redis-dns");
    expect(run.inputsOf(zone).privateZoneName).toBe("privatelink.redis.azure.net");
    expect(
      run.inputsOf(run.one("azure-native:privatedns:VirtualNetworkLink", "redis-dns-link")).virtualNetwork.id,
    ).toContain("virtualNetworks/v");
    const group = run.inputsOf(run.one("azure-native:network:PrivateDnsZoneGroup", "redis-pe-dns"));
    expect(group.privateDnsZoneConfigs).toEqual([
      { name: "redis", privateDnsZoneId: expect.stringContaining("privatelink.redis.azure.net") },
    ]);
  });

  it("sends metrics from the cluster and connection logs from the database: two settings", () => {
    const diags = run
      .all("azure-native:monitor:DiagnosticSetting")
      .filter((d) => d.name.startsWith("redis-"))
      .map((d) => run.inputsOf(d));
    expect(diags).toHaveLength(2);
    for (const d of diags) expect(d.workspaceId).toContain("/workspaces/log");
    const onCluster = diags.filter((d) => d.resourceUri === run.outputs.clusterId);
    const onDatabase = diags.filter((d) => /\/databases\/default$/.test(d.resourceUri));
    expect(onCluster).toHaveLength(1);
    expect(onDatabase).toHaveLength(1);
    // Metrics only where Azure has them (the cluster), logs only where Azure has them (the database).
    expect(onCluster[0]!.metrics).toEqual([{ category: "AllMetrics", enabled: true }]);
    expect(onCluster[0]!.logs).toBeUndefined();
    expect(onDatabase[0]!.logs).toEqual([{ category: "ConnectionEvents", enabled: true }]);
    expect(onDatabase[0]!.metrics).toBeUndefined();
  });

  it("reads the key of the created database and stores it in Key Vault as a secret", async () => {
    const asked = await new Promise((resolve) => keyCalls[keyCalls.length - 1]!.apply(resolve));
    expect(asked).toEqual({
      clusterName: run.outputs.clusterName,
      databaseName: "default",
      resourceGroupName: "rg-agents-x",
    });
    const secrets = run.all("azure-native:keyvault:Secret");
    const key = secrets.find((s) => run.inputsOf(s).secretName === "redis-access-key")!;
    expect(run.inputsOf(key).properties).toEqual({ value: FAKE_KEY, contentType: "password" });
    expect(isSecretWrapper(key.inputs.properties)).toBe(true);
    const map = secrets.find((s) => run.inputsOf(s).secretName === "redis-exporter-password-map")!;
    expect(isSecretWrapper(map.inputs.properties)).toBe(true);
    expect(run.outputs.address).toBe(`rediss://${run.outputs.hostName}:10000`);
    expect(JSON.parse(run.inputsOf(map).properties.value)).toEqual({
      [run.outputs.address as string]: FAKE_KEY,
    });
  });

  it("never puts the key into an unencrypted input or output", () => {
    for (const r of run.resources) {
      const plain = JSON.stringify(r.inputs, (_k, v) => (isSecretWrapper(v) ? "[secret]" : v));
      expect(plain, `${r.type} ${r.name}`).not.toContain(FAKE_KEY);
    }
    expect(JSON.stringify(run.outputs)).not.toContain(FAKE_KEY);
  });
});

describe("Redis component, dev", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await evaluateComponents(build(), "dev");
  });

  it("uses the small SKU without HA or zones and without protect", () => {
    const c = run.inputsOf(run.one(CLUSTER));
    expect(c).toMatchObject({
      sku: { name: "Balanced_B0" },
      highAvailability: "Disabled",
      publicNetworkAccess: "Disabled",
    });
    expect(c.zones).toBeUndefined();
    expect(run.one(CLUSTER).options.protect).toBe(false);
  });

  it("refuses zone redundancy without HA, naming the key", async () => {
    await expect(evaluateComponents(build({ zoneRedundant: true }), "dev")).rejects.toThrow(
      /redis\.highAvailability is false but zoneRedundant is true/,
    );
  });
});

describe("Redis for the app by Entra ID, not the access key", () => {
  it("names the access policy assignment with letters and digits only, on the default policy", () => {
    expect(redisAccessPolicyAssignment("agent-api")).toEqual({
      accessPolicyAssignmentName: "agentapi",
      accessPolicyName: "default",
    });
    expect(() => redisAccessPolicyAssignment("--")).toThrow(/no letters or digits/);
    expect(REDIS_ENTRA_SCOPE).toBe("https://redis.azure.com/.default");
  });
});
