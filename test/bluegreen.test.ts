import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateComponents, stackConfig, type StackRun } from "./mocks";
import { validateManifest } from "./schemas";
import { parseStackConfig, type StackConfig } from "../infra/config";
import {
  flipTargets,
  planBlueGreen,
  type BlueGreenPlanInput,
  type Color,
  type PlannedObject,
} from "../infra/apps/blueGreenPlan";
import { namespaceManifest } from "../infra/kubernetes/namespace";

/* eslint-disable @typescript-eslint/no-explicit-any */

const devApp = parseStackConfig(stackConfig("dev").config).app;
const prodApp = parseStackConfig(stackConfig("prod").config).app;

function input(app: StackConfig["app"], over: Partial<BlueGreenPlanInput> = {}): BlueGreenPlanInput {
  return {
    name: app.name,
    namespace: app.namespace,
    image: app.image,
    port: app.port,
    probes: app.probes,
    activeColor: app.activeColor,
    blue: app.blue,
    green: app.green,
    autoscaling: app.autoscaling,
    resources: app.resources,
    serviceAccountName: "agent-api",
    secretsMount: { secretProviderClassName: "agent-api-keyvault", mountPath: "/mnt/secrets" },
    env: { POSTGRES_HOST: "psql-agents-prod.postgres.database.azure.com" },
    egress: [
      { name: "postgres", cidr: "10.30.8.0/24", ports: [5432] },
      { name: "redis", cidr: "10.30.9.0/24", ports: [10000] },
    ],
    ingressFromNamespaces: ["app-routing-system", "monitoring"],
    serviceMonitorLabels: { release: "kube-prometheus-stack" },
    ...over,
  };
}

const byKey = (objs: PlannedObject[], key: string) => {
  const o = objs.find((x) => x.key === key);
  if (!o) throw new Error(`no object ${key}`);
  return o.manifest as any;
};

/** Every path (a.b[0].c) where two JSON-like values differ. */
function diffPaths(a: unknown, b: unknown, at = ""): string[] {
  if (a === b) return [];
  if (a && b && typeof a === "object" && typeof b === "object") {
    if (Array.isArray(a) !== Array.isArray(b)) return [at];
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      diffPaths((a as any)[k], (b as any)[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k),
    );
  }
  return [at];
}

/** Asserts the restricted Pod Security Standard on a pod spec and all its containers. */
function expectRestricted(pod: any, where: string) {
  expect(pod.securityContext, where).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(pod.securityContext.runAsUser, where).toBeGreaterThan(0);
  expect(pod.hostNetwork ?? false, where).toBe(false);
  expect(pod.hostPID ?? false, where).toBe(false);
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    expect(c.securityContext, `${where}/${c.name}`).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.securityContext.capabilities.add ?? [], `${where}/${c.name}`).toEqual([]);
    expect(c.resources.requests, `${where}/${c.name}`).toHaveProperty("cpu");
    expect(c.resources.limits, `${where}/${c.name}`).toHaveProperty("memory");
  }
  for (const v of pod.volumes ?? []) expect(v.hostPath, `${where} volume ${v.name}`).toBeUndefined();
}

