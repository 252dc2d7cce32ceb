/**
 * Checks the shell commands of the runbooks against what the program deploys.
 *
 * The cluster model is built from a render (resources.json): the Kubernetes objects the program applies,
 * plus what its Helm releases and the AKS app-routing add-on create — derived from the release's name,
 * namespace and values with the naming rules of the pinned charts (sources next to each rule below). The
 * checker then reads every command in the runbooks' fenced code blocks (and inline `kubectl …` spans) and
 * reports each namespace, Service, Deployment, pod, container, label selector, port and URL path that the
 * model does not have, and every in-cluster call that a NetworkPolicy or Pod Security admission refuses.
 *
 * Placeholders (`<namespace>`, `<color>`) and shell variables (`$LIVE`) match any name, but a name around
 * them must still fit something real: `deploy/agent-api-<color>` needs a Deployment `agent-api-…`.
 */
import { HELM_RELEASE, type RenderDocument } from "../cli/shared/renderOutput";

// ---------------------------------------------------------------------------------------------------------
// Cluster model

type Labels = Record<string, string>;

export interface PodTemplate {
  /** `deploy/<name>`, `statefulset/<name>`, `daemonset/<name>`. */
  owner: string;
  labels: Labels;
  containers: { name: string; ports: { name?: string; port: number }[] }[];
  /** HTTP paths the pods answer (probe paths, scrape paths, documented API paths). */
  paths: PathRule[];
  /** Concrete pod names, when the controller names them predictably (StatefulSet ordinals). */
  podNames: string[];
}

/** A served path: exact, or a prefix ending in "/". */
export type PathRule = string;

export interface ServiceModel {
  name: string;
  labels: Labels;
  ports: { name?: string; port: number; targetPort: number | string }[];
  selector: Labels;
}

