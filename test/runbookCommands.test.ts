/**
 * Runbooks that work: every shell command in docs/runbooks/*.md must run against what
 * the program deploys. The prod render (made once, through the npm script users type) is the source of
 * truth for namespaces, Services and their ports, Deployments/StatefulSets and their pods, containers and
 * labels, the paths the app serves (its probe and scrape paths), NetworkPolicies and Pod Security levels;
 * test/runbookCheck.ts turns it into a cluster model and checks each command against it.
 */
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { RenderDocument } from "../cli/shared/renderOutput";
import { ROOT } from "./mocks";
import {
  checkRunbooks,
  type ClusterModel,
  clusterModel,
  extractCommands,
  shellWords,
  simpleCommands,
} from "./runbookCheck";

const RUNBOOKS = path.join(ROOT, "docs/runbooks");
const NPM_SCRIPTS = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: object }).scripts,
);

function runbooks(): { file: string; text: string }[] {
  return fs
    .readdirSync(RUNBOOKS)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => ({ file: `docs/runbooks/${f}`, text: fs.readFileSync(path.join(RUNBOOKS, f), "utf8") }));
}

let model: ClusterModel;
beforeAll(async () => {
  const out = inject("renders").prod.dir; // the run's one prod render (test/globalSetup.ts)
  const doc = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as RenderDocument;
  model = clusterModel(doc);
});

