/**
 * Pure plan of a blue-green service: every Kubernetes object as data. infra/apps/blueGreen.ts registers
 * them; tests check them without mocks.
 *
 * ## The one invariant: a flip changes only two selectors
 *
 * Switching `activeColor` (promotion, and rollback — the seeds' "rollback = one blue-green switch") must
 * be instant and must not restart, rescale or re-create anything. So `activeColor` is read in exactly one
 * place, `serviceSelectors()`, and flows only into `spec.selector` of the stable Service `<name>` and the
 * preview Service `<name>-preview`. In particular:
 *
 * - Each color has its own Deployment *and its own HPA* (minReplicas = that color's configured replicas).
 *   An HPA that followed the active color would change its scaleTargetRef on every flip and, worse, leave
 *   the newly live color at whatever the HPA-less Deployment had. With one HPA per color both colors are
 *   always ready to take traffic; the active one scales up under load within the HPA's reaction time.
 *   To make that safe, a color that runs at all must run at least `autoscaling.minReplicas` (checked
 *   below), so whichever color becomes live starts with the production floor.
 * - Deployments of running colors carry no `replicas` field: the HPA owns it, and Pulumi re-applying a
 *   number would fight the HPA on every update. A parked color (replicas 0) has `replicas: 0`, no HPA
 *   (an HPA cannot hold 0) and no PodDisruptionBudget (nothing to protect).
 * - Scraping goes through a third, headless `<name>-metrics` Service selecting both colors, so the series'
 *   labels do not change at a flip; the pod label `color` becomes the `color` label.
 * - Nothing else (labels, annotations, env) mentions the active color.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AppConfig } from "./config";
import { parseCidr } from "../cidr";
import { k8sLabels } from "../naming";
import {
  dnsEgressRule,
  fqdnEgressPolicy,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  type FqdnEgress,
} from "../kubernetes/namespace";
import { csiSecretsVolume } from "../kubernetes/secretSync";

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

export function otherColor(c: Color): Color {
  return c === "blue" ? "green" : "blue";
}

/** An allowed egress destination: a CIDR (optionally with holes) and TCP ports. */
export interface EgressTarget {
  /** What it is, for readers of the policy ("postgres", "redis"). */
  name: string;
  cidr: string;
  ports: number[];
  /** Ranges inside `cidr` that stay closed (e.g. private ranges when `cidr` is 0.0.0.0/0). */
  except?: string[];
}

export interface BlueGreenPlanInput {
  /** App name: Deployments `<name>-<color>`, Services `<name>`, `<name>-preview`, `<name>-metrics`. */
  name: string;
  namespace: string;
  /** Image repository without tag. */
  image: string;
  /** Container (and Service) port; also serves /metrics and the probe paths. */
  port: number;
  /** HTTP paths probed on `port`. */
  probes: AppConfig["probes"];
  activeColor: Color;
  blue: AppConfig["blue"];
  green: AppConfig["green"];
  autoscaling: AppConfig["autoscaling"];
  resources: AppConfig["resources"];
  serviceAccountName: string;
  /** Plain environment variables (no secrets: those are files, see `secretsMount`). */
  env?: Record<string, pulumi.Input<string>>;
  /** A SecretProviderClass mounted read-only at `mountPath` (Key Vault secrets as files). */
  secretsMount?: { secretProviderClassName: string; mountPath: string };
  /** Egress allowed besides cluster DNS. */
  egress: EgressTarget[];
  /** HTTPS egress by DNS name (a CiliumNetworkPolicy); omitted or empty: none. */
  egressFqdns?: FqdnEgress;
  /** Namespaces allowed to call the app port: the ingress controller's, and Prometheus'. */
  ingressFromNamespaces: string[];
  /** Labels the Prometheus ServiceMonitor selector matches. */
  serviceMonitorLabels: Record<string, string>;
  /** Numeric uid the app runs as (default 10001). */
  runAsUser?: number;
}

/** One object of the plan; `key` is stable and becomes the Pulumi resource name suffix. */
export interface PlannedObject {
  key: string;
  kind:
    | "ServiceAccount"
    | "Deployment"
    | "Service"
    | "HorizontalPodAutoscaler"
    | "PodDisruptionBudget"
    | "NetworkPolicy"
    | "ServiceMonitor"
    | "CiliumNetworkPolicy";
  // A Kubernetes manifest (apiVersion, kind, metadata, spec); values may be Pulumi inputs.
  manifest: { apiVersion: string; kind: string; metadata: Record<string, unknown> } & Record<string, unknown>;
}

/**
 * Problems in the `app` config the schema cannot see (replicas against the autoscaling bounds, name
 * length), as messages naming the key and the fix. infra/config.ts reports them before any resource.
 */
