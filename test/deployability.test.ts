/**
 * The pure decisions behind "the first `pulumi up` in an empty subscription, and every one after it,
 * succeed": create-only guards, deployer detection, RBAC propagation wait, registry and ingress checks,
 * cert-manager values against the chart, FQDN egress and Postgres storage. No mocks needed.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { createOnlyProblems, isNotFound, readExisting } from "../infra/azure/existing";
import { deployerPrincipalType, detectPrincipalType, providerAuthConfig } from "../infra/azure/deployer";
import { waitForClusterAdmin } from "../infra/azure/clusterAccess";
import { registryConfigProblems, registryName, registryNameFromId } from "../infra/azure/registryPlan";
import { ingressConfigProblems, inZone, parseDnsZoneId } from "../infra/apps/ingressPlan";
import {
  certManagerValues,
  clusterIssuerManifest,
  CERT_MANAGER_CHART,
} from "../infra/kubernetes/certManagerPlan";
import { fqdnEgressPolicy } from "../infra/kubernetes/namespace";
import { storageToRequest } from "../infra/data/postgresPlan";
import { parseStackConfig, ConfigError } from "../infra/config";
import { stackConfig, withOverrides, ROOT } from "./mocks";
import * as pulumi from "@pulumi/pulumi";

const prodRaw = stackConfig("prod").config;
const prod = parseStackConfig(prodRaw, "prod");

describe("create-only settings", () => {
  it("lists only the fields whose live value differs, with the value to set back and the way out", () => {
    const problems = createOnlyProblems("Key Vault kv-agents-prod-a1b2c3", [
      { key: "keyVault.softDeleteRetentionDays", current: 90, desired: 30, how: "" },
      { key: "network.podCidr", current: "192.168.0.0/16", desired: "192.168.0.0/16", how: "x" },
      { key: "aks.systemPool.vmSize", current: undefined, desired: "Standard_D4ds_v5", how: "y" },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(
      "monitoring-platform:keyVault.softDeleteRetentionDays is 30 in config but Key Vault kv-agents-prod-a1b2c3 " +
        "was created with 90, and Azure cannot change it after creation. Set it back with " +
        "`pulumi config set --path 'monitoring-platform:keyVault.softDeleteRetentionDays' 90`",
    );
  });

  it("compares strings case-insensitively (ARM echoes some values in another case)", () => {
    expect(
      createOnlyProblems("x", [
        { key: "k", current: "Standard_D4ds_v5", desired: "standard_d4ds_v5", how: "" },
      ]),
    ).toEqual([]);
  });

  it("treats ARM's not-found answers as 'nothing exists yet' and rethrows anything else", async () => {
    expect(isNotFound(new Error('Code="ResourceNotFound" Message="The Resource ... was not found."'))).toBe(
      true,
    );
    expect(isNotFound(new Error('Code="ResourceGroupNotFound"'))).toBe(true);
    expect(isNotFound(new Error('Code="AuthorizationFailed"'))).toBe(false);
    expect(await readExisting(() => Promise.reject(new Error("ResourceNotFound")))).toBeUndefined();
    await expect(
      readExisting(() => Promise.reject(new Error("AuthorizationFailed: no read"))),
    ).rejects.toThrow(/AuthorizationFailed/);
    expect(await readExisting(() => Promise.resolve({ a: 1 }))).toEqual({ a: 1 });
  });
});

describe("deployer principal type", () => {
  it.each([
    [{}, {}, "User"], // az login as a person (the README's flow)
    [{ ARM_CLIENT_ID: "c", ARM_CLIENT_SECRET: "s" }, {}, "ServicePrincipal"],
    [{ ARM_USE_OIDC: "true" }, {}, "ServicePrincipal"], // GitHub Actions OIDC
    [{ ARM_USE_MSI: "1" }, {}, "ServicePrincipal"], // managed identity runner
    [{}, { clientId: "c" }, "ServicePrincipal"], // azure-native:clientId in stack config
    [{}, { useOidc: "true" }, "ServicePrincipal"],
    [{ ARM_USE_OIDC: "false" }, {}, "User"],
  ] as const)("env %j, provider %j → %s", (env, provider, expected) => {
    expect(detectPrincipalType(env, provider)).toBe(expected);
  });

  it("reads the provider settings from stack config", () => {
    expect(providerAuthConfig({ "azure-native:clientId": "c", "azure-native:useOidc": "true" })).toEqual({
      clientId: "c",
      useOidc: "true",
      useMsi: undefined,
    });
  });

  it("an explicit setting wins over detection", async () => {
    const out = deployerPrincipalType("User", {}, pulumi.output("client"), { ARM_CLIENT_ID: "c" });
    expect(await new Promise((r) => out.apply(r))).toBe("User");
  });
});

describe("waiting for the deployer's cluster-admin to propagate", () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  it("returns as soon as the API server allows it", async () => {
    const answers = [false, false, true];
    const c = clock();
    const attempts = await waitForClusterAdmin(
      async () => ({ allowed: answers.shift()!, detail: "no" }),
      "aks-agents-prod",
      { ...c, intervalMs: 15_000 },
    );
    expect(attempts).toBe(3);
    expect(c.now()).toBe(30_000);
  });

  it("gives up after the bound with a message that says what to do", async () => {
    const c = clock();
    await expect(
      waitForClusterAdmin(async () => ({ allowed: false, detail: "no - Forbidden" }), "aks-agents-prod", {
        ...c,
        timeoutMs: 60_000,
        intervalMs: 15_000,
      }),
    ).rejects.toThrow(
      /no cluster-admin on AKS cluster aks-agents-prod after 1 minutes .*Forbidden.*run `pulumi up` again.*deployerPrincipalType/s,
    );
    expect(c.now()).toBeLessThanOrEqual(60_000);
  });
});

describe("container registry", () => {
  it("names the per-environment registry acragents<env> (alphanumerics only)", () => {
    expect(registryName("prod")).toBe("acragentsprod");
    expect(registryName("staging-eu")).toBe("acragentsstagingeu");
    expect(
      registryNameFromId(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/SharedAcr",
      ),
    ).toBe("sharedacr");
  });

  it("accepts the stack files as they are", () => {
    expect(registryConfigProblems("prod", prod.registry, prod.app.image)).toEqual([]);
  });

  it("refuses an image from a registry the nodes cannot pull from, with the fix", () => {
    const [p] = registryConfigProblems("prod", prod.registry, "otheracr.azurecr.io/agent-api");
    expect(p).toContain('monitoring-platform:app.image "otheracr.azurecr.io/agent-api"');
    expect(p).toContain(
      "pulumi config set --path 'monitoring-platform:app.image' acragentsprod.azurecr.io/agent-api",
    );
  });

  it("refuses a private registry below Premium", () => {
    const problems = registryConfigProblems(
      "dev",
      { sku: "Standard", publicNetworkAccess: false },
      "acragentsdev.azurecr.io/a",
    );
    expect(problems.join()).toMatch(/only Premium registries have private endpoints/);
  });

  it("takes an existing registry by id, and the image must come from it", () => {
    const existingId =
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/sharedacr";
    expect(
      registryConfigProblems(
        "prod",
        { existingId, sku: "Premium", publicNetworkAccess: false },
        "sharedacr.azurecr.io/agent-api",
      ),
    ).toEqual([]);
  });

  it("stops the program before any resource when the image does not match (config validation)", () => {
    const raw = withOverrides(prodRaw, { app: { image: "docker.io/agent-api" } });
    expect(() => parseStackConfig(raw, "prod")).toThrow(ConfigError);
    expect(() => parseStackConfig(raw, "prod")).toThrow(
      /app\.image "docker\.io\/agent-api" is not in the registry/,
    );
  });
});

describe("ingress DNS zone", () => {
  it("parses a zone id and checks the hostname is inside the zone", () => {
    expect(parseDnsZoneId(prod.app.ingress.dnsZoneId)).toEqual({
      subscriptionId: "00000000-0000-0000-0000-000000000000",
      resourceGroupName: "rg-dns",
      zoneName: "platform.example.com",
    });
    expect(inZone("agents.platform.example.com", "platform.example.com")).toBe(true);
    expect(inZone("agents.platform.example.com.evil.io", "platform.example.com")).toBe(false);
    expect(inZone("notplatform.example.com", "platform.example.com")).toBe(false);
  });

  it("refuses a hostname cert-manager could not prove", () => {
    const [p] = ingressConfigProblems({ ...prod.app.ingress, hostname: "agents.other.io" });
    expect(p).toMatch(
      /app\.ingress\.hostname agents\.other\.io is not in the DNS zone platform\.example\.com/,
    );
  });
});

/** Every key path of a values object (leaves and objects). */
function keyPaths(v: unknown, prefix: string[] = []): string[][] {
  if (!v || typeof v !== "object" || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => [
    [...prefix, k],
    ...keyPaths(x, [...prefix, k]),
  ]);
}

