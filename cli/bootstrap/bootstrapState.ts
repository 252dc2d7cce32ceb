/**
 * The state that survives a disaster: the Pulumi state backend (an Azure Blob container in a geo-redundant
 * storage account with blob versioning and soft delete) and the `azurekeyvault` secrets provider (an RSA
 * key in a vault of its own, outside every stack it serves: losing a stack's resource group must never
 * take the key that decrypts its state with it).
 *
 * Idempotent: `planBootstrap` compares what exists with what should and returns only the missing steps;
 * `bootstrap` runs them through the `AzureState` interface (the az CLI in cli/bootstrap/main.ts, a fake
 * in test/bootstrapState.test.ts).
 */

export interface BootstrapArgs {
  location: string;
  resourceGroup: string;
  account: string;
  container: string;
  vault: string;
  key: string;
  /** Object id of who runs `pulumi` (data-plane roles on the container and the key). */
  assignee: string;
  /** Soft-delete retention of blobs and containers, days (1-365). */
  retentionDays: number;
}

export interface StorageAccountState {
  id: string;
  /** e.g. Standard_GRS (sku.name). */
  sku: string;
}

export interface BlobServiceState {
  versioning: boolean;
  deleteRetentionDays?: number;
  containerDeleteRetentionDays?: number;
}

/** What the bootstrap needs from Azure. Reads return undefined for "does not exist". */
export interface AzureState {
  groupExists(name: string): Promise<boolean>;
  createGroup(name: string, location: string): Promise<void>;
  showStorageAccount(rg: string, name: string): Promise<StorageAccountState | undefined>;
  createStorageAccount(rg: string, name: string, location: string): Promise<StorageAccountState>;
  setStorageSku(rg: string, name: string, sku: string): Promise<void>;
  showBlobService(rg: string, account: string): Promise<BlobServiceState>;
  setBlobService(rg: string, account: string, retentionDays: number): Promise<void>;
  containerExists(rg: string, account: string, container: string): Promise<boolean>;
  createContainer(rg: string, account: string, container: string): Promise<void>;
  /** Vault id, or undefined. */
  showVault(name: string): Promise<string | undefined>;
  deletedVaultExists(name: string): Promise<boolean>;
  recoverVault(name: string): Promise<string>;
  createVault(rg: string, name: string, location: string): Promise<string>;
  keyExists(vault: string, key: string): Promise<boolean>;
  createKey(vault: string, key: string): Promise<void>;
  hasRole(assignee: string, role: string, scope: string): Promise<boolean>;
  assignRole(assignee: string, role: string, scope: string): Promise<void>;
}

/** Geo-redundant: the state must survive the loss of its region (Azure Storage redundancy, GRS). */
export const STATE_SKU = "Standard_GRS";
export const ROLES = {
  /** Read/write blobs: `pulumi login azblob://…` with Azure CLI credentials uses the data plane. */
  blobData: "Storage Blob Data Contributor",
  /** Create the key (once). */
  cryptoOfficer: "Key Vault Crypto Officer",
} as const;

export function loginUrl(a: Pick<BootstrapArgs, "account" | "container">): string {
  // `storage_account` lets the CLI use Azure CLI credentials instead of an account key (pulumi/pulumi#10900).
  return `azblob://${a.container}?storage_account=${a.account}`;
}

export function secretsProviderUrl(a: Pick<BootstrapArgs, "vault" | "key">): string {
  // Format from `pulumi stack change-secrets-provider --help`: azurekeyvault://<vault>.vault.azure.net/keys/<key>
  return `azurekeyvault://${a.vault}.vault.azure.net/keys/${a.key}`;
}

/** Checks names the way Azure does, so a typo fails here and not in the middle of the run. */
export function argProblems(a: BootstrapArgs): string[] {
  const p: string[] = [];
  // Storage account names: 3-24 lowercase letters and digits, globally unique.
  if (!/^[a-z0-9]{3,24}$/.test(a.account))
    p.push(`--account "${a.account}" must be 3-24 lowercase letters and digits`);
  // Containers: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit.
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(a.container)) {
    p.push(`--container "${a.container}" must be 3-63 lowercase letters, digits and single hyphens`);
  }
  if (!/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(a.vault) || a.vault.includes("--")) {
    p.push(`--vault "${a.vault}" must be 3-24 letters, digits and hyphens, starting with a letter`);
  }
  if (!/^[a-zA-Z0-9-]{1,127}$/.test(a.key)) p.push(`--key "${a.key}" must be letters, digits and hyphens`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(a.assignee)) {
    p.push(
      `--assignee "${a.assignee}" must be an Entra object id (az ad signed-in-user show --query id -o tsv)`,
    );
  }
  if (!Number.isInteger(a.retentionDays) || a.retentionDays < 1 || a.retentionDays > 365) {
    p.push(`--retention-days ${a.retentionDays} must be a whole number of days, 1-365`);
  }
  return p;
}