interface PolicyPeer {
  namespaceSelector?: { matchLabels?: Labels };
  podSelector?: { matchLabels?: Labels };
  ipBlock?: { cidr: string };
}
interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: { port?: number | string; protocol?: string }[];
}
export interface NetworkPolicyModel {
  name: string;
  /** Egress by name (CiliumNetworkPolicy toFQDNs): allowed host patterns and ports. */
  fqdns?: { patterns: string[]; ports: number[] }[];
  podSelector: { matchLabels?: Labels };
  policyTypes: string[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

export interface NamespaceModel {
  labels: Labels;
  services: Map<string, ServiceModel>;
  pods: PodTemplate[];
  policies: NetworkPolicyModel[];
  /** Other named objects, by lower-case kind (ingress, hpa, servicemonitor, pvc, …). */
  objects: Map<string, Set<string>>;
}

export interface ClusterModel {
  namespaces: Map<string, NamespaceModel>;
  /** The rendered stack (runbooks write `<env>` for it). */
  stack: string;
  /** Azure resource names the program sets (resource groups, clusters, servers, …), known before apply. */
  azureNames: Set<string>;
}

function ns(model: ClusterModel, name: string): NamespaceModel {
  let n = model.namespaces.get(name);
  if (!n) {
    // Every namespace carries this label (Kubernetes >= 1.22); NetworkPolicies select namespaces by it.
    n = {
      labels: { "kubernetes.io/metadata.name": name },
      services: new Map(),
      pods: [],
      policies: [],
      objects: new Map(),
    };
    model.namespaces.set(name, n);
  }
  return n;
}

function addObject(n: NamespaceModel, kind: string, name: string): void {
  const k = kind.toLowerCase();
  if (!n.objects.has(k)) n.objects.set(k, new Set());
  n.objects.get(k)!.add(name);
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function httpPaths(containers: any[]): string[] {
  return containers.flatMap((c) =>
    ["livenessProbe", "readinessProbe", "startupProbe"]
      .map((p) => c?.[p]?.httpGet?.path)
      .filter((x): x is string => typeof x === "string"),
  );
}

/** Prometheus' HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/) and management API. */
const PROMETHEUS_PATHS = [
  "/api/v1/query",
  "/api/v1/query_range",
  "/api/v1/series",
  "/api/v1/labels",
  "/api/v1/label/",
  "/api/v1/targets",
  "/api/v1/rules",
  "/api/v1/alerts",
  "/api/v1/alertmanagers",
  "/api/v1/status/",
  "/api/v1/metadata",
  "/-/healthy",
  "/-/ready",
  "/metrics",
  "/graph",
  "/",
];
/** Alertmanager's API v2 (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml). */
const ALERTMANAGER_PATHS = ["/api/v2/", "/-/healthy", "/-/ready", "/metrics", "/"];
/** Grafana's HTTP API and UI (https://grafana.com/docs/grafana/latest/developers/http_api/). */
const GRAFANA_PATHS = ["/api/", "/d/", "/login", "/"];
/** blackbox_exporter (https://github.com/prometheus/blackbox_exporter#using-the-blackbox-exporter). */
const BLACKBOX_PATHS = ["/probe", "/metrics", "/-/healthy", "/config", "/"];

/** Helm's `trunc N | trimSuffix "-"` naming helper. */
function helmName(s: string, max: number): string {
  return s.slice(0, max).replace(/-+$/, "");
}

/** The chart's `<chart>.fullname` helper: fullnameOverride, else release (if it contains the chart name), else release-chart. */
function chartFullname(release: string, chart: string, values: any, max: number): string {
  if (values?.fullnameOverride) return helmName(String(values.fullnameOverride), max);
  return helmName(release.includes(chart) ? release : `${release}-${chart}`, max);
}

/**
 * What a kube-prometheus-stack release creates besides our own objects, by the chart's naming rules at the
 * pinned version (charts/kube-prometheus-stack/templates/_helpers.tpl: fullname truncated to 26 characters;
 * prometheus/service.yaml `<fullname>-prometheus` port 9090; alertmanager/service.yaml
 * `<fullname>-alertmanager` port 9093; the operator names the StatefulSets `prometheus-<cr>` /
 * `alertmanager-<cr>` and the governing Services `prometheus-operated` / `alertmanager-operated`; the
 * grafana, kube-state-metrics and prometheus-node-exporter subcharts name themselves `<release>-<chart>`).
 */
function kubePrometheusStack(model: ClusterModel, release: string, namespace: string, values: any): void {
  const n = ns(model, namespace);
  const full = chartFullname(release, "kube-prometheus-stack", values, 26);
  const sub = (chart: string) => helmName(release.includes(chart) ? release : `${release}-${chart}`, 63);
  const promReplicas = Number(values?.prometheus?.prometheusSpec?.replicas ?? 1);
  const amReplicas = Number(values?.alertmanager?.alertmanagerSpec?.replicas ?? 1);
  const prom = `${full}-prometheus`;
  const am = `${full}-alertmanager`;
  const ordinals = (sts: string, count: number) => Array.from({ length: count }, (_, i) => `${sts}-${i}`);
  const promLabels = {
    "app.kubernetes.io/name": "prometheus",
    "operator.prometheus.io/name": prom,
    prometheus: prom,
  };
  const amLabels = { "app.kubernetes.io/name": "alertmanager", alertmanager: am };
  n.pods.push(
    {
      owner: `statefulset/prometheus-${prom}`,
      labels: promLabels,
      containers: [
        { name: "prometheus", ports: [{ name: "http-web", port: 9090 }] },
        { name: "config-reloader", ports: [{ name: "reloader-web", port: 8080 }] },
      ],
      paths: PROMETHEUS_PATHS,
      podNames: ordinals(`prometheus-${prom}`, promReplicas),
    },
    {
      owner: `statefulset/alertmanager-${am}`,
      labels: amLabels,
      containers: [
        { name: "alertmanager", ports: [{ name: "http-web", port: 9093 }] },
        { name: "config-reloader", ports: [{ name: "reloader-web", port: 8080 }] },
      ],
      paths: ALERTMANAGER_PATHS,
      podNames: ordinals(`alertmanager-${am}`, amReplicas),
    },
    {
      owner: `deploy/${full}-operator`,
      labels: { app: `${full}-operator`, release },
      containers: [{ name: "kube-prometheus-stack", ports: [{ name: "https", port: 10250 }] }],
      paths: ["/metrics"],
      podNames: [],
    },
    {
      owner: `deploy/${sub("grafana")}`,
      labels: { "app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": release },
      containers: [
        { name: "grafana", ports: [{ name: "grafana", port: 3000 }] },
        { name: "grafana-sc-dashboard", ports: [] },
      ],
      paths: GRAFANA_PATHS,
      podNames: [],
    },
    {
      owner: `deploy/${sub("kube-state-metrics")}`,
      labels: { "app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": release },
      containers: [{ name: "kube-state-metrics", ports: [{ name: "http", port: 8080 }] }],
      paths: ["/metrics", "/healthz"],
      podNames: [],
    },
    {
      owner: `daemonset/${sub("prometheus-node-exporter")}`,
      labels: { "app.kubernetes.io/name": "prometheus-node-exporter", "app.kubernetes.io/instance": release },
      containers: [{ name: "node-exporter", ports: [{ name: "http-metrics", port: 9100 }] }],
      paths: ["/metrics"],
      podNames: [],
    },
  );
  const svc = (name: string, ports: [number, number | string][], selector: Labels) =>
    n.services.set(name, {
      name,
      labels: {},
      ports: ports.map(([port, targetPort]) => ({ port, targetPort })),
      selector,
    });
  svc(
    prom,
    [
      [9090, 9090],
      [8080, "reloader-web"],
    ],
    promLabels,
  );
  svc("prometheus-operated", [[9090, "http-web"]], { "app.kubernetes.io/name": "prometheus" });
  svc(
    am,
    [
      [9093, 9093],
      [8080, "reloader-web"],
    ],
    amLabels,
  );
  svc("alertmanager-operated", [[9093, "http-web"]], { "app.kubernetes.io/name": "alertmanager" });
  svc(`${full}-operator`, [[443, "https"]], { app: `${full}-operator`, release });
  // Grafana's chart default service.port 80 → targetPort 3000.
  svc(sub("grafana"), [[80, 3000]], {
    "app.kubernetes.io/name": "grafana",
    "app.kubernetes.io/instance": release,
  });
  svc(sub("kube-state-metrics"), [[8080, 8080]], { "app.kubernetes.io/name": "kube-state-metrics" });
  svc(sub("prometheus-node-exporter"), [[9100, 9100]], {
    "app.kubernetes.io/name": "prometheus-node-exporter",
  });
  for (let i = 0; i < promReplicas; i++) addObject(n, "pvc", `prometheus-${prom}-db-prometheus-${prom}-${i}`);
  addObject(n, "prometheus", prom);
  addObject(n, "alertmanager", am);
  // The kubelets: the chart's ServiceMonitor `<fullname>-kubelet` (templates/exporters/kubelet/
  // servicemonitor.yaml, release namespace) scrapes the Service and Endpoints the operator itself keeps in
  // kube-system (prometheus-operator/deployment.yaml: --kubelet-service=kube-system/<fullname>-kubelet,
  // prometheusOperator.kubeletService defaults), one address per node on 10250.
  addObject(n, "servicemonitor", `${full}-kubelet`);
  ns(model, "kube-system").services.set(`${full}-kubelet`, {
    name: `${full}-kubelet`,
    labels: {},
    ports: [{ port: 10250, targetPort: 10250 }],
    selector: {},
  });
}

/**
 * prometheus-blackbox-exporter (templates/_helpers.tpl fullname, service.yaml port `service.port`, default
 * 9115; the container is named after the chart).
 */
function blackboxExporter(model: ClusterModel, release: string, namespace: string, values: any): void {
  const n = ns(model, namespace);
  const full = chartFullname(release, "prometheus-blackbox-exporter", values, 63);
  const labels = {
    "app.kubernetes.io/name": "prometheus-blackbox-exporter",
    "app.kubernetes.io/instance": release,
  };
  const port = Number(values?.service?.port ?? 9115);
  n.pods.push({
    owner: `deploy/${full}`,
    labels,
    containers: [{ name: "blackbox-exporter", ports: [{ name: "http", port: 9115 }] }],
    paths: BLACKBOX_PATHS,
    podNames: [],
  });
  n.services.set(full, { name: full, labels: {}, ports: [{ port, targetPort: "http" }], selector: labels });
}

/**
 * cert-manager (Jetstack chart; templates/deployment.yaml, webhook-deployment.yaml, cainjector-deployment.yaml:
 * Deployments `<fullname>`, `<fullname>-webhook`, `<fullname>-cainjector`, containers named
 * `cert-manager-controller`, `-webhook`, `-cainjector`).
 */
function certManager(model: ClusterModel, release: string, namespace: string, values: any): void {
  const n = ns(model, namespace);
  const full = chartFullname(release, "cert-manager", values, 63);
  for (const [suffix, component, container] of [
    ["", "controller", "cert-manager-controller"],
    ["-webhook", "webhook", "cert-manager-webhook"],
    ["-cainjector", "cainjector", "cert-manager-cainjector"],
  ] as const) {
    n.pods.push({
      owner: `deploy/${full}${suffix}`,
      labels: {
        "app.kubernetes.io/name": component === "controller" ? "cert-manager" : component,
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/component": component,
      },
      containers: [
        { name: container, ports: component === "controller" ? [{ name: "http-metrics", port: 9402 }] : [] },
      ],
      paths: component === "controller" ? ["/metrics"] : [],
      podNames: [],
    });
  }
  // templates/service.yaml: the controller's metrics Service `<fullname>`, port 9402 `http-metrics`;
  // templates/servicemonitor.yaml: ServiceMonitor `<fullname>` in prometheus.servicemonitor.namespace, else
  // the release namespace, when prometheus.enabled and prometheus.servicemonitor.enabled.
  const controller = {
    "app.kubernetes.io/name": "cert-manager",
    "app.kubernetes.io/instance": release,
    "app.kubernetes.io/component": "controller",
  };
  n.services.set(full, {
    name: full,
    labels: {},
    ports: [{ port: 9402, targetPort: 9402 }],
    selector: controller,
  });
  if (values?.prometheus?.enabled !== false && values?.prometheus?.servicemonitor?.enabled === true) {
    addObject(
      ns(model, String(values.prometheus.servicemonitor.namespace ?? namespace)),
      "servicemonitor",
      full,
    );
  }
}

const CHARTS: Record<string, typeof kubePrometheusStack> = {
  "kube-prometheus-stack": kubePrometheusStack,
  "prometheus-blackbox-exporter": blackboxExporter,
  "cert-manager": certManager,
};

/**
 * The AKS application routing add-on (managed NGINX) runs in `app-routing-system`: Deployment and
 * Service `nginx` for the default NginxIngressController
 * (https://learn.microsoft.com/azure/aks/app-routing — `kubectl get svc nginx -n app-routing-system`).
 */
function appRoutingAddOn(model: ClusterModel): void {
  const n = ns(model, "app-routing-system");
  const labels = { app: "nginx" };
  n.pods.push({
    owner: "deploy/nginx",
    labels,
    containers: [{ name: "controller", ports: [{ name: "https", port: 443 }] }],
    paths: ["/"],
    podNames: [],
  });
  n.services.set("nginx", {
    name: "nginx",
    labels: {},
    ports: [
      { port: 80, targetPort: 80 },
      { port: 443, targetPort: 443 },
    ],
    selector: labels,
  });
}

/** Builds the cluster model from a render document. */
export function clusterModel(doc: RenderDocument): ClusterModel {
  const model: ClusterModel = { namespaces: new Map(), stack: doc.stack, azureNames: new Set() };
  ns(model, "default");
  ns(model, "kube-system");
  const monitors: { namespace: string; selector: Labels; paths: string[] }[] = [];
  for (const r of doc.resources) {
    const i = r.inputs as any;
    if (r.type.startsWith("azure-native:")) {
      // `<thing>Name` inputs, and the node resource group AKS creates under the name we give it.
      for (const [k, v] of Object.entries(i ?? {})) {
        if (
          (k.endsWith("Name") || k === "nodeResourceGroup") &&
          typeof v === "string" &&
          !v.includes("(known after apply)")
        ) {
          model.azureNames.add(v);
        }
      }
      continue;
    }
    if (r.type === HELM_RELEASE) {
      CHARTS[String(i.chart)]?.(model, String(i.name ?? r.name), String(i.namespace ?? "default"), i.values);
      continue;
    }
    if (!r.type.startsWith("kubernetes:") || !i?.kind) continue;
    const kind = String(i.kind);
    const name = String(i.metadata?.name ?? "");
    if (kind === "Namespace") {
      Object.assign(ns(model, name).labels, i.metadata?.labels ?? {});
      continue;
    }
    const n = ns(model, String(i.metadata?.namespace ?? "default"));
    addObject(n, kind, name);
    if (kind === "Deployment" || kind === "StatefulSet" || kind === "DaemonSet") {
      const spec = i.spec?.template?.spec ?? {};
      const containers = (spec.containers ?? []) as any[];
      n.pods.push({
        owner: `${kind === "Deployment" ? "deploy" : kind.toLowerCase()}/${name}`,
        labels: i.spec?.template?.metadata?.labels ?? {},
        containers: containers.map((c) => ({
          name: String(c.name),
          ports: (c.ports ?? []).map((p: any) => ({ name: p.name, port: Number(p.containerPort) })),
        })),
        paths: httpPaths(containers),
        podNames: [],
      });
    } else if (kind === "Service") {
      n.services.set(name, {
        name,
        labels: i.metadata?.labels ?? {},
        ports: (i.spec?.ports ?? []).map((p: any) => ({
          name: p.name,
          port: Number(p.port),
          targetPort: p.targetPort ?? p.port,
        })),
        selector: i.spec?.selector ?? {},
      });
    } else if (kind === "NetworkPolicy") {
      n.policies.push({
        name,
        podSelector: i.spec?.podSelector ?? {},
        policyTypes: i.spec?.policyTypes ?? ["Ingress"],
        ingress: i.spec?.ingress ?? [],
        egress: i.spec?.egress ?? [],
      });
    } else if (kind === "CiliumNetworkPolicy") {
      // Cilium enforces the union of these and the Kubernetes NetworkPolicies selecting a pod; a pod selected
      // by any egress policy is default-deny for egress (docs.cilium.io/en/stable/security/policy/intro/).
      const egress = (i.spec?.egress ?? []) as any[];
      n.policies.push({
        name,
        podSelector: i.spec?.endpointSelector ?? {},
        policyTypes: egress.length ? ["Egress"] : [],
        ingress: [],
        egress: [],
        fqdns: egress
          .filter((r) => Array.isArray(r.toFQDNs))
          .map((r) => ({
            patterns: r.toFQDNs.map((f: any) => String(f.matchName ?? f.matchPattern)),
            ports: (r.toPorts ?? []).flatMap((tp: any) => (tp.ports ?? []).map((pp: any) => Number(pp.port))),
          })),
      });
    } else if (kind === "ServiceMonitor") {
      monitors.push({
        namespace: String(i.metadata?.namespace),
        selector: i.spec?.selector?.matchLabels ?? {},
        paths: (i.spec?.endpoints ?? []).map((e: any) => String(e.path ?? "/metrics")),
      });
    } else if (kind === "Ingress" && i.spec?.ingressClassName === "webapprouting.kubernetes.azure.com") {
      appRoutingAddOn(model);
    }
  }
  // What Prometheus scrapes is served too: add each ServiceMonitor's paths to the pods behind its Services.
  for (const m of monitors) {
    const n = model.namespaces.get(m.namespace)!;
    for (const svc of n.services.values()) {
      if (!matches(m.selector, svc.labels)) continue;
      for (const p of podsOf(n, svc)) p.paths.push(...m.paths);
    }
  }
  return model;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function matches(selector: Labels | undefined, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function podsOf(n: NamespaceModel, svc: ServiceModel): PodTemplate[] {
  if (Object.keys(svc.selector).length === 0) return [];
  return n.pods.filter((p) => matches(svc.selector, p.labels));
}

// ---------------------------------------------------------------------------------------------------------
// Command extraction

export interface RunbookCommand {
  file: string;
  line: number;
  text: string;
}

/** Commands in fenced shell blocks (continuations joined) and inline `kubectl …` code spans. */
export function extractCommands(file: string, markdown: string): RunbookCommand[] {
  const out: RunbookCommand[] = [];
  const lines = markdown.split("\n");
  let inFence = false;
  let shell = false;
  let pending: { line: number; text: string } | undefined;
  lines.forEach((raw, idx) => {
    const fence = /^\s*```\s*([\w-]*)/.exec(raw);
    if (fence) {
      if (!inFence) {
        inFence = true;
        shell = ["", "bash", "sh", "shell", "console", "zsh"].includes(fence[1]!.toLowerCase());
      } else {
        inFence = false;
      }
      return;
    }
    if (inFence) {
      if (!shell) return;
      const text = raw.replace(/^\s*\$\s+/, "");
      if (pending) {
        pending.text += " " + text.trim();
      } else if (text.trim() && !text.trim().startsWith("#")) {
        pending = { line: idx + 1, text: text.trim() };
      }
      if (pending && !/\\\s*$/.test(text)) {
        out.push({ file, line: pending.line, text: pending.text.replace(/\s*\\\s+/g, " ") });
        pending = undefined;
      } else if (pending) {
        pending.text = pending.text.replace(/\s*\\\s*$/, "");
      }
      return;
    }
    for (const m of raw.matchAll(/`(kubectl [^`…]+)`/g)) {
      out.push({ file, line: idx + 1, text: m[1]! });
    }
  });
  return out;
}

/** Shell words of one simple command (quotes removed; `$(...)` kept as one word). */
export function shellWords(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      cur += s.slice(i + 1, j < 0 ? s.length : j);
      i = j < 0 ? s.length : j;
      has = true;
    } else if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      cur += s.slice(i + 1, j);
      i = j;
      has = true;
    } else if (c === "$" && s[i + 1] === "(") {
      let depth = 0;
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] === "(") depth++;
        else if (s[j] === ")" && --depth === 0) break;
      }
      cur += s.slice(i, j + 1);
      i = j;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) words.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
}