describe("blue-green plan (pure)", () => {
  const plan = planBlueGreen(input(prodApp));

  it("has one Deployment per color with its own tag, replicas and color label", () => {
    for (const c of ["blue", "green"] as Color[]) {
      const d = byKey(plan, `deployment-${c}`);
      expect(d.metadata.name).toBe(`agent-api-${c}`);
      expect(d.spec.selector.matchLabels).toEqual({ app: "agent-api", color: c });
      expect(d.spec.template.metadata.labels).toMatchObject({ app: "agent-api", color: c });
      expect(d.spec.template.spec.containers[0].image).toBe(
        `acragentsprod.azurecr.io/agent-api:${prodApp[c].tag}`,
      );
      // Running colors leave replicas to their HPA.
      expect(d.spec.replicas).toBeUndefined();
      expect(byKey(plan, `hpa-${c}`).spec).toMatchObject({
        scaleTargetRef: { kind: "Deployment", name: `agent-api-${c}` },
        minReplicas: prodApp[c].replicas,
        maxReplicas: prodApp.autoscaling.maxReplicas,
      });
    }
  });

  it("points the stable Service at the active color and the preview Service at the other", () => {
    expect(byKey(plan, "service").metadata.name).toBe("agent-api");
    expect(byKey(plan, "service").spec.selector).toEqual({ app: "agent-api", color: "blue" });
    expect(byKey(plan, "service-preview").metadata.name).toBe("agent-api-preview");
    expect(byKey(plan, "service-preview").spec.selector).toEqual({ app: "agent-api", color: "green" });
    expect(byKey(plan, "service-metrics").spec).toMatchObject({
      clusterIP: "None",
      selector: { app: "agent-api" },
    });
  });

  it("a flip of activeColor changes only the two Services' selectors", () => {
    const blue = planBlueGreen(input(prodApp, { activeColor: "blue" }));
    const green = planBlueGreen(input(prodApp, { activeColor: "green" }));
    expect(blue.map((o) => o.key)).toEqual(green.map((o) => o.key));
    const diffs = blue.flatMap((o, i) =>
      diffPaths(o.manifest, green[i]!.manifest).map((p) => `${o.key}:${p}`),
    );
    expect(diffs.sort()).toEqual(["service-preview:spec.selector.color", "service:spec.selector.color"]);
  });

  it("gives each running color a PDB that always allows one voluntary eviction", () => {
    for (const c of ["blue", "green"]) {
      expect(byKey(plan, `pdb-${c}`).spec).toMatchObject({
        maxUnavailable: 1,
        selector: { matchLabels: { app: "agent-api", color: c } },
      });
    }
  });

  it("parks a color with 0 replicas: replicas 0, no HPA, no PDB", () => {
    const parked = planBlueGreen(input(prodApp, { green: { tag: "1.5.2", replicas: 0 } }));
    expect(byKey(parked, "deployment-green").spec.replicas).toBe(0);
    expect(parked.find((o) => o.key === "hpa-green")).toBeUndefined();
    expect(parked.find((o) => o.key === "pdb-green")).toBeUndefined();
    expect(parked.find((o) => o.key === "hpa-blue")).toBeDefined();
  });

  it("runs every pod under the restricted Pod Security Standard with probes and a writable /tmp only", () => {
    for (const c of ["blue", "green"]) {
      const pod = byKey(plan, `deployment-${c}`).spec.template.spec;
      expectRestricted(pod, c);
      const app = pod.containers[0];
      expect(app.readinessProbe.httpGet).toMatchObject({ path: "/health", port: "http" });
      expect(app.livenessProbe.httpGet).toMatchObject({ path: "/health", port: "http" });
      expect(app.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
      expect(app.volumeMounts).toContainEqual({ name: "secrets", mountPath: "/mnt/secrets", readOnly: true });
      expect(app.volumeMounts.every((m: any) => m.subPath === undefined)).toBe(true);
      expect(pod.volumes).toContainEqual({
        name: "secrets",
        csi: {
          driver: "secrets-store.csi.k8s.io",
          readOnly: true,
          volumeAttributes: { secretProviderClass: "agent-api-keyvault" },
        },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe("agent-api");
      expect(
        byKey(plan, `deployment-${c}`).spec.template.metadata.labels["azure.workload.identity/use"],
      ).toBe("true");
    }
  });

  it("denies all traffic by default and allows only ingress/monitoring in, DNS/Postgres/Redis out", () => {
    expect(byKey(plan, "netpol-default-deny").spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
    const ingress = byKey(plan, "netpol-ingress").spec.ingress;
    expect(ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "app-routing-system" } } },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
        ],
        ports: [{ protocol: "TCP", port: 8000 }],
      },
    ]);
    const egress = byKey(plan, "netpol-egress").spec.egress;
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: "10.30.8.0/24" } }],
      ports: [{ protocol: "TCP", port: 5432 }],
    });
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: "10.30.9.0/24" } }],
      ports: [{ protocol: "TCP", port: 10000 }],
    });
    expect(egress[0].ports).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
  });

  it("scrapes both colors through one ServiceMonitor that turns the pod label color into `color`", () => {
    const sm = byKey(plan, "servicemonitor");
    expect(sm.metadata.labels.release).toBe("kube-prometheus-stack");
    expect(sm.spec.selector.matchLabels).toEqual({
      app: "agent-api",
      "app.kubernetes.io/component": "metrics",
    });
    expect(byKey(plan, "service-metrics").metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    expect(sm.spec.endpoints[0].relabelings).toContainEqual({
      action: "replace",
      sourceLabels: ["__meta_kubernetes_pod_label_color"],
      targetLabel: "color",
    });
    expect(sm.spec.endpoints[0].relabelings).toContainEqual({
      action: "replace",
      targetLabel: "job",
      replacement: "agent-api",
    });
  });

  it.each([
    ["dev", devApp],
    ["prod", prodApp],
  ])("every object of the %s plan is valid against its Kubernetes schema", async (_s, app) => {
    for (const color of ["blue", "green"] as Color[]) {
      for (const o of planBlueGreen(input(app, { activeColor: color }))) await validateManifest(o.manifest);
    }
  });

  it.each<[string, Partial<BlueGreenPlanInput>, RegExp]>([
    [
      "a running color below the autoscaling floor",
      { green: { tag: "1.5.2", replicas: 1 } },
      /app\.green\.replicas is 1, below app\.autoscaling\.minReplicas \(3\).*or to 0 to park/,
    ],
    [
      "replicas above the autoscaling ceiling",
      { blue: { tag: "1.5.1", replicas: 20 } },
      /app\.blue\.replicas is 20, above app\.autoscaling\.maxReplicas \(15\)/,
    ],
    [
      "a malformed egress CIDR",
      { egress: [{ name: "postgres", cidr: "10.30.8.1/24", ports: [5432] }] },
      /postgres.*CIDR/,
    ],
    ["no ingress namespace", { ingressFromNamespaces: [] }, /ingressFromNamespaces is empty/],
    ["an active color with no pods", { blue: { tag: "1.5.1", replicas: 0 } }, /active color/],
  ])("refuses %s with the key and the fix", (_what, over, message) => {
    expect(() => planBlueGreen(input(prodApp, over))).toThrow(message);
  });
});