/** Runs every missing step, logging each as "exists" or "created"; returns the lines to print at the end. */
export async function bootstrap(
  a: BootstrapArgs,
  az: AzureState,
  log: (l: string) => void,
): Promise<string[]> {
  const problems = argProblems(a);
  if (problems.length) throw new Error(`invalid arguments:\n${problems.map((x) => `  - ${x}`).join("\n")}`);
  const step = async (what: string, exists: () => Promise<boolean>, create: () => Promise<void>) => {
    if (await exists()) log(`  exists   ${what}`);
    else {
      await create();
      log(`  created  ${what}`);
    }
  };

  await step(
    `resource group ${a.resourceGroup}`,
    () => az.groupExists(a.resourceGroup),
    () => az.createGroup(a.resourceGroup, a.location),
  );

  let account = await az.showStorageAccount(a.resourceGroup, a.account);
  if (!account) {
    account = await az.createStorageAccount(a.resourceGroup, a.account, a.location);
    log(`  created  storage account ${a.account} (${STATE_SKU})`);
  } else if (account.sku !== STATE_SKU) {
    // LRS/ZRS → GRS is an in-place conversion (Azure Storage "change how a storage account is replicated").
    await az.setStorageSku(a.resourceGroup, a.account, STATE_SKU);
    log(`  updated  storage account ${a.account}: ${account.sku} → ${STATE_SKU}`);
  } else log(`  exists   storage account ${a.account} (${account.sku})`);

  const blob = await az.showBlobService(a.resourceGroup, a.account);
  if (
    blob.versioning &&
    blob.deleteRetentionDays === a.retentionDays &&
    blob.containerDeleteRetentionDays === a.retentionDays
  ) {
    log(`  exists   versioning + soft delete (${a.retentionDays} days) on ${a.account}`);
  } else {
    await az.setBlobService(a.resourceGroup, a.account, a.retentionDays);
    log(`  set      versioning + blob/container soft delete (${a.retentionDays} days) on ${a.account}`);
  }

  await step(
    `container ${a.container}`,
    () => az.containerExists(a.resourceGroup, a.account, a.container),
    () => az.createContainer(a.resourceGroup, a.account, a.container),
  );

  let vaultId = await az.showVault(a.vault);
  if (vaultId) log(`  exists   key vault ${a.vault}`);
  else if (await az.deletedVaultExists(a.vault)) {
    // A soft-deleted vault keeps its name reserved; it holds the key every stack's secrets are wrapped with.
    vaultId = await az.recoverVault(a.vault);
    log(`  recovered key vault ${a.vault} (it was soft-deleted)`);
  } else {
    vaultId = await az.createVault(a.resourceGroup, a.vault, a.location);
    log(`  created  key vault ${a.vault} (RBAC, purge protection)`);
  }

  for (const [role, scope] of [
    [ROLES.blobData, account.id],
    [ROLES.cryptoOfficer, vaultId],
  ] as const) {
    await step(
      `role "${role}" for ${a.assignee}`,
      () => az.hasRole(a.assignee, role, scope),
      () => az.assignRole(a.assignee, role, scope),
    );
  }

  // Never a second key version: stacks wrapped their data keys with this key; keep one, created once.
  await step(
    `key ${a.key} in ${a.vault}`,
    () => az.keyExists(a.vault, a.key),
    () => az.createKey(a.vault, a.key),
  );

  return [
    "",
    "State backend and secrets provider are ready. Use them with:",
    `  pulumi login '${loginUrl(a)}'`,
    `  pulumi stack init <stack> --secrets-provider '${secretsProviderUrl(a)}'`,
    `  # an existing stack: pulumi stack change-secrets-provider '${secretsProviderUrl(a)}'`,
  ];
}
