// bootstrap:state: the idempotent creation of the state backend and the secrets provider. The logic runs
// against an in-memory Azure; the command runs through `npm run -s bootstrap:state` against a stand-in
// `az` (AZ_CLI) that keeps its state in a JSON file and records every command line, so the exact az
// commands and flags are checked too. No cloud is reached.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import {
  bootstrap,
  loginUrl,
  secretsProviderUrl,
  STATE_SKU,
  type AzureState,
  type BootstrapArgs,
} from "../cli/bootstrap/bootstrapState";
import { npmRun } from "./cli";

const ARGS: BootstrapArgs = {
  location: "westeurope",
  resourceGroup: "rg-pulumi-state",
  account: "stagentsstate01",
  container: "pulumi-state",
  vault: "kv-agents-state01",
  key: "pulumi-stacks",
  assignee: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
  retentionDays: 30,
};

interface World {
  groups: Set<string>;
  accounts: Map<string, { id: string; sku: string }>;
  blob: Map<
    string,
    { versioning: boolean; deleteRetentionDays?: number; containerDeleteRetentionDays?: number }
  >;
  containers: Set<string>;
  vaults: Map<string, string>;
  deletedVaults: Set<string>;
  keys: Set<string>;
  roles: Set<string>;
  writes: string[];
}

function world(): World {
  return {
    groups: new Set(),
    accounts: new Map(),
    blob: new Map(),
    containers: new Set(),
    vaults: new Map(),
    deletedVaults: new Set(),
    keys: new Set(),
    roles: new Set(),
    writes: [],
  };
}

function memoryAzure(w: World): AzureState {
  const write = (s: string) => w.writes.push(s);
  return {
    groupExists: async (n) => w.groups.has(n),
    createGroup: async (n) => void (write(`group ${n}`), w.groups.add(n)),
    showStorageAccount: async (_rg, n) => w.accounts.get(n),
    createStorageAccount: async (rg, n) => {
      write(`account ${n}`);
      const a = {
        id: `/subscriptions/s/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${n}`,
        sku: STATE_SKU,
      };
      w.accounts.set(n, a);
      return a;
    },
    setStorageSku: async (_rg, n, sku) => void (write(`sku ${n} ${sku}`), (w.accounts.get(n)!.sku = sku)),
    showBlobService: async (_rg, a) => w.blob.get(a) ?? { versioning: false },
    setBlobService: async (_rg, a, d) =>
      void (
        write(`blob ${a}`),
        w.blob.set(a, { versioning: true, deleteRetentionDays: d, containerDeleteRetentionDays: d })
      ),
    containerExists: async (_rg, a, c) => w.containers.has(`${a}/${c}`),
    createContainer: async (_rg, a, c) => void (write(`container ${c}`), w.containers.add(`${a}/${c}`)),
    showVault: async (n) => w.vaults.get(n),
    deletedVaultExists: async (n) => w.deletedVaults.has(n),
    recoverVault: async (n) => {
      write(`recover ${n}`);
      w.deletedVaults.delete(n);
      w.vaults.set(n, `/vaults/${n}`);
      return `/vaults/${n}`;
    },
    createVault: async (_rg, n) => {
      write(`vault ${n}`);
      w.vaults.set(n, `/vaults/${n}`);
      return `/vaults/${n}`;
    },
    keyExists: async (v, k) => w.keys.has(`${v}/${k}`),
    createKey: async (v, k) => void (write(`key ${k}`), w.keys.add(`${v}/${k}`)),
    hasRole: async (a, r, s) => w.roles.has(`${a}|${r}|${s}`),
    assignRole: async (a, r, s) => void (write(`role ${r}`), w.roles.add(`${a}|${r}|${s}`)),
  };
}

