import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AppConfig } from "../apps/config";
import { createNamespace } from "./namespace";
import {
  CERT_MANAGER_CHART,
  CERT_MANAGER_NAMESPACE,
  certManagerValues,
  CLUSTER_ISSUER,
  clusterIssuerManifest,
  issuerRefPolicy,
} from "./certManagerPlan";

export interface CertManagerArgs {
  ingress: AppConfig["ingress"];
  /** Client id of the workload identity with DNS Zone Contributor on the zone (federated to cert-manager's SA). */
  workloadIdentityClientId: pulumi.Input<string>;
  serviceMonitorLabels: Record<string, string>;
  replicas: number;
  provider: k8s.Provider;
  /** The identity component (its federated credential and role must exist before cert-manager runs). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * cert-manager (pinned chart) and the `letsencrypt` ClusterIssuer; see certManagerPlan.ts for why.
 * Ingresses get certificates by naming `clusterIssuer` in their annotations and depending on this component.
 */
export class CertManager extends pulumi.ComponentResource {
  public readonly clusterIssuer = CLUSTER_ISSUER;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:kubernetes:CertManager", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const namespace = createNamespace(
      `${name}-namespace`,
      { name: CERT_MANAGER_NAMESPACE, component: "certificates", partOf: "cert-manager" },
      k8sOpts,
    );
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: "cert-manager",
        namespace: CERT_MANAGER_NAMESPACE,
        chart: CERT_MANAGER_CHART.name,
        version: CERT_MANAGER_CHART.version,
        repositoryOpts: { repo: CERT_MANAGER_CHART.repo },
        values: pulumi.output(args.workloadIdentityClientId).apply((clientId) =>
          certManagerValues({
            workloadIdentityClientId: clientId,
            serviceMonitorLabels: args.serviceMonitorLabels,
            replicas: args.replicas,
          }),
        ),
        timeout: 600,
        atomic: true,
        cleanupOnFail: true,
      },
      { ...k8sOpts, dependsOn: [namespace, ...(args.dependsOn as pulumi.Resource[])] },
    );
    const issuer = pulumi
      .output(args.workloadIdentityClientId)
      .apply((clientId) =>
        clusterIssuerManifest({ ingress: args.ingress, workloadIdentityClientId: clientId }),
      );
    // The ClusterIssuer CRD comes with the release.
    new k8s.apiextensions.CustomResource(
      `${name}-cluster-issuer`,
      {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: issuer.metadata,
        spec: issuer.spec,
      },
      { ...k8sOpts, dependsOn: [release] },
    );
    // The API server refuses Certificates naming a cert-manager issuer kind that does not exist.
    const vap = issuerRefPolicy();
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-issuer-ref-policy`,
      { metadata: vap.policy.metadata, spec: vap.policy.spec },
      { ...k8sOpts, dependsOn: [release] },
    );
    new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-issuer-ref-binding`,
      { metadata: vap.binding.metadata, spec: vap.binding.spec },
      { ...k8sOpts, dependsOn: [policy] },
    );
    this.registerOutputs({ clusterIssuer: this.clusterIssuer });
  }
}
