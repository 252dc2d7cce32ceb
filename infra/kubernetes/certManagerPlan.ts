/**
 * Pure decisions for cert-manager: the pinned chart, its values, and the ClusterIssuer that answers ACME
 * DNS-01 challenges in our Azure DNS zone with a workload identity.
 *
 * Why this design (issue: "TLS certificate chicken-and-egg"): a certificate imported into the Key Vault the
 * same `pulumi up` creates cannot exist before that vault does, and nobody can import into a vault behind a
 * Deny firewall. cert-manager needs no human step: it asks Let's Encrypt, proves control of the name by
 * writing a TXT record into the Azure DNS zone (DNS-01 works before any traffic reaches the ingress, and for
 * a rebuilt cluster in another region), stores the certificate as a Kubernetes Secret the app-routing NGINX
 * serves, and renews it 30 days before expiry (cert-manager.io/docs/usage/certificate, renewBefore default
 * 2/3 of the 90-day lifetime). Its Azure credential is a federated workload identity with "DNS Zone
 * Contributor" on that one zone (cert-manager.io/docs/configuration/acme/dns01/azuredns, "Managed Identity
 * Using AAD Workload Identity") — no client secret anywhere.
 */
import type { AppConfig } from "../apps/config";
import { parseDnsZoneId } from "../apps/ingressPlan";

/** Jetstack's chart; version = cert-manager release (github.com/cert-manager/cert-manager v1.21.2). */
export const CERT_MANAGER_CHART = {
  name: "cert-manager",
  version: "v1.21.2",
  repo: "https://charts.jetstack.io",
} as const;

export const CERT_MANAGER_NAMESPACE = "cert-manager";
/** The chart names its controller's service account after the release (fullname = release name here). */
export const CERT_MANAGER_SERVICE_ACCOUNT = "cert-manager";
/** Every Ingress that wants a certificate names this issuer in `cert-manager.io/cluster-issuer`. */
export const CLUSTER_ISSUER = "letsencrypt";

export const ACME_SERVERS = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({
  requests: { cpu, memory },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

/**
 * Helm values for cert-manager v1.21.2 (keys checked against that version's values.yaml in
 * test/certManager.test.ts). The chart's default security contexts meet Pod Security "restricted"
 * (runAsNonRoot, RuntimeDefault seccomp, no privilege escalation, all capabilities dropped), but set no
 * user or group ids, which Azure Policy's restricted initiative requires (allowed-users-groups MustRunAs:
 * an unset runAsUser/runAsGroup/fsGroup/supplementalGroups is denied; infra/azure/podSecurityPolicyPlan.ts).
 * The images run as distroless `nonroot`, uid 65532 (cert-manager make/base_images.mk); Helm merges these
 * keys into the chart's pod securityContext defaults, so runAsNonRoot and seccomp stay.
 */
const CERT_MANAGER_UID = 65532;
const podIds = {
  securityContext: {
    runAsUser: CERT_MANAGER_UID,
    runAsGroup: CERT_MANAGER_UID,
    fsGroup: CERT_MANAGER_UID,
    supplementalGroups: [CERT_MANAGER_UID],
  },
};
export function certManagerValues(i: {
  workloadIdentityClientId: string;
  serviceMonitorLabels: Record<string, string>;
  replicas: number;
}) {
  return {
    // CRDs installed and upgraded with the release (crds.keep leaves them on uninstall, so deleting the
    // release never garbage-collects every Certificate).
    crds: { enabled: true, keep: true },
    replicaCount: i.replicas,
    podDisruptionBudget: { enabled: i.replicas > 1 },
    // Workload identity: the webhook injects the federated token into pods with this label, for the
    // identity named on their service account (azure.github.io/azure-workload-identity/docs/quick-start).
    podLabels: { "azure.workload.identity/use": "true" },
    serviceAccount: {
      annotations: { "azure.workload.identity/client-id": i.workloadIdentityClientId },
      labels: { "azure.workload.identity/use": "true" },
    },
    resources: resources("50m", "128Mi", "500m", "256Mi"),
    ...podIds,
    // certmanager_certificate_expiration_timestamp_seconds and _ready_status feed the certificate alerts.
    prometheus: { enabled: true, servicemonitor: { enabled: true, labels: i.serviceMonitorLabels } },
    webhook: { resources: resources("20m", "64Mi", "200m", "128Mi"), ...podIds },
    cainjector: { resources: resources("20m", "128Mi", "200m", "256Mi"), ...podIds },
    startupapicheck: { resources: resources("10m", "32Mi", "100m", "64Mi"), ...podIds },
  };
}

/** The ClusterIssuer: ACME with DNS-01 through Azure DNS and the workload identity (no secret). */
export function clusterIssuerManifest(i: {
  ingress: AppConfig["ingress"];
  workloadIdentityClientId: string;
}) {
  const zone = parseDnsZoneId(i.ingress.dnsZoneId);
  if (!zone) throw new Error(`app.ingress.dnsZoneId ${i.ingress.dnsZoneId} is not an Azure DNS zone id`);
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: CLUSTER_ISSUER },
    spec: {
      acme: {
        server: ACME_SERVERS[i.ingress.acmeServer],
        email: i.ingress.acmeEmail,
        privateKeySecretRef: { name: `${CLUSTER_ISSUER}-account-key` },
        solvers: [
          {
            dns01: {
              azureDNS: {
                subscriptionID: zone.subscriptionId,
                resourceGroupName: zone.resourceGroupName,
                hostedZoneName: zone.zoneName,
                environment: "AzurePublicCloud",
                managedIdentity: { clientID: i.workloadIdentityClientId },
              },
            },
          },
        ],
      },
    },
  };
}

/** Name of the admission policy (and its binding) that checks every Certificate's issuer reference. */
export const ISSUER_REF_POLICY = "certificate-issuer-ref";

/**
 * A Certificate naming a cert-manager issuer of a kind that does not exist (`ClusterIsuer`) is never issued,
 * and its CRD accepts any string there; only cert-manager's own webhook refuses it. This
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30; CEL evaluated by the
 * API server itself) refuses it at apply time too, so the mistake fails the `pulumi up` or `kubectl apply`
 * that makes it, whatever happens to the webhook. External issuers (another `issuerRef.group`) are left
 * alone; an empty kind or group means cert-manager's defaults (Issuer, cert-manager.io).
 */
export function issuerRefPolicy() {
  const policy = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: ISSUER_REF_POLICY },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: ["cert-manager.io"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["certificates"],
          },
        ],
      },
      validations: [
        {
          expression:
            "!has(object.spec.issuerRef.kind) || object.spec.issuerRef.kind in ['', 'Issuer', 'ClusterIssuer'] || " +
            "(has(object.spec.issuerRef.group) && !(object.spec.issuerRef.group in ['', 'cert-manager.io']))",
          messageExpression:
            "'spec.issuerRef.kind \"' + object.spec.issuerRef.kind + '\" is not a cert-manager issuer kind: use Issuer or ClusterIssuer'",
          reason: "Invalid",
        },
      ],
    },
  };
  const binding = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: ISSUER_REF_POLICY },
    spec: { policyName: ISSUER_REF_POLICY, validationActions: ["Deny"] },
  };
  return { policy, binding };
}
