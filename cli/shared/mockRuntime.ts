/**
 * Evaluates the real Pulumi program (infra/index.ts, the entry point `pulumi up` runs) in-process under
 * Pulumi's mock runtime: no CLI, no credentials, no network. Every registration is recorded with its
 * resolved inputs and its resource options, so the render, the diff and the tests all see exactly what
 * the engine would be asked to create.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { setOfflineRender } from "../../infra/runMode";

/** Marker for values that only exist after deployment (ids, generated names, issuer URLs…). */
export const UNKNOWN = "(known after apply)";

/** Pulumi's wire marker for secret values inside mock inputs. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RecordedOptions {
  protect: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  dependsOn: string[];
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
}

export interface RecordedResource {
  type: string;
  name: string;
  custom: boolean;
  /** `type::name` of the parent, undefined for children of the stack. */
  parent?: string;
  /** Inputs as the engine receives them; secret values are still wrapped (see `isSecretWrapper`). */
  inputs: Record<string, unknown>;
  options: RecordedOptions;
}

export interface Evaluation {
  resources: RecordedResource[];
  /** Stack outputs, resolved. */
  outputs: Record<string, unknown>;
  /** The program's exports as it returned them (Outputs keep their secretness). */
  exports: Record<string, unknown>;
}

export type ValueMode = "render" | "test";

