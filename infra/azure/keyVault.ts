import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as random from "@pulumi/random";
import { keyVaultName } from "../naming";
import { KEY_VAULT_RECOVER_FIELDS } from "../recovery";

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
 * one stays recoverable (`az keyvault recover`) until retention ends. Secrets are written through the
 * management plane (ARM), which the vault firewall does not block.
 */
export class KeyVault extends pulumi.ComponentResource {
  public readonly vaultId: pulumi.Output<string>;
  public readonly vaultName: pulumi.Output<string>;
  public readonly vaultUri: pulumi.Output<string>;
  private readonly protect: boolean;
  private readonly resourceGroupName: pulumi.Input<string>;
  private readonly parentName: string;
  private readonly tags: Record<string, string>;

  constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:azure:KeyVault", name, {}, opts);
    this.protect = args.protect;
    this.resourceGroupName = args.resourceGroupName;
    this.parentName = name;
    this.tags = args.tags;
    // Recovering a soft-deleted vault needs its old name; otherwise a fresh random suffix (see above).
    const vaultName = args.recover
      ? pulumi.output(args.recover.vaultName)
      : new random.RandomString(
          `${name}-suffix`,
          { length: 6, special: false, upper: false, numeric: true },
          { parent: this, protect: args.protect },
        ).result.apply((s) => keyVaultName(args.stack, s));
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
          enableSoftDelete: true,
          softDeleteRetentionInDays: args.softDeleteRetentionDays,
          // ARM rejects enablePurgeProtection=false; leaving it unset is how "off" is expressed.
          enablePurgeProtection: args.purgeProtection ? true : undefined,
          networkAcls: {
            defaultAction: "Deny",
            bypass: "AzureServices",
            virtualNetworkRules: [{ id: args.allowedSubnetId }],
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
      { parent: this, protect: this.protect },
    );
  }
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
