/**
 * `npm run bootstrap:state -- --location <region> --account <storage account> --vault <key vault>
 *     [--resource-group rg-pulumi-state] [--container pulumi-state] [--key pulumi-stacks]
 *     [--assignee <object id>] [--retention-days 30]`
 *
 * Creates (idempotently) the Pulumi state backend and the azurekeyvault secrets provider, with the Azure
 * CLI the README's flow already uses (`az login` first), and prints the `pulumi login` and
 * `--secrets-provider` to use. The steps live in cli/bootstrap/bootstrapState.ts.
 * Command reference: learn.microsoft.com/cli/azure (group, storage account, storage account
 * blob-service-properties, storage container-rm, keyvault, keyvault key, role assignment).
 */
import { execFile } from "child_process";
import { bootstrap, STATE_SKU, type AzureState, type BootstrapArgs } from "./bootstrapState";
import { USAGE } from "./usage";

/** A command-line mistake: printed with the usage, exit code 2. */
class UsageError extends Error {}

class AzError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`az ${args.join(" ")} failed (exit ${code}): ${stderr.trim()}`);
  }
  /** The CLI exits 3 for a missing resource on show commands; older versions only say so in stderr. */
  get notFound(): boolean {
    return (
      this.code === 3 ||
      /ResourceNotFound|NotFound|was not found|could not be found|does not exist/i.test(this.stderr)
    );
  }
}

function az(args: string[]): Promise<string> {
  const bin = process.env.AZ_CLI || "az";
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const code =
          typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : null;
        if ((err as { code?: unknown }).code === "ENOENT") {
          reject(
            new Error(
              `the Azure CLI (${bin}) is not installed: https://learn.microsoft.com/cli/azure/install-azure-cli`,
            ),
          );
        } else reject(new AzError(args, code, stderr));
      } else resolve(stdout.trim());
    });
  });
}

async function maybe<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof AzError && e.notFound) return undefined;
    throw e;
  }
}

