/**
 * The second `pulumi up`, a week after the first. Azure and Kubernetes change things on their own during
 * normal operation; the program's next plan for those resources must hold no replacement and no update of
 * a create-only field. Each case below names the real behaviour it stands for.
 *
 * How the plan is computed here: azure-native and the Kubernetes provider diff the program's new inputs
 * against the inputs recorded in state, and `pulumi refresh` (the deploy workflow refreshes first) writes
 * live values into that record. So "old" = first-run inputs with Azure's own changes applied, "new" = what
 * the program registers when the reads (invokes) see that live state; paths in the resource's
 * `ignoreChanges` are dropped, as the engine does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type StackRun } from "./mocks";
import type { RecordedResource } from "../cli/shared/mockRuntime";

/** Paths (a.b[0].c) where two input trees differ. */
function changedPaths(a: unknown, b: unknown, prefix = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => {
      const p = Array.isArray(a) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k;
      return changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], p);
    });
  }
  return [prefix];
}

/** What the engine would plan for a resource: changed input paths not covered by ignoreChanges. */
function plannedChanges(run: StackRun, r: RecordedResource, oldInputs: Record<string, unknown>): string[] {
  const ignored = r.options.ignoreChanges;
  return changedPaths(oldInputs, run.inputsOf(r)).filter(
    (p) => !ignored.some((i) => p === i || p.startsWith(`${i}.`) || p.startsWith(`${i}[`)),
  );
}

/** Create-only inputs per type (Azure refuses to change them, or azure-native replaces the resource). */
const CREATE_ONLY: Record<string, RegExp> = {
  // learn.microsoft.com/azure/aks: network profile, DNS prefix, node resource group, pool VM size are fixed.
  "azure-native:containerservice:ManagedCluster":
    /^(networkProfile\.(podCidr|serviceCidr|dnsServiceIP|networkPlugin)|dnsPrefix|nodeResourceGroup|agentPoolProfiles\[\d+\]\.vmSize)/,
  // pulumi-azure-native#3655: vmSize, maxPods, zones replace an AgentPool.
  "azure-native:containerservice:AgentPool":
    /^(vmSize|maxPods|availabilityZones|agentPoolName|osDiskType|osDiskSizeGB)/,
  // Registry zone redundancy is fixed at creation (container-registry/zone-redundancy).
  "azure-native:containerregistry:Registry": /^(zoneRedundancy|registryName)/,
  // Flexible Server: zone, geo backup fixed at creation; storage cannot shrink.
  "azure-native:dbforpostgresql:Server":
    /^(availabilityZone|backup\.geoRedundantBackup|storage\.storageSizeGB)/,
  // Storage account name and kind, the flow log's target and parent are fixed at creation.
  "azure-native:storage:StorageAccount": /^(accountName|kind)/,
  "azure-native:network:FlowLog": /^(targetResourceId|networkWatcherName|resourceGroupName|flowLogName)/,
  // Key Vault: soft-delete retention fixed at creation.
  "azure-native:keyvault:Vault": /^properties\.softDeleteRetentionInDays/,
};

let first: StackRun;
let week: StackRun;
const deepClone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** What Azure reports a week later, for the reads the program does (ARM GETs). */
function liveState(run: StackRun) {
  const pg = run.inputsOf(run.one("azure-native:dbforpostgresql:Server"));
  const aks = run.inputsOf(run.one("azure-native:containerservice:ManagedCluster"));
  const vault = run.inputsOf(run.one("azure-native:keyvault:Vault"));
  return {
    "azure-native:dbforpostgresql:getServer": {
      ...pg,
      // Storage auto-grow took the disk from 256 to 512 GiB (how-to-auto-grow-storage).
      storage: { ...pg.storage, storageSizeGB: 512, tier: "P20" },
      // An HA failover swapped primary and standby zones (concepts-high-availability, "failover").
      availabilityZone: "2",
      highAvailability: { ...pg.highAvailability, standbyAvailabilityZone: "1" },
    },
    "azure-native:containerservice:getManagedCluster": {
      ...aks,
      // Patch auto-upgrade moved the patch and node-image versions (reported in current* fields only).
      currentKubernetesVersion: "1.33.7",
      // AKS reports every pool in the cluster's list, the separate user pool included, scaled by the
      // cluster autoscaler.
      agentPoolProfiles: [
        { ...aks.agentPoolProfiles[0], nodeImageVersion: "AKSAzureLinux-V3gen2-202611.20.0" },
        { name: run.inputsOf(run.one("azure-native:containerservice:AgentPool")).agentPoolName, count: 7 },
      ],
    },
    "azure-native:keyvault:getVault": { ...vault, properties: { ...vault.properties } },
  };
}