export function appConfigProblems(
  app: Pick<BlueGreenPlanInput, "name" | "activeColor" | "blue" | "green" | "autoscaling">,
): string[] {
  const problems: string[] = [];
  const { autoscaling } = app;
  for (const c of COLORS) {
    const r = app[c].replicas;
    if (r > 0 && r < autoscaling.minReplicas) {
      problems.push(
        `monitoring-platform:app.${c}.replicas is ${r}, below app.autoscaling.minReplicas (${autoscaling.minReplicas}): ` +
          `a color that runs can become live at any flip and must start with the production floor; ` +
          `set app.${c}.replicas to at least ${autoscaling.minReplicas}, or to 0 to park the color`,
      );
    }
    if (r > autoscaling.maxReplicas) {
      problems.push(
        `monitoring-platform:app.${c}.replicas is ${r}, above app.autoscaling.maxReplicas (${autoscaling.maxReplicas}): ` +
          `raise app.autoscaling.maxReplicas or lower the replicas`,
      );
    }
  }
  if (app[app.activeColor].replicas === 0) {
    problems.push(
      `monitoring-platform:app.${app.activeColor}.replicas is 0 for the active color: the live service would have no pods`,
    );
  }
  // `<name>-preview`/`<name>-metrics` and `<name>-green` must stay DNS labels (63 characters).
  if (app.name.length > 63 - "-metrics".length) {
    problems.push(`monitoring-platform:app.name "${app.name}" is too long: use at most 55 characters`);
  }
  return problems;
}

/**
 * Checks what the config schema cannot: replica counts against the autoscaling bounds, names that would
 * exceed Kubernetes limits, egress CIDRs. Throws an Error naming the key and the fix.
 */
export function validateBlueGreen(input: BlueGreenPlanInput): void {
  const [problem] = appConfigProblems(input);
  if (problem) throw new Error(problem);
  for (const t of input.egress) {
    for (const c of [t.cidr, ...(t.except ?? [])]) {
      if (!parseCidr(c))
        throw new Error(`egress target "${t.name}": ${c} is not an IPv4 CIDR such as 10.20.8.0/24`);
    }
    if (t.ports.length === 0 || t.ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
      throw new Error(`egress target "${t.name}": ports must be 1-65535 and at least one`);
    }
  }
  if (input.ingressFromNamespaces.length === 0) {
    throw new Error(
      "ingressFromNamespaces is empty: nothing could reach the service (list the ingress namespace)",
    );
  }
}

/** Plan keys of the two Services a flip changes (resource names are `<name>-<key>`). */
export const SERVICE_KEYS = { stable: "service", preview: "service-preview" } as const;

/**
 * URNs of the two Services a flip changes, for a targeted `pulumi up`: a 3 AM rollback must not be blocked
 * by (or ship) unrelated drift elsewhere in the stack.
 */
export function flipTargets(project: string, stack: string, name: string): string[] {
  const type = "monitoring-platform:apps:BlueGreenService$kubernetes:core/v1:Service";
  return [SERVICE_KEYS.stable, SERVICE_KEYS.preview].map(
    (k) => `urn:pulumi:${stack}::${project}::${type}::${name}-${k}`,
  );
}

/** The only place `activeColor` is read: the two Services' selectors. */
export function serviceSelectors(name: string, activeColor: Color) {
  return {
    stable: { app: name, color: activeColor },
    preview: { app: name, color: otherColor(activeColor) },
  };
}

/** What every object of the app shares: names, namespace, labels. */
interface PlanContext {
  input: BlueGreenPlanInput;
  /** app.kubernetes.io labels of every object. */
  base: Record<string, string>;
  meta(
    objName: string,
    extra?: Record<string, string>,
  ): {
    name: string;
    namespace: string;
    labels: Record<string, string>;
  };
}

function planContext(input: BlueGreenPlanInput): PlanContext {
  const base = k8sLabels(input.name, "api", input.name);
  return {
    input,
    base,
    meta: (objName, extra = {}) => ({
      name: objName,
      namespace: input.namespace,
      labels: { ...base, app: input.name, ...extra },
    }),
  };
}

/**
 * Plans every object: the service account, per color its Deployment and (when it runs) autoscaling and
 * disruption budget, the Services, the ServiceMonitor and the network policies. Pure; throws (see
 * `validateBlueGreen`) on invalid input.
 */
export function planBlueGreen(input: BlueGreenPlanInput): PlannedObject[] {
  validateBlueGreen(input);
  const ctx = planContext(input);
  return [
    serviceAccount(ctx),
    ...COLORS.flatMap((color) => colorObjects(ctx, color)),
    ...services(ctx),
    serviceMonitor(ctx),
    ...networkPolicies(ctx),
  ];
}

