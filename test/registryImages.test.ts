/** The registry's zone redundancy and the allowed-images policy: pure decisions, no mocks. */
import { describe, expect, it } from "vitest";
import { registryLoginServer, registryZoneRedundancy } from "../infra/azure/registryPlan";
import {
  ALLOWED_IMAGES_POLICY_DEFINITION_ID,
  imagePolicyAssignments,
  registryImageRegex,
} from "../infra/azure/imagePolicyPlan";

describe("registry zone redundancy", () => {
  it("is Enabled for a zone-redundant stack and left to Azure otherwise", () => {
    expect(registryZoneRedundancy(true)).toBe("Enabled");
    expect(registryZoneRedundancy(false)).toBeUndefined();
  });

  it("knows the login server before the registry exists, ours or an existing one", () => {
    expect(registryLoginServer("prod", { sku: "Premium", publicNetworkAccess: false })).toBe(
      "acragentsprod.azurecr.io",
    );
    expect(
      registryLoginServer("prod", {
        sku: "Premium",
        publicNetworkAccess: false,
        existingId:
          "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/SharedAcr",
      }),
    ).toBe("sharedacr.azurecr.io");
  });
});

describe("allowed images (Azure Policy febd0533…)", () => {
  const regex = new RegExp(registryImageRegex("acragentsprod.azurecr.io"));

  it("admits only images from our registry", () => {
    expect(regex.test("acragentsprod.azurecr.io/agent-api:1.5.2")).toBe(true);
    expect(regex.test("acragentsprod.azurecr.io/agent-api@sha256:" + "a".repeat(64))).toBe(true);
    for (const image of [
      "docker.io/library/nginx:1.27",
      "nginx",
      "acragentsdev.azurecr.io/agent-api:1.5.2",
      "acragentsprodXazurecr.io/agent-api:1",
      "evil.example/acragentsprod.azurecr.io/agent-api:1",
      "acragentsprod.azurecr.io.evil.example/agent-api:1",
      "acragentsprod.azurecr.io/",
    ]) {
      expect(regex.test(image), image).toBe(false);
    }
  });

  it("denies in the app namespace and audits the rest, system namespaces left out", () => {
    const [deny, audit] = imagePolicyAssignments("acragentsprod.azurecr.io", "agents");
    expect(deny!.parameters).toEqual({
      allowedContainerImagesRegex: { value: "^acragentsprod\\.azurecr\\.io/.+$" },
      namespaces: { value: ["agents"] },
      effect: { value: "Deny" },
    });
    expect(audit!.parameters.effect).toEqual({ value: "Audit" });
    expect(audit!.parameters.excludedNamespaces!.value).toEqual(
      expect.arrayContaining(["kube-system", "gatekeeper-system", "agents"]),
    );
    expect(audit!.parameters.excludedNamespaces!.value).not.toContain("monitoring");
    // Assignment names at a resource scope: at most 64 characters.
    for (const a of [deny!, audit!]) expect(a.policyAssignmentName.length).toBeLessThanOrEqual(64);
    expect(ALLOWED_IMAGES_POLICY_DEFINITION_ID).toBe(
      "/providers/Microsoft.Authorization/policyDefinitions/febd0533-8e55-448f-b837-bd0e06f16469",
    );
  });
});
