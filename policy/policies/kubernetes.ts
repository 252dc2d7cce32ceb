/**
 * The in-cluster promises: Pod Security "restricted", requests and limits, no public LoadBalancer unless
 * allowed. Inputs are the Kubernetes manifests the provider applies (apiVersion/kind/metadata/spec).
 */
import { type Obj, type PolicyResource, type ResourcePolicy, arr, obj, peek } from "./types";

export const WORKLOAD_TYPES = [
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
  "kubernetes:apps/v1:ReplicaSet",
  "kubernetes:batch/v1:Job",
  "kubernetes:batch/v1:CronJob",
  "kubernetes:core/v1:Pod",
] as const;

/** The pod spec a workload creates pods from. */
export function podSpec(r: PolicyResource): Obj {
  const spec = obj(peek(() => r.props.spec));
  if (r.type === "kubernetes:core/v1:Pod") return spec;
  if (r.type === "kubernetes:batch/v1:CronJob")
    return obj(obj(obj(obj(spec.jobTemplate).spec).template).spec);
  return obj(obj(spec.template).spec);
}

export function containersOf(pod: Obj): { kind: string; c: Obj }[] {
  return [
    ...arr(pod.initContainers).map((c) => ({ kind: "initContainer", c: obj(c) })),
    ...arr(pod.containers).map((c) => ({ kind: "container", c: obj(c) })),
    ...arr(pod.ephemeralContainers).map((c) => ({ kind: "ephemeralContainer", c: obj(c) })),
  ];
}

/** Volume types the restricted profile allows (https://kubernetes.io/docs/concepts/security/pod-security-standards/, "Volume Types"). */
const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * The Pod Security Standards "restricted" profile (which includes "baseline"), field by field as the
 * standard lists them: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (v1.33).
 * Container-level settings win over pod-level ones where the standard allows either.
 */
