/**
 * The Go tools of tools/go.mod, built into .bin/ by `npm run tools`: pinned at exactly the versions the
 * pinned kube-prometheus-stack deploys (infra/monitoring/chartVersions.ts), and the built binaries report
 * those versions. A drift in either place fails here.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { CERT_MANAGER_CHART } from "../infra/kubernetes/certManagerPlan";
import { CHART_VERSIONS } from "../infra/monitoring/chartVersions";
import { DEPLOYED } from "../infra/monitoring/helmValues";
import { npmRun } from "./cli";
import { run, tool, type ToolName } from "./tools";

const ROOT = path.resolve(__dirname, "..");

/** `require` lines of tools/go.mod: module → version. */
function goModRequires(): Map<string, string> {
  const text = fs.readFileSync(path.join(ROOT, "tools", "go.mod"), "utf8");
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\s*(\S+)\s+(v\S+)(?:\s*\/\/.*)?$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** Prometheus publishes release v3.X.Y as Go module v0.3XX.Y (prometheus/prometheus README). */
function prometheusModuleVersion(release: string): string {
  const [major, minor, patch] = release.split(".").map(Number) as [number, number, number];
  return `v0.${major}${String(minor).padStart(2, "0")}.${patch}`;
}

const PINS: Record<string, string> = {
  "github.com/prometheus/prometheus": prometheusModuleVersion(DEPLOYED.prometheus),
  "github.com/prometheus/alertmanager": `v${DEPLOYED.alertmanager}`,
  "github.com/rhysd/actionlint": "v1.7.12",
  "github.com/slok/sloth": "v0.16.0",
};

describe("tools/go.mod", () => {
  const requires = goModRequires();

  it.each(Object.entries(PINS))("pins %s at %s (the chart's version where the chart ships it)", (mod, v) => {
    expect(requires.get(mod), `tools/go.mod: go get -tool ${mod}@${v}`).toBe(v);
  });

  it("declares every tool scripts/tools.sh builds", () => {
    const gomod = fs.readFileSync(path.join(ROOT, "tools", "go.mod"), "utf8");
    const script = fs.readFileSync(path.join(ROOT, "scripts", "tools.sh"), "utf8");
    for (const pkg of script.matchAll(/\|(github\.com\/[^|]+\/cmd\/[^|]+)\|/g)) {
      expect(gomod).toContain(`\t${pkg[1]}\n`);
    }
  });

  it("maps Prometheus releases to its Go module versions", () => {
    expect(prometheusModuleVersion("3.15.0")).toBe("v0.315.0");
    expect(prometheusModuleVersion("3.5.1")).toBe("v0.305.1");
  });
});

describe("tools/kube (the API server suite's kube-apiserver, etcd and CRDs)", () => {
  const gomod = fs.readFileSync(path.join(ROOT, "tools", "kube", "go.mod"), "utf8");
  const prod = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
    config: Record<string, { kubernetesVersion?: string }>;
  };
  const aksMinor = String(prod.config["monitoring-platform:aks"]?.kubernetesVersion);

  it("builds the Kubernetes release of prod's AKS version (aks.kubernetesVersion)", () => {
    const k8s = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)(?:\s*\/\/.*)?$/m.exec(gomod)?.[1];
    expect(k8s, "tools/kube/go.mod requires k8s.io/kubernetes").toBeDefined();
    expect(k8s!.replace(/^v(\d+\.\d+)\..*$/, "$1")).toBe(aksMinor);
  });

  it("pins every k8s.io staging module to that same release (v0.<minor>.<patch>)", () => {
    const k8s = /^\s*k8s\.io\/kubernetes v1\.(\d+\.\d+)(?:\s*\/\/.*)?$/m.exec(gomod)![1];
    const replaces = [...gomod.matchAll(/^\s*(k8s\.io\/\S+) => (k8s\.io\/\S+) (v\S+)$/gm)];
    expect(replaces.length).toBeGreaterThan(20);
    for (const [, from, to, v] of replaces) {
      expect(to, from).toBe(from);
      expect(v, from).toBe(`v0.${k8s}`);
    }
  });

  it("declares the two servers as tools", () => {
    expect(gomod).toMatch(/^\tk8s\.io\/kubernetes\/cmd\/kube-apiserver$/m);
    expect(gomod).toMatch(/^\tgo\.etcd\.io\/etcd\/server\/v3$/m);
  });

  it("takes the CRDs from the operator and cert-manager versions the stacks deploy", () => {
    const crds = new Map(
      fs
        .readFileSync(path.join(ROOT, "tools", "kube", "crds.txt"), "utf8")
        .split("\n")
        .filter((l) => l.trim() && !l.startsWith("#"))
        .map((l) => l.trim().split(/\s+/) as [string, string, string, string])
        .map(([name, module, version]) => [name, { module, version }]),
    );
    expect(crds.get("prometheus-operator")?.version).toBe(CHART_VERSIONS.kubePrometheusStack.operatorVersion);
    expect(crds.get("cert-manager")?.version).toBe(CERT_MANAGER_CHART.version);
    expect([...crds.keys()].sort()).toEqual([
      "cert-manager",
      "cilium",
      "prometheus-operator",
      "secrets-store-csi",
    ]);
  });
});

