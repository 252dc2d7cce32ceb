import { describe, expect, it } from "vitest";
import { azureName, k8sLabels, keyVaultName, stackSlug, tags } from "../infra/naming";
import { contains, overlaps, parseCidr } from "../infra/cidr";

describe("naming (pure)", () => {
  it.each([
    ["aks", "prod", undefined, "aks-agents-prod"],
    ["id", "dev", "monitoring", "id-agents-dev-monitoring"],
    ["rg", "Prod_EU", undefined, "rg-agents-prod-eu"],
  ] as const)("%s/%s/%s → %s", (kind, stack, role, name) => {
    expect(azureName(kind, stack, role)).toBe(name);
  });

  it("keeps Key Vault names within 24 characters", () => {
    expect(keyVaultName("prod", "a1b2c3")).toBe("kv-agents-prod-a1b2c3");
    expect(keyVaultName("a-very-long-stack-name", "a1b2c3").length).toBeLessThanOrEqual(24);
  });

  it.each(["abcdefghi-jk", "a--b", "-x-", "staging-eu-2", "Prod_EU", "abcdefghij-k", "a".repeat(30)])(
    "never ends a name in '-' nor puts '--' in it (stack %s)",
    (stack) => {
      for (const name of [
        azureName("aks", stack),
        azureName("id", stack, "agent-api"),
        keyVaultName(stack, "a1b2c3"),
      ]) {
        expect(name).not.toMatch(/-$/);
        expect(name).not.toContain("--");
      }
    },
  );

  it("refuses a role that would put '--' or a trailing '-' into a name", () => {
    expect(() => azureName("id", "prod", "agent-")).toThrow(/role "agent-"/);
    expect(() => azureName("id", "prod", "a--b")).toThrow(/role "a--b"/);
  });

  it("rejects a stack name with nothing usable", () => {
    expect(() => stackSlug("---")).toThrow(/no letters or digits/);
  });

  it("tags always carry project and stack, which extra tags cannot override", () => {
    expect(tags("p", "s", "dev", { project: "x", owner: "o" })).toEqual({
      project: "p",
      stack: "s",
      environment: "dev",
      "managed-by": "pulumi",
      owner: "o",
    });
  });

  it("labels follow app.kubernetes.io", () => {
    expect(k8sLabels("a", "c", "p")["app.kubernetes.io/managed-by"]).toBe("pulumi");
  });
});

describe("cidr (pure)", () => {
  it.each(["10.0.0.0/8", "192.168.0.0/16", "0.0.0.0/0", "10.20.9.0/24"])("parses %s", (c) => {
    expect(parseCidr(c)?.text).toBe(c);
  });
  it.each(["10.0.0.1/8", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.0", "a.b.c.d/8"])("rejects %s", (c) => {
    expect(parseCidr(c)).toBeUndefined();
  });
  it("detects overlap and containment", () => {
    const vnet = parseCidr("10.20.0.0/16")!;
    const a = parseCidr("10.20.0.0/22")!;
    const b = parseCidr("10.20.3.0/24")!;
    expect(overlaps(a, b)).toBe(true);
    expect(contains(vnet, a)).toBe(true);
    expect(contains(a, vnet)).toBe(false);
  });
});
