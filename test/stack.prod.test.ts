/**
 * The prod stack evaluated end to end under mocks: the AKS baseline, Key Vault, secrets and protection.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { evaluateStack, SEEDED_OBJECT_ID, type StackRun } from "./mocks";
import { VAULT_SECRETS } from "../infra/azure/secrets";
import { ROLES } from "../infra/azure/aksPlan";

let run: StackRun;
beforeAll(async () => {
  run = await evaluateStack("prod");
});

const cluster = () => run.inputsOf(run.one("azure-native:containerservice:ManagedCluster"));

describe("prod stack: AKS baseline", () => {
  it("integrates Entra ID with Azure RBAC and disables local accounts", () => {
    const c = cluster();
    expect(c.aadProfile).toMatchObject({ managed: true, enableAzureRBAC: true });
    expect(c.disableLocalAccounts).toBe(true);
  });

  it("boots both pools from ephemeral OS disks that fit the nodes' local disks", () => {
    // D4ds_v5 (system) and D8ds_v5 (user) have 150 and 300 GiB of local temp disk.
    expect(
      cluster().agentPoolProfiles.map((p: Record<string, unknown>) => [p.osDiskType, p.osDiskSizeGB]),
    ).toEqual([["Ephemeral", 128]]);
    const user = run.inputsOf(run.one("azure-native:containerservice:AgentPool"));
    expect([user.osDiskType, user.osDiskSizeGB]).toEqual(["Ephemeral", 128]);
  });

  it("sends the controller manager and admin audit logs to resource-specific tables", () => {
    const diag = run
      .all("azure-native:monitor:DiagnosticSetting")
      .map((d) => run.inputsOf(d))
      .find((d) => d.logs?.some((l: { category: string }) => l.category === "kube-apiserver"))!;
    expect(diag.logAnalyticsDestinationType).toBe("Dedicated");
    expect(diag.logs.map((l: { category: string }) => l.category)).toEqual(
      expect.arrayContaining(["kube-audit-admin", "kube-controller-manager"]),
    );
  });

  it("has a zone-redundant registry and lets app pods run only its images", () => {
    expect(run.inputsOf(run.one("azure-native:containerregistry:Registry")).zoneRedundancy).toBe("Enabled");
    const deny = run.inputsOf(run.one("azure-native:authorization:PolicyAssignment", "image-policy-deny"));
    expect(deny.parameters).toEqual({
      allowedContainerImagesRegex: { value: "^acragentsprod\\.azurecr\\.io/.+$" },
      namespaces: { value: ["agents"] },
      effect: { value: "Deny" },
    });
    // The app's images must pass the regex the cluster enforces.
    const regex = new RegExp(deny.parameters.allowedContainerImagesRegex.value);
    const images = run
      .all("kubernetes:apps/v1:Deployment")
      .filter((d) => run.inputsOf(d).metadata?.namespace === "agents")
      .flatMap((d) => run.inputsOf(d).spec.template.spec.containers.map((c: { image: string }) => c.image));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(regex.test(image), image).toBe(true);
  });

  it("admits the deploy runner's static egress IP at the API server, beside the configured ranges", () => {
    // deploy.runner selfHosted: a runner subnet in the VNet, egressing through a NAT gateway's one public IP.
    const subnet = run.inputsOf(run.one("azure-native:network:Subnet", "network-runner"));
    expect(subnet.addressPrefix).toBe("10.30.10.0/27");
    const nat = run.inputsOf(run.one("azure-native:network:NatGateway", "network-runner-nat"));
    expect(nat.sku).toEqual({ name: "Standard" });
    const ip = run.inputsOf(run.one("azure-native:network:PublicIPAddress", "network-runner-egress"));
    expect([ip.sku.name, ip.publicIPAllocationMethod]).toEqual(["Standard", "Static"]);
    // The mock cloud assigns 198.51.100.7 to every public IP; the configured ranges come first, then the
    // runner's address and the nodes' (egress natGateway, prod's default).
    expect(cluster().apiServerAccessProfile.authorizedIPRanges.slice(-2)).toEqual([
      "198.51.100.7/32",
      "198.51.100.7/32",
    ]);
  });

  it("enables the OIDC issuer and workload identity", () => {
    expect(cluster().oidcIssuerProfile).toEqual({ enabled: true });
    expect(cluster().securityProfile.workloadIdentity).toEqual({ enabled: true });
  });

  it("enables the Key Vault secrets provider with rotation, Azure Policy and Container Insights", () => {
    const a = cluster().addonProfiles;
    expect(a.azureKeyvaultSecretsProvider).toEqual({
      enabled: true,
      config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
    });
    expect(a.azurepolicy.enabled).toBe(true);
    expect(a.omsagent.enabled).toBe(true);
    expect(a.omsagent.config.logAnalyticsWorkspaceResourceID).toContain(
      "/providers/operationalinsights/log-agents-prod",
    );
  });

  it("sends Container Insights to the workspace through a data collection rule on the cluster", () => {
    const dcr = run.one("azure-native:monitor:DataCollectionRule", "aks-container-insights");
    const i = run.inputsOf(dcr);
    expect(i.dataSources.extensions[0].extensionName).toBe("ContainerInsights");
    expect(i.destinations.logAnalytics[0].workspaceResourceId).toContain("log-agents-prod");
    const dcra = run.inputsOf(run.one("azure-native:monitor:DataCollectionRuleAssociation"));
    expect(dcra.resourceUri).toContain("aks-agents-prod");
    expect(dcra.dataCollectionRuleId).toContain(i.dataCollectionRuleName);
  });

  it("uses Azure CNI overlay with network policy", () => {
    expect(cluster().networkProfile).toMatchObject({
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkPolicy: "cilium",
    });
  });

  it("runs a 3-node tainted system pool inline and an autoscaled user pool as its own AgentPool, across three zones", () => {
    const pools = cluster().agentPoolProfiles;
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({
      mode: "System",
      count: 3,
      nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
      availabilityZones: ["1", "2", "3"],
    });
    const user = run.inputsOf(run.one("azure-native:containerservice:AgentPool"));
    expect(user).toMatchObject({
      mode: "User",
      enableAutoScaling: true,
      minCount: 3,
      maxCount: 12,
      availabilityZones: ["1", "2", "3"],
    });
  });

  it("is on the Standard tier with patch auto-upgrade inside maintenance windows", () => {
    expect(cluster().sku).toEqual({ name: "Base", tier: "Standard" });
    expect(cluster().autoUpgradeProfile).toEqual({
      upgradeChannel: "patch",
      nodeOSUpgradeChannel: "NodeImage",
    });
    const windows = run
      .all("azure-native:containerservice:MaintenanceConfiguration")
      .map((r) => run.inputsOf(r).configName);
    expect(windows.sort()).toEqual(["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"]);
  });

  it("pins only the minor version, and auto-upgrade cannot make the next up plan a replacement", () => {
    expect(cluster().kubernetesVersion).toMatch(/^1\.\d+$/);
    const opts = run.one("azure-native:containerservice:ManagedCluster").options;
    // The inline pool list is AKS's after creation; nothing that would force a replacement is left to drift.
    expect(opts.ignoreChanges).toEqual(["agentPoolProfiles"]);
    expect(run.one("azure-native:containerservice:AgentPool").options.ignoreChanges).toEqual(["count"]);
    expect(opts.replaceOnChanges).toEqual([]);
  });

  it("restricts the API server to the authorized ranges", () => {
    expect(cluster().apiServerAccessProfile).toEqual({
      enablePrivateCluster: false,
      // The stack file's RFC 5737 examples, replaced by deployable ranges (test/mocks.ts withDeployableValues),
      // the deploy runner's egress IP and the nodes' NAT gateway IP (both the mock cloud's 198.51.100.7).
      authorizedIPRanges: ["20.203.113.0/24", "20.198.100.16/28", "198.51.100.7/32", "198.51.100.7/32"],
    });
  });

  it("gives the deployer and the admin groups cluster-admin through Azure RBAC", () => {
    const admins = run
      .all("azure-native:authorization:RoleAssignment")
      .map((r) => run.inputsOf(r))
      .filter((i) => String(i.roleDefinitionId).endsWith(ROLES.aksRbacClusterAdmin));
    // The deployer's type is detected at deployment (deployerPrincipalType: auto); this test runs with no
    // ARM_* credential settings, i.e. the README's `az login` as a person.
    expect(admins.map((a) => a.principalType).sort()).toEqual(["Group", "User"]);
  });

  it("builds one explicit Kubernetes provider from the cluster's kubeconfig (a secret)", async () => {
    const p = run.one("pulumi:providers:kubernetes");
    expect(JSON.stringify(p.inputs)).toContain("1b47061264138c4ac30d75fd1eb44270"); // secret marker
    const kc = yaml.load(run.inputsOf(p).kubeconfig) as { users: { user: { exec: { args: string[] } } }[] };
    expect(kc.users[0]?.user.exec.args.slice(-2)).toEqual(["--login", "azurecli"]);
  });
});

describe("prod stack: public entry", () => {
  it("routes the hostname through the app-routing add-on to the stable Service, TLS from cert-manager", () => {
    expect(cluster().ingressProfile).toEqual({
      webAppRouting: {
        enabled: true,
        dnsZoneResourceIds: [
          `/subscriptions/${SEEDED_OBJECT_ID}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/platform.seeded.dev`,
        ],
      },
    });
    const ing = run.inputsOf(run.one("kubernetes:networking.k8s.io/v1:Ingress"));
    expect(ing.spec.ingressClassName).toBe("webapprouting.kubernetes.azure.com");
    expect(ing.spec.rules[0].host).toBe("agents.platform.seeded.dev"); // example.com, made deployable
    expect(ing.spec.rules[0].http.paths[0].backend.service.name).toBe("agent-api");
    expect(ing.metadata.annotations).toEqual({ "cert-manager.io/cluster-issuer": "letsencrypt" });
    expect(ing.spec.tls).toEqual([{ hosts: ["agents.platform.seeded.dev"], secretName: "agent-api-tls" }]);
  });

  it("issues the certificate through ACME DNS-01 in the Azure DNS zone with a federated identity (no secret)", () => {
    const issuer = run.inputsOf(run.one("kubernetes:cert-manager.io/v1:ClusterIssuer"));
    expect(issuer.spec.acme.server).toBe("https://acme-v02.api.letsencrypt.org/directory");
    const dns = issuer.spec.acme.solvers[0].dns01.azureDNS;
    expect(dns).toMatchObject({
      hostedZoneName: "platform.seeded.dev",
      resourceGroupName: "rg-dns",
      subscriptionID: SEEDED_OBJECT_ID,
      environment: "AzurePublicCloud",
    });
    const identity = run.one(
      "azure-native:managedidentity:UserAssignedIdentity",
      "cert-manager-identity-identity",
    );
    expect(dns.managedIdentity.clientID).toMatch(/^33333333-/);
    expect(identity).toBeDefined();
    const fic = run.inputsOf(
      run.one(
        "azure-native:managedidentity:FederatedIdentityCredential",
        "cert-manager-identity-fic-cert-manager-cert-manager",
      ),
    );
    expect(fic.subject).toBe("system:serviceaccount:cert-manager:cert-manager");
    const ra = run.inputsOf(
      run.one("azure-native:authorization:RoleAssignment", "cert-manager-identity-role-dns-zone"),
    );
    expect(ra.roleDefinitionId).toMatch(/befefa01-2a29-4197-83a8-272ff33ce314$/);
    expect(ra.scope).toMatch(/\/dnszones\/platform\.seeded\.dev$/);
    // The release waits for the identity's federated credential and role (and the issuer for the release).
    expect(run.one("kubernetes:helm.sh/v3:Release", "cert-manager-release").options.dependsOn).toEqual(
      expect.arrayContaining(["monitoring-platform:azure:WorkloadIdentity::cert-manager-identity"]),
    );
  });
});

describe("prod stack: Key Vault and secrets", () => {
  const vault = () => run.inputsOf(run.one("azure-native:keyvault:Vault"));

  it("uses RBAC, soft delete for 90 days, purge protection and a default-deny firewall", () => {
    expect(vault().properties).toMatchObject({
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: true,
      networkAcls: { defaultAction: "Deny" },
    });
    expect(vault().properties.networkAcls.virtualNetworkRules[0].id).toContain("snet-agents-prod-aks");
  });

  it("carries a random suffix so a rebuild never collides with the soft-deleted vault", () => {
    expect(vault().vaultName).toBe("kv-agents-prod-a1b2c3");
  });

  it("stores generated and configured secrets, all as Pulumi secrets", () => {
    const secrets = run.all("azure-native:keyvault:Secret");
    expect(secrets.map((s) => run.inputsOf(s).secretName).sort()).toEqual(
      expect.arrayContaining(Object.values(VAULT_SECRETS).filter((n) => n !== VAULT_SECRETS.redisAccessKey)),
    );
    for (const s of secrets) {
      expect(JSON.stringify(s.inputs.properties), s.name).toContain("1b47061264138c4ac30d75fd1eb44270");
    }
  });

  it("lets the monitoring identity read exactly its secrets, federated to its service account", () => {
    const reads = run
      .all("azure-native:authorization:RoleAssignment")
      .filter((r) => r.name.startsWith("monitoring-identity-kv-read-"));
    expect(reads.map((r) => r.name.replace("monitoring-identity-kv-read-", "")).sort()).toEqual([
      "grafana-admin-password",
      "grafana-admin-user",
      "grafana-entra-client-secret",
      "heartbeat-url",
      "pagerduty-routing-key",
      "slack-webhook-url-critical",
      "slack-webhook-url-info",
      "slack-webhook-url-warning",
    ]);
    for (const r of reads) {
      expect(run.inputsOf(r).roleDefinitionId).toMatch(new RegExp(`${ROLES.keyVaultSecretsUser}$`));
      expect(run.inputsOf(r).scope).not.toMatch(/Microsoft.KeyVault\/vaults\/[^/]+$/);
    }
    const fic = run.inputsOf(
      run.one(
        "azure-native:managedidentity:FederatedIdentityCredential",
        "monitoring-identity-fic-monitoring-monitoring-secrets",
      ),
    );
    expect(fic.subject).toBe("system:serviceaccount:monitoring:monitoring-secrets");
    expect(fic.audiences).toEqual(["api://AzureADTokenExchange"]);
  });

  // Issue 17, item 7: the exporter never holds the admin password; only the role-setup Job's identity does.
  it("lets the exporters read the pg_monitor role's password, not the admin's, and nobody read the admin's", () => {
    const readsOf = (identity: string) =>
      run
        .all("azure-native:authorization:RoleAssignment")
        .filter((r) => r.name.startsWith(`${identity}-kv-read-`))
        .map((r) => r.name.replace(`${identity}-kv-read-`, ""))
        .sort();
    expect(readsOf("exporters-identity")).toEqual([
      "postgres-monitor-password",
      "redis-exporter-password-map",
    ]);
    // The roles Job logs in with an Entra token (it is an Entra admin of the server); it only sets the monitor password.
    expect(readsOf("pg-roles-identity")).toEqual(["postgres-monitor-password"]);
    expect(readsOf("app-identity")).toEqual([]);
    const adminReaders = run
      .all("azure-native:authorization:RoleAssignment")
      .filter((r) => r.name.endsWith("-kv-read-postgres-admin-password"));
    expect(adminReaders.map((r) => r.name)).toEqual([]);
    const exporter = run.inputsOf(run.one("kubernetes:apps/v1:Deployment", "exporters-postgres"));
    const env = Object.fromEntries(
      (exporter.spec.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [
        e.name,
        e.value,
      ]),
    );
    expect(env.DATA_SOURCE_USER).toBe("metrics_exporter");
    expect(env.DATA_SOURCE_USER).not.toBe("pgadmin");
    const job = run.inputsOf(run.one("kubernetes:batch/v1:Job", "postgres-monitor-role-job"));
    expect(job.spec.template.spec.serviceAccountName).toBe("postgres-roles");
    const fic = run.inputsOf(
      run.one(
        "azure-native:managedidentity:FederatedIdentityCredential",
        "pg-roles-identity-fic-monitoring-postgres-roles",
      ),
    );
    expect(fic.subject).toBe("system:serviceaccount:monitoring:postgres-roles");
    // The exporter waits for the role: it depends on the component, which the Node.js SDK expands to its
    // children (the Job among them; Pulumi awaits a Job's completion).
    expect(run.one("kubernetes:apps/v1:Deployment", "exporters-postgres").options.dependsOn).toEqual(
      expect.arrayContaining(["monitoring-platform:data:PostgresMonitorRole::postgres-monitor-role"]),
    );
    expect(run.one("kubernetes:batch/v1:Job", "postgres-monitor-role-job").parent).toBe(
      "monitoring-platform:data:PostgresMonitorRole::postgres-monitor-role",
    );
  });

  it("protects every stateful resource", () => {
    const stateful = run.resources.filter((r) =>
      [
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Secret",
        "azure-native:operationalinsights:Workspace",
        "azure-native:resources:ResourceGroup",
        "random:index/randomPassword:RandomPassword",
      ].includes(r.type),
    );
    expect(stateful.length).toBeGreaterThan(5);
    for (const r of stateful) expect(r.options.protect, `${r.type} ${r.name}`).toBe(true);
  });

  it("tags every taggable Azure resource with project and stack", () => {
    // Every Azure type the program creates that ARM lets carry tags; a new type must be added here.
    const TAGGABLE = [
      "azure-native:resources:ResourceGroup",
      "azure-native:network:VirtualNetwork",
      "azure-native:network:PrivateEndpoint",
      "azure-native:operationalinsights:Workspace",
      "azure-native:containerservice:ManagedCluster",
      "azure-native:keyvault:Vault",
      "azure-native:keyvault:Secret",
      "azure-native:managedidentity:UserAssignedIdentity",
      "azure-native:dbforpostgresql:Server",
      "azure-native:redisenterprise:RedisEnterprise",
      "azure-native:privatedns:PrivateZone",
      "azure-native:privatedns:VirtualNetworkLink",
      "azure-native:monitor:DataCollectionRule",
    ];
    const taggable = run.resources.filter((r) => TAGGABLE.includes(r.type));
    expect(new Set(taggable.map((r) => r.type))).toEqual(new Set(TAGGABLE));
    for (const r of taggable) {
      expect(run.inputsOf(r).tags, `${r.type} ${r.name}`).toMatchObject({
        project: "monitoring-platform",
        stack: "prod",
      });
    }
  });

  it("exports what operators need, the kubeconfig as a secret", async () => {
    expect(Object.keys(run.outputs)).toEqual(
      expect.arrayContaining(["clusterName", "kubeconfig", "vaultUri", "resourceGroup", "grafanaUrl"]),
    );
    const kubeconfig = run.exports.kubeconfig as pulumi.Output<string>;
    expect(await pulumi.isSecret(kubeconfig)).toBe(true);
  });
});

describe("prod stack: the app holds no Redis key and no Postgres password", () => {
  it("reaches Redis with its workload identity: an access policy assignment, Entra env, no key mounted", () => {
    const assignment = run.inputsOf(run.one("azure-native:redisenterprise:AccessPolicyAssignment"));
    expect(assignment).toMatchObject({
      accessPolicyAssignmentName: "agentapi",
      accessPolicyName: "default",
      databaseName: "default",
    });
    const appIdentity = run
      .all("azure-native:managedidentity:UserAssignedIdentity")
      .find((i) => i.name === "app-identity-identity");
    expect(appIdentity, "the app's identity").toBeDefined();
    const blue = run.inputsOf(run.one("kubernetes:apps/v1:Deployment", "agent-api-deployment-blue"));
    const env = Object.fromEntries(
      blue.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [
        e.name,
        e.value,
      ]),
    );
    expect(env.REDIS_AUTH).toBe("entra");
    expect(env.REDIS_ENTRA_SCOPE).toBe("https://redis.azure.com/.default");
    expect(env.REDIS_USERNAME).toBe(assignment.user.objectId);
    expect(env).not.toHaveProperty("REDIS_PASSWORD_FILE");
    // Postgres too: its own Entra role (created by the roles Job), a token for the Postgres scope.
    expect(env.POSTGRES_AUTH).toBe("entra");
    expect(env.POSTGRES_USER).toBe("id-agents-prod-agent-api");
    expect(env.POSTGRES_ENTRA_SCOPE).toBe("https://ossrdbms-aad.database.windows.net/.default");
    expect(env).not.toHaveProperty("POSTGRES_PASSWORD_FILE");
    // No Key Vault mount at all for the app.
    const spcs = run.all("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").map((r) => r.name);
    expect(spcs).not.toContain("agent-api-secrets");
    // The token endpoint by name, beside the LLM provider.
    const cnp = run.inputsOf(
      run.one("kubernetes:cilium.io/v2:CiliumNetworkPolicy", "agent-api-cnp-fqdn-egress"),
    );
    expect(JSON.stringify(cnp.spec.egress)).toContain("login.microsoftonline.com");
  });

  it("makes the roles Job's identity an Entra administrator of the server, as a service principal", () => {
    const admins = run
      .all("azure-native:dbforpostgresql:AdministratorsMicrosoftEntra")
      .map((r) => run.inputsOf(r));
    expect(admins.map((a) => [a.principalName, a.principalType])).toEqual([
      ["platform-sre", "Group"],
      ["id-agents-prod-pgroles", "ServicePrincipal"],
    ]);
  });
});