/** First line of `<tool> <args>` (stdout and stderr: kingpin prints --version to either). */
async function versionLine(name: ToolName, args: string[]): Promise<string> {
  const r = await run(tool(name), args, { timeoutMs: 20_000 });
  return `${r.stdout}${r.stderr}`.trim().split("\n")[0] ?? "";
}

describe("the built tools in .bin/ report the pinned versions", () => {
  it.each([
    ["promtool", DEPLOYED.prometheus],
    ["prometheus", DEPLOYED.prometheus],
    ["amtool", DEPLOYED.alertmanager],
    ["alertmanager", DEPLOYED.alertmanager],
  ] as const)("%s --version is the chart's %s", async (name, version) => {
    expect(await versionLine(name, ["--version"])).toMatch(
      new RegExp(`^${name}, version ${version.replace(/\./g, "\\.")} `),
    );
  });

  it("actionlint is v1.7.12", async () => {
    expect(await versionLine("actionlint", ["-version"])).toBe("v1.7.12");
  });

  it("a missing tool fails with the command that builds it", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-tools-"));
    try {
      expect(() => tool("promtool", empty)).toThrow(/no-tools-.*\/promtool is missing: run `npm run tools`/);
      expect(() => tool("sloth", empty)).toThrow(/sloth is missing: run `npm run tools -- sloth`/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

// sloth is built only for the bench (`npm run tools -- sloth`); the bench prints the module version Go
// recorded in the binary it ran (cli/bench/ruleCostRun.ts), and its pin is checked above.
describe("npm run tools", () => {
  it("reuses what is already built at the pinned version, one line per tool, through the npm script users type", async () => {
    const r = await npmRun("tools", [], { timeoutMs: 120_000 });
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^tools\.sh: 5 tools in \.bin\/ \(0 built, 5 reused\) in \d+ s$/m);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 5).map((l) => l.split(" ")[1])).toEqual([
      "promtool",
      "amtool",
      "actionlint",
      "prometheus",
      "alertmanager",
    ]);
    for (const l of lines.slice(0, 5)) expect(l).toMatch(/^tools\.sh: \S+ reused \(github\.com\/\S+ v\S+/);
    expect(r.stdout).not.toContain("sloth");
  }, 130_000);

  it("refuses an unknown tool name with the known ones", async () => {
    const r = await npmRun("tools", ["promtol"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "tools.sh: unknown tool 'promtol' (known: promtool amtool actionlint prometheus alertmanager sloth kube-apiserver etcd crds)",
    );
  });
});