beforeAll(async () => {
  first = await evaluateStack("prod");
  week = await evaluateStack("prod", {}, liveState(first));
}, 240_000);

describe("day 2: the next plan after a week of normal operation (prod)", () => {
  const byName = (run: StackRun, type: string, name?: string) => run.one(type, name);

  it("Postgres: auto-grown storage is kept (no shrink request) and the failover zone swap is left alone", () => {
    const type = "azure-native:dbforpostgresql:Server";
    const old = deepClone(first.inputsOf(byName(first, type)));
    // After refresh, state holds the live values.
    old.storage.storageSizeGB = 512;
    old.availabilityZone = "2";
    old.highAvailability.standbyAvailabilityZone = "1";
    const r = byName(week, type);
    expect(week.inputsOf(r).storage.storageSizeGB).toBe(512);
    expect(plannedChanges(week, r, old)).toEqual([]);
  });

  it("Postgres without refresh: the only planned change is the size the disk already has (never smaller)", () => {
    const type = "azure-native:dbforpostgresql:Server";
    const old = first.inputsOf(byName(first, type));
    const changes = plannedChanges(week, byName(week, type), old);
    expect(changes).toEqual(["storage.storageSizeGB"]);
    expect(week.inputsOf(byName(week, type)).storage.storageSizeGB).toBeGreaterThan(
      old.storage.storageSizeGB,
    );
  });

  it("AKS: autoscaler counts, patch and node-image moves plan nothing on the cluster or the user pool", () => {
    const cluster = "azure-native:containerservice:ManagedCluster";
    const oldCluster = deepClone(first.inputsOf(byName(first, cluster)));
    // Refresh records AKS's own view: both pools in the list, node image moved (ignored: agentPoolProfiles).
    oldCluster.agentPoolProfiles =
      liveState(first)["azure-native:containerservice:getManagedCluster"].agentPoolProfiles;
    expect(plannedChanges(week, byName(week, cluster), oldCluster)).toEqual([]);
    // kubernetesVersion stays the minor we set; the patch lives in currentKubernetesVersion (output only).
    expect(week.inputsOf(byName(week, cluster)).kubernetesVersion).toBe("1.33");

    const pool = "azure-native:containerservice:AgentPool";
    const oldPool = { ...first.inputsOf(byName(first, pool)), count: 7 };
    expect(plannedChanges(week, byName(week, pool), oldPool)).toEqual([]);
  });

  it("Registry: zone redundancy reported as Disabled after a refresh plans no change", () => {
    // Azure makes registries in zoned regions zone-redundant by default while zoneRedundancy may read
    // "Disabled" (container-registry/zone-redundancy); the property is create-only, so it is ignored.
    const type = "azure-native:containerregistry:Registry";
    const old = { ...first.inputsOf(byName(first, type)), zoneRedundancy: "Disabled" };
    expect(byName(week, type).options.ignoreChanges).toContain("zoneRedundancy");
    expect(plannedChanges(week, byName(week, type), old)).toEqual([]);
  });

  it("Kubernetes: HPA replica counts are not ours (running Deployments carry no replicas)", () => {
    const deployments = week
      .all("kubernetes:apps/v1:Deployment")
      .filter((d) => d.name.startsWith("agent-api-"));
    expect(deployments.length).toBeGreaterThanOrEqual(2);
    for (const d of deployments) expect(week.inputsOf(d).spec.replicas, d.name).toBeUndefined();
  });

  it("Key Vault: new secret versions (rotation) are picked up without any input naming a version", () => {
    const spcs = week.all("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
    expect(spcs.length).toBeGreaterThan(0);
    for (const spc of spcs) {
      const objects = String(week.inputsOf(spc).spec.parameters.objects);
      expect(objects, spc.name).not.toMatch(/objectVersion:\s*"?[0-9a-f]{32}/);
    }
    const oldVault = first.inputsOf(byName(first, "azure-native:keyvault:Vault"));
    expect(plannedChanges(week, byName(week, "azure-native:keyvault:Vault"), oldVault)).toEqual([]);
  });

  it("Helm releases: values are the same on a rerun (Helm-managed live fields are not inputs)", () => {
    for (const r of week.all("kubernetes:helm.sh/v3:Release")) {
      const old = first.all("kubernetes:helm.sh/v3:Release").find((x) => x.name === r.name)!;
      expect(plannedChanges(week, r, first.inputsOf(old)), r.name).toEqual([]);
    }
  });

  it("Azure alerts, NSGs, the flow log and its storage: present on the rerun, nothing planned", () => {
    // Azure does not touch these after creation: AKS never modifies the NSGs of a subnet it is given
    // (learn.microsoft.com/azure/aks/azure-cni-overlay, "Network security groups"), alert rules and the
    // action group are only changed by their owner, and the storage account's Azure default (accessTier
    // Hot) is set by the program.
    for (const type of [
      "azure-native:monitor:MetricAlert",
      "azure-native:monitor:ActionGroup",
      "azure-native:monitor:ActivityLogAlert",
      "azure-native:logic:Workflow",
      "azure-native:alertsmanagement:PrometheusRuleGroup",
      "azure-native:network:NetworkSecurityGroup",
      "azure-native:network:FlowLog",
      "azure-native:storage:StorageAccount",
      "azure-native:authorization:PolicyAssignment",
    ]) {
      const now = week.all(type);
      expect(now.length, type).toBeGreaterThan(0);
      for (const r of now) {
        const old = first.all(type).find((x) => x.name === r.name)!;
        expect(plannedChanges(week, r, first.inputsOf(old)), `${type} ${r.name}`).toEqual([]);
      }
    }
  });

  it("no resource plans a change of a create-only field, and nothing at all is planned on a rerun", () => {
    const offenders: string[] = [];
    for (const r of week.resources) {
      const old = first.resources.find((x) => x.type === r.type && x.name === r.name);
      expect(old, `${r.type} ${r.name} is new on the rerun`).toBeDefined();
      const changes = plannedChanges(week, r, first.inputsOf(old!));
      const createOnly = CREATE_ONLY[r.type];
      for (const c of changes) {
        // Postgres storage may only go up to the live size (checked above); anything else is an offender.
        if (r.type === "azure-native:dbforpostgresql:Server" && c === "storage.storageSizeGB") continue;
        offenders.push(`${r.type} ${r.name}: ${c}${createOnly?.test(c) ? " (create-only)" : ""}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe("day 2: a create-only change is refused with the fix, not an ARM error", () => {
  it("a system pool created on a managed OS disk (the inline pool list is ignored after creation)", async () => {
    const live = liveState(first);
    const pools = live["azure-native:containerservice:getManagedCluster"].agentPoolProfiles;
    pools[0] = { ...pools[0], osDiskType: "Managed" };
    await expect(evaluateStack("prod", {}, live)).rejects.toThrow(
      /AKS cluster aks-agents-prod has the system pool's osDiskType "Managed", but the AKS plan .* asks for "Ephemeral".*az aks nodepool add .*--mode System .*--node-osdisk-type Ephemeral --node-osdisk-size 128/s,
    );
  });
  it("the egress of a cluster created with the load balancer's outbound rules", async () => {
    // prod egresses through a NAT gateway (network.egress natGateway); a cluster made before that has
    // outboundType loadBalancer, which AKS fixes at creation.
    const live = liveState(first);
    const aks = live["azure-native:containerservice:getManagedCluster"] as unknown as {
      networkProfile: Record<string, unknown>;
    };
    aks.networkProfile = { ...aks.networkProfile, outboundType: "loadBalancer" };
    await expect(evaluateStack("prod", {}, live)).rejects.toThrow(
      /monitoring-platform:network\.egress is "natGateway" in config but AKS cluster aks-agents-prod was created with "loadBalancer".*set network\.egress back to keep this cluster/s,
    );
  });
  it("Key Vault soft-delete retention", async () => {
    const live = liveState(first);
    live["azure-native:keyvault:getVault"].properties.softDeleteRetentionInDays = 30;
    await expect(evaluateStack("prod", {}, live)).rejects.toThrow(
      /monitoring-platform:keyVault\.softDeleteRetentionDays is 90 in config but Key Vault kv-agents-prod-a1b2c3 was created with 30.*pulumi config set --path 'monitoring-platform:keyVault\.softDeleteRetentionDays' 30/s,
    );
  });
});