describe("app namespace", () => {
  it("enforces the restricted Pod Security Standard and audits/warns on it", () => {
    const ns = namespaceManifest({ name: "agents", component: "api", partOf: "agent-api" });
    expect(ns.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
      "app.kubernetes.io/name": "agents",
      "app.kubernetes.io/part-of": "agent-api",
    });
  });

  it("keeps warn/audit at restricted when a namespace enforces less, and is schema-valid", async () => {
    const ns = namespaceManifest({
      name: "monitoring",
      component: "observability",
      partOf: "x",
      enforce: "privileged",
    });
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    expect(ns.metadata.labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
    await validateManifest(ns);
  });

  it("refuses a name that is not a DNS label", () => {
    expect(() => namespaceManifest({ name: "Agents_1", component: "api", partOf: "x" })).toThrow(/DNS label/);
  });
});

/** Builds the component the way infra/index.ts will, with the given active color. */
function buildService(activeColor: Color) {
  return async () => {
    const { BlueGreenService } = await import("../infra/apps/blueGreen");
    const { loadConfig } = await import("../infra/config");
    const cfg = loadConfig();
    const provider = new k8s.Provider("k8s", { kubeconfig: "fake" });
    const identityClientId = pulumi.output("33333333-0000-0000-0000-000000000abc");
    const svc = new BlueGreenService("agent-api", {
      app: { ...cfg.app, activeColor },
      serviceAccountName: "agent-api",
      workloadIdentityClientId: identityClientId,
      secrets: {
        vaultName: pulumi.output("kv-agents-dev-a1b2c3"),
        tenantId: "11111111-1111-1111-1111-111111111111",
        objects: [
          { objectName: "postgres-admin-password", key: "postgres-password" },
          { objectName: "redis-access-key", key: "redis-password" },
        ],
      },
      env: {
        POSTGRES_HOST: pulumi.output("psql-agents-dev.postgres.database.azure.com"),
        POSTGRES_PASSWORD_FILE: "/mnt/secrets/postgres-password",
      },
      egress: [
        { name: "postgres", cidr: cfg.network.postgresCidr, ports: [5432] },
        { name: "redis", cidr: cfg.network.endpointsCidr, ports: [10000] },
      ],
      ingressFromNamespaces: ["app-routing-system", cfg.monitoring.namespace],
      serviceMonitorLabels: { release: "kube-prometheus-stack" },
      provider,
    });
    return { activeColor: svc.activeColor };
  };
}

