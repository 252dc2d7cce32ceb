import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as authorization from "@pulumi/azure-native/authorization";
import * as monitor from "@pulumi/azure-native/monitor";
import * as random from "@pulumi/random";
import { azureName, keyVaultName } from "../naming";
import { KEY_VAULT_RECOVER_FIELDS } from "../recovery";
import { ROLES } from "./aksPlan";
import { guardCreateOnly, type CreateOnlyField } from "./existing";
import { privateEndpoint } from "./privateDns";

export interface KeyVaultArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  tenantId: pulumi.Input<string>;
  /** Days a deleted vault/secret stays recoverable (7-90). */
  softDeleteRetentionDays: number;
  /** Once on, nobody (not even an owner) can purge the vault before retention ends. */
  purgeProtection: boolean;
  /** Subnet admitted through the firewall (the AKS nodes, where the CSI driver runs). */
  allowedSubnetId: pulumi.Input<string>;
  /** Public ranges of deploy runners outside the VNet (data-plane access for secret writes and deletes). */
  deployerIpRanges: readonly string[];
  /** The private endpoint goes here, with the `privatelink.vaultcore.azure.net` zone linked to `vnetId`. */
  endpointsSubnetId: pulumi.Input<string>;
  vnetId: pulumi.Input<string>;
  /** AuditEvent logs (every secret read, write, delete) go here. */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  /** The identity running `pulumi up` and how it is logged in: it gets "Key Vault Secrets Officer". */
  deployerObjectId: pulumi.Input<string>;
  deployerPrincipalType: pulumi.Input<"User" | "ServicePrincipal">;
  subscriptionId: pulumi.Input<string>;
  protect: boolean;
  tags: Record<string, string>;
  /** Disaster recovery: undelete this soft-deleted vault (same name, same region) instead of a new one. */
  recover?: { vaultName: string };
}

/**
 * The Key Vault: RBAC authorisation, soft delete, purge protection (prod), firewall default Deny.
 *
 * Soft-deleted vault names stay reserved for the retention period (and with purge protection cannot be
 * purged early). A disaster-recovery rebuild from empty state would therefore collide with the old name,
 * so the name carries a random suffix held in state: a rebuild gets a new suffix and a new vault; the old
 * one stays recoverable (`az keyvault recover`) until retention ends.
 *
 * Data plane: azure-native creates secrets through ARM but reads and deletes them through the vault's data
 * plane (a renamed or removed secret, or `pulumi destroy` on dev, is a data-plane DELETE). So the deployer
 * gets "Key Vault Secrets Officer" on the vault, every secret waits for that assignment (and is deleted
 * before it), and the deployer has a network path: the private endpoint from inside the VNet (as Microsoft's
 * AKS baseline does, mspnp/aks-baseline), or an IP rule from `keyVault.deployerIpRanges`.
 */
export class KeyVault extends pulumi.ComponentResource {
  public readonly vaultId: pulumi.Output<string>;
  public readonly vaultName: pulumi.Output<string>;
  public readonly vaultUri: pulumi.Output<string>;
  private readonly protect: boolean;
  private readonly resourceGroupName: pulumi.Input<string>;
  private readonly parentName: string;
  private readonly tags: Record<string, string>;
  /** Secrets wait for the deployer's data-plane role (and are deleted before it is). */
  private readonly dataPlaneAccess: pulumi.Resource[];

  constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:KeyVault", name, {}, opts);
    this.protect = args.protect;
    this.resourceGroupName = args.resourceGroupName;
    this.parentName = name;
    this.tags = args.tags;
    // Recovering a soft-deleted vault needs its old name; otherwise a fresh random suffix (see above).
    const baseName = args.recover
      ? pulumi.output(args.recover.vaultName)
      : new random.RandomString(
          `${name}-suffix`,
          { length: 6, special: false, upper: false, numeric: true },
          { parent: this, protect: args.protect },
        ).result.apply((s) => keyVaultName(args.stack, s));
    // Azure fixes the soft-delete retention at creation, and purge protection cannot be turned off once on
    // (learn.microsoft.com/azure/key-vault/general/soft-delete-overview): refuse such a change clearly.
    const vaultName = pulumi.all([baseName, args.resourceGroupName]).apply(async ([name, rg]) => {
      await guardCreateOnly(
        `Key Vault ${name}`,
        () => keyvault.getVault({ resourceGroupName: rg, vaultName: name }, { parent: this }),
        (current) => vaultCreateOnly(current, args),
        this,
      );
      return name;
    });
    const vault = new keyvault.Vault(
      `${name}-vault`,
      {
        vaultName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        properties: {
          tenantId: args.tenantId,
          sku: { family: "A", name: "standard" },
          enableRbacAuthorization: true,
          // RBAC only. ARM requires the property; an empty list is how "no access policies" is said.
          accessPolicies: [],
          enableSoftDelete: true,
          softDeleteRetentionInDays: args.softDeleteRetentionDays,
          // ARM rejects enablePurgeProtection=false; leaving it unset is how "off" is expressed.
          enablePurgeProtection: args.purgeProtection ? true : undefined,
          networkAcls: {
            defaultAction: "Deny",
            bypass: "AzureServices",
            virtualNetworkRules: [{ id: args.allowedSubnetId }],
            ipRules: args.deployerIpRanges.map((value) => ({ value })),
          },
          // "recover" undeletes the soft-deleted vault of this name; ARM fails it when there is none
          // (and "default" fails while one exists), so this is only set when config asks for it.
          ...(args.recover ? { createMode: "recover" as const } : {}),
        },
        tags: args.tags,
      },
      // Losing the vault loses every generated credential; soft delete is the second line of defence.
      // A recovered vault ignores later changes of its create mode: it only acts at creation.
      {
        parent: this,
        protect: args.protect,
        ...(args.recover ? { ignoreChanges: [...KEY_VAULT_RECOVER_FIELDS] } : {}),
      },
    );

    const { zoneGroup } = privateEndpoint(
      name,
      {
        endpointName: azureName("pe", args.stack, "kv"),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        subnetId: args.endpointsSubnetId,
        targetId: vault.id,
        groupId: "vault",
        zoneName: "privatelink.vaultcore.azure.net",
        linkName: `${azureName("kv", args.stack)}-vnet`,
        vnetId: args.vnetId,
        tags: args.tags,
      },
      this,
    );

    const officer = new authorization.RoleAssignment(
      `${name}-deployer-secrets-officer`,
      {
        principalId: args.deployerObjectId,
        principalType: args.deployerPrincipalType,
        roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.keyVaultSecretsOfficer}`,
        scope: vault.id,
      },
      { parent: this },
    );
    this.dataPlaneAccess = [officer, zoneGroup];

    // Who read, wrote or deleted which secret, and from where.
    new monitor.DiagnosticSetting(
      `${name}-diagnostics`,
      {
        name: "to-log-analytics",
        resourceUri: vault.id,
        workspaceId: args.logAnalyticsWorkspaceId,
        logs: [{ category: "AuditEvent", enabled: true }],
        metrics: [{ category: "AllMetrics", enabled: true }],
      },
      { parent: this },
    );
    this.vaultId = vault.id;
    this.vaultName = vault.name;
    this.vaultUri = vault.properties.apply((p) => p.vaultUri ?? "");
    this.registerOutputs({ vaultUri: this.vaultUri });
  }

  /** Stores a secret value (kept secret end to end) and returns the secret resource. */
  addSecret(secretName: string, value: pulumi.Input<string>, contentType: string): keyvault.Secret {
    return new keyvault.Secret(
      `${this.parentName}-secret-${secretName}`,
      {
        resourceGroupName: this.resourceGroupName,
        vaultName: this.vaultName,
        secretName,
        properties: { value: pulumi.secret(value), contentType },
        tags: this.tags,
      },
      { parent: this, protect: this.protect, dependsOn: this.dataPlaneAccess },
    );
  }
}

/** The vault's create-only settings: live values (from ARM) next to what config asks for. */
export function vaultCreateOnly(
  current: keyvault.GetVaultResult,
  args: Pick<KeyVaultArgs, "softDeleteRetentionDays" | "purgeProtection">,
): CreateOnlyField[] {
  const fields: CreateOnlyField[] = [
    {
      key: "keyVault.softDeleteRetentionDays",
      current: current.properties.softDeleteRetentionInDays,
      desired: args.softDeleteRetentionDays,
      how: "",
    },
  ];
  if (current.properties.enablePurgeProtection === true) {
    fields.push({ key: "keyVault.purgeProtection", current: true, desired: args.purgeProtection, how: "" });
  }
  return fields;
}

/**
 * A generated password held in state (as a secret) and protected like the data it guards: regenerating it
 * would lock every client out until the new value is synced.
 */
export function generatedPassword(
  name: string,
  protect: boolean,
  parent?: pulumi.Resource,
): random.RandomPassword {
  return new random.RandomPassword(
    name,
    // Restricted specials: the value ends up in connection strings and env files.
    { length: 32, special: true, overrideSpecial: "-_.~", minLower: 2, minUpper: 2, minNumeric: 2 },
    { parent, protect },
  );
}
