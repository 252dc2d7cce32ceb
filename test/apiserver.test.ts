// Every Kubernetes object of both renders, through a real API server (issue 15): kube-apiserver and etcd at
// the Kubernetes release prod's AKS version runs (tools/kube/go.mod, built into .bin/ by
// `npm run tools -- kube-apiserver etcd crds`), on 127.0.0.1 with random ports, a temp data dir and
// certificates made here by openssl, stopped at the end. The CRDs of the deployed prometheus-operator,
// cert-manager, Cilium and Secrets Store CSI versions are installed (tools/kube/crds.txt), namespaces are
// created with the render's labels, and each object goes through server-side apply with
// `dryRun=All&fieldValidation=Strict` — what `kubectl apply --server-side --dry-run=server
// --field-validation=Strict` sends — so unknown fields, CRD structural schemas and CEL rules, PodSecurity
// admission and the API server's own validation all speak. Each workload's Pod (its template, as the
// ReplicaSet or Job controller would create it; no controllers run here) is dry-run created too, because
// PodSecurity enforces on Pods and only warns on their controllers. Then broken copies must be refused,
// naming the object.
//
// What this cannot show: admission webhooks (cert-manager's, the operator's) do not run here, so what only
// they refuse is accepted (a bad Certificate issuer kind is refused by the render's own
// ValidatingAdmissionPolicy, which the API server evaluates itself); and the charts' own objects (the Prometheus and
// Alertmanager CRs, the chart Deployments) are not in the offline render, whose Helm releases are chart and
// values: test/haValues.test.ts and the values-key checks cover those values instead.
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOST, freePort, procs, start, stop, waitFor } from "./drillHarness";
import { ROOT } from "./mocks";
import { renderObjects } from "./renderFiles";
import { keyPair, makeCa, signedCert } from "./testPki";
import { tool } from "./tools";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

interface Response {
  status: number;
  body: any;
  text: string;
  warnings: string[];
}

const STACKS = ["dev", "prod"] as const;