describe("BlueGreenService under mocks", () => {
  let blue: StackRun;
  let green: StackRun;
  beforeAll(async () => {
    blue = await evaluateComponents(buildService("blue"), "dev");
    green = await evaluateComponents(buildService("green"), "dev");
  });

  it("registers both Deployments, three Services, per-color HPA/PDB, policies and the monitor", () => {
    const names = (t: string) => blue.all(t).map((r) => r.name);
    expect(names("kubernetes:apps/v1:Deployment").sort()).toEqual([
      "agent-api-deployment-blue",
      "agent-api-deployment-green",
    ]);
    expect(names("kubernetes:core/v1:Service")).toHaveLength(3);
    expect(names("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toHaveLength(2);
    expect(names("kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(2);
    expect(names("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toHaveLength(3);
    expect(names("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")).toHaveLength(1);
    expect(names("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")).toHaveLength(1);
    expect(blue.all("kubernetes:core/v1:Secret")).toHaveLength(0);
  });

  it("the targeted flip names exactly the two Services whose selectors a flip changes", () => {
    const services = blue.all("kubernetes:core/v1:Service");
    const targets = flipTargets("monitoring-platform", "dev", "agent-api");
    const urnOf = (r: (typeof services)[number]) =>
      `urn:pulumi:dev::monitoring-platform::${r.parent!.split("::")[0]}$${r.type}::${r.name}`;
    const changed = services.filter(
      (r) => JSON.stringify(r.inputs.spec) !== JSON.stringify(green.one(r.type, r.name).inputs.spec),
    );
    expect(changed.map(urnOf).sort()).toEqual([...targets].sort());
  });

  it("a flip changes only the two Services' selectors in the registered inputs of every resource", () => {
    const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
    expect(blue.resources.map(key).sort()).toEqual(green.resources.map(key).sort());
    const greenByKey = new Map(green.resources.map((r) => [key(r), r]));
    const diffs = blue.resources.flatMap((r) => {
      const g = greenByKey.get(key(r))!;
      return [
        ...diffPaths(blue.inputsOf(r), green.inputsOf(g)).map((p) => `${r.name}:${p}`),
        ...diffPaths(r.options, g.options).map((p) => `${r.name}:options.${p}`),
      ];
    });
    expect(diffs.sort()).toEqual([
      "agent-api-service-preview:spec.selector.color",
      "agent-api-service:spec.selector.color",
    ]);
  });

  it("annotates the service account with the workload identity and mounts Key Vault through it", () => {
    const sa = blue.inputsOf(blue.one("kubernetes:core/v1:ServiceAccount"));
    expect(sa.metadata.annotations["azure.workload.identity/client-id"]).toBe(
      "33333333-0000-0000-0000-000000000abc",
    );
    const spc = blue.inputsOf(blue.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"));
    expect(spc.metadata).toMatchObject({ name: "agent-api-keyvault", namespace: "agents" });
    expect(spc.spec.parameters).toMatchObject({
      clientID: "33333333-0000-0000-0000-000000000abc",
      keyvaultName: "kv-agents-dev-a1b2c3",
      usePodIdentity: "false",
    });
    const deploy = blue.one("kubernetes:apps/v1:Deployment", "agent-api-deployment-blue");
    expect(deploy.options.dependsOn).toEqual(
      expect.arrayContaining([
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass::agent-api-secrets",
        "kubernetes:core/v1:ServiceAccount::agent-api-sa",
      ]),
    );
  });

  it("registers only schema-valid, restricted objects", async () => {
    for (const r of blue.resources.filter(
      (x) => x.type.startsWith("kubernetes:") && !x.type.includes("secrets-store"),
    )) {
      if (r.type === "pulumi:providers:kubernetes") continue;
      const m = blue.inputsOf(r);
      await validateManifest(m as { apiVersion: string; kind: string });
      if (m.kind === "Deployment") expectRestricted(m.spec.template.spec, r.name);
    }
  });

  it("fails with a ResourceError naming the key for invalid replica counts", async () => {
    const bad = async () => {
      const { BlueGreenService } = await import("../infra/apps/blueGreen");
      const { loadConfig } = await import("../infra/config");
      const cfg = loadConfig();
      new BlueGreenService("agent-api", {
        app: { ...cfg.app, autoscaling: { ...cfg.app.autoscaling, minReplicas: 2 } },
        serviceAccountName: "agent-api",
        workloadIdentityClientId: "x",
        egress: [],
        ingressFromNamespaces: ["monitoring"],
        serviceMonitorLabels: {},
        provider: new k8s.Provider("k8s", { kubeconfig: "fake" }),
      });
      return {};
    };
    await expect(evaluateComponents(bad, "dev")).rejects.toThrow(
      /app\.blue\.replicas is 1, below app\.autoscaling\.minReplicas \(2\)/,
    );
  });
});