describe("cert-manager chart values", () => {
  const fixture = path.join(
    ROOT,
    `test/fixtures/charts/cert-manager-${CERT_MANAGER_CHART.version}.values.yaml`,
  );
  const text = fs.readFileSync(fixture, "utf8");
  const upstream = yaml.load(text) as Record<string, unknown>;
  /** A key exists in the chart: in its values.yaml, or documented there as a commented-out property. */
  const known = (p: string[]): boolean => {
    let cur: unknown = upstream;
    for (const k of p) {
      if (cur && typeof cur === "object" && k in (cur as object)) cur = (cur as Record<string, unknown>)[k];
      else {
        // e.g. serviceAccount.annotations: "# +docs:property\n  # annotations: {}" under its parent.
        const parentKnown = p.length === 1 || known(p.slice(0, -1));
        return parentKnown && new RegExp(`^\\s*#\\s*${p[p.length - 1]}:`, "m").test(text);
      }
    }
    return true;
  };

  it("sets only keys the pinned chart version has (Helm ignores unknown keys silently)", () => {
    const values = certManagerValues({
      workloadIdentityClientId: "c",
      serviceMonitorLabels: { release: "x" },
      replicas: 2,
    });
    // Free-form maps (labels, annotations, resources, pod security contexts: the templates render them with
    // toYaml) may hold any key below them.
    const freeForm =
      /^(podLabels|serviceAccount\.(labels|annotations)|prometheus\.servicemonitor\.labels|(\w+\.)?resources|(\w+\.)?securityContext)\./;
    const unknown = keyPaths(values)
      .map((p) => p.join("."))
      .filter((k) => !freeForm.test(k))
      .filter((k) => !known(k.split(".")));
    expect(unknown).toEqual([]);
  });

  it("the key check can fail", () => {
    expect(known(["crds", "enabled"])).toBe(true);
    expect(known(["installCRDz"])).toBe(false);
    expect(known(["prometheus", "servicemonitor", "enabledd"])).toBe(false);
  });

  it("runs cert-manager with a workload identity and a ServiceMonitor, requests and limits on every container", () => {
    const v = certManagerValues({
      workloadIdentityClientId: "cid",
      serviceMonitorLabels: { release: "kps" },
      replicas: 2,
    });
    expect(v.podLabels).toEqual({ "azure.workload.identity/use": "true" });
    expect(v.serviceAccount.annotations).toEqual({ "azure.workload.identity/client-id": "cid" });
    expect(v.prometheus.servicemonitor).toEqual({ enabled: true, labels: { release: "kps" } });
    for (const r of [v.resources, v.webhook.resources, v.cainjector.resources, v.startupapicheck.resources]) {
      expect(Object.keys(r.requests)).toEqual(["cpu", "memory"]);
      expect(Object.keys(r.limits)).toEqual(["cpu", "memory"]);
    }
  });

  it("issues from the staging or production ACME server as configured", () => {
    const staging = clusterIssuerManifest({
      ingress: { ...prod.app.ingress, acmeServer: "staging" },
      workloadIdentityClientId: "c",
    });
    expect(staging.spec.acme.server).toBe("https://acme-staging-v02.api.letsencrypt.org/directory");
  });
});

