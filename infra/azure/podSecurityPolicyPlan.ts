/**
 * Pure decisions for the AKS baseline's pod security initiative (infra/azure/podSecurityPolicy.ts): the
 * built-in "Kubernetes cluster pod security restricted standards for Linux-based workloads"
 * (Azure/azure-policy built-in-policies/policySetDefinitions/Kubernetes/Kubernetes_PSPRestrictedStandard.json
 * at 00ad49dc8ffca30e7d6cca66cee9ede5ce705cc0, version 2.5.0; parameters effect, excludedNamespaces),
 * enforced by the Azure Policy add-on's Gatekeeper at Pod admission. Audit in dev, Deny in prod, as the
 * issue asks (the baseline itself assigns it with Audit, mspnp/aks-baseline workload-team/modules/
 * policies.bicep).
 *
 * Excluded: the initiative's own default exclusions, the namespaces AKS add-ons own (their pods are
 * Microsoft's), `aks-command` (where `az aks command invoke` starts its pods) and the monitoring namespace,
 * which cannot meet "restricted" for the same reason it enforces only "privileged" Pod Security
 * (node-exporter needs hostNetwork, hostPID and hostPath; infra/monitoring/monitoringStack.ts). Everything
 * else — the app, cert-manager — is admitted only if it passes: the app's and cert-manager's pod security
 * contexts set every user and group id the initiative's allowed-users-groups rule requires.
 * Deny acts at admission only: running pods are not evicted, they show as non-compliant, and a pod that
 * would be refused is refused at its next rollout or reschedule (learn.microsoft.com/azure/governance/
 * policy/concepts/effect-deny).
 */
import { SYSTEM_NAMESPACES } from "./imagePolicyPlan";

export const POD_SECURITY_RESTRICTED_INITIATIVE_ID =
  "/providers/Microsoft.Authorization/policySetDefinitions/42b8ef37-b724-4e24-bbc8-7a7708edfe00";

/** The initiative's default excludedNamespaces (Kubernetes_PSPRestrictedStandard.json). */
export const INITIATIVE_DEFAULT_EXCLUSIONS = [
  "kube-system",
  "gatekeeper-system",
  "azure-arc",
  "azure-extensions-usage-system",
];

export function podSecurityAssignment(environment: "dev" | "prod", monitoringNamespace: string) {
  const excluded = [
    ...new Set([...INITIATIVE_DEFAULT_EXCLUSIONS, ...SYSTEM_NAMESPACES, "aks-command", monitoringNamespace]),
  ];
  const effect = environment === "prod" ? "Deny" : "Audit";
  return {
    policyAssignmentName: "pod-security-restricted",
    displayName: `Pod security restricted standards for Linux workloads (${effect.toLowerCase()})`,
    policyDefinitionId: POD_SECURITY_RESTRICTED_INITIATIVE_ID,
    parameters: { effect: { value: effect }, excludedNamespaces: { value: excluded } },
  };
}
