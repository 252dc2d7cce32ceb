/**
 * The delivery pipeline: every workflow passes rhysd/actionlint (the Go tool pinned in tools/go.mod, which
 * also runs shellcheck on `run:` scripts when it is on the PATH), the workflows keep their promises
 * (OIDC without a client secret, the policy pack, one edited comment per purpose, concurrency per
 * stack, drift issue), the Renovate managers find the real pins, and the preview comment fits GitHub.
 */
import { CERT_MANAGER_CHART } from "../infra/kubernetes/certManagerPlan";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { run, tool } from "./tools";
import { npmRun } from "./cli";
import { GITHUB_COMMENT_LIMIT, previewComment, previewSummary } from "../cli/preview-comment/prComment";
import { CHART } from "../infra/monitoring/helmValues";
import { BLACKBOX_CHART } from "../infra/monitoring/blackbox";
import { EXPORTER_IMAGES } from "../infra/data/exporters";
import { parseStackConfig } from "../infra/config";
import { runnerLabels } from "../infra/azure/deployRunner";
import { stackConfig } from "./mocks";

const ROOT = path.resolve(__dirname, "..");
const WF = path.join(ROOT, ".github", "workflows");
type Y = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (f: string) => yaml.load(fs.readFileSync(path.join(WF, f), "utf8")) as Y;
const text = (f: string) => fs.readFileSync(path.join(WF, f), "utf8");
const steps = (job: Y): Y[] => job.steps ?? [];
const runs = (job: Y) =>
  steps(job)
    .map((s) => String(s.run ?? ""))
    .join("\n");

describe("actionlint", () => {
  it("passes every workflow", async () => {
    const r = await run(tool("actionlint"), ["-color=false"], { cwd: ROOT });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(fs.readdirSync(WF).sort()).toEqual([
      "ci.yml",
      "deploy.yml",
      "drift.yml",
      "pr-comment.yml",
      "preview.yml",
      "pulumi-up.yml",
    ]);
  });

  it("fails a broken workflow, naming the problem (so the check above can fail)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
    const f = path.join(dir, "bad.yml");
    fs.writeFileSync(
      f,
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n",
    );
    const r = await run(tool("actionlint"), ["-color=false", f]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('property "nope" is not defined');
  });
});

