/**
 * Schema validation of Kubernetes objects for the tests: kubernetes-models for built-in kinds,
 * @kubernetes-models/prometheus-operator, /cert-manager and /cilium for their CRDs, our own transcription of the
 * SecretProviderClass CRD (no kubernetes-models package exists for it). Unknown kinds fail.
 */
import Ajv from "ajv";

/** Our own transcription of the SecretProviderClass v1 CRD schema (no kubernetes-models package exists). */
export const SPC_SCHEMA = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "secrets-store.csi.x-k8s.io/v1" },
    kind: { const: "SecretProviderClass" },
    metadata: { type: "object", required: ["name", "namespace"] },
    spec: {
      type: "object",
      additionalProperties: false,
      required: ["provider", "parameters"],
      properties: {
        provider: { type: "string" },
        parameters: { type: "object", additionalProperties: { type: "string" } },
        secretObjects: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["secretName", "type", "data"],
            properties: {
              secretName: { type: "string" },
              type: { type: "string" },
              labels: { type: "object", additionalProperties: { type: "string" } },
              annotations: { type: "object", additionalProperties: { type: "string" } },
              data: {
                type: "array",
                items: {
                  type: "object",
                  additionalProperties: false,
                  required: ["objectName", "key"],
                  properties: { objectName: { type: "string" }, key: { type: "string" } },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** Validates one manifest against its schema; throws when invalid or when no schema is known. */
export async function validateManifest(m: {
  apiVersion: string;
  kind: string;
  [k: string]: unknown;
}): Promise<void> {
  const [group, version] = m.apiVersion.includes("/") ? m.apiVersion.split("/") : ["", m.apiVersion];
  if (group === "secrets-store.csi.x-k8s.io") {
    const ajv = new Ajv({ allErrors: true, strict: false });
    if (!ajv.validate(SPC_SCHEMA, m)) throw new Error(ajv.errorsText());
    return;
  }
  // CRD models from the kubernetes-models project, generated from each project's published CRDs.
  const crdPackages: Record<string, string> = {
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
    "cert-manager.io": "@kubernetes-models/cert-manager",
    "cilium.io": "@kubernetes-models/cilium",
  };
  const module = crdPackages[group!]
    ? `${crdPackages[group!]}/${group}/${version}/${m.kind}`
    : `kubernetes-models/${group ? `${group}/` : ""}${version}/${m.kind}`;
  const mod = (await import(module)) as Record<string, new (d: unknown) => { validate(): void }>;
  const Model = mod[m.kind];
  if (!Model) throw new Error(`no schema for ${m.apiVersion} ${m.kind}`);
  new Model(m).validate();
}
