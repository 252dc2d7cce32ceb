import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as authorization from "@pulumi/azure-native/authorization";
import * as insights from "@pulumi/azure-native/monitor";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import type { AksConfig, EgressMode, NetworkConfig } from "./config";
import { outboundType } from "./egressPlan";
import { azureName } from "../naming";
import {
  addonProfiles,
  apiServerAccess,
  CLUSTER_IGNORED,
  controlPlaneDiagnostics,
  maintenanceSchedules,
  networkProfile,
  ROLES,
  SYSTEM_POOL,
  systemPool,
  USER_POOL_IGNORED,
  userPool,
  useAzureCliLogin,
} from "./aksPlan";
import { guardCreateOnly, type CreateOnlyField } from "./existing";
import { kubectlCanIProbe, waitForClusterAdmin } from "./clusterAccess";
import { isRealDeployment } from "../runMode";

export interface AksClusterArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  aks: AksConfig;
  network: NetworkConfig;
  zoneRedundant: boolean;
  nodesSubnetId: pulumi.Input<string>;
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  /** Object id of the identity running `pulumi up`; it needs cluster-admin to manage in-cluster objects. */
  deployerObjectId: pulumi.Input<string>;
  /** Public DNS zones the app-routing add-on keeps the ingress hosts' A records in. */
  dnsZoneIds: string[];
  /** The deploy runner's static egress address (`deploy.runner: selfHosted`): admitted to the API server. */
  runnerEgressIp?: pulumi.Input<string>;
  /** How the nodes reach the internet (`network.egress`): the cluster's outboundType. */
  egress: EgressMode;
  /**
   * The nodes' own egress address (`network.egress: natGateway`): admitted to the API server, which AKS does by
   * itself only for its load balancer's outbound addresses (learn.microsoft.com/azure/aks/
   * api-server-authorized-ip-ranges: with another outbound type the egress IP must be added).
   */
  nodesEgressIp?: pulumi.Input<string>;
  /** Turn on Cilium FQDN policies (Advanced Container Networking security); see aksPlan.networkProfile. */
  fqdnPolicies: boolean;
  /** How the deployer is logged in (resolved from `aks.deployerPrincipalType`, see infra/azure/deployer.ts). */
  deployerPrincipalType: pulumi.Input<"User" | "ServicePrincipal">;
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
  /** Object id of the kubelet identity (pulls images: it gets AcrPull on the registry). */
  public readonly kubeletObjectId: pulumi.Output<string>;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:AksCluster", name, {}, opts);
    const clusterName = azureName("aks", args.stack);
    const checked = this.guardCreateOnly(args, clusterName);
    const { subnetRole, controlPlane } = this.controlPlaneIdentity(name, args);
    const cluster = this.managedCluster(name, args, checked, controlPlane, subnetRole);
    this.userPool(name, args, cluster);
    this.maintenanceWindows(name, args, cluster);
    this.observability(name, args, cluster, clusterName);
    const adminAssignments = this.clusterAdmins(name, args, cluster);
    this.appRoutingDns(name, args, cluster);
    const { kubeconfig, provider } = this.kubernetesProvider(
      name,
      args,
      cluster,
      clusterName,
      adminAssignments,
    );
    this.kubeconfig = kubeconfig;
    this.provider = provider;
    this.clusterName = cluster.name;
    this.clusterId = cluster.id;
    this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
    this.kubeletObjectId = cluster.identityProfile.apply((p) => p?.kubeletidentity?.objectId ?? "");
    this.registerOutputs({ clusterName: this.clusterName, oidcIssuerUrl: this.oidcIssuerUrl });
  }

  /**
   * A change of a setting AKS fixes at creation is refused here, with the way out, before ARM would fail
   * mid-update or (for the ignored inline pool) the change would silently not happen. Resolves to the name.
   */
  private guardCreateOnly(args: AksClusterArgs, clusterName: string): pulumi.Output<string> {
    // A change of a setting AKS fixes at creation is refused here, with the way out, before ARM would
    // fail mid-update or (for the ignored inline pool) the change would silently not happen.
    return pulumi.output(args.resourceGroupName).apply(async (rg) => {
      await guardCreateOnly(
        `AKS cluster ${clusterName}`,
        () =>
          containerservice.getManagedCluster(
            { resourceGroupName: rg, resourceName: clusterName },
            { parent: this },
          ),
        (current) => clusterCreateOnly(current, args),
        this,
      );
      return clusterName;
    });
  }

  private controlPlaneIdentity(name: string, args: AksClusterArgs) {
    // Control-plane identity, user-assigned and granted Network Contributor on the node subnet *before* the
    // cluster exists, as the AKS baseline does (mspnp/aks-baseline cluster-stamp: the identity is created
    // and given the role first). With a system-assigned identity the role can only be granted after
    // creation, and AKS needs it during creation to join the subnet and manage the load balancer
    // (learn.microsoft.com/azure/aks/configure-azure-cni#prerequisites, "use-managed-identity#bring-your-own").
    const controlPlane = new managedidentity.UserAssignedIdentity(
      `${name}-control-plane`,
      {
        resourceName: azureName("id", args.stack, "aks"),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
      },
      { parent: this },
    );
    const subnetRole = new authorization.RoleAssignment(
      `${name}-control-plane-subnet`,
      {
        principalId: controlPlane.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.networkContributor}`,
        scope: args.nodesSubnetId,
      },
      { parent: this },
    );

    return { controlPlane, subnetRole };
  }

  private managedCluster(
    name: string,
    args: AksClusterArgs,
    checked: pulumi.Output<string>,
    controlPlane: managedidentity.UserAssignedIdentity,
    subnetRole: authorization.RoleAssignment,
  ): containerservice.ManagedCluster {
    const system = systemPool(args.aks, args.zoneRedundant);
    const clusterName = azureName("aks", args.stack);
    return new containerservice.ManagedCluster(
      `${name}-cluster`,
      {
        resourceName: checked,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        nodeResourceGroup: `${azureName("rg", args.stack)}-nodes`,
        dnsPrefix: clusterName,
        kubernetesVersion: args.aks.kubernetesVersion,
        sku: { name: "Base", tier: args.aks.tier },
        identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
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
          // Defender for Containers' sensor on the nodes, reporting to our workspace (AKS baseline
          // cluster-stamp.bicep: securityProfile.defender). Its findings and runtime alerts need the Defender
          // for Containers plan on the subscription (docs/security-baseline.md).
          defender: {
            logAnalyticsWorkspaceResourceId: args.logAnalyticsWorkspaceId,
            securityMonitoring: { enabled: true },
          },
        },
        addonProfiles: pulumi.output(args.logAnalyticsWorkspaceId).apply(addonProfiles),
        networkProfile: networkProfile(args.network, args.fqdnPolicies, outboundType(args.egress)),
        agentPoolProfiles: [{ ...system, vnetSubnetID: args.nodesSubnetId }],
        apiServerAccessProfile: apiServerAccess(
          args.aks.apiServer,
          [args.runnerEgressIp, args.nodesEgressIp]
            .filter((ip): ip is pulumi.Input<string> => ip !== undefined)
            .map((ip) => pulumi.interpolate`${ip}/32`),
        ),
        // Managed NGINX ingress (app routing); TLS comes from cert-manager (infra/kubernetes/certManager.ts).
        // With the zones listed, the add-on's external-dns keeps each Ingress host's A record pointing at
        // the ingress IP — also after a rebuild in another region (learn.microsoft.com/azure/aks/
        // app-routing-dns-ssl, "Attach Azure DNS zone"; the add-on needs DNS Zone Contributor, granted below).
        ingressProfile: { webAppRouting: { enabled: true, dnsZoneResourceIds: [...args.dnsZoneIds] } },
        autoUpgradeProfile: {
          upgradeChannel: args.aks.upgradeChannel,
          nodeOSUpgradeChannel: args.aks.nodeOsUpgradeChannel,
        },
        tags: args.tags,
      },
      { parent: this, dependsOn: [subnetRole], ignoreChanges: CLUSTER_IGNORED },
    );
  }

  private userPool(name: string, args: AksClusterArgs, cluster: containerservice.ManagedCluster): void {
    const user = userPool(args.aks, args.zoneRedundant);
    new containerservice.AgentPool(
      `${name}-user-pool`,
      {
        agentPoolName: user.name,
        resourceName: cluster.name,
        resourceGroupName: args.resourceGroupName,
        mode: user.mode,
        vmSize: user.vmSize,
        count: user.count,
        enableAutoScaling: user.enableAutoScaling,
        minCount: user.minCount,
        maxCount: user.maxCount,
        maxPods: user.maxPods,
        availabilityZones: user.availabilityZones,
        orchestratorVersion: user.orchestratorVersion,
        osType: user.osType,
        osSKU: user.osSKU,
        osDiskType: user.osDiskType,
        osDiskSizeGB: user.osDiskSizeGB,
        type: user.type,
        upgradeSettings: user.upgradeSettings,
        vnetSubnetID: args.nodesSubnetId,
      },
      { parent: this, ignoreChanges: USER_POOL_IGNORED },
    );
  }

  private maintenanceWindows(
    name: string,
    args: AksClusterArgs,
    cluster: containerservice.ManagedCluster,
  ): void {
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
  }

  /** Container Insights (data collection rule and association) and the control-plane diagnostic setting. */
  private observability(
    name: string,
    args: AksClusterArgs,
    cluster: containerservice.ManagedCluster,
    clusterName: string,
  ): void {
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

    // Control-plane logs to Log Analytics: who changed what, and what the controllers did, at 3 AM.
    new insights.DiagnosticSetting(
      `${name}-diagnostics`,
      {
        name: "to-log-analytics",
        resourceUri: cluster.id,
        workspaceId: args.logAnalyticsWorkspaceId,
        ...controlPlaneDiagnostics(),
      },
      { parent: this },
    );
  }

  private clusterAdmins(
    name: string,
    args: AksClusterArgs,
    cluster: containerservice.ManagedCluster,
  ): authorization.RoleAssignment[] {
    // Azure RBAC: the deployer and the admin groups get cluster-admin through Azure roles (local
    // accounts are disabled, so there is no other way in).
    const roleId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.aksRbacClusterAdmin}`;
    const admins: {
      key: string;
      principalId: pulumi.Input<string>;
      type: pulumi.Input<"User" | "Group" | "ServicePrincipal">;
    }[] = [
      { key: "deployer", principalId: args.deployerObjectId, type: args.deployerPrincipalType },
      ...args.aks.adminGroupObjectIds.map((id, i) => ({
        key: `admins-${i}`,
        principalId: id,
        type: "Group" as const,
      })),
    ];
    return admins.map(
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
  }

  /** DNS Zone Contributor for the app-routing add-on's identity on each zone it keeps records in. */
  private appRoutingDns(name: string, args: AksClusterArgs, cluster: containerservice.ManagedCluster): void {
    const appRoutingIdentity = cluster.ingressProfile.apply(
      (p) => p?.webAppRouting?.identity?.objectId ?? "",
    );
    args.dnsZoneIds.forEach((zoneId, i) => {
      new authorization.RoleAssignment(
        `${name}-app-routing-dns-${i}`,
        {
          principalId: appRoutingIdentity,
          principalType: "ServicePrincipal",
          roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.dnsZoneContributor}`,
          scope: zoneId,
        },
        { parent: this },
      );
    });
  }

  /** The kubeconfig (kubelogin, Azure CLI) and the one Kubernetes provider every in-cluster resource uses. */
  private kubernetesProvider(
    name: string,
    args: AksClusterArgs,
    cluster: containerservice.ManagedCluster,
    clusterName: string,
    adminAssignments: authorization.RoleAssignment[],
  ) {
    const creds = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: args.resourceGroupName, resourceName: cluster.name },
      { parent: this },
    );
    const kubeconfig = pulumi.secret(
      creds.kubeconfigs.apply((k) => {
        const first = k[0];
        if (!first) throw new pulumi.ResourceError("AKS returned no user kubeconfig", this);
        return useAzureCliLogin(Buffer.from(first.value, "base64").toString("utf8"));
      }),
    );
    // In a real deployment the provider also waits until the role has propagated (bounded, with a clear
    // message); the assignment resources only say that ARM accepted them.
    const adminIds = pulumi.all(adminAssignments.map((a) => a.id));
    const usableKubeconfig = pulumi.all([kubeconfig, adminIds]).apply(async ([kc]) => {
      if (isRealDeployment() && !pulumi.runtime.isDryRun()) {
        await waitForClusterAdmin(kubectlCanIProbe(kc), clusterName);
      }
      return kc;
    });
    const provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: pulumi.secret(usableKubeconfig), enableServerSideApply: true },
      // Every in-cluster resource goes through this provider: it must not run before the deployer holds
      // cluster-admin (Azure RBAC), or the first `pulumi up` fails with 403s.
      { parent: this, dependsOn: adminAssignments },
    );
    return { kubeconfig, provider };
  }
}

/** AKS' outboundType in `network.egress` terms (another outbound type is shown as AKS names it). */
function egressOf(outbound: string | undefined): string | undefined {
  if (outbound === undefined) return undefined;
  return outbound === "userAssignedNATGateway" ? "natGateway" : outbound;
}

/** The create-only settings of the cluster: live values (from ARM) next to what config asks for. */
export function clusterCreateOnly(
  current: containerservice.GetManagedClusterResult,
  args: Pick<AksClusterArgs, "aks" | "network" | "stack" | "egress">,
): CreateOnlyField[] {
  const np = current.networkProfile;
  const sys = current.agentPoolProfiles?.find((p) => p.name === SYSTEM_POOL);
  const system = systemPool(args.aks, false);
  const recreate = "create a new stack (DR rebuild, docs/runbooks/disaster-recovery.md) and migrate";
  return [
    { key: "network.podCidr", current: np?.podCidr, desired: args.network.podCidr, how: recreate },
    {
      key: "network.serviceCidr",
      current: np?.serviceCidr,
      desired: args.network.serviceCidr,
      how: recreate,
    },
    {
      key: "network.dnsServiceIp",
      current: np?.dnsServiceIP,
      desired: args.network.dnsServiceIp,
      how: recreate,
    },
    {
      // The SDK's ContainerServiceNetworkProfile: outboundType "can only be set at cluster create time".
      // Compared in network.egress' own terms (userAssignedNATGateway is natGateway).
      key: "network.egress",
      current: egressOf(np?.outboundType),
      desired: args.egress,
      how: `${recreate}, or set network.egress back to keep this cluster`,
    },
    {
      key: "aks.apiServer.private",
      current: current.apiServerAccessProfile?.enablePrivateCluster ?? false,
      desired: args.aks.apiServer.private,
      how: recreate,
    },
    {
      key: "aks.systemPool.vmSize",
      current: sys?.vmSize,
      desired: args.aks.systemPool.vmSize,
      how:
        "add a second System pool with the new size (az aks nodepool add --mode System), move the system pods, " +
        "delete the old pool, then set the config to match",
    },
    {
      // The inline pool list is ignored after creation (CLUSTER_IGNORED), so a system pool created on a managed
      // OS disk would silently stay on one: refused here with the way to an ephemeral one.
      key: "the system pool's osDiskType",
      derived: "the AKS plan (ephemeral OS disks on every pool, infra/azure/aksPlan.ts)",
      current: sys?.osDiskType,
      desired: system.osDiskType,
      how:
        `add a System pool on ephemeral disks (az aks nodepool add -g ${azureName("rg", args.stack)} --cluster-name ` +
        `${azureName("aks", args.stack)} -n system2 --mode System --node-vm-size ${args.aks.systemPool.vmSize} ` +
        `--node-osdisk-type Ephemeral --node-osdisk-size ${system.osDiskSizeGB} --node-taints CriticalAddonsOnly=true:NoSchedule), ` +
        `let the system pods move, delete the old pool (az aks nodepool delete ... -n ${SYSTEM_POOL}), then run pulumi up again`,
    },
    {
      key: "aks.systemPool.count",
      current: sys?.count,
      desired: args.aks.systemPool.count,
      how: `scale it: az aks nodepool scale -g ${azureName("rg", args.stack)} --cluster-name ${azureName("aks", args.stack)} -n ${SYSTEM_POOL} -c <count>, then set the config to match`,
    },
  ];
}