export function isSecretWrapper(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Replaces every secret (wrapped) value with "[secret]"; returns a plain JSON-able copy. */
export function redact(v: unknown): unknown {
  if (isSecretWrapper(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") {
    if (pulumi.Resource.isInstance(v)) return `(resource)`;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
  }
  return v;
}

/** Removes the secret wrappers but keeps the values (tests only: asserts on real values). */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecretWrapper(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

const FAKE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
const FAKE_TENANT = "11111111-1111-1111-1111-111111111111";

/** The resource's Azure name: the `<thing>Name` input that names this resource, or the logical name. */
function azureName(type: string, name: string, inputs: Record<string, unknown>): string {
  const kind = type.split(":").pop()!.toLowerCase();
  const keys = Object.keys(inputs).filter((k) => k.endsWith("Name") && typeof inputs[k] === "string");
  const own =
    keys.find((k) => k.toLowerCase() === `${kind}name`) ??
    keys.find((k) => k === "resourceName") ??
    keys.find((k) => k === "clusterName" && kind.includes("redis")) ??
    keys.find((k) => k !== "resourceGroupName" && kind.includes(k.slice(0, -4).toLowerCase()));
  return (own ? (inputs[own] as string) : undefined) ?? name;
}

/** Per-type outputs the program reads that the cloud computes. */
function computedState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  mode: ValueMode,
): Record<string, unknown> {
  const u = (realistic: string) => (mode === "render" ? UNKNOWN : realistic);
  const azName = azureName(type, name, inputs);
  const rg = typeof inputs.resourceGroupName === "string" ? inputs.resourceGroupName : "rg";
  const provider = type.split(":")[1] ?? "x";
  switch (type) {
    case "azure-native:resources:ResourceGroup":
      return { name: azName, id: u(`/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${azName}`) };
    case "azure-native:containerservice:ManagedCluster":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${azName}`,
        ),
        oidcIssuerProfile: {
          enabled: true,
          issuerURL: u(`https://${inputs.location}.oic.prod-aks.azure.com/${FAKE_TENANT}/${azName}/`),
        },
        identity: {
          type: "SystemAssigned",
          principalId: u("22222222-0000-0000-0000-000000000001"),
          tenantId: u(FAKE_TENANT),
        },
        identityProfile: {
          kubeletidentity: {
            objectId: u("22222222-0000-0000-0000-000000000002"),
            clientId: u("22222222-0000-0000-0000-000000000003"),
          },
        },
        fqdn: u(`${azName}.hcp.${inputs.location}.azmk8s.io`),
        ingressProfile: {
          webAppRouting: { enabled: true, identity: { objectId: u("22222222-0000-0000-0000-000000000004") } },
        },
      };
    case "azure-native:managedidentity:UserAssignedIdentity":
      return {
        name: azName,
        clientId: u(`33333333-0000-0000-0000-${hash12(name)}`),
        principalId: u(`44444444-0000-0000-0000-${hash12(name)}`),
        tenantId: u(FAKE_TENANT),
      };
    case "azure-native:keyvault:Vault":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${azName}`,
        ),
        properties: { ...(inputs.properties as object), vaultUri: u(`https://${azName}.vault.azure.net/`) },
      };
    case "azure-native:keyvault:Secret":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${String(inputs.vaultName)}/secrets/${azName}`,
        ),
        properties: { secretUri: u(`https://${String(inputs.vaultName)}.vault.azure.net/secrets/${azName}`) },
      };
    case "azure-native:dbforpostgresql:Server":
      return { name: azName, fullyQualifiedDomainName: u(`${azName}.postgres.database.azure.com`) };
    case "azure-native:redisenterprise:RedisEnterprise":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Cache/redisEnterprise/${azName}`,
        ),
        hostName: u(`${azName}.${inputs.location}.redis.azure.net`),
      };
    case "azure-native:containerregistry:Registry":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.ContainerRegistry/registries/${azName}`,
        ),
        loginServer: u(`${azName}.azurecr.io`),
      };
    case "azure-native:network:PublicIPAddress":
      // Static addresses are assigned at creation (TEST-NET-2, never a real host).
      return { ipAddress: u("198.51.100.7") };
    case "azure-native:redisenterprise:Database":
      // A child resource: its id is the cluster's id plus /databases/<name>.
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Cache/redisEnterprise/${String(inputs.clusterName)}/databases/${azName}`,
        ),
      };
    // What Azure Monitor computes: the workspace's PromQL endpoint, the endpoint's ingestion host, the
    // rule's immutable id (the remote-write URL is built from the last two).
    case "azure-native:monitor:AzureMonitorWorkspace":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Monitor/accounts/${azName}`,
        ),
        metrics: {
          internalId: u(`mac_${hash12(name)}`),
          prometheusQueryEndpoint: u(
            `https://${azName}-${hash12(name).slice(0, 4)}.${String(inputs.location)}.prometheus.monitor.azure.com`,
          ),
        },
      };
    case "azure-native:monitor:DataCollectionEndpoint":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Insights/dataCollectionEndpoints/${azName}`,
        ),
        metricsIngestion: {
          endpoint: u(
            `https://${azName}-${hash12(name).slice(0, 4)}.${String(inputs.location)}-1.metrics.ingest.monitor.azure.com`,
          ),
        },
      };
    case "azure-native:monitor:DataCollectionRule":
      return {
        name: azName,
        id: u(
          `/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Insights/dataCollectionRules/${azName}`,
        ),
        immutableId: u(`dcr-${hash12(name)}${hash12(azName)}`),
      };
    case "azure-native:operationalinsights:Workspace":
      return {
        name: azName,
        id: u(`/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/${provider}/${azName}`),
        // The workspace (customer) id Azure assigns: a GUID.
        customerId: u(`00000000-0000-4000-8000-${hash12(azName)}`),
      };
    case "random:index/randomPassword:RandomPassword":
      // A recognisable fake: the secret-leak tests search every output file for it.
      return { result: `MockPw-${name}-9Zq!x7Lk` };
    case "random:index/randomString:RandomString":
      return { result: mode === "render" ? "xxxxxx" : "a1b2c3" };
    default:
      if (type.startsWith("azure-native:")) {
        return {
          name: azName,
          id: u(`/subscriptions/${FAKE_SUBSCRIPTION}/resourceGroups/${rg}/providers/${provider}/${azName}`),
        };
      }
      return {};
  }
}

function hash12(s: string): string {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(12, "0").slice(-12);
}