describe("FQDN egress", () => {
  it("sends DNS through Cilium's proxy and opens 443 to the named hosts only", () => {
    const p = fqdnEgressPolicy("agent-api", "agents", {
      names: ["*.openai.azure.com", "api.openai.com"],
      ports: [443],
    });
    expect(p.spec.endpointSelector).toEqual({ matchLabels: { app: "agent-api" } });
    expect(p.spec.egress[0]!.toPorts![0]).toMatchObject({ rules: { dns: [{ matchPattern: "*" }] } });
    expect(p.spec.egress[1]!.toFQDNs).toEqual([
      { matchPattern: "*.openai.azure.com" },
      { matchName: "api.openai.com" },
    ]);
    expect(p.spec.egress[1]!.toPorts).toEqual([{ ports: [{ port: "443", protocol: "TCP" }] }]);
  });

  it("both stack files give the app somewhere to send its LLM calls", () => {
    for (const s of ["dev", "prod"]) {
      const c = parseStackConfig(stackConfig(s).config, s);
      expect(c.app.httpsEgressFqdns.length + c.app.httpsEgressCidrs.length, s).toBeGreaterThan(0);
    }
  });

  it("the default is not 'no egress'", () => {
    const raw = withOverrides(prodRaw, { app: { httpsEgressFqdns: undefined } });
    expect(parseStackConfig(raw, "prod").app.httpsEgressFqdns).toEqual(["*.openai.azure.com"]);
  });
});

describe("Postgres storage", () => {
  const planned = { storageSizeGB: 256, autoGrow: "Enabled" as const };
  it("asks for the configured size on creation and when config is larger", () => {
    expect(storageToRequest(planned, undefined)).toEqual(planned);
    expect(storageToRequest(planned, 128)).toEqual(planned);
  });
  it("never asks for less than the auto-grown live disk (Azure refuses to shrink)", () => {
    expect(storageToRequest(planned, 512)).toEqual({ storageSizeGB: 512, autoGrow: "Enabled" });
  });
  it("only offers sizes Azure has", () => {
    const raw = withOverrides(prodRaw, { postgres: { storageSizeGb: 300 } });
    expect(() => parseStackConfig(raw, "prod")).toThrow(/postgres\.storageSizeGb .*32, 64, 128, 256, 512/);
  });
});