describe("bootstrap:state logic", () => {
  it("creates everything on an empty subscription, then nothing on the second run", async () => {
    const w = world();
    const lines = await bootstrap(ARGS, memoryAzure(w), () => undefined);
    expect(w.writes).toEqual([
      "group rg-pulumi-state",
      "account stagentsstate01",
      "blob stagentsstate01",
      "container pulumi-state",
      "vault kv-agents-state01",
      "role Storage Blob Data Contributor",
      "role Key Vault Crypto Officer",
      "key pulumi-stacks",
    ]);
    expect(lines.join("\n")).toContain(
      "pulumi login 'azblob://pulumi-state?storage_account=stagentsstate01'",
    );
    expect(lines.join("\n")).toContain(
      "--secrets-provider 'azurekeyvault://kv-agents-state01.vault.azure.net/keys/pulumi-stacks'",
    );
    w.writes.length = 0;
    const log: string[] = [];
    await bootstrap(ARGS, memoryAzure(w), (l) => log.push(l));
    expect(w.writes).toEqual([]);
    expect(log.every((l) => l.startsWith("  exists"))).toBe(true);
  });

  it("recovers a soft-deleted vault instead of failing on its reserved name, and never adds a key version", async () => {
    const w = world();
    w.deletedVaults.add(ARGS.vault);
    await bootstrap(ARGS, memoryAzure(w), () => undefined);
    expect(w.writes).toContain(`recover ${ARGS.vault}`);
    expect(w.writes).not.toContain(`vault ${ARGS.vault}`);
    w.writes.length = 0;
    await bootstrap(ARGS, memoryAzure(w), () => undefined);
    expect(w.writes.filter((x) => x.startsWith("key"))).toEqual([]);
  });

  it("makes an existing locally-redundant account geo-redundant and turns on versioning and soft delete", async () => {
    const w = world();
    w.groups.add(ARGS.resourceGroup);
    w.accounts.set(ARGS.account, { id: "/acct", sku: "Standard_LRS" });
    w.blob.set(ARGS.account, { versioning: true, deleteRetentionDays: 7 });
    await bootstrap(ARGS, memoryAzure(w), () => undefined);
    expect(w.writes.slice(0, 2)).toEqual([`sku ${ARGS.account} Standard_GRS`, `blob ${ARGS.account}`]);
  });

  it("refuses names Azure would refuse, before any call", async () => {
    const w = world();
    await expect(
      bootstrap(
        { ...ARGS, account: "St-Agents", vault: "1kv", assignee: "me" },
        memoryAzure(w),
        () => undefined,
      ),
    ).rejects.toThrow(
      /--account "St-Agents" must be 3-24 lowercase[\s\S]*--vault "1kv"[\s\S]*--assignee "me" must be an Entra object id/,
    );
    expect(w.writes).toEqual([]);
  });

  it("prints URLs in the formats Pulumi documents", () => {
    expect(loginUrl(ARGS)).toBe("azblob://pulumi-state?storage_account=stagentsstate01");
    expect(secretsProviderUrl(ARGS)).toBe(
      "azurekeyvault://kv-agents-state01.vault.azure.net/keys/pulumi-stacks",
    );
  });
});

// ------------------------------------------------------------------ the command, with a stand-in az --

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dr-bootstrap-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * A stand-in for the Azure CLI: answers the commands bootstrap:state uses from a JSON state file, exits 3
 * with "ResourceNotFound" for missing resources (as `az … show` does), and logs every command line.
 */
