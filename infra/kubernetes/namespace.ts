/**
 * Namespaces with Pod Security Standards (PSS) labels, so the API server itself refuses pods that do not
 * meet the standard (https://kubernetes.io/docs/concepts/security/pod-security-admission/), and the
 * pieces every workload of ours shares to pass it: the restricted pod/container security contexts and the
 * DNS egress rule that any egress-restricting NetworkPolicy needs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels } from "../naming";

/** The three Pod Security Standards, weakest last. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

export interface NamespaceSpec {
  /** Namespace name (a DNS label). */
  name: string;
  /** `app.kubernetes.io/component` of what lives here, e.g. "api" or "observability". */
  component: string;
  /** `app.kubernetes.io/part-of`, e.g. "monitoring-platform". */
  partOf: string;
  /**
   * Level the API server enforces. Defaults to "restricted"; lower it only for namespaces that must run
   * host-level agents (node-exporter needs hostNetwork), and say why at the call site.
   */
  enforce?: PodSecurityLevel;
  /** Extra labels (e.g. for NetworkPolicy namespace selectors). PSS labels cannot be overridden here. */
  labels?: Record<string, string>;
}

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The Namespace object. `warn` and `audit` always use "restricted", whatever is enforced, so a namespace
 * that enforces less still reports every pod that would not pass the strict standard. The version is
 * "latest": the cluster's own PSS definition, which tightens as Kubernetes upgrades (pinning an old
 * version would silently keep weaker checks).
 */
export function namespaceManifest(spec: NamespaceSpec) {
  if (!DNS_LABEL_RE.test(spec.name)) {
    throw new Error(
      `namespace name "${spec.name}" is not a DNS label: use lower-case letters, digits and "-"`,
    );
  }
  const enforce = spec.enforce ?? "restricted";
  return {
    apiVersion: "v1" as const,
    kind: "Namespace" as const,
    metadata: {
      name: spec.name,
      labels: {
        ...spec.labels,
        ...k8sLabels(spec.name, spec.component, spec.partOf),
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
      },
    },
  };
}

/** Registers the namespace with the given (explicit) Kubernetes provider. */
export function createNamespace(
  resourceName: string,
  spec: NamespaceSpec,
  opts: pulumi.CustomResourceOptions & { provider: k8s.Provider },
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(resourceName, namespaceManifest(spec), opts);
}

/**
 * Pod-level security context that passes the "restricted" standard: non-root with a fixed uid (images
 * that declare a user name instead of a number would otherwise be refused by runAsNonRoot) and the
 * runtime's default seccomp profile. fsGroup makes mounted volumes readable by that uid.
 * supplementalGroups too: Azure Policy's restricted initiative (allowed-users-groups, MustRunAs 1-65535)
 * denies a pod that leaves runAsUser, runAsGroup, fsGroup or supplementalGroups unset
 * (Azure/azure-policy built-in-references/Kubernetes/allowed-users-groups/template.yaml); an empty list is
 * dropped by the API server, so it holds the uid.
 */
export function restrictedPodSecurityContext(uid: number) {
  if (!Number.isInteger(uid) || uid < 1)
    throw new Error(`runAsUser must be a non-root uid (>= 1), got ${uid}`);
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    supplementalGroups: [uid],
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Container-level security context for "restricted": no privilege escalation, every capability dropped,
 * read-only root filesystem (writable paths are explicit emptyDirs), default seccomp.
 */
export function restrictedContainerSecurityContext() {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * NetworkPolicy egress rule for cluster DNS (CoreDNS in kube-system). Every policy that restricts egress
 * needs it, or name resolution — and with it every connection — fails.
 */
export function dnsEgressRule() {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
      },
    ],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}

/** Egress by DNS name: Cilium matches the names the pod resolves and opens `ports` to their addresses. */
export interface FqdnEgress {
  /** Exact names (`api.openai.com`) or one-label wildcards (`*.openai.azure.com`). */
  names: string[];
  ports: number[];
}

/**
 * Egress by name (cilium.io/v2 CiliumNetworkPolicy, toFQDNs). Cilium learns a name's addresses from the
 * DNS answers its proxy sees, so the policy must also send the pods' DNS through that proxy (the `dns`
 * rule on port 53 to kube-dns); without it toFQDNs never matches (docs.cilium.io/en/stable/security/dns,
 * learn.microsoft.com/azure/aks/how-to-apply-fqdn-filtering-policies). Allows add up with the Kubernetes
 * NetworkPolicies of the namespace (Cilium enforces their union).
 */
export function fqdnEgressPolicy(name: string, namespace: string, e: FqdnEgress) {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name: `${name}-allow-fqdn-egress`, namespace, labels: { app: name } },
    spec: {
      endpointSelector: { matchLabels: { app: name } },
      egress: [
        {
          toEndpoints: [
            { matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } },
          ],
          toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
        },
        {
          toFQDNs: e.names.map((n) => (n.startsWith("*.") ? { matchPattern: n } : { matchName: n })),
          toPorts: [{ ports: e.ports.map((p) => ({ port: String(p), protocol: "TCP" })) }],
        },
      ],
    },
  };
}

/** Where workload identities exchange their federated token for an Entra ID access token (public cloud). */
export const ENTRA_TOKEN_FQDN = "login.microsoftonline.com";
