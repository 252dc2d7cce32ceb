import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AppConfig } from "./config";
import { ingressManifest } from "./ingressPlan";

export { APP_ROUTING_CLASS, ingressManifest } from "./ingressPlan";

export interface AppIngressArgs {
  app: AppConfig;
  /** The stable Service (BlueGreenService.serviceName). */
  serviceName: string;
  /** cert-manager ClusterIssuer that issues and renews the certificate (CertManager.clusterIssuer). */
  clusterIssuer: string;
  provider: k8s.Provider;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The public entry of the app: an app-routing Ingress whose certificate cert-manager issues into the app's
 * namespace (Secret `<app>-tls`) and renews on its own. Nothing is imported into Key Vault by hand, so the
 * first `pulumi up` goes through and there is no yearly renewal chore.
 */
export class AppIngress extends pulumi.ComponentResource {
  public readonly url: string;

  constructor(name: string, args: AppIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:apps:AppIngress", name, {}, opts);
    const { hostname } = args.app.ingress;
    const m = ingressManifest({
      name: args.app.name,
      namespace: args.app.namespace,
      hostname,
      serviceName: args.serviceName,
      port: args.app.port,
      clusterIssuer: args.clusterIssuer,
    });
    new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      { metadata: m.metadata, spec: m.spec },
      { parent: this, provider: args.provider, dependsOn: args.dependsOn },
    );
    this.url = `https://${hostname}`;
    this.registerOutputs({ url: this.url });
  }
}