/** A CA, a serving certificate for 127.0.0.1, an admin client certificate (system:masters), a SA key pair. */
function makeCerts(dir: string): void {
  makeCa(dir, "render-check-ca", 1);
  signedCert(dir, "server", {
    subject: "/CN=kube-apiserver",
    days: 1,
    subjectAltName: "IP:127.0.0.1,DNS:localhost",
  });
  signedCert(dir, "admin", { subject: "/O=system:masters/CN=render-check", days: 1 });
  keyPair(dir, "sa");
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

/** The Pod a workload's controller would create from its template. */
function podOf(obj: Obj): Obj {
  const template = obj.spec.template;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${obj.metadata.name}-render-check`,
      namespace: obj.metadata.namespace,
      labels: template.metadata?.labels,
      // PodSecurity baseline reads AppArmor annotations.
      annotations: template.metadata?.annotations,
    },
    spec: template.spec,
  };
}

describe("every object of both renders through a real kube-apiserver", () => {
  let tmp = "";
  let port = 0;
  let ca: Buffer, cert: Buffer, key: Buffer;
  const resources = new Map<string, { plural: string; namespaced: boolean }>();
  const counts: Record<string, string> = {};

  function kube(
    method: string,
    urlPath: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<Response> {
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: HOST,
          port,
          method,
          path: urlPath,
          ca,
          cert,
          key,
          headers: { accept: "application/json", ...(data ? { "content-type": contentType } : {}) },
          timeout: 30_000,
        },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => {
            let parsed: any;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            const w = res.headers.warning;
            resolve({
              status: res.statusCode ?? 0,
              body: parsed,
              text,
              warnings: w ? (Array.isArray(w) ? w : [w]) : [],
            });
          });
        },
      );
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
      if (data) req.write(data);
      req.end();
    });
  }

  /** kind → plural and scope, from discovery (core and every group/version, the CRDs' included). */
  async function discover(): Promise<void> {
    resources.clear();
    const add = async (gv: string, base: string) => {
      const r = await kube("GET", base);
      for (const res of r.body?.resources ?? []) {
        if (!String(res.name).includes("/"))
          resources.set(`${gv}/${res.kind}`, { plural: res.name, namespaced: res.namespaced });
      }
    };
    await add("v1", "/api/v1");
    const groups = (await kube("GET", "/apis")).body.groups as { versions: { groupVersion: string }[] }[];
    for (const g of groups) for (const v of g.versions) await add(v.groupVersion, `/apis/${v.groupVersion}`);
  }

  function objectPath(obj: Obj, query = ""): string {
    const gv = String(obj.apiVersion);
    const res = resources.get(`${gv}/${obj.kind}`);
    if (!res)
      throw new Error(
        `the API server does not serve ${gv} ${obj.kind} (a CRD missing from tools/kube/crds.txt?)`,
      );
    const base = gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`;
    const ns = res.namespaced ? `/namespaces/${obj.metadata.namespace ?? "default"}` : "";
    return `${base}${ns}/${res.plural}/${encodeURIComponent(obj.metadata.name)}${query}`;
  }

  const DRY_RUN = "?fieldManager=render-check&force=true&dryRun=All&fieldValidation=Strict";
  const APPLY = "?fieldManager=render-check&force=true&fieldValidation=Strict";
  /** Server-side apply (the body as YAML's JSON subset), dry-run unless `persist`. */
  const apply = (obj: Obj, persist = false) =>
    kube("PATCH", objectPath(obj, persist ? APPLY : DRY_RUN), obj, "application/apply-patch+yaml");
  const createPod = (pod: Obj) =>
    kube("POST", `/api/v1/namespaces/${pod.metadata.namespace}/pods?dryRun=All&fieldValidation=Strict`, pod);
  const refusal = (r: Response) => `HTTP ${r.status}: ${r.body?.message ?? r.text}`;
  const podSecurityWarnings = (r: Response) => r.warnings.filter((w) => /PodSecurity/i.test(w));

  beforeAll(async () => {
    const etcdBin = tool("etcd");
    const apiserverBin = tool("kube-apiserver");
    const crds = tool("crds");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "apiserver-"));
    const pki = path.join(tmp, "pki");
    fs.mkdirSync(pki);
    makeCerts(pki);
    const read = (f: string) => fs.readFileSync(path.join(pki, f));
    ca = read("ca.crt");
    cert = read("admin.crt");
    key = read("admin.key");

    const [client, peer] = [await freePort(), await freePort()];
    const etcd = start("etcd", etcdBin, [
      "--name=render-check",
      `--data-dir=${path.join(tmp, "etcd")}`,
      `--listen-client-urls=http://${HOST}:${client}`,
      `--advertise-client-urls=http://${HOST}:${client}`,
      `--listen-peer-urls=http://${HOST}:${peer}`,
      `--initial-advertise-peer-urls=http://${HOST}:${peer}`,
      `--initial-cluster=render-check=http://${HOST}:${peer}`,
      "--log-level=warn",
    ]);
    await waitFor("etcd to be healthy", 30_000, async () => {
      if (!etcd.running) throw new Error(`etcd exited:\n${etcd.log.join("\n")}`);
      const r = await fetch(`http://${HOST}:${client}/health`, { signal: AbortSignal.timeout(2_000) });
      return r.ok ? true : undefined;
    });
    port = await freePort();
    const apiserver = start("kube-apiserver", apiserverBin, [
      `--etcd-servers=http://${HOST}:${client}`,
      `--bind-address=${HOST}`,
      `--secure-port=${port}`,
      `--tls-cert-file=${path.join(pki, "server.crt")}`,
      `--tls-private-key-file=${path.join(pki, "server.key")}`,
      `--client-ca-file=${path.join(pki, "ca.crt")}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${path.join(pki, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(pki, "sa.key")}`,
      "--service-cluster-ip-range=10.0.0.0/16",
      "--authorization-mode=RBAC",
      // AKS allows privileged containers (node-exporter, CSI drivers); PodSecurity decides per namespace.
      "--allow-privileged=true",
      `--cert-dir=${path.join(tmp, "certs")}`,
    ]);
    await waitFor("kube-apiserver /readyz", 60_000, async () => {
      if (!apiserver.running) throw new Error(`kube-apiserver exited:\n${apiserver.log.join("\n")}`);
      const r = await kube("GET", "/readyz");
      return r.status === 200 ? true : undefined;
    });

    // CRDs, for real (server-side apply), then wait until each is Established.
    const crdFiles = fs
      .readdirSync(crds)
      .flatMap((d) => fs.readdirSync(path.join(crds, d)).map((f) => path.join(crds, d, f)))
      .sort();
    for (const file of crdFiles) {
      for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8")) as Obj[]) {
        if (doc?.kind !== "CustomResourceDefinition") continue;
        const r = await kube(
          "PATCH",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${doc.metadata.name}?fieldManager=render-check&force=true`,
          doc,
          "application/apply-patch+yaml",
        );
        if (r.status >= 300) throw new Error(`CRD ${doc.metadata.name} (${file}): ${refusal(r)}`);
        await waitFor(`CRD ${doc.metadata.name} Established`, 30_000, async () => {
          const s = await kube(
            "GET",
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${doc.metadata.name}`,
          );
          return s.body?.status?.conditions?.some((c: any) => c.type === "Established" && c.status === "True")
            ? true
            : undefined;
        });
      }
    }
    counts["CRDs installed"] = String(crdFiles.length);
    await waitFor("discovery to serve every CRD", 30_000, async () => {
      await discover();
      return [
        "monitoring.coreos.com/v1/PrometheusRule",
        "cert-manager.io/v1/ClusterIssuer",
        "cilium.io/v2/CiliumNetworkPolicy",
        "secrets-store.csi.x-k8s.io/v1/SecretProviderClass",
      ].every((k) => resources.has(k))
        ? true
        : undefined;
    });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(procs.map(stop));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (Object.keys(counts).length) {
      console.log(
        "API server check:\n" +
          Object.entries(counts)
            .map(([k, v]) => `  ${k}: ${v}`)
            .join("\n"),
      );
    }
  }, 30_000);

  /**
   * A stack's namespaces with its labels (PodSecurity reads them), their `default` ServiceAccount
   * (kube-controller-manager would make it) and the stack's ServiceAccounts, for real: Pods are admitted
   * only with an existing ServiceAccount. Per stack, just before its objects, so each is checked against
   * its own labels.
   */
  async function createNamespaces(stack: (typeof STACKS)[number]): Promise<void> {
    const objs = renderObjects(stack);
    for (const { obj } of objs.filter((o) => o.obj.kind === "Namespace")) {
      const r = await apply(obj, true);
      if (r.status >= 300) throw new Error(`Namespace ${obj.metadata.name}: ${refusal(r)}`);
      const sa = {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default", namespace: obj.metadata.name },
      };
      await apply(sa, true);
    }
    for (const { obj } of objs.filter((o) => o.obj.kind === "ServiceAccount")) {
      const r = await apply(obj, true);
      if (r.status >= 300)
        throw new Error(`ServiceAccount ${obj.metadata.namespace}/${obj.metadata.name}: ${refusal(r)}`);
    }
  }

  it("serves the Kubernetes minor prod's AKS runs", async () => {
    const v = (await kube("GET", "/version")).body;
    const prod = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as Obj;
    const want = String(prod.config["monitoring-platform:aks"].kubernetesVersion);
    expect(`${v.major}.${v.minor}`).toBe(want);
    counts["kube-apiserver"] = v.gitVersion;
  });

  it.each(STACKS)(
    "accepts every object Pulumi registers in the %s render (server-side apply, dry run, strict fields)",
    async (stack) => {
      await createNamespaces(stack);
      const objs = renderObjects(stack);
      const refused: string[] = [];
      const warned: string[] = [];
      let pods = 0;
      for (const { file, obj } of objs) {
        const r = await apply(obj);
        if (r.status >= 300) refused.push(`${file}: ${refusal(r)}`);
        if (podSecurityWarnings(r).length) warned.push(`${file}: ${podSecurityWarnings(r).join("; ")}`);
        if (WORKLOADS.has(obj.kind)) {
          pods++;
          const p = await createPod(podOf(obj));
          if (p.status >= 300) refused.push(`${file} (its Pod): ${refusal(p)}`);
          if (podSecurityWarnings(p).length)
            warned.push(`${file} (its Pod): ${podSecurityWarnings(p).join("; ")}`);
        }
      }
      counts[`${stack}: objects accepted`] =
        `${objs.length - refused.length} of ${objs.length}, and ${pods} workload Pods`;
      expect(refused, refused.join("\n")).toEqual([]);
      expect(warned, warned.join("\n")).toEqual([]);
      expect(objs.length).toBeGreaterThan(40);
    },
  );

  /** A copy of one prod object, changed by `mutate`. */
  function broken(file: string, mutate: (o: Obj) => void): Obj {
    const found = renderObjects("prod").find((o) => o.file === file);
    if (!found) throw new Error(`${file} is not in the prod render any more: pick another object`);
    const copy = structuredClone(found.obj);
    mutate(copy);
    return copy;
  }

  it("refuses a PrometheusRule with a field its CRD does not declare", async () => {
    const obj = broken("PrometheusRule_monitoring_platform-agent.yaml", (o) => {
      o.spec.groups[0].rules[0].fore = "2m"; // a misspelt `for`: without Strict it would be pruned silently
    });
    const r = await apply(obj);
    expect(r.status, refusal(r)).toBeGreaterThanOrEqual(400);
    expect(refusal(r)).toMatch(/platform-agent/);
    expect(refusal(r)).toMatch(/fore.*field not declared in schema/);
  });

  it("refuses the Pod of a Deployment with a privileged container in the restricted agents namespace", async () => {
    const obj = broken("Deployment_agents_agent-api-blue.yaml", (o) => {
      const c = o.spec.template.spec.containers[0];
      c.securityContext = { ...c.securityContext, privileged: true, allowPrivilegeEscalation: true };
    });
    // The Deployment itself is admitted with a warning (PodSecurity only warns on controllers) ...
    const d = await apply(obj);
    expect(d.status, refusal(d)).toBeLessThan(300);
    expect(podSecurityWarnings(d).join(" ")).toMatch(/privileged/);
    // ... and every Pod it would create is refused.
    const p = await createPod(podOf(obj));
    expect(p.status, refusal(p)).toBe(403);
    expect(refusal(p)).toMatch(
      /agent-api-blue-render-check.*violates PodSecurity "restricted:latest".*privileged/,
    );
  });

  it("refuses a ServiceMonitor whose selector is a string, not a LabelSelector", async () => {
    const obj = broken("ServiceMonitor_agents_agent-api.yaml", (o) => {
      o.spec.selector = "app.kubernetes.io/name=agent-api"; // kubectl's selector syntax, not the object
    });
    const r = await apply(obj);
    expect(r.status, refusal(r)).toBeGreaterThanOrEqual(400);
    expect(refusal(r)).toMatch(/agent-api/);
    expect(refusal(r)).toMatch(/spec\.selector/);
  });

  it("refuses a ClusterIssuer that breaks a CEL rule of its CRD", async () => {
    const obj = broken("ClusterIssuer_cluster_letsencrypt.yaml", (o) => {
      // cert-manager's CRD: a venafi issuer names exactly one of tpp, cloud, ngts (x-kubernetes-validations).
      delete o.spec.acme;
      o.spec.venafi = {
        zone: "z",
        tpp: { url: "https://tpp.invalid", credentialsRef: { name: "t" } },
        cloud: { apiTokenSecretRef: { name: "c", key: "k" } },
      };
    });
    const r = await apply(obj);
    expect(r.status, refusal(r)).toBe(422);
    expect(refusal(r)).toMatch(/letsencrypt/);
    expect(refusal(r)).toMatch(/exactly one of tpp, cloud, or ngts must be configured/);
  });

  it("refuses a Certificate with a bad issuer kind, by the render's ValidatingAdmissionPolicy, and admits good ones", async () => {
    // The CRD types issuerRef.kind as any string and cert-manager's webhook (not run here) checks it; the
    // render's admission policy makes the API server itself refuse it. Installed for real, as deployed.
    for (const kind of ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]) {
      const found = renderObjects("prod").find((o) => o.obj.kind === kind);
      expect(found, `the prod render has a ${kind}`).toBeDefined();
      const r = await apply(found!.obj, true);
      expect(r.status, refusal(r)).toBeLessThan(300);
    }
    const certificate = (issuerRef: Record<string, string>) => ({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "agent-api-tls", namespace: "agents" },
      spec: { secretName: "agent-api-tls", dnsNames: ["agents.example.com"], issuerRef },
    });
    // The policy takes effect once the API server's policy informer has it (a second or two).
    const r = await waitFor("the admission policy to refuse ClusterIsuer", 30_000, async () => {
      const x = await apply(
        certificate({ name: "letsencrypt", kind: "ClusterIsuer", group: "cert-manager.io" }),
      );
      return x.status >= 400 ? x : undefined;
    });
    expect(r.status, refusal(r)).toBe(422);
    expect(refusal(r)).toMatch(/agent-api-tls/);
    expect(refusal(r)).toMatch(/ClusterIsuer" is not a cert-manager issuer kind/);
    // What ingress-shim creates, cert-manager's default kind, and an external issuer's own kind pass.
    for (const ok of <Record<string, string>[]>[
      { name: "letsencrypt", kind: "ClusterIssuer", group: "cert-manager.io" },
      { name: "local" },
      { name: "pca", kind: "AWSPCAClusterIssuer", group: "awspca.cert-manager.io" },
    ]) {
      const a = await apply(certificate(ok));
      expect(a.status, `${JSON.stringify(ok)}: ${refusal(a)}`).toBeLessThan(300);
    }
  });
});