export function restrictedViolations(pod: Obj): string[] {
  const out: string[] = [];
  const psc = obj(pod.securityContext);
  for (const k of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (pod[k] === true) out.push(`${k} must not be true`);
  }
  for (const v of arr(pod.volumes).map(obj)) {
    const kinds = Object.keys(v).filter((k) => k !== "name");
    const bad = kinds.filter((k) => !RESTRICTED_VOLUMES.has(k));
    if (bad.length)
      out.push(`volume ${String(v.name)} uses ${bad.join(", ")} (not allowed under restricted)`);
  }
  const podSeccomp = obj(psc.seccompProfile).type;
  if (podSeccomp === "Unconfined") out.push("pod seccompProfile must not be Unconfined");
  if (psc.runAsUser === 0) out.push("pod runAsUser must not be 0");
  for (const s of arr(psc.sysctls).map(obj)) out.push(`pod sets sysctl ${String(s.name)}`);
  for (const { kind, c } of containersOf(pod)) {
    const who = `${kind} ${String(c.name)}`;
    const sc = obj(c.securityContext);
    if (sc.privileged === true) out.push(`${who}: privileged must not be true`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${who}: allowPrivilegeEscalation must be false`);
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) out.push(`${who}: runAsNonRoot must be true (container or pod)`);
    if (sc.runAsUser === 0) out.push(`${who}: runAsUser must not be 0`);
    const seccomp = obj(sc.seccompProfile).type ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      out.push(`${who}: seccompProfile.type must be RuntimeDefault or Localhost (container or pod)`);
    }
    const caps = obj(sc.capabilities);
    if (!arr(caps.drop).includes("ALL")) out.push(`${who}: capabilities.drop must include ALL`);
    const added = arr(caps.add).filter((a) => a !== "NET_BIND_SERVICE");
    if (added.length)
      out.push(`${who}: capabilities.add may only hold NET_BIND_SERVICE, not ${added.join(", ")}`);
    if (arr(c.ports).some((p) => obj(p).hostPort !== undefined && obj(p).hostPort !== 0)) {
      out.push(`${who}: hostPort must not be set`);
    }
    if (sc.procMount !== undefined && sc.procMount !== "Default")
      out.push(`${who}: procMount must be Default`);
  }
  return out;
}

export const podSecurityRestricted: ResourcePolicy = {
  kind: "resource",
  name: "pod-security-restricted",
  description: "Every workload the program defines meets the Pod Security Standards restricted profile.",
  types: WORKLOAD_TYPES,
  check: (r) => restrictedViolations(podSpec(r)),
};

export const workloadRequestsLimits: ResourcePolicy = {
  kind: "resource",
  name: "workload-requests-limits",
  description: "Every container sets CPU and memory requests and limits.",
  types: WORKLOAD_TYPES,
  // Requests drive scheduling and the HPA's utilisation ratio; a memory limit bounds a leak to its pod
  // (https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/).
  check: (r) =>
    containersOf(podSpec(r))
      .filter(({ kind }) => kind !== "ephemeralContainer")
      .flatMap(({ kind, c }) => {
        const res = obj(c.resources);
        const missing = (["requests", "limits"] as const).flatMap((k) =>
          ["cpu", "memory"].filter((x) => obj(res[k])[x] === undefined).map((x) => `${k}.${x}`),
        );
        return missing.length ? [`${kind} ${String(c.name)}: resources ${missing.join(", ")} not set`] : [];
      }),
};

/** AKS makes a LoadBalancer Service internal with this annotation (https://learn.microsoft.com/azure/aks/internal-lb). */
export const INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal";

export const noPublicLoadBalancer: ResourcePolicy = {
  kind: "resource",
  name: "no-public-loadbalancer",
  description:
    "No Service is a public LoadBalancer unless the policy config allows it (allowPublicLoadBalancers: namespace/name).",
  types: ["kubernetes:core/v1:Service"],
  check: (r, ctx) => {
    const spec = obj(peek(() => r.props.spec));
    if (spec.type !== "LoadBalancer") return [];
    const meta = obj(peek(() => r.props.metadata));
    if (obj(meta.annotations)[INTERNAL_LB_ANNOTATION] === "true") return [];
    const id = `${String(meta.namespace ?? "default")}/${String(meta.name ?? r.name)}`;
    return ctx.allowPublicLoadBalancers.includes(id)
      ? []
      : [
          `Service ${id} is a public LoadBalancer: annotate ${INTERNAL_LB_ANNOTATION}: "true", use the ingress, ` +
            `or allow it in the policy config (allowPublicLoadBalancers)`,
        ];
  },
};

/**
 * Key Vault secrets kept for break-glass use by operators only: no pod mounts them. The app reaches Redis
 * and Postgres with its workload identity (Entra ID access policy, an Entra Postgres role); redis_exporter,
 * the one tool that needs the Redis key, reads its own password-map secret; the roles Job logs in to
 * Postgres as an Entra administrator, so nobody in the cluster holds the server admin's password.
 */
export const BREAK_GLASS_SECRETS = ["redis-access-key", "postgres-admin-password"];

export const noBreakGlassSecretsMounted: ResourcePolicy = {
  kind: "resource",
  name: "no-break-glass-secrets-mounted",
  description:
    "No SecretProviderClass mounts a break-glass secret (the Redis access key, the Postgres admin password) into a pod.",
  types: ["kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"],
  // The CSI driver's `objects` parameter is YAML text naming each objectName
  // (secrets-store-csi-driver-provider-azure, "SecretProviderClass parameters").
  check: (r) => {
    const objects = String(peek(() => obj(obj(r.props.spec).parameters).objects) ?? "");
    return BREAK_GLASS_SECRETS.filter((name) =>
      new RegExp(`objectName:\\s*["']?${name}["']?\\s*$`, "m").test(objects),
    ).map(
      (name) =>
        `mounts ${name}: it is for break-glass use only; give the workload its own identity or secret`,
    );
  },
};

export const kubernetesResourcePolicies: ResourcePolicy[] = [
  podSecurityRestricted,
  workloadRequestsLimits,
  noPublicLoadBalancer,
  noBreakGlassSecretsMounted,
];
