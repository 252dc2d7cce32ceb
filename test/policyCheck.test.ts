/**
 * `npm run policy:check` as users type it: both stacks pass, and a copy of the prod render broken in one
 * promise at a time fails naming that policy and that resource. The breaks edit resources.json the way a
 * code change would change the render; each must find its target in the real render (a missing target is
 * a failure, not a skip).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { npmRun } from "./cli";
import type { RenderDocument, RenderedResource } from "../cli/shared/renderOutput";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let work: string;
let prod: RenderDocument;
let baseline: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-"));
  // The run's one prod render (test/globalSetup.ts); copies go to `work`.
  const shared = inject("renders").prod.dir;
  prod = JSON.parse(fs.readFileSync(path.join(shared, "resources.json"), "utf8")) as RenderDocument;
  baseline = (await npmRun("policy:check", ["--render", shared])).stdout;
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("npm run policy:check over the stacks", () => {
  // dev through --stack (the command renders it itself), prod through --render of the run's prod render.
  it.each(["dev", "prod"])("the %s stack keeps every promise", async (stack) => {
    const args = stack === "dev" ? ["--stack", "dev"] : ["--render", inject("renders").prod.dir];
    const r = await npmRun("policy:check", args);
    expect(r.stdout).toMatch(new RegExp(`^${stack}: (\\d+) of \\1 policies hold over \\d+ resources$`, "m"));
    expect(r.stdout).not.toContain("FAIL");
    expect(r.code, r.out).toBe(0);
  });

  it("refuses bad usage with the usage line and exit 2", async () => {
    const none = await npmRun("policy:check", []);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("give exactly one of --stack or --render");
    const missing = await npmRun("policy:check", ["--render", path.join(work, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("resources.json not found: render first");
  });
});

/** The one resource of a type (and name), or a failed test naming what the render lacks. */
function one(doc: RenderDocument, type: string, name?: string): RenderedResource {
  const found = doc.resources.filter((r) => r.type === type && (!name || r.name === name));
  if (found.length !== 1)
    throw new Error(`the prod render has ${found.length} ${type} ${name ?? ""}, expected 1`);
  return found[0]!;
}
const inputs = (r: RenderedResource) => r.inputs as Inputs;
function removeAll(doc: RenderDocument, what: string, pred: (r: RenderedResource) => boolean): void {
  const before = doc.resources.length;
  doc.resources = doc.resources.filter((r) => !pred(r));
  if (doc.resources.length === before) throw new Error(`the prod render has no ${what} to remove`);
}
const CLUSTER = "azure-native:containerservice:ManagedCluster";
const VAULT = "azure-native:keyvault:Vault";
const PG = "azure-native:dbforpostgresql:Server";
const REDIS = "azure-native:redisenterprise:RedisEnterprise";
const DEPLOY = "kubernetes:apps/v1:Deployment";
const groupIds = (r: RenderedResource) =>
  ((inputs(r).privateLinkServiceConnections ?? []) as Inputs[]).flatMap((c) => c.groupIds as string[]);

