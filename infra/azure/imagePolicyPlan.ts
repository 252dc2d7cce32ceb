/**
 * Pure decisions for the allowed-images Azure Policy on the cluster (infra/azure/imagePolicy.ts).
 *
 * The built-in "Kubernetes cluster containers should only use allowed images" (definition
 * febd0533-8e55-448f-b837-bd0e06f16469), enforced in the cluster by the Azure Policy add-on's Gatekeeper
 * (aksPlan.addonProfiles: azurepolicy), is how the AKS baseline keeps workloads on its own registry
 * (mspnp/aks-baseline, cluster-stamp policy assignments: allowedContainerImagesRegex, excludedNamespaces,
 * effect deny). Parameters as the definition names them.
 *
 * Two assignments, because only the app's images all come from our registry today:
 *  - Deny in the app namespace: a pod there whose image is not in <registry>.azurecr.io is refused at
 *    admission, so a typo'd or public image cannot reach production traffic.
 *  - Audit everywhere else (system namespaces excluded): the monitoring stack, cert-manager and the exporters
 *    run upstream images (quay.io, registry.k8s.io, docker.io) pinned by the charts; they show up as
 *    non-compliant in Azure Policy, which is the list of images to import into the registry before this
 *    becomes Deny there too. Denying them now would stop Prometheus from starting.
 */

export const ALLOWED_IMAGES_POLICY_DEFINITION_ID =
  "/providers/Microsoft.Authorization/policyDefinitions/febd0533-8e55-448f-b837-bd0e06f16469";

/** Namespaces AKS and its add-ons own (their images come from mcr.microsoft.com): never audited. */
export const SYSTEM_NAMESPACES = ["kube-system", "gatekeeper-system", "azure-arc", "app-routing-system"];

/** Only images from this registry: `^<name>\.azurecr\.io/.+$` (dots escaped; the whole reference must match). */
export function registryImageRegex(loginServer: string): string {
  return `^${loginServer.replace(/\./g, "\\.")}/.+$`;
}

export interface ImagePolicyAssignment {
  kind: "deny" | "audit";
  policyAssignmentName: string;
  displayName: string;
  parameters: Record<string, { value: unknown }>;
}

export function imagePolicyAssignments(loginServer: string, appNamespace: string): ImagePolicyAssignment[] {
  const allowedContainerImagesRegex = { value: registryImageRegex(loginServer) };
  return [
    {
      kind: "deny",
      policyAssignmentName: `allowed-images-deny-${appNamespace}`,
      displayName: `Only ${loginServer} images in namespace ${appNamespace} (deny)`,
      parameters: {
        allowedContainerImagesRegex,
        namespaces: { value: [appNamespace] },
        effect: { value: "Deny" },
      },
    },
    {
      kind: "audit",
      policyAssignmentName: "allowed-images-audit",
      displayName: `Images not from ${loginServer} outside ${appNamespace} (audit)`,
      parameters: {
        allowedContainerImagesRegex,
        excludedNamespaces: { value: [...SYSTEM_NAMESPACES, appNamespace] },
        effect: { value: "Audit" },
      },
    },
  ];
}
