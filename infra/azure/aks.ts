import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as authorization from "@pulumi/azure-native/authorization";
import * as insights from "@pulumi/azure-native/monitor";
import * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config";
import { azureName } from "../naming";
import {
  addonProfiles,
  apiServerAccess,
  ignoredChanges,
  maintenanceSchedules,
  networkProfile,
  nodePools,
  ROLES,
  useAzureCliLogin,
} from "./aksPlan";

export interface AksClusterArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  aks: StackConfig["aks"];
  network: StackConfig["network"];
  zoneRedundant: boolean;
  nodesSubnetId: pulumi.Input<string>;
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  /** Object id of the identity running `pulumi up`; it needs cluster-admin to manage in-cluster objects. */
  deployerObjectId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/**
 * AKS following Microsoft's AKS baseline: Entra ID + Azure RBAC with local accounts disabled, OIDC issuer
 * and workload identity, Key Vault secrets provider, Azure Policy, CNI overlay + Cilium network policy,
 * system/user pools across zones, auto-upgrade inside a maintenance window, restricted API server.
 * Exposes the one Kubernetes provider every in-cluster resource uses.
 */
export class AksCluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly clusterId: pulumi.Output<string>;
  public readonly oidcIssuerUrl: pulumi.Output<string>;
  /** Secret: kubeconfig using `kubelogin --login azurecli`. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  /** Object id of the app-routing add-on's identity (it reads ingress TLS certificates from Key Vault). */
  public readonly appRoutingPrincipalId: pulumi.Output<string>;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:AksCluster", name, {}, opts);
    const clusterName = azureName("aks", args.stack);
    const pools = nodePools(args.aks, args.zoneRedundant);

    const cluster = new containerservice.ManagedCluster(
      `${name}-cluster`,
      {
        resourceName: clusterName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        nodeResourceGroup: `${azureName("rg", args.stack)}-nodes`,
        dnsPrefix: clusterName,
        kubernetesVersion: args.aks.kubernetesVersion,
        sku: { name: "Base", tier: args.aks.tier },
        identity: { type: "SystemAssigned" },
        aadProfile: {
          managed: true,
          enableAzureRBAC: true,
          tenantID: args.tenantId,
          adminGroupObjectIDs: [...args.aks.adminGroupObjectIds],
        },
        disableLocalAccounts: true,
        enableRBAC: true,
        oidcIssuerProfile: { enabled: true },
        securityProfile: {
          workloadIdentity: { enabled: true },
          imageCleaner: { enabled: true, intervalHours: 48 },
        },
        addonProfiles: pulumi.output(args.logAnalyticsWorkspaceId).apply(addonProfiles),
        networkProfile: networkProfile(args.network),
        agentPoolProfiles: pools.map((p) => ({ ...p, vnetSubnetID: args.nodesSubnetId })),
        apiServerAccessProfile: apiServerAccess(args.aks.apiServer),
        // Managed NGINX ingress (app routing); it reads TLS certificates from Key Vault.
        ingressProfile: { webAppRouting: { enabled: true } },
        autoUpgradeProfile: {
          upgradeChannel: args.aks.upgradeChannel,
          nodeOSUpgradeChannel: args.aks.nodeOsUpgradeChannel,
        },
        tags: args.tags,
      },
      { parent: this, ignoreChanges: ignoredChanges(pools) },
    );

    for (const m of maintenanceSchedules(args.aks.maintenanceWindow)) {
      new containerservice.MaintenanceConfiguration(
        `${name}-${m.configName}`,
        {
          resourceGroupName: args.resourceGroupName,
          resourceName: cluster.name,
          configName: m.configName,
          maintenanceWindow: m.maintenanceWindow,
        },
        { parent: this },
      );
    }

    // Container Insights with managed-identity auth (`useAADAuth`) collects only through a data collection
    // rule associated with the cluster; without it the agent runs and sends nothing.
    const dcr = new insights.DataCollectionRule(
      `${name}-container-insights`,
      {
        dataCollectionRuleName: `MSCI-${clusterName}`,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        kind: "Linux",
        dataSources: {
          extensions: [
            {
              name: "ContainerInsightsExtension",
              extensionName: "ContainerInsights",
              streams: ["Microsoft-ContainerInsights-Group-Default"],
              extensionSettings: {
                dataCollectionSettings: {
                  interval: "1m",
                  namespaceFilteringMode: "Off",
                  enableContainerLogV2: true,
                },
              },
            },
          ],
        },
        destinations: {
          logAnalytics: [{ name: "workspace", workspaceResourceId: args.logAnalyticsWorkspaceId }],
        },
        dataFlows: [{ streams: ["Microsoft-ContainerInsights-Group-Default"], destinations: ["workspace"] }],
        tags: args.tags,
      },
      { parent: this },
    );
    new insights.DataCollectionRuleAssociation(
      `${name}-container-insights`,
      {
        associationName: "ContainerInsightsExtension",
        resourceUri: cluster.id,
        dataCollectionRuleId: dcr.id,
      },
      { parent: this },
    );

    // Control-plane logs (API server audit, autoscaler) to Log Analytics: who changed what, at 3 AM.
    new insights.DiagnosticSetting(
      `${name}-diagnostics`,
      {
        name: "to-log-analytics",
        resourceUri: cluster.id,
        workspaceId: args.logAnalyticsWorkspaceId,
        logs: ["kube-audit-admin", "kube-apiserver", "cluster-autoscaler", "guard"].map((category) => ({
          category,
          enabled: true,
        })),
      },
      { parent: this },
    );

    // Azure RBAC: the deployer and the admin groups get cluster-admin through Azure roles (local
    // accounts are disabled, so there is no other way in).
    const roleId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.aksRbacClusterAdmin}`;
    const admins: {
      key: string;
      principalId: pulumi.Input<string>;
      type: "User" | "Group" | "ServicePrincipal";
    }[] = [
      { key: "deployer", principalId: args.deployerObjectId, type: args.aks.deployerPrincipalType },
      ...args.aks.adminGroupObjectIds.map((id, i) => ({
        key: `admins-${i}`,
        principalId: id,
        type: "Group" as const,
      })),
    ];
    const adminAssignments = admins.map(
      (a) =>
        new authorization.RoleAssignment(
          `${name}-rbac-${a.key}`,
          {
            principalId: a.principalId,
            principalType: a.type,
            roleDefinitionId: roleId,
            scope: cluster.id,
          },
          { parent: this },
        ),
    );

    const creds = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: args.resourceGroupName, resourceName: cluster.name },
      { parent: this },
    );
    this.kubeconfig = pulumi.secret(
      creds.kubeconfigs.apply((k) => {
        const first = k[0];
        if (!first) throw new pulumi.ResourceError("AKS returned no user kubeconfig", this);
        return useAzureCliLogin(Buffer.from(first.value, "base64").toString("utf8"));
      }),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      // Every in-cluster resource goes through this provider: it must not run before the deployer holds
      // cluster-admin (Azure RBAC), or the first `pulumi up` fails with 403s.
      { parent: this, dependsOn: adminAssignments },
    );
    this.clusterName = cluster.name;
    this.clusterId = cluster.id;
    this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
    this.appRoutingPrincipalId = cluster.ingressProfile.apply(
      (p) => p?.webAppRouting?.identity.objectId ?? "",
    );
    this.registerOutputs({ clusterName: this.clusterName, oidcIssuerUrl: this.oidcIssuerUrl });
  }
}