describe("workflows keep the pipeline's promises", () => {
  const all = fs.readdirSync(WF).map((f) => [f, text(f)] as const);

  it("use a maintained Node LTS everywhere and no stored Azure client secret", () => {
    for (const [f, t] of all) {
      const doc = yaml.load(t) as Y;
      if (t.includes("actions/setup-node")) expect(doc.env?.NODE_VERSION, f).toBe("24");
      expect(t, f).not.toMatch(/node-version: (18|20)\b/);
      expect(t, f).not.toMatch(/\bcreds:|client-secret|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET/);
    }
  });

  it("ci: lint, typecheck, audit (workflow only), tests with the pinned tools and coverage artifact", () => {
    const ci = load("ci.yml");
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
    expect(ci.on.push.branches).toEqual(["main"]);
    expect(runs(ci.jobs.lint)).toContain("npm run lint");
    expect(runs(ci.jobs.typecheck)).toContain("npm run typecheck");
    expect(runs(ci.jobs.audit)).toContain("npm audit --omit=dev --audit-level=high");
    expect(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8")).not.toContain("npm audit");
    expect(runs(ci.jobs.test)).toContain("npm run tools");
    expect(runs(ci.jobs.test)).toContain("--coverage");
    expect(runs(ci.jobs.test)).toContain("npm run test:drill");
    const binCache = steps(ci.jobs.test).find((s) => String(s.uses).startsWith("actions/cache@"));
    expect(binCache?.with.path).toBe(".bin");
    expect(binCache?.with.key).toContain("hashFiles('tools/go.sum'");
    expect(
      steps(ci.jobs.test).find((s) => String(s.uses).startsWith("actions/upload-artifact"))?.with.path,
    ).toBe("coverage/");
  });

  it("preview: one job per stack, OIDC, the policy pack, one edited comment per stack; the render diff for forks", () => {
    const p = load("preview.yml");
    const job = p.jobs["pulumi-preview"];
    expect(job.strategy.matrix.stack).toEqual(["dev", "prod"]);
    expect(job.permissions["id-token"]).toBe("write");
    expect(job.env.ARM_USE_OIDC).toBe("true");
    expect(steps(job).some((s) => String(s.uses).startsWith("pulumi/actions@"))).toBe(true);
    expect(runs(job)).toMatch(
      /pulumi preview .*\n.*--policy-pack policy --policy-pack-config "policy\/config\.\$\{\{ matrix\.stack \}\}\.json"/,
    );
    const upsert = steps(job).find((s) => s.uses === "./.github/actions/upsert-comment");
    expect(upsert?.with.marker).toBe("<!-- pulumi-preview:${{ matrix.stack }} -->");
    // The render diff needs no secrets (forks) and is posted from the trusted workflow_run.
    expect(p.jobs["render-diff"].permissions).toBeUndefined();
    expect(p.permissions).toEqual({ contents: "read" });
    expect(runs(p.jobs["render-diff"])).toContain("--max-chars 31000 --full-diff-url");
    const c = load("pr-comment.yml");
    expect(c.on.workflow_run.workflows).toEqual(["preview"]);
    expect(text("pr-comment.yml")).not.toMatch(/ref: \$\{\{ github\.event\.workflow_run\.head/);
  });

  it("deploy: dev then prod, per-stack environment and concurrency, refresh and the policy pack", () => {
    const d = load("deploy.yml");
    expect(d.on.push.branches).toEqual(["main"]);
    expect(d.jobs.dev.with.stack).toBe("dev");
    expect(d.jobs.prod.with.stack).toBe("prod");
    expect(d.jobs.prod.needs).toBe("dev");
    const up = load("pulumi-up.yml").jobs.up;
    expect(up.environment).toBe("${{ inputs.stack }}");
    expect(up.concurrency).toEqual({ group: "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": false });
    const action = steps(up).find((s) => String(s.uses).startsWith("pulumi/actions@"))!;
    expect(action.with).toMatchObject({ command: "up", refresh: true, policyPacks: "policy" });
  });

  it("drift: scheduled preview --refresh --expect-no-changes per stack that opens or updates an issue", () => {
    const d = load("drift.yml");
    expect(d.on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(d.jobs.drift.strategy.matrix.stack).toEqual(["dev", "prod"]);
    const r = runs(d.jobs.drift);
    expect(r).toContain("--refresh --expect-no-changes");
    expect(r).toContain("gh issue create");
    expect(r).toContain("gh issue comment");
  });
});

describe("renovate config", () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as Y;
  /** What a custom manager extracts from the files its patterns select (JS regex; Renovate uses RE2-compatible syntax). */
  function extract(i: number): Record<string, string>[] {
    const m = cfg.customManagers[i];
    const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => m.managerFilePatterns.some((p: string) => new RegExp(p.slice(1, -1)).test(f)));
    return files.flatMap((f) =>
      [...fs.readFileSync(path.join(ROOT, f), "utf8").matchAll(new RegExp(m.matchStrings[0], "g"))].map(
        (x) => ({
          ...x.groups!,
        }),
      ),
    );
  }

  it("finds the pinned Helm charts with their repositories", () => {
    expect(extract(0)).toEqual(
      expect.arrayContaining([
        { depName: CHART.name, currentValue: CHART.version, registryUrl: CHART.repo },
        {
          depName: BLACKBOX_CHART.name,
          currentValue: BLACKBOX_CHART.version,
          registryUrl: BLACKBOX_CHART.repo,
        },
        {
          depName: CERT_MANAGER_CHART.name,
          currentValue: CERT_MANAGER_CHART.version,
          registryUrl: CERT_MANAGER_CHART.repo,
        },
      ]),
    );
  });

  it("finds the exporter images with their tags", () => {
    const found = extract(1).map((x) => `${x.depName}:${x.currentValue}`);
    expect(found).toEqual(expect.arrayContaining(Object.values(EXPORTER_IMAGES)));
  });

  it("finds the kubelogin pin in the workflows", () => {
    expect(extract(2).map((x) => x.currentValue)).toContain("v0.1.3");
  });
});

describe("preview comment", () => {
  const log = [
    "Previewing update (prod):",
    "    ~ azure-native:keyvault:Vault vault-vault update [diff: ~properties]",
    "Policies:",
    "    ❌ monitoring-platform@v0.1.0 (local: policy)",
    "        - [mandatory]  keyvault-firewall-deny  (azure-native:keyvault:Vault: vault-vault)",
    "          properties.networkAcls.defaultAction must be Deny",
    "",
    "Resources:",
    "    ~ 1 to update",
    "    110 unchanged",
    "",
  ].join("\n");

  it("puts outcome, resources and policy violations first and folds the full log", () => {
    const c = previewComment({ stack: "prod", log, exitCode: 255, runUrl: "https://example.invalid/run/7" });
    expect(c.startsWith("<!-- pulumi-preview:prod -->\n### Pulumi preview: prod")).toBe(true);
    expect(c).toContain(
      "❌ a mandatory policy failed: `pulumi up` would refuse ([run](https://example.invalid/run/7))",
    );
    expect(c.indexOf("~ 1 to update")).toBeLessThan(c.indexOf("<details>"));
    expect(c.indexOf("keyvault-firewall-deny")).toBeLessThan(c.indexOf("<details>"));
    expect(previewSummary(log).resources).toEqual(["Resources:", "    ~ 1 to update", "    110 unchanged"]);
  });

  it("cuts a huge log at a line boundary under the comment limit, linking the run", () => {
    const huge =
      Array.from({ length: 20_000 }, (_, i) => `    + kubernetes:core/v1:ConfigMap cm-${i} create`).join(
        "\n",
      ) +
      "\n" +
      log;
    const c = previewComment({
      stack: "dev",
      log: huge,
      exitCode: 0,
      runUrl: "https://example.invalid/run/8",
    });
    expect(c.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(c).toContain(
      "✂️ Output cut to fit the comment limit: the full log is in the [run](https://example.invalid/run/8)",
    );
    expect(c).toContain("~ 1 to update"); // the summary survives the cut
    expect(c).toMatch(/cm-\d+ create\n```/); // the last kept line is whole
  });

  it("npm run preview:comment prints it, and refuses missing arguments", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preview-comment-"));
    fs.writeFileSync(path.join(dir, "p.log"), log);
    const ok = await npmRun("preview:comment", [
      "--stack",
      "prod",
      "--log",
      path.join(dir, "p.log"),
      "--exit-code",
      "0",
      "--run-url",
      "https://x.invalid/r",
    ]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.stdout).toContain("✅ preview succeeded, every policy holds");
    const bad = await npmRun("preview:comment", ["--stack", "prod"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("missing --log, --exit-code, --run-url");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("deploy runner", () => {
  // Every job that talks to the cluster or Key Vault (up, preview, drift) runs on the stack's own runner:
  // the labels it asks for are the stack file's deploy.runnerLabels (or their default) with the stack filled in.
  const cloudJobs: [string, string, string][] = [
    ["pulumi-up.yml", "up", "inputs.stack"],
    ["preview.yml", "pulumi-preview", "matrix.stack"],
    ["drift.yml", "drift", "matrix.stack"],
  ];
  it.each(["dev", "prod"])("%s: up, preview and drift run on the runner its stack file names", (stack) => {
    const cfg = parseStackConfig(stackConfig(stack).config, stack);
    expect(cfg.deploy.runner).toBe("selfHosted");
    for (const [file, job, variable] of cloudJobs) {
      const runsOn = load(file).jobs[job]["runs-on"] as string[];
      const labels = runsOn.map((l) => l.replace(`\${{ ${variable} }}`, stack));
      expect(labels, `${file} ${job}`).toEqual(runnerLabels(cfg.deploy, stack));
    }
  });

  it("keeps jobs that need no cloud access on GitHub-hosted runners", () => {
    for (const [file, job] of [
      ["ci.yml", "test"],
      ["preview.yml", "render-diff"],
      ["deploy.yml", "policy"],
    ] as const) {
      expect(load(file).jobs[job]?.["runs-on"], `${file} ${job}`).toBe("ubuntu-24.04");
    }
  });
});