function serviceAccount({ input, meta }: PlanContext): PlannedObject {
  return {
    key: "sa",
    kind: "ServiceAccount",
    manifest: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      // The workload identity client-id annotation is added by the component (it is an output).
      metadata: meta(input.serviceAccountName),
      automountServiceAccountToken: false,
    },
  };
}

/** One color: its Deployment, and while it runs its HPA and PodDisruptionBudget. */
function colorObjects(ctx: PlanContext, color: Color): PlannedObject[] {
  const running = ctx.input[color].replicas > 0;
  return [
    colorDeployment(ctx, color),
    ...(running ? [colorAutoscaler(ctx, color), colorDisruptionBudget(ctx, color)] : []),
  ];
}

/** The pod's volumes and mounts: a bounded /tmp (the root filesystem is read-only), the CSI secrets. */
function podStorage(input: BlueGreenPlanInput) {
  const volumeMounts = [
    { name: "tmp", mountPath: "/tmp" },
    ...(input.secretsMount
      ? [{ name: "secrets", mountPath: input.secretsMount.mountPath, readOnly: true }]
      : []),
  ];
  const volumes: Record<string, unknown>[] = [
    // The root filesystem is read-only; /tmp is the one writable place, bounded so it cannot fill the node.
    { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
    ...(input.secretsMount ? [csiSecretsVolume("secrets", input.secretsMount.secretProviderClassName)] : []),
  ];
  return { volumeMounts, volumes };
}

/** The app container: probes on the configured paths, restricted security context, the requested resources. */
function appContainer(
  input: BlueGreenPlanInput,
  tag: string,
  env: { name: string; value: pulumi.Input<string> }[],
  volumeMounts: Record<string, unknown>[],
): Record<string, unknown> {
  const { port, resources } = input;
  return {
    name: "app",
    image: `${input.image}:${tag}`,
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
    env,
    // Slow starts (model warm-up) get 60 s before liveness may kill the container.
    startupProbe: {
      httpGet: { path: input.probes.livenessPath, port: "http" },
      periodSeconds: 2,
      failureThreshold: 30,
    },
    readinessProbe: {
      httpGet: { path: input.probes.readinessPath, port: "http" },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    livenessProbe: {
      httpGet: { path: input.probes.livenessPath, port: "http" },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    resources: {
      requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
      limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
    },
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts,
  };
}

function colorDeployment(ctx: PlanContext, color: Color): PlannedObject {
  const { input, base, meta } = ctx;
  const { name } = input;
  const { tag, replicas } = input[color];
  const deployName = `${name}-${color}`;
  const podSelector = { app: name, color };
  const running = replicas > 0;
  const { volumeMounts, volumes } = podStorage(input);
  const env = [
    ...Object.entries(input.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
    // The color this pod belongs to (not whether it is live: that would change at every flip).
    { name: "APP_COLOR", value: color },
  ];
  return {
    key: `deployment-${color}`,
    kind: "Deployment",
    manifest: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(deployName, { color, "app.kubernetes.io/instance": deployName }),
      spec: {
        // Running colors: the HPA owns `replicas` (see the file comment). Parked colors: explicitly 0.
        ...(running ? {} : { replicas: 0 }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: podSelector },
        // A new tag on the preview color rolls without losing capacity.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        template: {
          metadata: {
            labels: {
              ...base,
              ...podSelector,
              "app.kubernetes.io/instance": deployName,
              "app.kubernetes.io/version": tag,
              "azure.workload.identity/use": "true",
            },
          },
          spec: {
            serviceAccountName: input.serviceAccountName,
            // The app does not call the Kubernetes API; the workload identity token is projected separately.
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(input.runAsUser ?? 10001),
            terminationGracePeriodSeconds: 30,
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: podSelector },
              },
            ],
            containers: [appContainer(input, tag, env, volumeMounts)],
            volumes,
          },
        },
      },
    },
  };
}

function colorAutoscaler({ input, meta }: PlanContext, color: Color): PlannedObject {
  const { replicas } = input[color];
  const deployName = `${input.name}-${color}`;
  const { autoscaling } = input;
  return {
    key: `hpa-${color}`,
    kind: "HorizontalPodAutoscaler",
    manifest: {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta(deployName, { color }),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployName },
        minReplicas: replicas,
        maxReplicas: autoscaling.maxReplicas,
        metrics: [
          {
            type: "Resource",
            resource: {
              name: "cpu",
              target: { type: "Utilization", averageUtilization: autoscaling.cpuUtilization },
            },
          },
        ],
        // Up fast (a flip can land full traffic on this color), down slowly (no flapping).
        behavior: {
          scaleUp: {
            stabilizationWindowSeconds: 0,
            policies: [{ type: "Percent", value: 100, periodSeconds: 30 }],
          },
          scaleDown: { stabilizationWindowSeconds: 300 },
        },
      },
    },
  };
}

