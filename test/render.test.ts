/**
 * The offline render, run as users run it (the CLI, in a child process), for both stacks with seeded
 * secrets: the contract of resources.json, every Kubernetes object valid against its schema, and no secret
 * value anywhere in the output.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ROOT, SEEDED_SECRETS } from "./mocks";
import { validateManifest } from "./schemas";
import { run } from "./tools";
import { isKubernetesObject, type RenderDocument } from "../cli/shared/renderOutput";

/** A copy of Pulumi.<stack>.yaml with known plaintext values for the secret keys. */
function fixtureStackFile(stack: string, dir: string): string {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  Object.assign(doc.config, SEEDED_SECRETS);
  const file = path.join(dir, `Pulumi.${stack}.fixture.yaml`);
  fs.writeFileSync(file, yaml.dump(doc));
  return file;
}

async function render(stack: string, out: string, configFile?: string): Promise<string> {
  // The command `npm run render` runs.
  const args = [path.join(ROOT, "cli/run.cjs"), "render", "--stack", stack, "--out", out];
  if (configFile) args.push("--config", configFile);
  const r = await run(process.execPath, args, { cwd: ROOT, timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`render --stack ${stack} failed (${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

describe.each(["dev", "prod"])("render --stack %s", (stack) => {
  let out: string;
  let stdout: string;
  let doc: RenderDocument;
  beforeAll(async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `render-${stack}-`));
    out = path.join(tmp, "out");
    stdout = await render(stack, out, fixtureStackFile(stack, tmp));
    doc = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as RenderDocument;
  });

  it("writes resources.json in the contract format", () => {
    expect(doc.project).toBe("monitoring-platform");
    expect(doc.stack).toBe(stack);
    expect(doc.resources.length).toBeGreaterThan(20);
    for (const r of doc.resources) {
      expect(Object.keys(r).sort()).toEqual(["inputs", "name", "options", "parent", "type"]);
      expect(Object.keys(r.options).sort()).toEqual([
        "dependsOn",
        "ignoreChanges",
        "protect",
        "retainOnDelete",
      ]);
    }
  });

  it("contains the Azure core", () => {
    const types = new Set(doc.resources.map((r) => r.type));
    for (const t of [
      "azure-native:resources:ResourceGroup",
      "azure-native:network:VirtualNetwork",
      "azure-native:operationalinsights:Workspace",
      "azure-native:containerservice:ManagedCluster",
      "azure-native:keyvault:Vault",
      "azure-native:keyvault:Secret",
      "azure-native:authorization:RoleAssignment",
      "pulumi:providers:kubernetes",
    ]) {
      expect(types, t).toContain(t);
    }
  });

  it("marks values known only after deployment", () => {
    const vault = doc.resources.find((r) => r.type === "azure-native:keyvault:Vault")!;
    expect(JSON.stringify(vault.inputs)).toContain("(known after apply)");
  });

  it("prints a summary per type and per component", () => {
    expect(stdout).toMatch(/per type:/);
    expect(stdout).toMatch(/per component:/);
    expect(stdout).toMatch(/azure-native:containerservice:ManagedCluster/);
  });

  it("never writes a secret value: seeded config secrets and generated passwords", () => {
    const files = walk(out);
    expect(files.length).toBeGreaterThan(1);
    const needles = [...Object.values(SEEDED_SECRETS), "MockPw-", "MockKey-", "MockSig-"];
    for (const n of needles) expect(stdout.includes(n), `${n} printed by the render`).toBe(false);
    for (const f of files) {
      const text = fs.readFileSync(f, "utf8");
      for (const n of needles) expect(text.includes(n), `${n} found in ${f}`).toBe(false);
    }
    // …and the secrets are there, redacted.
    expect(fs.readFileSync(path.join(out, "resources.json"), "utf8")).toContain('"[secret]"');
  });

  it("writes one manifest per Kubernetes object, each valid against its schema", async () => {
    const dir = path.join(out, "manifests");
    const files = fs.readdirSync(dir).filter((f) => !f.startsWith("helm-release_"));
    const k8sResources = doc.resources.filter(isKubernetesObject);
    expect(files.length).toBe(k8sResources.length);
    for (const f of files) {
      const m = yaml.load(fs.readFileSync(path.join(dir, f), "utf8")) as { apiVersion: string; kind: string };
      await expect(validateManifest(m), f).resolves.toBeUndefined();
    }
  });
});

describe("render CLI errors", () => {
  it("names the missing stack file", async () => {
    await expect(render("staging", fs.mkdtempSync(path.join(os.tmpdir(), "r-")))).rejects.toThrow(
      /Pulumi\.staging\.yaml does not exist/,
    );
  });
});

/** A copy of the project (node_modules linked) where one file can be broken without touching the repo. */
function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-broken-"));
  for (const entry of [
    "infra",
    "cli",
    "policy",
    "rules",
    "dashboards",
    "docs",
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.prod.yaml",
    "package.json",
  ]) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

async function renderIn(dir: string): Promise<{ status: number; stderr: string; out: string }> {
  const out = path.join(dir, "out");
  const r = await run(
    process.execPath,
    [path.join(dir, "cli/run.cjs"), "render", "--stack", "prod", "--out", out],
    { cwd: dir, timeoutMs: 180_000 },
  );
  return { status: r.code, stderr: r.stderr, out };
}

describe("render refuses broken monitoring content (nothing written, file and fix named)", () => {
  it.each([
    [
      "a malformed rule file",
      (dir: string) =>
        fs.appendFileSync(path.join(dir, "rules/agent.yaml"), "\n  - name: broken\n    rules: [\n"),
      /rules\/agent\.yaml:\d+: is not valid YAML/,
    ],
    [
      "an alert without severity",
      (dir: string) => {
        const f = path.join(dir, "rules/data.yaml");
        fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/severity: critical/, "team: data"));
      },
      /data\.yaml.*severity/s,
    ],
    [
      "a dashboard with invalid JSON",
      (dir: string) => fs.writeFileSync(path.join(dir, "dashboards/cost/cost.json"), '{ "uid": "cost", '),
      /dashboards\/cost\/cost\.json.*line 1/s,
    ],
  ])("%s", async (_name, breakIt, message) => {
    const dir = projectCopy();
    breakIt(dir);
    const r = await renderIn(dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(r.out, "resources.json"))).toBe(false);
  });
});

describe("render output a newcomer reads", () => {
  // The README's first command: an engine warning there (e.g. "Undefined value (x) will not show as a stack
  // output") reads as something broken on a fresh machine.
  it.each(["dev", "prod"] as const)("%s: the engine prints no warning", (stack) => {
    const { stderr } = inject("renders")[stack];
    expect(stderr.split("\n").filter((l) => /warning/i.test(l))).toEqual([]);
  });
});
