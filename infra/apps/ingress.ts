import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as authorization from "@pulumi/azure-native/authorization";
import type { StackConfig } from "../config";
import { ROLES } from "../azure/aksPlan";
import { k8sLabels } from "../naming";

/** The ingress class of the AKS app-routing add-on (managed NGINX). */
export const APP_ROUTING_CLASS = "webapprouting.kubernetes.azure.com";

/**
 * Pure: the Ingress routing `hostname` to the stable Service (never the preview one), TLS terminated with
 * the Key Vault certificate the app-routing add-on fetches and renews from `certificateUri`.
 */
export function ingressManifest(i: {
  name: string;
  namespace: string;
  hostname: string;
  serviceName: string;
  port: number;
  certificateUri: pulumi.Input<string>;
}) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: i.name,
      namespace: i.namespace,
      labels: k8sLabels(i.name, "ingress", i.name),
      annotations: { "kubernetes.azure.com/tls-cert-keyvault-uri": i.certificateUri },
    },
    spec: {
      ingressClassName: APP_ROUTING_CLASS,
      tls: [{ hosts: [i.hostname], secretName: `keyvault-${i.name}` }],
      rules: [
        {
          host: i.hostname,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: i.serviceName, port: { number: i.port } } },
              },
            ],
          },
        },
      ],
    },
  };
}

export interface AppIngressArgs {
  app: StackConfig["app"];
  /** The stable Service (BlueGreenService.serviceName). */
  serviceName: string;
  vaultId: pulumi.Input<string>;
  vaultName: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  /** The app-routing add-on's identity (AksCluster.appRoutingPrincipalId). */
  appRoutingPrincipalId: pulumi.Input<string>;
  provider: k8s.Provider;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The public entry of the app: an app-routing Ingress with its TLS certificate from Key Vault, and the one
 * role assignment the add-on needs to read exactly that certificate (certificates are read as secrets).
 */
export class AppIngress extends pulumi.ComponentResource {
  public readonly url: string;

  constructor(name: string, args: AppIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:apps:AppIngress", name, {}, opts);
    const { hostname, tlsCertificateName } = args.app.ingress;
    const read = new authorization.RoleAssignment(
      `${name}-tls-read`,
      {
        principalId: args.appRoutingPrincipalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.keyVaultSecretsUser}`,
        scope: pulumi.interpolate`${args.vaultId}/secrets/${tlsCertificateName}`,
      },
      { parent: this },
    );
    const m = ingressManifest({
      name: args.app.name,
      namespace: args.app.namespace,
      hostname,
      serviceName: args.serviceName,
      port: args.app.port,
      certificateUri: pulumi.interpolate`https://${args.vaultName}.vault.azure.net/certificates/${tlsCertificateName}`,
    });
    new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      { metadata: m.metadata, spec: m.spec },
      {
        parent: this,
        provider: args.provider,
        dependsOn: [read, ...((args.dependsOn as pulumi.Resource[]) ?? [])],
      },
    );
    this.url = `https://${hostname}`;
    this.registerOutputs({ url: this.url });
  }
}