describe("runbook commands against the prod render", () => {
  it("every command names namespaces, objects, labels, containers, ports and paths the render has", () => {
    const findings = checkRunbooks(model, runbooks(), NPM_SCRIPTS);
    const report = findings.map((f) => `${f.file}:${f.line}: ${f.message}\n      ${f.command}`).join("\n");
    expect(findings, `runbook commands that would fail against the deployment:\n${report}`).toEqual([]);
  });

  it("reads a meaningful number of commands (the check is not vacuous)", () => {
    const commands = runbooks().flatMap((rb) => extractCommands(rb.file, rb.text));
    expect(commands.filter((c) => c.text.startsWith("kubectl")).length).toBeGreaterThan(100);
    expect(commands.filter((c) => /\bcurl\b/.test(c.text)).length).toBeGreaterThan(40);
    expect(commands.filter((c) => c.text.includes("port-forward")).length).toBeGreaterThan(15);
  });

  it("the model holds what the program and its charts deploy", () => {
    const agents = model.namespaces.get("agents")!;
    expect([...agents.services.keys()].sort()).toEqual([
      "agent-api",
      "agent-api-metrics",
      "agent-api-preview",
    ]);
    expect(agents.services.get("agent-api")!.ports.map((p) => p.port)).toEqual([8000]);
    expect(agents.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const monitoring = model.namespaces.get("monitoring")!;
    expect(monitoring.services.get("kube-prometheus-stack-prometheus")!.ports[0]!.port).toBe(9090);
    expect(monitoring.services.get("kube-prometheus-stack-alertmanager")!.ports[0]!.port).toBe(9093);
    expect(monitoring.services.get("blackbox-exporter")!.ports[0]!.port).toBe(9115);
    const app = agents.pods.find((p) => p.owner === "deploy/agent-api-blue")!;
    expect(app.paths).toEqual(expect.arrayContaining(["/health", "/metrics"]));
  });
});

describe("the checker fails on a runbook that does not fit the deployment", () => {
  const check = (text: string) =>
    checkRunbooks(model, [{ file: "Broken.md", text: "```bash\n" + text + "\n```\n" }], NPM_SCRIPTS).map(
      (f) => f.message,
    );

  it.each([
    [
      "the issue's AgentCompleteOutage command (restricted namespace, wrong port and path)",
      "kubectl -n agents run curl-$RANDOM --rm -i --restart=Never --image=curlimages/curl -- \\\n  curl -sS -m 5 http://agent-api/healthz",
      [
        /enforces the "restricted" Pod Security Standard/,
        /Service agents\/agent-api has no port 80 \(ports: 8000\)/,
      ],
    ],
    [
      "the issue's AgentHighErrorRate command (an external provider from a namespace without egress)",
      "kubectl -n agents run curl-$RANDOM --rm -i --restart=Never --image=curlimages/curl -- curl -sS https://api.anthropic.com/",
      [
        /held by NetworkPolicy agents\/agent-api-default-deny.*no egress rule admits an external host on port 443/,
      ],
    ],
    ["a namespace that does not exist", "kubectl -n agent get pods", [/namespace "agent" does not exist/]],
    [
      "a Service that does not exist",
      "kubectl -n monitoring port-forward svc/prometheus 9090",
      [/service "prometheus" does not exist in monitoring/],
    ],
    [
      "a Service port the Service does not have",
      "kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9091",
      [/Service monitoring\/kube-prometheus-stack-prometheus has no port 9091/],
    ],
    [
      "a path the app does not serve",
      "kubectl -n agents port-forward svc/agent-api 8000:8000 &\ncurl -s localhost:8000/healthz",
      [/agents\/svc\/agent-api does not serve \/healthz \(it serves \/health, \/metrics\)/],
    ],
    [
      "a localhost port nothing forwards",
      "curl -s localhost:9090/api/v1/rules",
      [/nothing forwards localhost:9090/],
    ],
    [
      "a Deployment that does not exist",
      "kubectl -n agents rollout restart deploy/agent-api",
      [/deploy "agent-api" does not exist in agents \(the render has: agent-api-blue, agent-api-green\)/],
    ],
    [
      "a Deployment pattern nothing matches",
      "kubectl -n agents scale deploy/agents-<color> --replicas=2",
      [/deploy "agents-<color>" does not exist/],
    ],
    [
      "a label selector that selects nothing",
      "kubectl -n agents get pods -l app.kubernetes.io/name=agents",
      [/label selector "app.kubernetes.io\/name=agents" selects no pod in agents/],
    ],
    [
      "a container that does not exist",
      "kubectl -n agents logs deploy/agent-api-blue -c agent-api",
      [/container "agent-api" does not exist in deploy\/agent-api-blue \(containers: app\)/],
    ],
    [
      "a NetworkPolicy that does not exist",
      "kubectl -n agents get networkpolicy agent-api-egress -o yaml",
      [/networkpolicy "agent-api-egress" does not exist in agents/],
    ],
    [
      "a StatefulSet pod that does not exist",
      "kubectl -n monitoring logs prometheus-kube-prometheus-stack-prometheus-5 -c prometheus",
      [/pod "prometheus-kube-prometheus-stack-prometheus-5" does not exist in monitoring/],
    ],
    [
      "a call the app's ingress policy refuses (kube-system is not admitted)",
      "kubectl -n kube-system run c --image=curlimages/curl -- curl http://agent-api.agents:8000/health",
      [/agents\/agent-api-allow-ingress admits no traffic from .* in kube-system/],
    ],
    [
      "an Azure resource group the program does not create",
      "az aks show -g rg-agent-<env> -n aks-agents-<env>",
      [/Azure name "rg-agent-<env>" \(rg-agent-prod in stack prod\) is not one the program creates/],
    ],
    [
      "an npm script that does not exist",
      "npm run blue-green -- status --stack prod",
      [/npm script "blue-green"/],
    ],
  ])("%s", (_name, text, expected) => {
    const messages = check(text);
    for (const re of expected)
      expect(
        messages.some((m) => re.test(m)),
        messages.join("\n"),
      ).toBe(true);
  });

  it("follows the app's Cilium FQDN egress: the configured LLM host passes, any other host is refused", () => {
    const fqdnPolicy = model.namespaces.get("agents")!.policies.find((p) => p.fqdns?.length);
    const host = fqdnPolicy!.fqdns![0]!.patterns[0]!.replace(/^\*\./, "x.");
    const debug = (h: string) =>
      check(
        `POD=$(kubectl -n agents get pods -l app=agent-api -o jsonpath='{.items[0].metadata.name}')\n` +
          `kubectl -n agents debug -it "$POD" --image=curlimages/curl --target=app --profile=restricted -- curl -sS https://${h}/`,
      );
    expect(debug(host)).toEqual([]);
    expect(debug("api.anthropic.com").join("\n")).toMatch(
      /deploy\/agent-api-blue in agents is held by NetworkPolicy .*agents\/agent-api-allow-fqdn-egress: no egress rule admits an external host on port 443/,
    );
  });

  it("accepts the working forms: port-forward, a pod in an admitted namespace, placeholders", () => {
    expect(
      check(
        [
          "kubectl -n agents port-forward svc/agent-api 8000:8000 &",
          "curl -sS localhost:8000/health",
          "kubectl -n monitoring run curl-$RANDOM --rm -i --restart=Never --image=curlimages/curl -- curl -sS http://agent-api.agents:8000/health",
          "kubectl -n agents logs -l app=agent-api,color=<live color> -c app --tail=100",
          "kubectl -n agents rollout restart deploy/agent-api-<color>",
          "kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090 &",
          "curl -sG localhost:9090/api/v1/query --data-urlencode 'query=up' | jq .",
          "kubectl -n <namespace> describe pod <pod>",
        ].join("\n"),
      ),
    ).toEqual([]);
  });
});

describe("command extraction", () => {
  it("joins continuation lines, skips comments and non-shell fences, reads inline kubectl spans", () => {
    const md = [
      "Run `kubectl -n agents get hpa` first.",
      "```bash",
      "# a comment",
      "kubectl -n agents run x -- \\",
      "  curl -s http://a:1/b",
      "```",
      "```yaml",
      "kubectl: not a command",
      "```",
    ].join("\n");
    expect(extractCommands("x.md", md)).toEqual([
      { file: "x.md", line: 1, text: "kubectl -n agents get hpa" },
      { file: "x.md", line: 4, text: "kubectl -n agents run x -- curl -s http://a:1/b" },
    ]);
  });

  it("splits pipelines and command substitutions, and keeps quoted words whole", () => {
    expect(simpleCommands(`LIVE=$(kubectl -n agents get svc agent-api -o jsonpath='{.a}') # x`)).toEqual([
      "kubectl -n agents get svc agent-api -o jsonpath='{.a}'",
    ]);
    expect(simpleCommands("a | b && c; d &")).toEqual(["a", "b", "c", "d"]);
    expect(shellWords(`curl -sG 'x y' "a $B" c`)).toEqual(["curl", "-sG", "x y", "a $B", "c"]);
  });
});