const FAKE_AZ = `#!/usr/bin/env node
const fs = require("fs");
const file = process.env.FAKE_AZ_STATE;
const s = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
const argv = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_AZ_LOG, argv.join(" ") + "\\n");
const arg = (n) => argv[argv.indexOf(n) + 1];
const cmd = argv.filter((a) => !a.startsWith("--")).slice(0, 4).join(" ");
const save = () => fs.writeFileSync(file, JSON.stringify(s));
const missing = () => { process.stderr.write("(ResourceNotFound) not found"); process.exit(3); };
const has = (k) => Boolean(s[k]);
const put = (k, v) => { s[k] = v; save(); };
if (argv[0] === "ad") { console.log("0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"); }
else if (cmd.startsWith("group exists")) console.log(has("group:" + arg("--name")) ? "true" : "false");
else if (cmd.startsWith("group create")) put("group:" + arg("--name"), 1);
else if (cmd.startsWith("storage account show")) { if (!has("acct")) missing(); console.log(JSON.stringify(s.acct)); }
else if (cmd.startsWith("storage account create")) { put("acct", { id: "/acct/" + arg("--name"), sku: arg("--sku") }); console.log(JSON.stringify(s.acct)); }
else if (cmd.startsWith("storage account blob-service-properties show")) console.log(JSON.stringify(s.blob || {}));
else if (cmd.startsWith("storage account blob-service-properties update")) put("blob", { isVersioningEnabled: arg("--enable-versioning") === "true", deleteRetentionPolicy: { enabled: true, days: Number(arg("--delete-retention-days")) }, containerDeleteRetentionPolicy: { enabled: true, days: Number(arg("--container-delete-retention-days")) } });
else if (cmd.startsWith("storage container-rm show")) { if (!has("container")) missing(); console.log(arg("--name")); }
else if (cmd.startsWith("storage container-rm create")) put("container", arg("--name"));
else if (cmd.startsWith("keyvault show-deleted")) missing();
else if (cmd.startsWith("keyvault show")) { if (!has("vault")) missing(); console.log(s.vault); }
else if (cmd.startsWith("keyvault create")) { put("vault", "/vaults/" + arg("--name")); console.log(s.vault); }
else if (cmd.startsWith("keyvault key show")) { if (!has("key")) missing(); console.log("kid"); }
else if (cmd.startsWith("keyvault key create")) put("key", arg("--name"));
else if (cmd.startsWith("role assignment list")) console.log(has("role:" + arg("--role")) ? "1" : "0");
else if (cmd.startsWith("role assignment create")) put("role:" + arg("--role"), 1);
else { process.stderr.write("fake az: unknown command " + argv.join(" ")); process.exit(2); }
`;

describe("npm run bootstrap:state (with a stand-in az)", () => {
  const azPath = path.join(tmp, "az");
  fs.writeFileSync(azPath, FAKE_AZ, { mode: 0o755 });
  const env = {
    ...process.env,
    AZ_CLI: azPath,
    FAKE_AZ_STATE: path.join(tmp, "state.json"),
    FAKE_AZ_LOG: path.join(tmp, "az.log"),
  };
  const args = ["--location", "westeurope", "--account", "stagentsstate01", "--vault", "kv-agents-state01"];

  it("creates with the documented az commands, prints the login and secrets provider, and is idempotent", async () => {
    const first = await npmRun("bootstrap:state", args, { env, timeoutMs: 180_000 });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("pulumi login 'azblob://pulumi-state?storage_account=stagentsstate01'");
    expect(first.stdout).toContain("azurekeyvault://kv-agents-state01.vault.azure.net/keys/pulumi-stacks");
    const log = fs.readFileSync(env.FAKE_AZ_LOG, "utf8");
    expect(log).toContain(
      "storage account create --resource-group rg-pulumi-state --name stagentsstate01 --location westeurope --sku Standard_GRS",
    );
    expect(log).toMatch(
      /blob-service-properties update .*--enable-versioning true --enable-delete-retention true --delete-retention-days 30 --enable-container-delete-retention true --container-delete-retention-days 30/,
    );
    expect(log).toMatch(/keyvault create .*--enable-rbac-authorization true --enable-purge-protection true/);
    expect(log).toMatch(/keyvault key create --vault-name kv-agents-state01 --name pulumi-stacks --kty RSA/);

    fs.writeFileSync(env.FAKE_AZ_LOG, "");
    const second = await npmRun("bootstrap:state", args, { env, timeoutMs: 180_000 });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/created/);
    expect(fs.readFileSync(env.FAKE_AZ_LOG, "utf8")).not.toMatch(/ create /);
  });

  it("fails with usage when a required flag is missing", async () => {
    const r = await npmRun("bootstrap:state", ["--location", "westeurope"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--account is required/);
  });
});