function colorDisruptionBudget({ input, meta }: PlanContext, color: Color): PlannedObject {
  const deployName = `${input.name}-${color}`;
  const podSelector = { app: input.name, color };
  return {
    key: `pdb-${color}`,
    kind: "PodDisruptionBudget",
    manifest: {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta(deployName, { color }),
      spec: {
        // maxUnavailable (not minAvailable = replicas): a node drain can always evict one pod at a time,
        // even for a single-replica color, so cluster upgrades never block on us.
        maxUnavailable: 1,
        selector: { matchLabels: podSelector },
        // Pods that are not ready yet may always be evicted (they serve nothing).
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    },
  };
}

/** The live Service, the preview Service (the only objects a flip changes) and the headless metrics one. */
function services({ input, meta }: PlanContext): PlannedObject[] {
  const { name, port } = input;
  const selectors = serviceSelectors(name, input.activeColor);
  const servicePorts = [{ name: "http", port, targetPort: "http", protocol: "TCP" }];
  return [
    {
      key: SERVICE_KEYS.stable,
      kind: "Service",
      manifest: {
        apiVersion: "v1",
        kind: "Service",
        metadata: meta(name, { "app.kubernetes.io/component": "api" }),
        spec: { type: "ClusterIP", selector: selectors.stable, ports: servicePorts },
      },
    },
    {
      key: SERVICE_KEYS.preview,
      kind: "Service",
      manifest: {
        apiVersion: "v1",
        kind: "Service",
        metadata: meta(`${name}-preview`, { "app.kubernetes.io/component": "preview" }),
        spec: { type: "ClusterIP", selector: selectors.preview, ports: servicePorts },
      },
    },
    {
      key: "service-metrics",
      kind: "Service",
      manifest: {
        apiVersion: "v1",
        kind: "Service",
        metadata: meta(`${name}-metrics`, { "app.kubernetes.io/component": "metrics" }),
        // Headless, both colors: Prometheus scrapes every pod directly, whatever is live.
        spec: { clusterIP: "None", selector: { app: name }, ports: servicePorts },
      },
    },
  ];
}

function serviceMonitor({ input, meta }: PlanContext): PlannedObject {
  const { name, namespace: ns } = input;
  return {
    key: "servicemonitor",
    kind: "ServiceMonitor",
    manifest: {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { ...meta(name), labels: { ...meta(name).labels, ...input.serviceMonitorLabels } },
      spec: {
        selector: { matchLabels: { app: name, "app.kubernetes.io/component": "metrics" } },
        namespaceSelector: { matchNames: [ns] },
        endpoints: [
          {
            port: "http",
            path: "/metrics",
            relabelings: [
              // The metric contract: every agent-api series carries `color`, and the job is the app name.
              {
                action: "replace",
                sourceLabels: ["__meta_kubernetes_pod_label_color"],
                targetLabel: "color",
              },
              { action: "replace", targetLabel: "job", replacement: name },
            ],
          },
        ],
      },
    },
  };
}

/** Default deny both ways; ingress from the ingress namespaces; egress to DNS and the listed targets. */
function networkPolicies({ input, meta }: PlanContext): PlannedObject[] {
  const { name, namespace: ns, port } = input;
  const appPods = { matchLabels: { app: name } };
  const policies: PlannedObject[] = [
    {
      key: "netpol-default-deny",
      kind: "NetworkPolicy",
      manifest: {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(`${name}-default-deny`),
        // Everything in the namespace, both directions: what is not allowed below is refused.
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
    },
    {
      key: "netpol-ingress",
      kind: "NetworkPolicy",
      manifest: {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(`${name}-allow-ingress`),
        // Kubelet probes come from the node itself, which Cilium (the AKS network policy engine here)
        // always admits; only pod-to-pod traffic needs listing.
        spec: {
          podSelector: appPods,
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: input.ingressFromNamespaces.map((n) => ({
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
              })),
              ports: [{ protocol: "TCP", port }],
            },
          ],
        },
      },
    },
    {
      key: "netpol-egress",
      kind: "NetworkPolicy",
      manifest: {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(`${name}-allow-egress`),
        spec: {
          podSelector: appPods,
          policyTypes: ["Egress"],
          egress: [
            dnsEgressRule(),
            ...input.egress.map((t) => ({
              to: [{ ipBlock: { cidr: t.cidr, ...(t.except?.length ? { except: t.except } : {}) } }],
              ports: t.ports.map((p) => ({ protocol: "TCP", port: p })),
            })),
          ],
        },
      },
    },
  ];
  if (input.egressFqdns && input.egressFqdns.names.length > 0) {
    policies.push({
      key: "cnp-fqdn-egress",
      kind: "CiliumNetworkPolicy",
      manifest: fqdnEgressPolicy(name, ns, input.egressFqdns),
    });
  }
  return policies;
}