function fakeKubeconfig(cluster: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: ${cluster}, cluster: {server: "https://${cluster}.hcp.azmk8s.io:443"}}]`,
    `users: [{name: clusterUser, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]}}}]`,
    `contexts: [{name: ${cluster}, context: {cluster: ${cluster}, user: clusterUser}}]`,
    `current-context: ${cluster}`,
  ].join("\n");
}

/**
 * What already exists in the (mock) cloud, by invoke token (`azure-native:keyvault:getVault`, …): the
 * day-2 tests put live state here. Reads of anything not listed answer like ARM does for a resource that
 * does not exist yet (ResourceNotFound), which is the first-`pulumi up` case the render shows.
 */
export type ExistingState = Record<string, Record<string, unknown>>;

function mocks(
  mode: ValueMode,
  records: Map<string, RecordedResource>,
  existing: ExistingState = {},
): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      const inputs = (args.inputs ?? {}) as Record<string, unknown>;
      const rec = records.get(`${args.type}::${args.name}`);
      if (rec) rec.inputs = inputs;
      const state = { ...inputs, ...computedState(args.type, args.name, inputs, mode) };
      const id = typeof state.id === "string" ? state.id : mode === "render" ? UNKNOWN : `${args.name}-id`;
      return { id: args.custom === false ? undefined : id, state };
    },
    call(args) {
      switch (args.token) {
        case "azure-native:authorization:getClientConfig":
          return {
            clientId: mode === "render" ? UNKNOWN : "55555555-0000-0000-0000-000000000001",
            objectId: mode === "render" ? UNKNOWN : "55555555-0000-0000-0000-000000000002",
            subscriptionId: mode === "render" ? UNKNOWN : FAKE_SUBSCRIPTION,
            tenantId: mode === "render" ? UNKNOWN : FAKE_TENANT,
          };
        case "azure-native:redisenterprise:listDatabaseKeys":
          // Recognisable fakes: the secret-leak tests search every output file for "MockKey-".
          return { primaryKey: "MockKey-primary-4f9a", secondaryKey: "MockKey-secondary-7c2e" };
        case "azure-native:logic:listWorkflowTriggerCallbackUrl":
          // The trigger's signed URL; "MockSig-" is recognisable for the secret-leak tests.
          return {
            value: `https://prod-00.westeurope.logic.azure.com/workflows/${String(args.inputs.workflowName)}/triggers/${String(args.inputs.triggerName)}/paths/invoke?api-version=2016-10-01&sig=MockSig-3k9d`,
            basePath: "https://prod-00.westeurope.logic.azure.com/workflows",
            method: "POST",
            relativePath: "/triggers/paths/invoke",
          };
        case "azure-native:containerservice:listManagedClusterUserCredentials":
          return {
            kubeconfigs: [
              {
                name: "clusterUser",
                value: Buffer.from(fakeKubeconfig(String(args.inputs.resourceName))).toString("base64"),
              },
            ],
          };
        default: {
          const live = existing[args.token];
          if (live) return live;
          if (/^azure-native:[a-z0-9]+:get[A-Z]/.test(args.token)) {
            // The SDK turns a failed invoke into Error(err.details), as for the engine's gRPC errors.
            const message = `ResourceNotFound: ${args.token} (mock cloud: nothing exists yet)`;
            throw Object.assign(new Error(message), { details: message });
          }
          throw new Error(
            `mockRuntime: no mock for invoke ${args.token}; add one in cli/shared/mockRuntime.ts`,
          );
        }
      }
    },
  };
}

function resourceKey(r: pulumi.Resource | undefined): string | undefined {
  if (!r) return undefined;
  const internal = r as unknown as { __pulumiType?: string; __name?: string };
  return internal.__pulumiType && internal.__name
    ? `${internal.__pulumiType}::${internal.__name}`
    : undefined;
}

function dependsOnKeys(d: unknown): string[] {
  const list = Array.isArray(d) ? d : d ? [d] : [];
  return list
    .map((x) => (pulumi.Resource.isInstance(x) ? resourceKey(x) : undefined))
    .filter((x): x is string => !!x);
}