/** Splits a command line into simple commands: pipes, `&&`, `||`, `;`, `&`, and the insides of `$(...)`. */
export function simpleCommands(line: string): string[] {
  const out: string[] = [];
  // Comments: a `#` that starts a word, outside quotes.
  let text = "";
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) break;
    text += c;
  }
  for (const m of text.matchAll(/\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) out.push(...simpleCommands(m[1]!));
  let cur = "";
  let depth = 0;
  quote = undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (depth === 0 && (c === "|" || c === ";" || c === "&")) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
      if ((c === "|" || c === "&") && text[i + 1] === c) i++;
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  // `VAR=$(...)` assignments leave an assignment word only: drop those.
  return out.filter((c) => !/^[A-Za-z_]\w*=(\$\(.*\)|\S*)$/.test(c));
}

// ---------------------------------------------------------------------------------------------------------
// Checks

export interface Finding {
  file: string;
  line: number;
  command: string;
  message: string;
}

/** A name with placeholders (`<color>`, `$LIVE`, `${X}`) as a regex; undefined when it is all placeholder. */
function namePattern(word: string): RegExp | undefined {
  if (/^(<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*\))$/.test(word)) return undefined;
  const parts = word.split(/(<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*?\))/);
  const re = parts.map((p, i) => (i % 2 === 1 ? ".+" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${re}$`);
}

function hasPlaceholder(word: string): boolean {
  return /<[^>]*>|\$/.test(word);
}

function matchesName(word: string, names: Iterable<string>): boolean {
  const re = namePattern(word);
  if (!re) return true;
  for (const n of names) if (re.test(n)) return true;
  return false;
}

const KIND_ALIASES: Record<string, string> = {
  svc: "service",
  service: "service",
  services: "service",
  deploy: "deploy",
  deployment: "deploy",
  deployments: "deploy",
  sts: "statefulset",
  statefulset: "statefulset",
  statefulsets: "statefulset",
  ds: "daemonset",
  daemonset: "daemonset",
  daemonsets: "daemonset",
  po: "pod",
  pod: "pod",
  pods: "pod",
  ep: "endpoints",
  endpoints: "endpoints",
  ing: "ingress",
  ingress: "ingress",
  ingresses: "ingress",
  hpa: "horizontalpodautoscaler",
  horizontalpodautoscaler: "horizontalpodautoscaler",
  pvc: "persistentvolumeclaim",
  persistentvolumeclaim: "persistentvolumeclaim",
  servicemonitor: "servicemonitor",
  servicemonitors: "servicemonitor",
  prometheusrule: "prometheusrule",
  prometheusrules: "prometheusrule",
  networkpolicy: "networkpolicy",
  networkpolicies: "networkpolicy",
  netpol: "networkpolicy",
  ciliumnetworkpolicy: "ciliumnetworkpolicy",
  ciliumnetworkpolicies: "ciliumnetworkpolicy",
  cnp: "ciliumnetworkpolicy",
};

/** Names of objects of `kind` in namespace `n` that the checker knows (undefined: not modelled). */
function namesOf(n: NamespaceModel, kind: string): string[] | undefined {
  switch (kind) {
    case "service":
    case "endpoints":
      return [...n.services.keys()];
    case "deploy":
    case "statefulset":
    case "daemonset":
      return n.pods.filter((p) => p.owner.startsWith(`${kind}/`)).map((p) => p.owner.slice(kind.length + 1));
    case "pod":
      return n.pods.flatMap((p) => p.podNames);
    case "persistentvolumeclaim":
      return [...(n.objects.get("pvc") ?? []), ...(n.objects.get("persistentvolumeclaim") ?? [])];
    case "ingress":
    case "horizontalpodautoscaler":
    case "servicemonitor":
    case "prometheusrule":
    case "networkpolicy":
    case "ciliumnetworkpolicy":
      return [...(n.objects.get(kind) ?? [])];
    default:
      return undefined;
  }
}

function workload(n: NamespaceModel, kind: string, name: string): PodTemplate[] {
  if (kind === "service") {
    const svc = n.services.get(name);
    return svc ? podsOf(n, svc) : [];
  }
  if (kind === "pod")
    return n.pods.filter(
      (p) => p.podNames.includes(name) || (hasPlaceholder(name) && matchesName(name, p.podNames)),
    );
  const re = namePattern(name);
  return n.pods.filter(
    (p) => p.owner.startsWith(`${kind}/`) && (!re || re.test(p.owner.slice(kind.length + 1))),
  );
}

function parseSelector(s: string): [string, string][] {
  return s.split(",").map((kv) => {
    const [k, v] = kv.split(/==?/);
    return [k!.trim(), (v ?? "").trim()];
  });
}

function selectorMatches(sel: [string, string][], labels: Labels): boolean {
  return sel.every(([k, v]) => {
    if (!(k in labels)) return false;
    const re = namePattern(v);
    return !re || re.test(labels[k]!);
  });
}

/** Where a local port leads, after `kubectl port-forward`. */
interface Forward {
  namespace: string;
  pods: PodTemplate[];
  /** The container port the local port reaches. */
  targetPort: number;
  what: string;
}

interface Source {
  namespace: string;
  labels: Labels;
  what: string;
}

/** Does some NetworkPolicy in the source namespace restrict this pod's egress, and does it allow the call? */
function egressAllowed(
  model: ClusterModel,
  src: Source,
  dest: { namespace?: string; pods?: PodTemplate[]; port: number; external: boolean; host?: string },
): string | undefined {
  const n = model.namespaces.get(src.namespace);
  if (!n) return undefined;
  const selecting = n.policies.filter(
    (p) => p.policyTypes.includes("Egress") && matches(p.podSelector.matchLabels, src.labels),
  );
  if (selecting.length === 0) return undefined;
  // Cilium FQDN rules: matchName exact, matchPattern with "*" for one or more name characters.
  const glob = (pat: string) =>
    new RegExp(`^${pat.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[-a-z0-9.]*")}$`, "i");
  const byName = (p: NetworkPolicyModel) =>
    dest.external &&
    dest.host !== undefined &&
    (p.fqdns ?? []).some(
      (f) =>
        (f.ports.length === 0 || f.ports.includes(dest.port)) &&
        f.patterns.some((pat) => glob(pat).test(dest.host!)),
    );
  const ok = selecting.some(
    (p) =>
      byName(p) ||
      p.egress.some(
        (rule) =>
          portAllowed(rule, dest.port) && (rule.to ?? [{}]).some((peer) => peerAllows(model, peer, dest)),
      ),
  );
  return ok
    ? undefined
    : `${src.what} in ${src.namespace} is held by NetworkPolicy ${selecting.map((p) => `${src.namespace}/${p.name}`).join(", ")}: ` +
        `no egress rule admits ${dest.external ? "an external host" : `${dest.namespace}`} on port ${dest.port}`;
}

function portAllowed(rule: PolicyRule, port: number): boolean {
  return !rule.ports?.length || rule.ports.some((p) => p.port === undefined || Number(p.port) === port);
}

function peerAllows(
  model: ClusterModel,
  peer: PolicyPeer,
  dest: { namespace?: string; pods?: PodTemplate[]; external: boolean },
): boolean {
  if (Object.keys(peer).length === 0) return true;
  if (dest.external) return !!peer.ipBlock;
  if (peer.ipBlock) return false;
  const nsLabels = model.namespaces.get(dest.namespace ?? "")?.labels ?? {};
  if (peer.namespaceSelector && !matches(peer.namespaceSelector.matchLabels, nsLabels)) return false;
  if (peer.podSelector)
    return (dest.pods ?? []).some((p) => matches(peer.podSelector!.matchLabels, p.labels));
  return true;
}

function ingressAllowed(
  model: ClusterModel,
  src: Source,
  destNs: string,
  pods: PodTemplate[],
  port: number,
): string | undefined {
  const n = model.namespaces.get(destNs);
  if (!n) return undefined;
  for (const pod of pods) {
    const selecting = n.policies.filter(
      (p) => p.policyTypes.includes("Ingress") && matches(p.podSelector.matchLabels, pod.labels),
    );
    if (selecting.length === 0) continue;
    const srcNsLabels = model.namespaces.get(src.namespace)?.labels ?? {};
    const ok = selecting.some((p) =>
      p.ingress.some(
        (rule) =>
          portAllowed(rule, port) &&
          (rule.from ?? [{}]).some((peer) => {
            if (Object.keys(peer).length === 0) return true;
            if (peer.ipBlock) return false;
            if (peer.namespaceSelector && !matches(peer.namespaceSelector.matchLabels, srcNsLabels))
              return false;
            if (!peer.namespaceSelector && src.namespace !== destNs) return false;
            return !peer.podSelector || matches(peer.podSelector.matchLabels, src.labels);
          }),
      ),
    );
    if (!ok) {
      return `NetworkPolicy ${selecting.map((p) => `${destNs}/${p.name}`).join(", ")} admits no traffic from ${src.what} in ${src.namespace} to ${pod.owner} on port ${port}`;
    }
  }
  return undefined;
}

function pathServed(path: string, pods: PodTemplate[]): boolean {
  const rules = pods.flatMap((p) => p.paths);
  return rules.some((r) => (r.endsWith("/") && r.length > 1 ? path.startsWith(r) : path === r));
}

function servedList(pods: PodTemplate[]): string {
  return [...new Set(pods.flatMap((p) => p.paths))].sort().join(", ");
}

function containerPortOf(pods: PodTemplate[], port: number | string): number | undefined {
  for (const p of pods) {
    for (const c of p.containers) {
      for (const cp of c.ports) if (cp.port === Number(port) || cp.name === port) return cp.port;
    }
  }
  return typeof port === "number" ? port : undefined;
}

/** Checks every command of every runbook; returns the findings (empty: all commands fit the render). */
export function checkRunbooks(
  model: ClusterModel,
  runbooks: { file: string; text: string }[],
  npmScripts: string[],
): Finding[] {
  const findings: Finding[] = [];
  for (const rb of runbooks) {
    const forwards = new Map<number, Forward>();
    for (const cmd of extractCommands(rb.file, rb.text)) {
      const report = (message: string) =>
        findings.push({ file: cmd.file, line: cmd.line, command: cmd.text, message });
      // `<live color>` is one placeholder, not two words.
      const text = cmd.text.replace(/<([^<>\n]+)>/g, (_m, g: string) => `<${g.trim().replace(/\s+/g, "_")}>`);
      for (const simple of simpleCommands(text)) {
        const words = shellWords(simple);
        const tool = words[0];
        if (tool === "kubectl") checkKubectl(model, words, forwards, report);
        else if (tool === "az") checkAz(model, words, report);
        else if (tool === "curl") checkCurl(model, words, forwards, undefined, report);
        else if (tool === "amtool") {
          const url = words.find((w) => w.startsWith("--alertmanager.url="))?.split("=")[1];
          if (url) checkUrl(model, url, forwards, undefined, report);
        } else if (tool === "npm" && words[1] === "run") {
          const script = words.slice(2).find((w) => !w.startsWith("-"));
          if (script && !npmScripts.includes(script))
            report(`npm script "${script}" does not exist in package.json`);
        }
      }
    }
  }
  return findings;
}

const GLOBAL_FLAGS_WITH_VALUE = new Set([
  "-n",
  "--namespace",
  "-l",
  "--selector",
  "-c",
  "--container",
  "-o",
  "--output",
  "--context",
  "--image",
  "--field-selector",
  "--sort-by",
  "--tail",
  "--since",
  "--timeout",
  "--replicas",
  "-p",
  "--patch",
  "--overrides",
  "--profile",
  "--target",
  "--restart",
  "-f",
  "--filename",
  "--type",
]);

function checkKubectl(
  model: ClusterModel,
  words: string[],
  forwards: Map<number, Forward>,
  report: (m: string) => void,
): void {
  // Split off the command run inside a pod (`kubectl run … -- curl …`, `kubectl exec … -- …`).
  const dash = words.indexOf("--");
  const own = dash < 0 ? words : words.slice(0, dash);
  const inner = dash < 0 ? [] : words.slice(dash + 1);
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 1; i < own.length; i++) {
    const w = own[i]!;
    const eq = /^(--?[\w.-]+)=(.*)$/.exec(w);
    if (eq) flags.set(eq[1]!, eq[2]!);
    else if (GLOBAL_FLAGS_WITH_VALUE.has(w)) flags.set(w, own[++i] ?? "");
    else if (w.startsWith("-")) flags.set(w, "");
    else positional.push(w);
  }
  const nsWord = flags.get("-n") ?? flags.get("--namespace");
  const allNs = flags.has("-A") || flags.has("--all-namespaces");
  const [verb, ...args] = positional;
  let namespaces: NamespaceModel[] = [];
  let nsName: string | undefined;
  if (nsWord !== undefined) {
    if (hasPlaceholder(nsWord)) {
      namespaces = [...model.namespaces.values()];
    } else if (!model.namespaces.has(nsWord)) {
      report(
        `namespace "${nsWord}" does not exist in the render (namespaces: ${[...model.namespaces.keys()].sort().join(", ")})`,
      );
      return;
    } else {
      nsName = nsWord;
      namespaces = [model.namespaces.get(nsWord)!];
    }
  } else if (allNs) {
    namespaces = [...model.namespaces.values()];
  } else {
    namespaces = [model.namespaces.get("default")!];
    nsName = "default";
  }
  const nsLabel = nsName ?? "any namespace";

  // Object references: `kind/name` words, and `get|describe <kind>[,<kind>] <name>...`.
  const refs: { kind: string; name: string }[] = [];
  for (const a of args) {
    const m = /^([a-z]+)\/(.+)$/.exec(a);
    if (m && KIND_ALIASES[m[1]!]) refs.push({ kind: KIND_ALIASES[m[1]!]!, name: m[2]! });
  }
  const objectVerbs = ["get", "describe", "delete", "edit", "patch", "label", "annotate"];
  if (objectVerbs.includes(verb ?? "") && args[0] && !args[0].includes("/") && !args[0].includes(",")) {
    const kind = KIND_ALIASES[args[0]];
    if (kind) for (const name of args.slice(1)) refs.push({ kind, name });
  }
  if (["logs", "exec", "port-forward", "debug", "attach"].includes(verb ?? "")) {
    const target = args.find((a) => !/^\d+(:\d+)?$/.test(a));
    if (target && !target.includes("/")) refs.push({ kind: "pod", name: target });
  }
  if (verb === "top" && (args[0] === "pod" || args[0] === "pods") && args[1])
    refs.push({ kind: "pod", name: args[1] });
  if (verb === "rollout" && args[0] && args[1]) {
    const m = /^([a-z]+)\/(.+)$/.exec(args[1]);
    if (!m && KIND_ALIASES[args[1]])
      for (const name of args.slice(2)) refs.push({ kind: KIND_ALIASES[args[1]]!, name });
  }
  for (const ref of refs) {
    if (ref.kind === "pod" && namePattern(ref.name) === undefined) continue;
    const known = namespaces.flatMap((n) => namesOf(n, ref.kind) ?? ["*"]);
    if (known.includes("*")) continue;
    if (!matchesName(ref.name, known)) {
      report(
        `${ref.kind} "${ref.name}" does not exist in ${nsLabel} (the render has: ${[...new Set(known)].sort().join(", ") || "none"})`,
      );
    }
  }

  // Label selectors must select some pod (or, for `get svc -l`, some object: only pod selectors are checked).
  const sel = flags.get("-l") ?? flags.get("--selector");
  const podTemplates = namespaces.flatMap((n) => n.pods);
  let selected: PodTemplate[] = podTemplates;
  if (sel !== undefined) {
    const parsed = parseSelector(sel);
    selected = podTemplates.filter((p) => selectorMatches(parsed, p.labels));
    if (selected.length === 0) report(`label selector "${sel}" selects no pod in ${nsLabel}`);
  }

  // Containers (`-c`) must exist in the pods the command addresses.
  const container = flags.get("-c") ?? flags.get("--container");
  if (container !== undefined && !hasPlaceholder(container)) {
    const addressed = refs.length
      ? namespaces.flatMap((n) => refs.flatMap((r) => workload(n, r.kind, r.name)))
      : selected;
    const names = new Set(addressed.flatMap((p) => p.containers.map((c) => c.name)));
    if (addressed.length && !names.has(container)) {
      report(
        `container "${container}" does not exist in ${addressed.map((p) => p.owner).join(", ")} (containers: ${[...names].sort().join(", ")})`,
      );
    }
  }

  if (verb === "port-forward" && nsName) {
    const target = args.find((a) => a.includes("/")) ?? args.find((a) => !/^\d+(:\d+)?$/.test(a));
    const portArgs = args.filter((a) => /^\d+(:\d+)?$/.test(a));
    if (!target) return;
    const m = /^([a-z]+)\/(.+)$/.exec(target);
    const kind = m ? (KIND_ALIASES[m[1]!] ?? m[1]!) : "pod";
    const name = m ? m[2]! : target;
    const n = model.namespaces.get(nsName)!;
    for (const pa of portArgs) {
      const [local, remote] = pa.includes(":") ? pa.split(":").map(Number) : [Number(pa), Number(pa)];
      let pods: PodTemplate[];
      let targetPort: number | undefined;
      if (kind === "service") {
        const svc = n.services.get(name);
        if (!svc) continue; // reported above
        const sp = svc.ports.find((p) => p.port === remote);
        if (!sp) {
          report(
            `Service ${nsName}/${name} has no port ${remote} (ports: ${svc.ports.map((p) => p.port).join(", ")})`,
          );
          continue;
        }
        pods = podsOf(n, svc);
        targetPort = containerPortOf(pods, sp.targetPort);
      } else {
        // A pod named by a variable ("$POD"): any pod of the namespace that listens on the port.
        pods = hasPlaceholder(name)
          ? n.pods.filter((p) => p.containers.some((c) => c.ports.some((cp) => cp.port === remote)))
          : workload(n, kind, name);
        if (pods.length === 0 && hasPlaceholder(name)) {
          report(`no pod in ${nsName} listens on port ${remote}`);
          continue;
        }
        const ports = pods.flatMap((p) => p.containers.flatMap((c) => c.ports.map((cp) => cp.port)));
        if (pods.length && !ports.includes(remote!)) {
          report(
            `no container of ${pods.map((p) => p.owner).join(", ")} listens on port ${remote} (ports: ${[...new Set(ports)].join(", ")})`,
          );
          continue;
        }
        targetPort = remote;
      }
      forwards.set(local!, {
        namespace: nsName,
        pods,
        targetPort: targetPort ?? remote!,
        what: `${nsName}/${target}`,
      });
    }
    return;
  }

  if (verb === "run" && nsName) {
    const podName = args[0] ?? "pod";
    const n = model.namespaces.get(nsName)!;
    const src: Source = {
      namespace: nsName,
      labels: { run: podName },
      what: `a pod started with kubectl run`,
    };
    // Pod Security admission (https://kubernetes.io/docs/concepts/security/pod-security-admission/).
    if (n.labels["pod-security.kubernetes.io/enforce"] === "restricted" && !flags.has("--overrides")) {
      report(
        `namespace ${nsName} enforces the "restricted" Pod Security Standard: a plain kubectl run pod (root-capable, no seccomp profile) is rejected`,
      );
    }
    const blocking = n.policies.filter(
      (p) => p.policyTypes.includes("Egress") && matches(p.podSelector.matchLabels, src.labels),
    );
    if (blocking.length && inner.length === 0) {
      report(`a pod started in ${nsName} is held by NetworkPolicy ${blocking.map((p) => p.name).join(", ")}`);
    }
    if (inner[0] === "curl") checkCurl(model, inner, forwards, src, report);
    return;
  }

  if ((verb === "debug" || verb === "exec") && nsName && inner[0] === "curl") {
    const target = args.find((a) => a.includes("/")) ?? args[0] ?? "";
    const m = /^([a-z]+)\/(.+)$/.exec(target);
    const n = model.namespaces.get(nsName)!;
    let pods = m ? workload(n, KIND_ALIASES[m[1]!] ?? m[1]!, m[2]!) : workload(n, "pod", target);
    // A pod named by a variable ("$POD"): the pods running the container the command targets.
    const targetContainer = flags.get("--target") ?? container;
    if (pods.length === 0 && hasPlaceholder(target) && targetContainer) {
      pods = n.pods.filter((p) => p.containers.some((c) => c.name === targetContainer));
    }
    // An ephemeral or exec'd container shares the pod's network namespace: the pod's policies apply.
    const pod = pods[0] ?? (sel !== undefined ? selected[0] : undefined);
    if (pod)
      checkCurl(
        model,
        inner,
        forwards,
        { namespace: nsName, labels: pod.labels, what: pod.owner, pod } as Source & { pod: PodTemplate },
        report,
      );
  }
}

/**
 * `az` commands: resource groups and cluster names must be ones the program creates (with `<env>` the
 * rendered stack); `-n/--name` only when it spells a program name pattern (`…-<env>`), since it also names
 * things the program does not (certificates, VMSS instances).
 */
function checkAz(model: ClusterModel, words: string[], report: (m: string) => void): void {
  for (let i = 1; i < words.length; i++) {
    const flag = words[i]!;
    const strict = ["-g", "--resource-group", "--cluster-name", "--server-name"].includes(flag);
    const byEnv = ["-n", "--name"].includes(flag);
    if (!strict && !byEnv) continue;
    const value = words[++i] ?? "";
    if (byEnv && !value.includes("<env>")) continue;
    const name = value.replace(/<env>/g, model.stack);
    if (!matchesName(name, model.azureNames)) {
      report(`Azure name "${value}" (${name} in stack ${model.stack}) is not one the program creates`);
    }
  }
}

function checkCurl(
  model: ClusterModel,
  words: string[],
  forwards: Map<number, Forward>,
  src: (Source & { pod?: PodTemplate }) | undefined,
  report: (m: string) => void,
): void {
  const valueFlags = new Set([
    "-o",
    "-w",
    "-m",
    "--max-time",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-urlencode",
    "-X",
    "--connect-timeout",
    "-u",
    "--user",
    "--resolve",
    "--cacert",
  ]);
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (valueFlags.has(w)) {
      i++;
      continue;
    }
    if (w.startsWith("-")) continue;
    checkUrl(model, w, forwards, src, report);
  }
}