// [policy, the resource the failure names, the break]
const breaks: [string, string, (d: RenderDocument) => void][] = [
  [
    "aks-entra-rbac",
    `${CLUSTER} aks-cluster`,
    (d) => (inputs(one(d, CLUSTER)).aadProfile.enableAzureRBAC = false),
  ],
  [
    "aks-local-accounts-disabled",
    `${CLUSTER} aks-cluster`,
    (d) => (inputs(one(d, CLUSTER)).disableLocalAccounts = false),
  ],
  [
    "aks-workload-identity",
    `${CLUSTER} aks-cluster`,
    (d) => (inputs(one(d, CLUSTER)).securityProfile.workloadIdentity.enabled = false),
  ],
  [
    "aks-api-server-restricted",
    `${CLUSTER} aks-cluster`,
    (d) =>
      (inputs(one(d, CLUSTER)).apiServerAccessProfile = {
        authorizedIPRanges: [],
        enablePrivateCluster: false,
      }),
  ],
  [
    "aks-network-policy",
    `${CLUSTER} aks-cluster`,
    (d) => delete inputs(one(d, CLUSTER)).networkProfile.networkPolicy,
  ],
  [
    "aks-inline-pools-system-only",
    `${CLUSTER} aks-cluster`,
    (d) =>
      inputs(one(d, CLUSTER)).agentPoolProfiles.push({
        name: "extra",
        mode: "User",
        vmSize: "Standard_D4ds_v5",
      }),
  ],
  [
    "aks-ephemeral-os-disk",
    "azure-native:containerservice:AgentPool aks-user-pool",
    (d) => (inputs(one(d, "azure-native:containerservice:AgentPool")).osDiskType = "Managed"),
  ],
  [
    "acr-zone-redundant-prod",
    "azure-native:containerregistry:Registry registry-registry",
    (d) => delete inputs(one(d, "azure-native:containerregistry:Registry")).zoneRedundancy,
  ],
  [
    "aks-control-plane-logs",
    `${CLUSTER} aks-cluster`,
    (d) =>
      (inputs(
        one(d, "azure-native:monitor:DiagnosticSetting", "aks-diagnostics"),
      ).logAnalyticsDestinationType = "AzureDiagnostics"),
  ],
  [
    "aks-allowed-images",
    `${CLUSTER} aks-cluster`,
    (d) =>
      (inputs(one(d, "azure-native:authorization:PolicyAssignment", "image-policy-deny")).parameters.effect =
        {
          value: "Audit",
        }),
  ],
  [
    "no-break-glass-secrets-mounted",
    "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass exporters-secrets",
    (d) => {
      const p = inputs(
        one(d, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "exporters-secrets"),
      ).spec.parameters;
      p.objects = `${p.objects}  - |\n    objectName: redis-access-key\n    objectType: secret\n`;
    },
  ],
  [
    "aks-user-pool-separate",
    `${CLUSTER} aks-cluster`,
    (d) => removeAll(d, "AgentPool", (r) => r.type === "azure-native:containerservice:AgentPool"),
  ],
  [
    "acr-pull-assigned",
    `${CLUSTER} aks-cluster`,
    (d) =>
      removeAll(d, "AcrPull assignment", (r) =>
        String(inputs(r).roleDefinitionId ?? "").endsWith("7f951dda-4ed3-4680-a7ca-43fe172d538d"),
      ),
  ],
  [
    "prometheus-remote-write-prod",
    `${CLUSTER} aks-cluster`,
    (d) =>
      delete inputs(one(d, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack")).values
        .prometheus.prometheusSpec.remoteWrite,
  ],
  [
    "keyvault-rbac",
    `${VAULT} vault-vault`,
    (d) => (inputs(one(d, VAULT)).properties.enableRbacAuthorization = false),
  ],
  [
    "keyvault-purge-protection-prod",
    `${VAULT} vault-vault`,
    (d) => (inputs(one(d, VAULT)).properties.enablePurgeProtection = false),
  ],
  [
    "keyvault-firewall-deny",
    `${VAULT} vault-vault`,
    (d) => (inputs(one(d, VAULT)).properties.networkAcls.defaultAction = "Allow"),
  ],
  [
    "keyvault-private-endpoint",
    `${VAULT} vault-vault`,
    (d) => removeAll(d, "Key Vault private endpoint", (r) => groupIds(r).includes("vault")),
  ],
  [
    "postgres-ha-prod",
    `${PG} postgres-server`,
    (d) => (inputs(one(d, PG)).highAvailability = { mode: "Disabled" }),
  ],
  [
    "postgres-private",
    `${PG} postgres-server`,
    (d) => (inputs(one(d, PG)).network.publicNetworkAccess = "Enabled"),
  ],
  [
    "postgres-tls",
    "azure-native:dbforpostgresql:Configuration postgres-param-require_secure_transport",
    (d) =>
      (inputs(
        one(d, "azure-native:dbforpostgresql:Configuration", "postgres-param-require_secure_transport"),
      ).value = "off"),
  ],
  [
    "redis-tls-only",
    "azure-native:redisenterprise:Database redis-db",
    (d) => (inputs(one(d, "azure-native:redisenterprise:Database")).clientProtocol = "Plaintext"),
  ],
  ["redis-private", `${REDIS} redis-cluster`, (d) => (inputs(one(d, REDIS)).publicNetworkAccess = "Enabled")],
  [
    "redis-private-endpoint",
    `${REDIS} redis-cluster`,
    (d) => removeAll(d, "Redis private endpoint", (r) => groupIds(r).includes("redisEnterprise")),
  ],
  [
    "redis-diagnostics-split",
    "azure-native:monitor:DiagnosticSetting redis-diagnostics-logs",
    (d) =>
      (inputs(one(d, "azure-native:monitor:DiagnosticSetting", "redis-diagnostics-logs")).metrics = [
        { category: "AllMetrics", enabled: true },
      ]),
  ],
  [
    "pod-security-restricted",
    `${DEPLOY} agent-api-deployment-blue`,
    (d) => (inputs(one(d, DEPLOY, "agent-api-deployment-blue")).spec.template.spec.hostNetwork = true),
  ],
  [
    "workload-requests-limits",
    `${DEPLOY} exporters-redis`,
    (d) => delete inputs(one(d, DEPLOY, "exporters-redis")).spec.template.spec.containers[0].resources.limits,
  ],
  [
    "no-public-loadbalancer",
    "kubernetes:core/v1:Service agent-api-service",
    (d) => (inputs(one(d, "kubernetes:core/v1:Service", "agent-api-service")).spec.type = "LoadBalancer"),
  ],
  [
    "no-plaintext-secrets",
    `${PG} postgres-server`,
    (d) => (inputs(one(d, PG)).administratorLoginPassword = "Hunter2-plaintext"),
  ],
  ["stateful-protected-prod", `${PG} postgres-server`, (d) => (one(d, PG).options.protect = false)],
  ["aks-defender", `${CLUSTER} aks-cluster`, (d) => delete inputs(one(d, CLUSTER)).securityProfile.defender],
  [
    "subnet-nsg",
    "azure-native:network:Subnet network-postgres",
    (d) => delete inputs(one(d, "azure-native:network:Subnet", "network-postgres")).networkSecurityGroup,
  ],
  [
    "azure-platform-alerts",
    `${PG} postgres-server`,
    (d) =>
      removeAll(
        d,
        "Postgres metric alerts",
        (r) =>
          r.type === "azure-native:monitor:MetricAlert" &&
          JSON.stringify(inputs(r).criteria).includes("Microsoft.DBforPostgreSQL/flexibleServers"),
      ),
  ],
  [
    "aks-pod-security-initiative",
    `${CLUSTER} aks-cluster`,
    (d) =>
      (inputs(
        one(d, "azure-native:authorization:PolicyAssignment", "pod-security-restricted"),
      ).parameters.effect = { value: "Audit" }),
  ],
  [
    "vnet-flow-logs",
    "azure-native:network:VirtualNetwork network-vnet",
    (d) => removeAll(d, "flow log", (r) => r.type === "azure-native:network:FlowLog"),
  ],
];

describe("a prod render broken in one promise fails naming the policy and the resource", () => {
  it("covers every policy of the set", async () => {
    const { policies } = await import("../policy/policies");
    expect(new Set(breaks.map(([p]) => p))).toEqual(new Set(policies.map((p) => p.name)));
  });

  it.concurrent.each(breaks)("%s (%s)", async (policy, resource, breakIt) => {
    const line = `FAIL ${policy}: ${resource}:`;
    expect(baseline, "the unbroken prod render already fails this way").not.toContain(line);
    const doc = structuredClone(prod);
    breakIt(doc);
    const dir = path.join(work, `broken-${policy}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "resources.json"), JSON.stringify(doc));
    const r = await npmRun("policy:check", ["--render", dir]);
    expect(r.code, r.out).toBe(1);
    expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(new RegExp(`failing: .*\\b${policy}\\b`));
  });
});