const azState: AzureState = {
  groupExists: async (name) => (await az(["group", "exists", "--name", name])) === "true",
  createGroup: async (name, location) => {
    await az(["group", "create", "--name", name, "--location", location, "--output", "none"]);
  },
  showStorageAccount: async (rg, name) => {
    const out = await maybe(
      az([
        "storage",
        "account",
        "show",
        "--resource-group",
        rg,
        "--name",
        name,
        "--query",
        "{id:id,sku:sku.name}",
        "--output",
        "json",
      ]),
    );
    return out ? (JSON.parse(out) as { id: string; sku: string }) : undefined;
  },
  createStorageAccount: async (rg, name, location) =>
    JSON.parse(
      await az([
        "storage",
        "account",
        "create",
        "--resource-group",
        rg,
        "--name",
        name,
        "--location",
        location,
        "--sku",
        STATE_SKU,
        "--kind",
        "StorageV2",
        "--min-tls-version",
        "TLS1_2",
        "--allow-blob-public-access",
        "false",
        "--https-only",
        "true",
        "--query",
        "{id:id,sku:sku.name}",
        "--output",
        "json",
      ]),
    ) as { id: string; sku: string },
  setStorageSku: async (rg, name, sku) => {
    await az([
      "storage",
      "account",
      "update",
      "--resource-group",
      rg,
      "--name",
      name,
      "--sku",
      sku,
      "--output",
      "none",
    ]);
  },
  showBlobService: async (rg, account) => {
    const p = JSON.parse(
      await az([
        "storage",
        "account",
        "blob-service-properties",
        "show",
        "--resource-group",
        rg,
        "--account-name",
        account,
        "--output",
        "json",
      ]),
    ) as {
      isVersioningEnabled?: boolean;
      deleteRetentionPolicy?: { enabled?: boolean; days?: number };
      containerDeleteRetentionPolicy?: { enabled?: boolean; days?: number };
    };
    return {
      versioning: p.isVersioningEnabled === true,
      deleteRetentionDays: p.deleteRetentionPolicy?.enabled ? p.deleteRetentionPolicy.days : undefined,
      containerDeleteRetentionDays: p.containerDeleteRetentionPolicy?.enabled
        ? p.containerDeleteRetentionPolicy.days
        : undefined,
    };
  },
  setBlobService: async (rg, account, days) => {
    await az([
      "storage",
      "account",
      "blob-service-properties",
      "update",
      "--resource-group",
      rg,
      "--account-name",
      account,
      "--enable-versioning",
      "true",
      "--enable-delete-retention",
      "true",
      "--delete-retention-days",
      String(days),
      "--enable-container-delete-retention",
      "true",
      "--container-delete-retention-days",
      String(days),
      "--output",
      "none",
    ]);
  },
  // container-rm goes through ARM (management plane): no data-plane role is needed to create it.
  containerExists: async (rg, account, container) =>
    (await maybe(
      az([
        "storage",
        "container-rm",
        "show",
        "--resource-group",
        rg,
        "--storage-account",
        account,
        "--name",
        container,
        "--query",
        "name",
        "--output",
        "tsv",
      ]),
    )) !== undefined,
  createContainer: async (rg, account, container) => {
    await az([
      "storage",
      "container-rm",
      "create",
      "--resource-group",
      rg,
      "--storage-account",
      account,
      "--name",
      container,
      "--public-access",
      "off",
      "--output",
      "none",
    ]);
  },
  showVault: (name) => maybe(az(["keyvault", "show", "--name", name, "--query", "id", "--output", "tsv"])),
  deletedVaultExists: async (name) =>
    (await maybe(az(["keyvault", "show-deleted", "--name", name, "--query", "id", "--output", "tsv"]))) !==
    undefined,
  recoverVault: (name) => az(["keyvault", "recover", "--name", name, "--query", "id", "--output", "tsv"]),
  createVault: (rg, name, location) =>
    az([
      "keyvault",
      "create",
      "--resource-group",
      rg,
      "--name",
      name,
      "--location",
      location,
      "--enable-rbac-authorization",
      "true",
      "--enable-purge-protection",
      "true",
      "--retention-days",
      "90",
      "--query",
      "id",
      "--output",
      "tsv",
    ]),
  keyExists: async (vault, key) =>
    (await maybe(
      az([
        "keyvault",
        "key",
        "show",
        "--vault-name",
        vault,
        "--name",
        key,
        "--query",
        "key.kid",
        "--output",
        "tsv",
      ]),
    )) !== undefined,
  createKey: async (vault, key) => {
    await az([
      "keyvault",
      "key",
      "create",
      "--vault-name",
      vault,
      "--name",
      key,
      "--kty",
      "RSA",
      "--size",
      "4096",
      "--output",
      "none",
    ]);
  },
  hasRole: async (assignee, role, scope) =>
    Number(
      await az([
        "role",
        "assignment",
        "list",
        "--assignee",
        assignee,
        "--role",
        role,
        "--scope",
        scope,
        "--query",
        "length(@)",
        "--output",
        "tsv",
      ]),
    ) > 0,
  assignRole: async (assignee, role, scope) => {
    await az([
      "role",
      "assignment",
      "create",
      "--assignee",
      assignee,
      "--role",
      role,
      "--scope",
      scope,
      "--output",
      "none",
    ]);
  },
};

async function parseArgs(argv: string[]): Promise<BootstrapArgs> {
  const known = [
    "location",
    "account",
    "vault",
    "resource-group",
    "container",
    "key",
    "assignee",
    "retention-days",
  ];
  const a: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--") || !known.includes(arg.slice(2)))
      throw new UsageError(`unknown argument "${arg}"\n${USAGE}`);
    const v = argv[++i];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value\n${USAGE}`);
    a[arg.slice(2)] = v;
  }
  for (const k of ["location", "account", "vault"])
    if (!a[k]) throw new UsageError(`--${k} is required\n${USAGE}`);
  return {
    location: a.location!,
    account: a.account!,
    vault: a.vault!,
    resourceGroup: a["resource-group"] ?? "rg-pulumi-state",
    container: a.container ?? "pulumi-state",
    key: a.key ?? "pulumi-stacks",
    assignee: a.assignee ?? (await az(["ad", "signed-in-user", "show", "--query", "id", "--output", "tsv"])),
    retentionDays: Number(a["retention-days"] ?? "30"),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const args = await parseArgs(argv);
  console.log(`bootstrapping Pulumi state in ${args.location}:`);
  const lines = await bootstrap(args, azState, (l) => console.log(l));
  for (const l of lines) console.log(l);
}

// Unconditional: under cli/run.cjs `require.main === module` is false (the bluegreen bug).
main().then(
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`bootstrap:state: ${(e as Error).message}`);
      process.exit(2);
    }
    console.error(`bootstrap:state failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
