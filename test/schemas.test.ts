import { describe, expect, it } from "vitest";
import { validateManifest } from "./schemas";

// The validator the render and component tests rely on must be able to fail.
describe("schema validation of Kubernetes objects", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "x" },
    spec: {
      selector: { matchLabels: { a: "b" } },
      template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "i:1" }] } },
    },
  };

  it("accepts a valid Deployment", async () => {
    await expect(validateManifest(deployment)).resolves.toBeUndefined();
  });

  it("rejects a wrong type", async () => {
    await expect(
      validateManifest({ ...deployment, spec: { ...deployment.spec, replicas: "three" } }),
    ).rejects.toThrow();
  });

  it("rejects a ServiceMonitor without endpoints", async () => {
    const sm = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: "x" },
      spec: { selector: {} },
    };
    await expect(validateManifest(sm)).rejects.toThrow();
  });

  it("rejects an unknown field in a SecretProviderClass", async () => {
    const spc = {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: "x", namespace: "y" },
      spec: { provider: "azure", parameters: {}, secretObject: [] },
    };
    await expect(validateManifest(spc)).rejects.toThrow(/additional properties/);
  });

  it("fails on a kind it has no schema for", async () => {
    await expect(validateManifest({ apiVersion: "example.com/v1", kind: "Widget" })).rejects.toThrow();
  });
});
