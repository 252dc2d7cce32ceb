import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AppConfig } from "./config";
import { registerSecretProviderClass, type VaultObject } from "../kubernetes/secretSync";
import type { FqdnEgress } from "../kubernetes/namespace";
import { planBlueGreen, type Color, type EgressTarget, type PlannedObject } from "./blueGreenPlan";

export interface BlueGreenServiceArgs {
  /** The validated `app` config section (name, namespace, image, port, colors, autoscaling, resources). */
  app: AppConfig;
  /** Service account the pods run as; federated to `workloadIdentityClientId`. */
  serviceAccountName: string;
  /** Client id of the app's user-assigned identity (workload identity). */
  workloadIdentityClientId: pulumi.Input<string>;
  /**
   * Key Vault secrets mounted as files under `mountPath` (default /mnt/secrets), e.g. the Postgres
   * password and the Redis key. The identity must hold "Key Vault Secrets User" on each of them.
   */
  secrets?: {
    vaultName: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
    objects: VaultObject[];
    mountPath?: string;
  };
  /** Plain environment (hosts, ports, file paths); never secret values. */
  env?: Record<string, pulumi.Input<string>>;
  /** Egress besides DNS: e.g. Postgres subnet :5432, endpoints subnet :10000, LLM API :443. */
  egress: EgressTarget[];
  /** HTTPS egress by DNS name (Cilium FQDN policy). */
  egressFqdns?: FqdnEgress;
  /** Namespaces allowed to reach the app port: the ingress controller's and the monitoring namespace. */
  ingressFromNamespaces: string[];
  /** Labels the Prometheus ServiceMonitor selector matches, e.g. `{ release: "kube-prometheus-stack" }`. */
  serviceMonitorLabels: Record<string, string>;
  provider: k8s.Provider;
  /** E.g. the app namespace and the monitoring stack (ServiceMonitor CRD). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A blue-green service (used for agent-api): two Deployments, a stable and a preview Service, per-color
 * HPA and PDB, default-deny NetworkPolicies with explicit allows, a ServiceMonitor labelling series by
 * color. A flip of `app.activeColor` changes only the two Services' selectors (see blueGreenPlan.ts).
 */
export class BlueGreenService extends pulumi.ComponentResource {
  public readonly activeColor: Color;
  /** The stable Service (what the ingress routes to) and the preview Service (smoke tests, gate). */
  public readonly serviceName: string;
  public readonly previewServiceName: string;

  constructor(name: string, args: BlueGreenServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:apps:BlueGreenService", name, {}, opts);
    const app = args.app;
    const mountPath = args.secrets?.mountPath ?? "/mnt/secrets";
    const spcName = `${app.name}-keyvault`;
    let plan: PlannedObject[];
    try {
      plan = planBlueGreen({
        name: app.name,
        namespace: app.namespace,
        image: app.image,
        port: app.port,
        probes: app.probes,
        runAsUser: app.runAsUser,
        activeColor: app.activeColor,
        blue: app.blue,
        green: app.green,
        autoscaling: app.autoscaling,
        resources: app.resources,
        serviceAccountName: args.serviceAccountName,
        env: args.env,
        secretsMount: args.secrets ? { secretProviderClassName: spcName, mountPath } : undefined,
        egress: args.egress,
        egressFqdns: args.egressFqdns,
        ingressFromNamespaces: args.ingressFromNamespaces,
        serviceMonitorLabels: args.serviceMonitorLabels,
      });
    } catch (e) {
      throw new pulumi.ResourceError((e as Error).message, this);
    }
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    const podPrereqs: pulumi.Resource[] = [];
    if (args.secrets) {
      podPrereqs.push(
        registerSecretProviderClass(
          `${name}-secrets`,
          {
            name: spcName,
            namespace: app.namespace,
            vaultName: args.secrets.vaultName,
            tenantId: args.secrets.tenantId,
            clientId: args.workloadIdentityClientId,
            secrets: args.secrets.objects,
          },
          k8sOpts,
        ),
      );
    }
    for (const o of plan) {
      const resName = `${name}-${o.key}`;
      // The plan is data typed loosely on purpose; test/bluegreen.test.ts validates every manifest against
      // the Kubernetes and prometheus-operator schemas, which is stricter than the SDK's argument types.
      const m = o.manifest as never;
      switch (o.kind) {
        case "ServiceAccount": {
          const sa = o.manifest as { metadata: Record<string, unknown> };
          podPrereqs.push(
            new k8s.core.v1.ServiceAccount(
              resName,
              {
                ...(o.manifest as object),
                metadata: {
                  ...sa.metadata,
                  annotations: { "azure.workload.identity/client-id": args.workloadIdentityClientId },
                },
              },
              k8sOpts,
            ),
          );
          break;
        }
        case "Deployment":
          // Pods cannot mount their secrets before the class and the annotated service account exist.
          new k8s.apps.v1.Deployment(resName, m, {
            ...k8sOpts,
            dependsOn: [...(args.dependsOn ?? []), ...podPrereqs],
          });
          break;
        case "Service":
          new k8s.core.v1.Service(resName, m, k8sOpts);
          break;
        case "HorizontalPodAutoscaler":
          new k8s.autoscaling.v2.HorizontalPodAutoscaler(resName, m, k8sOpts);
          break;
        case "PodDisruptionBudget":
          new k8s.policy.v1.PodDisruptionBudget(resName, m, k8sOpts);
          break;
        case "NetworkPolicy":
          new k8s.networking.v1.NetworkPolicy(resName, m, k8sOpts);
          break;
        case "ServiceMonitor":
        case "CiliumNetworkPolicy":
          new k8s.apiextensions.CustomResource(resName, m, k8sOpts);
          break;
      }
    }
    this.activeColor = app.activeColor;
    this.serviceName = app.name;
    this.previewServiceName = `${app.name}-preview`;
    this.registerOutputs({});
  }
}
