/**
 * Pure decisions for the public entry: the app-routing Ingress and the DNS zone its name and certificate
 * live in. infra/apps/ingress.ts turns them into resources.
 */
import type { AppConfig } from "./config";
import { k8sLabels } from "../naming";

/** The ingress class of the AKS app-routing add-on (managed NGINX). */
export const APP_ROUTING_CLASS = "webapprouting.kubernetes.azure.com";

export interface DnsZoneRef {
  subscriptionId: string;
  resourceGroupName: string;
  zoneName: string;
}

/** Splits `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Network/dnszones/<zone>`. */
export function parseDnsZoneId(id: string): DnsZoneRef | undefined {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/dnszones\/([a-z0-9.-]+)$/i.exec(
      id,
    );
  return m ? { subscriptionId: m[1]!, resourceGroupName: m[2]!, zoneName: m[3]!.toLowerCase() } : undefined;
}

/** True when `host` is the zone apex or a name inside the zone. */
export function inZone(host: string, zoneName: string): boolean {
  const h = host.toLowerCase();
  return h === zoneName || h.endsWith(`.${zoneName}`);
}

/** The hostname must live in the DNS zone cert-manager answers DNS-01 challenges in. */
export function ingressConfigProblems(ingress: AppConfig["ingress"]): string[] {
  const zone = parseDnsZoneId(ingress.dnsZoneId);
  if (!zone) return []; // the schema already reported the malformed id
  if (inZone(ingress.hostname, zone.zoneName)) return [];
  return [
    `monitoring-platform:app.ingress.hostname ${ingress.hostname} is not in the DNS zone ${zone.zoneName} ` +
      "(app.ingress.dnsZoneId): cert-manager can only prove names in that zone. Use a name under " +
      `${zone.zoneName}, or point app.ingress.dnsZoneId at the zone that holds ${ingress.hostname}`,
  ];
}

/**
 * The Ingress routing `hostname` to the stable Service (never the preview one). TLS: cert-manager's
 * ingress-shim sees the `cert-manager.io/cluster-issuer` annotation and keeps a Certificate for the
 * `tls` hosts in `secretName`, renewed 30 days before expiry (cert-manager.io/docs/usage/ingress).
 */
export function ingressManifest(i: {
  name: string;
  namespace: string;
  hostname: string;
  serviceName: string;
  port: number;
  clusterIssuer: string;
}) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: i.name,
      namespace: i.namespace,
      labels: k8sLabels(i.name, "ingress", i.name),
      annotations: { "cert-manager.io/cluster-issuer": i.clusterIssuer },
    },
    spec: {
      ingressClassName: APP_ROUTING_CLASS,
      tls: [{ hosts: [i.hostname], secretName: `${i.name}-tls` }],
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
