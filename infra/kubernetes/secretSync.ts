/**
 * Key Vault → cluster secret sync, through the AKS Key Vault secrets provider add-on (the Secrets Store CSI
 * driver with the Azure provider).
 *
 * ## Why the CSI driver and not External Secrets Operator
 *
 * - It is an AKS add-on that is already on (infra/azure/aksPlan.ts `azureKeyvaultSecretsProvider`):
 *   Microsoft installs, patches and upgrades it with the cluster. External Secrets Operator would be one
 *   more operator, CRD set and Helm release for us to run, upgrade and monitor.
 * - Identity is per workload: the driver fetches with the *pod's own* service account token (workload
 *   identity, `clientID` below), and each identity holds "Key Vault Secrets User" on exactly the secrets it
 *   needs (infra/azure/workloadIdentity.ts). ESO's usual setup gives one controller identity read access to
 *   every secret it syncs.
 * - By default a secret only exists as a file on a tmpfs volume of the pod that needs it; it reaches etcd
 *   only when a SecretProviderClass asks for a mirrored Kubernetes Secret (`syncAs`), for software that can
 *   read nothing but a Secret (Grafana's admin credentials, env vars).
 * - Trade-off we accept: a mirrored Secret exists only while at least one pod mounts the volume, and a
 *   pod cannot start if Key Vault is unreachable when it mounts (fail closed: no stale credentials).
 *
 * Pulumi never creates a Kubernetes Secret with a literal value for these: the driver creates the mirrored
 * Secrets, and Pulumi state only holds the SecretProviderClass (names, no values).
 *
 * ## How rotation reaches running pods
 *
 * The add-on runs with `enableSecretRotation=true, rotationPollInterval=2m`. Every 2 minutes the driver
 * re-reads each mounted object from Key Vault and, when the version changed, atomically rewrites the file
 * in the pod's volume (and updates the mirrored Secret, if any). Consequences:
 *
 * 1. Software that re-reads the file when it opens a connection (what agent-api is expected to do with its
 *    *_FILE paths) picks up a new value within ~2 minutes, without a restart.
 * 2. Software that reads the file once at start keeps the old value until it restarts. Both exporters do
 *    (postgres_exporter builds its DSN from DATA_SOURCE_PASS_FILE in main(); redis_exporter loads
 *    REDIS_PASSWORD_FILE at start and on `POST /-/reload`), and so does anything fed through an environment
 *    variable from a mirrored Secret: `kubectl rollout restart deployment/<name> -n <namespace>` once the
 *    new file is in place (one poll interval after the Key Vault write), then revoke the old credential.
 * 3. Never mount these volumes with `subPath`: subPath mounts are never updated by the driver.
 *
 * Rotating a credential therefore is: write the new version to Key Vault (for the generated ones: `pulumi
 * up` after regenerating), wait one poll interval, restart what reads at start, then revoke the old value.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as yaml from "js-yaml";

/** One Key Vault secret to fetch, and the file name (and mirrored Secret key) it appears under. */
export interface VaultObject {
  /** Name of the secret in Key Vault, e.g. `postgres-admin-password`. */
  objectName: string;
  /** File name in the mounted volume (and key in the mirrored Secret), e.g. `postgres-password`. */
  key: string;
}

export interface SecretProviderClassInput {
  /** Name of the SecretProviderClass; pods reference it in their CSI volume. */
  name: string;
  namespace: string;
  /** Key Vault name (not URI). */
  vaultName: string;
  /** Entra tenant of the vault. */
  tenantId: string;
  /** Client id of the user-assigned identity federated to the pods' service account (workload identity). */
  clientId: string;
  /** What to fetch; at least one. */
  secrets: VaultObject[];
  /**
   * Also mirror into a Kubernetes Secret (created and updated by the driver, not by Pulumi) for software
   * that can only read Secrets or env vars. `keys` limits the mirror to some of the files (default: all).
   */
  syncAs?: { secretName: string; type?: string; keys?: string[] };
}

/** A SecretProviderClass as plain data (what `kubectl get secretproviderclass -o yaml` would show). */
export interface SecretProviderClassObject {
  apiVersion: "secrets-store.csi.x-k8s.io/v1";
  kind: "SecretProviderClass";
  metadata: { name: string; namespace: string };
  spec: {
    provider: "azure";
    parameters: {
      usePodIdentity: "false";
      useVMManagedIdentity: "false";
      clientID: string;
      keyvaultName: string;
      tenantId: string;
      objects: string;
    };
    secretObjects?: { secretName: string; type: string; data: { objectName: string; key: string }[] }[];
  };
}

