/**
 * The application's part of the stack config (blue-green colors, probes, ingress, egress, promotion gate):
 * schema and type; its checks live beside the planners (blueGreenPlan.ts, ingressPlan.ts).
 */
import { z } from "zod";
import { cidr, DNS_LABEL_RE, duration, IMAGE_TAG_RE, int, quantity } from "../configSchema";

const colorDeploymentSchema = z.strictObject({
  tag: z
    .string()
    .regex(IMAGE_TAG_RE, { message: "must be an image tag such as 1.4.2" })
    .refine((t) => t !== "latest", {
      message: 'must be an immutable tag, not "latest" (rollback needs a fixed tag)',
    }),
  replicas: int(0, 100),
});

export const appSchema = z.strictObject({
  name: z.string().regex(DNS_LABEL_RE, { message: "must be a DNS label" }),
  namespace: z.string().regex(DNS_LABEL_RE, { message: "must be a DNS label" }),
  /** Image repository without tag, e.g. myregistry.azurecr.io/agent-api. */
  image: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, {
    message: "must be an image repository without tag, e.g. acragentsprod.azurecr.io/agent-api",
  }),
  port: int(1024, 65535),
  /** HTTP paths of the app's probes on `port` (the agent API serves /health). */
  probes: z
    .strictObject({
      livenessPath: z
        .string()
        .regex(/^\/[\w./-]*$/, { message: "must be an absolute URL path such as /health" }),
      readinessPath: z
        .string()
        .regex(/^\/[\w./-]*$/, { message: "must be an absolute URL path such as /health" }),
    })
    .default({ livenessPath: "/health", readinessPath: "/health" }),
  /** Numeric uid the containers run as (restricted Pod Security: never root). */
  runAsUser: int(1, 2147483647).default(10001),
  /**
   * Public entry: the AKS app-routing (managed NGINX) Ingress for `hostname`. Its TLS certificate is issued
   * and renewed by cert-manager through ACME DNS-01 in the Azure DNS zone `dnsZoneId` (workload identity, no
   * human step; see infra/kubernetes/certManager.ts); the app-routing add-on also keeps the hostname's A record
   * in that zone pointing at the ingress. The blackbox exporter probes https://<hostname><probes.readinessPath>.
   */
  ingress: z.strictObject({
    hostname: z.string().regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, {
      message: "must be a DNS name such as agents.example.com",
    }),
    /** Resource id of the public Azure DNS zone that holds `hostname` (delegated to Azure DNS once, by hand). */
    dnsZoneId: z
      .string()
      .regex(
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/dnszones\/[a-z0-9.-]+$/i,
        {
          message:
            "must be an Azure DNS zone resource id: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/dnszones/<zone>",
        },
      ),
    /** ACME account e-mail: Let's Encrypt writes here when a certificate is about to expire unrenewed. */
    acmeEmail: z.string().email({ message: "must be an e-mail address for the ACME account" }),
    /** "production" issues trusted certificates; "staging" is for trying the setup (untrusted, high limits). */
    acmeServer: z.enum(["production", "staging"]).default("production"),
  }),
  /** Namespace of the ingress controller allowed to reach the app (AKS app routing by default). */
  ingressNamespace: z
    .string()
    .regex(DNS_LABEL_RE, { message: "must be a DNS label" })
    .default("app-routing-system"),
  /**
   * HTTPS (443) egress the app needs besides Postgres, Redis and DNS: the LLM provider. By name (Cilium FQDN
   * policy; needs the AKS Advanced Container Networking security feature, enabled when this list is not
   * empty) and/or by CIDR. `*.openai.azure.com` matches any Azure OpenAI resource; list your own
   * (`<resource>.openai.azure.com`, `api.openai.com`, …) to narrow it.
   */
  httpsEgressFqdns: z
    .array(
      z.string().regex(/^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/, {
        message:
          "must be a DNS name, optionally starting with *. (e.g. myaoai.openai.azure.com or *.openai.azure.com)",
      }),
    )
    .default(["*.openai.azure.com"]),
  httpsEgressCidrs: z.array(cidr).default([]),
  activeColor: z.enum(["blue", "green"], { message: 'must be "blue" or "green"' }),
  blue: colorDeploymentSchema,
  green: colorDeploymentSchema,
  autoscaling: z.strictObject({
    minReplicas: int(1, 100),
    maxReplicas: int(1, 200),
    cpuUtilization: int(10, 95),
  }),
  resources: z.strictObject({
    cpuRequest: quantity("250m"),
    memoryRequest: quantity("256Mi"),
    cpuLimit: quantity("1"),
    memoryLimit: quantity("512Mi"),
  }),
  promotion: z.strictObject({
    window: duration("10m"),
    maxErrorRatio: z.number().min(0).max(1),
    maxP95Seconds: z.number().positive(),
    minRequests: z.number().int().min(1),
  }),
});

export type AppConfig = z.infer<typeof appSchema>;

/** The app's autoscaling bounds agree. */
export function checkApp(a: AppConfig, issue: (path: (string | number)[], message: string) => void): void {
  if (a.autoscaling.minReplicas > a.autoscaling.maxReplicas) {
    issue(["app", "autoscaling", "minReplicas"], "must not exceed app.autoscaling.maxReplicas");
  }
}