function checkUrl(
  model: ClusterModel,
  raw: string,
  forwards: Map<number, Forward>,
  src: (Source & { pod?: PodTemplate }) | undefined,
  report: (m: string) => void,
): void {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme.replace(/\$[A-Za-z_]\w*|\$\{[^}]+\}|<[^>]*>/g, "placeholder"));
  } catch {
    return;
  }
  const host = url.hostname;
  const hostRaw = /^[a-z]+:\/\/([^/:?]+)/i.exec(withScheme)?.[1] ?? host;
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const path = decodeURIComponent(url.pathname);
  const hasPathPlaceholder = /<[^>]*>|\$/.test(/^[a-z]+:\/\/[^/]+(\/[^?]*)?/i.exec(withScheme)?.[1] ?? "");
  if (host === "localhost" || host === "127.0.0.1") {
    if (src?.pod) {
      // Inside the pod (kubectl debug/exec): the pod's own ports.
      const ports = src.pod.containers.flatMap((c) => c.ports.map((p) => p.port));
      if (!ports.includes(port))
        report(`${src.pod.owner} listens on no port ${port} (ports: ${ports.join(", ")})`);
      else if (!hasPathPlaceholder && !pathServed(path, [src.pod]))
        report(`${src.pod.owner} does not serve ${path} (it serves ${servedList([src.pod])})`);
      return;
    }
    const fwd = forwards.get(port);
    if (!fwd) {
      report(`nothing forwards localhost:${port}: run kubectl port-forward for it earlier in the runbook`);
      return;
    }
    if (!hasPathPlaceholder && fwd.pods.length && !pathServed(path, fwd.pods)) {
      report(`${fwd.what} does not serve ${path} (it serves ${servedList(fwd.pods)})`);
    }
    return;
  }
  // In-cluster Service names: <svc>, <svc>.<ns>, <svc>.<ns>.svc[.cluster.local].
  const parts = hostRaw.split(".");
  const inCluster =
    parts.length === 1 ||
    /\.svc(\.cluster\.local)?$/.test(hostRaw) ||
    (parts.length === 2 && model.namespaces.has(parts[1]!));
  if (inCluster) {
    if (hasPlaceholder(hostRaw)) return;
    const svcNs = parts[1] ?? src?.namespace ?? "default";
    const n = model.namespaces.get(svcNs);
    const svc = n?.services.get(parts[0]!);
    if (!n || !svc) {
      report(`Service ${svcNs}/${parts[0]} (from ${raw}) does not exist in the render`);
      return;
    }
    const sp = svc.ports.find((p) => p.port === port);
    if (!sp) {
      report(
        `Service ${svcNs}/${svc.name} has no port ${port} (ports: ${svc.ports.map((p) => p.port).join(", ")}): ${raw}`,
      );
      return;
    }
    const pods = podsOf(n, svc);
    if (!hasPathPlaceholder && pods.length && !pathServed(path, pods))
      report(`${svcNs}/${svc.name} does not serve ${path} (it serves ${servedList(pods)})`);
    if (src) {
      const targetPort = containerPortOf(pods, sp.targetPort) ?? port;
      const e = egressAllowed(model, src, { namespace: svcNs, pods, port: targetPort, external: false });
      if (e) report(e);
      const i = ingressAllowed(model, src, svcNs, pods, targetPort);
      if (i) report(i);
    }
    return;
  }
  // An external host, called from inside the cluster: the source pod's egress policy decides.
  if (src) {
    const e = egressAllowed(model, src, { port, external: true, host: hostRaw });
    if (e) report(e);
  }
}