// File names and Secret keys share the Secret key alphabet.
const KEY_RE = /^[-._a-zA-Z0-9]{1,253}$/;
// Key Vault secret names: 1-127 alphanumerics and hyphens.
const VAULT_NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;

/**
 * Builds the SecretProviderClass the Azure provider expects. Pure: throws an Error naming the problem for
 * an empty list, duplicate file names, invalid names, or a `syncAs.keys` entry that is not fetched.
 */
export function secretProviderClass(input: SecretProviderClassInput): SecretProviderClassObject {
  const where = `SecretProviderClass ${input.namespace}/${input.name}`;
  if (input.secrets.length === 0) {
    throw new Error(`${where}: secrets is empty; list at least one Key Vault secret to mount`);
  }
  const seen = new Set<string>();
  for (const s of input.secrets) {
    if (!VAULT_NAME_RE.test(s.objectName)) {
      throw new Error(`${where}: "${s.objectName}" is not a Key Vault secret name (letters, digits, "-")`);
    }
    if (!KEY_RE.test(s.key) || s.key === "." || s.key === "..") {
      throw new Error(`${where}: key "${s.key}" is not a valid file name (letters, digits, ".", "_", "-")`);
    }
    if (seen.has(s.key)) {
      throw new Error(`${where}: key "${s.key}" is used twice; every secret needs its own file name`);
    }
    seen.add(s.key);
  }
  const synced = input.syncAs?.keys ?? input.secrets.map((s) => s.key);
  for (const k of synced) {
    if (!seen.has(k)) {
      throw new Error(`${where}: syncAs.keys contains "${k}", which is not one of the fetched keys`);
    }
  }
  // The driver reads `objects` as YAML: an `array` of strings, each itself a YAML document. objectAlias
  // is the file name; objectVersion empty means "latest", which is what rotation polls for.
  const objects = yaml.dump(
    {
      array: input.secrets.map((s) =>
        yaml.dump({ objectName: s.objectName, objectAlias: s.key, objectType: "secret", objectVersion: "" }),
      ),
    },
    { lineWidth: -1 },
  );
  return {
    apiVersion: "secrets-store.csi.x-k8s.io/v1",
    kind: "SecretProviderClass",
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      provider: "azure",
      parameters: {
        // Workload identity: the driver exchanges the pod's service account token for this client id.
        usePodIdentity: "false",
        useVMManagedIdentity: "false",
        clientID: input.clientId,
        keyvaultName: input.vaultName,
        tenantId: input.tenantId,
        objects,
      },
      ...(input.syncAs
        ? {
            secretObjects: [
              {
                secretName: input.syncAs.secretName,
                type: input.syncAs.type ?? "Opaque",
                // objectName refers to the alias (the file name) when one is set.
                data: synced.map((k) => ({ objectName: k, key: k })),
              },
            ],
          }
        : {}),
    },
  };
}

/** What `registerSecretProviderClass` needs: the pure input, with the Azure values as Pulumi inputs. */
export type SecretProviderClassArgs = Omit<
  SecretProviderClassInput,
  "vaultName" | "tenantId" | "clientId"
> & {
  vaultName: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  clientId: pulumi.Input<string>;
  labels?: Record<string, string>;
};

/**
 * Registers a SecretProviderClass. The object is validated before anything is registered (the names are
 * plain strings); the vault name, tenant and client id are resolved by the engine.
 */
export function registerSecretProviderClass(
  resourceName: string,
  args: SecretProviderClassArgs,
  opts: pulumi.CustomResourceOptions & { provider: k8s.Provider },
): k8s.apiextensions.CustomResource {
  // Validate eagerly with placeholders, so bad names fail at program start rather than inside an apply.
  secretProviderClass({ ...args, vaultName: "-", tenantId: "-", clientId: "-" });
  const spec = pulumi
    .all([args.vaultName, args.tenantId, args.clientId])
    .apply(
      ([vaultName, tenantId, clientId]) =>
        secretProviderClass({ ...args, vaultName, tenantId, clientId }).spec,
    );
  return new k8s.apiextensions.CustomResource(
    resourceName,
    {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: args.name, namespace: args.namespace, labels: args.labels },
      spec,
    },
    opts,
  );
}

/** The pod volume that mounts a SecretProviderClass read-only (no subPath: see rotation above). */
export function csiSecretsVolume(volumeName: string, secretProviderClassName: string) {
  return {
    name: volumeName,
    csi: {
      driver: "secrets-store.csi.k8s.io",
      readOnly: true,
      volumeAttributes: { secretProviderClass: secretProviderClassName },
    },
  };
}
