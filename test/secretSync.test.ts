import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateComponents, type StackRun } from "./mocks";
import {
  csiSecretsVolume,
  secretProviderClass,
  type SecretProviderClassInput,
} from "../infra/kubernetes/secretSync";

const base: SecretProviderClassInput = {
  name: "agent-api-keyvault",
  namespace: "agents",
  vaultName: "kv-agents-prod-a1b2c3",
  tenantId: "11111111-1111-1111-1111-111111111111",
  clientId: "33333333-0000-0000-0000-000000000001",
  secrets: [
    { objectName: "postgres-admin-password", key: "postgres-password" },
    { objectName: "redis-access-key", key: "redis-password" },
  ],
};

/** What the Azure provider does with `objects`: YAML with an `array` of YAML strings. */
function parseObjects(objects: string) {
  const outer = yaml.load(objects) as { array: string[] };
  return outer.array.map((s) => yaml.load(s) as Record<string, string>);
}

describe("secretProviderClass (pure)", () => {
  it("uses the Azure provider with workload identity, the vault and the tenant", () => {
    const spc = secretProviderClass(base);
    expect(spc.apiVersion).toBe("secrets-store.csi.x-k8s.io/v1");
    expect(spc.kind).toBe("SecretProviderClass");
    expect(spc.metadata).toEqual({ name: "agent-api-keyvault", namespace: "agents" });
    expect(spc.spec.provider).toBe("azure");
    expect(spc.spec.parameters).toMatchObject({
      usePodIdentity: "false",
      useVMManagedIdentity: "false",
      clientID: "33333333-0000-0000-0000-000000000001",
      keyvaultName: "kv-agents-prod-a1b2c3",
      tenantId: "11111111-1111-1111-1111-111111111111",
    });
    // The CRD types every parameter as a string.
    for (const v of Object.values(spc.spec.parameters)) expect(typeof v).toBe("string");
  });

  it("lists each secret in the objects YAML with its file name as alias, latest version", () => {
    expect(parseObjects(secretProviderClass(base).spec.parameters.objects)).toEqual([
      {
        objectName: "postgres-admin-password",
        objectAlias: "postgres-password",
        objectType: "secret",
        objectVersion: "",
      },
      {
        objectName: "redis-access-key",
        objectAlias: "redis-password",
        objectType: "secret",
        objectVersion: "",
      },
    ]);
  });

  it("mirrors nothing into a Kubernetes Secret unless asked", () => {
    expect(secretProviderClass(base).spec.secretObjects).toBeUndefined();
  });

  it("mirrors all files, or the listed ones, into a driver-managed Secret when asked", () => {
    expect(secretProviderClass({ ...base, syncAs: { secretName: "db" } }).spec.secretObjects).toEqual([
      {
        secretName: "db",
        type: "Opaque",
        data: [
          { objectName: "postgres-password", key: "postgres-password" },
          { objectName: "redis-password", key: "redis-password" },
        ],
      },
    ]);
    const subset = secretProviderClass({
      ...base,
      syncAs: { secretName: "r", type: "Opaque", keys: ["redis-password"] },
    });
    expect(subset.spec.secretObjects?.[0]?.data).toEqual([
      { objectName: "redis-password", key: "redis-password" },
    ]);
  });

  it.each<[string, Partial<SecretProviderClassInput>, RegExp]>([
    ["no secrets", { secrets: [] }, /secrets is empty/],
    [
      "two secrets with one file name",
      {
        secrets: [
          { objectName: "a", key: "x" },
          { objectName: "b", key: "x" },
        ],
      },
      /key "x" is used twice/,
    ],
    [
      "a path as file name",
      { secrets: [{ objectName: "a", key: "../etc/passwd" }] },
      /not a valid file name/,
    ],
    [
      "an invalid Key Vault name",
      { secrets: [{ objectName: "bad_name", key: "x" }] },
      /not a Key Vault secret name/,
    ],
    [
      "a mirror of a file that is not fetched",
      { syncAs: { secretName: "s", keys: ["nope"] } },
      /syncAs\.keys contains "nope"/,
    ],
  ])("refuses %s", (_what, over, message) => {
    expect(() => secretProviderClass({ ...base, ...over })).toThrow(message);
  });

  it("mounts read-only through the CSI driver", () => {
    expect(csiSecretsVolume("secrets", "agent-api-keyvault")).toEqual({
      name: "secrets",
      csi: {
        driver: "secrets-store.csi.k8s.io",
        readOnly: true,
        volumeAttributes: { secretProviderClass: "agent-api-keyvault" },
      },
    });
  });
});

describe("registerSecretProviderClass under mocks", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await evaluateComponents(async () => {
      const { registerSecretProviderClass } = await import("../infra/kubernetes/secretSync");
      const provider = new k8s.Provider("k8s", { kubeconfig: "fake" });
      registerSecretProviderClass(
        "spc",
        {
          ...base,
          vaultName: pulumi.output("kv-agents-dev-a1b2c3"),
          clientId: pulumi.output("33333333-0000-0000-0000-0000000000ff"),
          syncAs: { secretName: "agent-api-db" },
        },
        { provider },
      );
      return {};
    });
  });

  it("registers the class with resolved identity and vault, and never a Kubernetes Secret", () => {
    const r = run.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass");
    const spc = run.inputsOf(r);
    expect(spc.metadata).toMatchObject({ name: "agent-api-keyvault", namespace: "agents" });
    expect(spc.spec.parameters.keyvaultName).toBe("kv-agents-dev-a1b2c3");
    expect(spc.spec.parameters.clientID).toBe("33333333-0000-0000-0000-0000000000ff");
    expect(spc.spec.secretObjects[0].secretName).toBe("agent-api-db");
    expect(run.resources.filter((x) => x.type === "kubernetes:core/v1:Secret")).toEqual([]);
    // Names only: nothing in the registered object looks like a secret value.
    expect(JSON.stringify(spc)).not.toMatch(/password"\s*:\s*"[^"]/i);
  });

  it("refuses invalid names at program start, before registering anything", async () => {
    const bad = evaluateComponents(async () => {
      const { registerSecretProviderClass } = await import("../infra/kubernetes/secretSync");
      registerSecretProviderClass(
        "spc",
        {
          ...base,
          secrets: [
            { objectName: "a", key: "x" },
            { objectName: "b", key: "x" },
          ],
        },
        { provider: new k8s.Provider("k8s", { kubeconfig: "fake" }) },
      );
      return {};
    });
    await expect(bad).rejects.toThrow(/key "x" is used twice/);
  });
});