export interface EvaluateOptions {
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  mode: ValueMode;
  /** Live cloud state answered by read invokes (day-2 tests); default: nothing exists yet. */
  existing?: ExistingState;
  /** The program to run; defaults to importing infra/index.ts (its exports become stack outputs). */
  program?: () => Promise<Record<string, unknown>>;
}

/**
 * Runs the program once. Must be called at most once per process/module graph (Pulumi's runtime state is
 * global); tests run one stack per test file.
 */
export async function evaluateProgram(opts: EvaluateOptions): Promise<Evaluation> {
  const records = new Map<string, RecordedResource>();
  if (opts.mode === "render") {
    // The render must not depend on the machine it runs on: the program reads Azure credential settings
    // (ARM_*/AZURE_*) only to tell how a real deployer is logged in (infra/azure/deployer.ts).
    for (const k of Object.keys(process.env)) if (/^(ARM|AZURE)_/.test(k)) delete process.env[k];
  }
  pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
  await pulumi.runtime.setMocks(mocks(opts.mode, records, opts.existing), opts.project, opts.stack, false);
  const program =
    opts.program ??
    // `require` (not `import()`) so the same line works from source (tsx) and transpiled (.build/*.js).
    (async () => require(path.join(__dirname, "../../infra/index")) as Record<string, unknown>);
  // A failing program is caught inside the stack's init and rethrown afterwards: letting it escape
  // would also reject the Stack resource's internal promises, which nobody awaits.
  let failure: unknown;
  let exported: Record<string, unknown> = {};
  // Render mode evaluates the example stack files, placeholders included (infra/runMode.ts); tests run
  // the program as `pulumi up` would.
  setOfflineRender(opts.mode === "render");
  // A check that fails inside an Output (the create-only guards read live state in an apply) rejects a
  // promise nobody awaits; under the engine that fails the update with its message. Here it is caught and
  // rethrown from this function (the tests assert on the message).
  let onUnhandled: (e: unknown) => void = () => {};
  const unhandled = new Promise<never>((_, reject) => (onUnhandled = reject));
  process.on("unhandledRejection", onUnhandled);
  const run = pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((t) => {
      const o = t.opts as pulumi.CustomResourceOptions;
      records.set(`${t.type}::${t.name}`, {
        type: t.type,
        name: t.name,
        custom: t.resource instanceof pulumi.CustomResource,
        parent: resourceKey(o.parent),
        inputs: {},
        options: {
          protect: o.protect ?? false,
          retainOnDelete: o.retainOnDelete ?? false,
          ignoreChanges: o.ignoreChanges ?? [],
          dependsOn: dependsOnKeys(o.dependsOn),
          deleteBeforeReplace: o.deleteBeforeReplace ?? false,
          replaceOnChanges: o.replaceOnChanges ?? [],
          additionalSecretOutputs: o.additionalSecretOutputs ?? [],
        },
      });
      return undefined;
    });
    try {
      const exports = await program();
      // Stack outputs are the module's exports, as under `pulumi up`.
      exported = Object.fromEntries(
        Object.entries(exports).filter(([k]) => k !== "default" && k !== "__esModule"),
      );
      return exported;
    } catch (e) {
      failure = e;
      return {};
    }
  });
  let outputs: unknown;
  try {
    outputs = await Promise.race([run, unhandled]);
  } catch (e) {
    failure = e;
  } finally {
    process.off("unhandledRejection", onUnhandled);
    setOfflineRender(false);
  }
  if (failure !== undefined) {
    // Callers (the bad-config tests) check that nothing was registered before the failure.
    if (failure && typeof failure === "object") {
      (failure as { registeredResources?: RecordedResource[] }).registeredResources = [...records.values()];
    }
    throw failure;
  }
  // Let outstanding registrations settle before reading the records.
  await new Promise((r) => setTimeout(r, 0));
  return {
    resources: [...records.values()],
    outputs: (outputs ?? {}) as Record<string, unknown>,
    exports: exported,
  };
}
