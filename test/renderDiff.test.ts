import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { diffRenders, propertyChanges, summaryLine, toMarkdown } from "../cli/diff/renderDiff";
import { unifiedDiff } from "../cli/diff/lineDiff";
import type { RenderDocument, RenderedResource } from "../cli/shared/renderOutput";
import { npmRun } from "./cli";
import { run } from "./tools";

const res = (name: string, inputs: unknown, protect = false, type = "t:m:R"): RenderedResource => ({
  type,
  name,
  parent: null,
  inputs,
  options: { protect, retainOnDelete: false, ignoreChanges: [], dependsOn: [] },
});
const doc = (stack: string, resources: RenderedResource[]): RenderDocument => ({
  project: "p",
  stack,
  resources,
});
const md = (before: RenderedResource[], after: RenderedResource[], stack = "prod") =>
  toMarkdown(diffRenders(doc(stack, before), doc(stack, after)));

/** The table rows of a markdown text (lines starting with "| "). */
const rows = (text: string) => text.split("\n").filter((l) => l.startsWith("| <code>"));
/** Unescaped cell separators in a row. */
const pipes = (row: string) => row.replace(/\\\|/g, "").split("|").length - 1;

describe("render diff: what changed", () => {
  it("finds leaf-level property changes with paths", () => {
    expect(
      propertyChanges({ a: { b: { c: 2 } }, s: "[secret]" }, { a: { b: { c: 3 } }, s: "[secret]" }),
    ).toEqual([{ path: "a.b.c", before: 2, after: 3 }]);
  });

  it("classifies added, removed and changed resources and flags protected removals", () => {
    const d = diffRenders(
      doc("base", [res("keep", { x: 1 }), res("gone", {}, true), res("same", { y: 1 })]),
      doc("head", [res("keep", { x: 2 }), res("new", {}), res("same", { y: 1 })]),
    );
    expect(d.added.map((r) => r.name)).toEqual(["new"]);
    expect(d.removed.map((r) => r.name)).toEqual(["gone"]);
    expect(d.changed.map((c) => c.resource.name)).toEqual(["keep"]);
    expect(d.unchanged).toBe(1);
    const text = toMarkdown(d);
    expect(text).toContain("**base → head**: 1 to add, 1 to change, 1 to remove (1 unchanged)");
    expect(text).toContain("a protected resource would be removed");
    expect(text).toContain("| <code>inputs.x</code> | <code>1</code> | <code>2</code> |");
  });

  it("says so when nothing changed", () => {
    expect(md([res("x", {})], [res("x", {})])).toContain("No changes.");
  });
});

describe("render diff: values in full", () => {
  it("shows a long one-line change whole, so before and after never look the same", () => {
    const stem = "x".repeat(300);
    const text = md([res("r", { v: `${stem}-old` })], [res("r", { v: `${stem}-new` })]);
    expect(text).toContain(`\n-${stem}-old\n`);
    expect(text).toContain(`\n+${stem}-new\n`);
  });

  it("shows a multi-line value as a unified diff inside a fold", () => {
    const before = "groups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n";
    const after = before.replace("up == 0", "up == 0 and on() vector(1)");
    const text = md([res("r", { rules: before })], [res("r", { rules: after })]);
    expect(text).toContain("<details><summary><code>inputs.rules</code></summary>");
    expect(text).toMatch(/```diff\n@@ -\d+,\d+ \+\d+,\d+ @@\n/);
    expect(text).toContain("-    expr: up == 0\n+    expr: up == 0 and on() vector(1)");
    expect(rows(text)).toEqual(["| <code>inputs.rules</code> | (long value: diff below) | |"]);
  });

  it("pretty-prints JSON strings (dashboards) before diffing them", () => {
    const dash = (title: string) => JSON.stringify({ uid: "slo", panels: [{ id: 1, title }] });
    const text = md([res("r", { data: dash("Old") })], [res("r", { data: dash("New") })]);
    expect(text).toContain('-      "title": "Old"\n+      "title": "New"');
  });

  it("fences a value that itself holds backticks with a longer fence", () => {
    const text = md([res("r", { doc: "a\n```\nb" })], [res("r", { doc: "a\n```\nc" })]);
    expect(text).toContain("````diff");
  });

  it("unified diff keeps context and counts lines per hunk", () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const b = a.map((l) => (l === "l10" ? "L10" : l));
    expect(unifiedDiff(a, b)).toBe(
      ["@@ -8,7 +8,7 @@", " l7", " l8", " l9", "-l10", "+L10", " l11", " l12", " l13"].join("\n"),
    );
  });
});

describe("render diff: table cells are escaped", () => {
  it("keeps | < and backticks inside their cell", () => {
    const text = md([res("r", { expr: "a|b" })], [res("r", { expr: "sum by (x) (`c`|<d>)" })]);
    const [row] = rows(text);
    expect(row).toBe(
      "| <code>inputs.expr</code> | <code>&quot;a&#124;b&quot;</code> | <code>&quot;sum by (x) (`c`&#124;&lt;d&gt;)&quot;</code> |".replace(
        /&quot;/g,
        '"',
      ),
    );
    expect(pipes(row!)).toBe(4);
  });
});

describe("render diff: list items keyed by identity, in natural order", () => {
  const rule = (alert: string, expr: string) => ({ alert, expr, for: "5m" });
  const group = (name: string, rules: unknown[]) => ({ name, rules });

  it("names rules by alert and groups by name, not by index", () => {
    const before = { spec: { groups: [group("agent", [rule("A", "x"), rule("B", "y")])] } };
    const after = { spec: { groups: [group("agent", [rule("Z", "new"), rule("A", "x"), rule("B", "y2")])] } };
    expect(propertyChanges(before, after)).toEqual([
      { path: "spec.groups[name=agent].rules[alert=Z]", before: undefined, after: rule("Z", "new") },
      { path: "spec.groups[name=agent].rules[alert=B].expr", before: "y", after: "y2" },
    ]);
  });

  it("names containers and env vars by name", () => {
    const c = (image: string) => ({ name: "app", image, env: [{ name: "A", value: "1" }] });
    expect(propertyChanges({ containers: [c("img:1")] }, { containers: [c("img:2")] })).toEqual([
      { path: "containers[name=app].image", before: "img:1", after: "img:2" },
    ]);
  });

  it("orders unkeyed items by index naturally ([2] before [10])", () => {
    const list = (changed: number[]) =>
      Array.from({ length: 12 }, (_, i) => ({ v: changed.includes(i) ? -i : i }));
    expect(propertyChanges(list([]), list([2, 10])).map((c) => c.path)).toEqual(["[2].v", "[10].v"]);
  });

  it("shows a list of plain values as one change, whole", () => {
    expect(propertyChanges({ ranges: ["a", "b"] }, { ranges: ["b", "c"] })).toEqual([
      { path: "ranges", before: ["a", "b"], after: ["b", "c"] },
    ]);
  });
});

describe("render diff: replacements marked at the top", () => {
  const VAULT = "azure-native:keyvault:Vault";
  it("marks a create-only input change (Key Vault soft-delete retention) as a replacement", () => {
    const v = (days: number) =>
      res("vault", { vaultName: "kv", properties: { softDeleteRetentionInDays: days } }, true, VAULT);
    const text = md([v(90)], [v(30)]);
    const warning = text.indexOf("**Would be replaced**");
    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(text.indexOf("#### Changed"));
    expect(text).toContain(
      "`azure-native:keyvault:Vault` **vault** (protected): `inputs.properties.softDeleteRetentionInDays`: soft-delete retention is fixed at creation",
    );
    expect(text).toContain("⚠️ 1 to replace");
  });

  it("marks a changed Azure name or location, and a Kubernetes name, but not an in-place update", () => {
    const d = diffRenders(
      doc("prod", [
        res(
          "a",
          { serverName: "psql-1", location: "westeurope", tags: { a: "1" } },
          false,
          "azure-native:dbforpostgresql:Server",
        ),
        res(
          "k",
          { metadata: { name: "x", namespace: "n" }, spec: { replicas: 1 } },
          false,
          "kubernetes:apps/v1:Deployment",
        ),
        res("u", { tags: { a: "1" } }, false, "azure-native:dbforpostgresql:Server"),
      ]),
      doc("prod", [
        res(
          "a",
          { serverName: "psql-2", location: "northeurope", tags: { a: "1" } },
          false,
          "azure-native:dbforpostgresql:Server",
        ),
        res(
          "k",
          { metadata: { name: "y", namespace: "n" }, spec: { replicas: 1 } },
          false,
          "kubernetes:apps/v1:Deployment",
        ),
        res("u", { tags: { a: "2" } }, false, "azure-native:dbforpostgresql:Server"),
      ]),
    );
    expect(d.replaced.map((r) => [r.resource.name, r.reasons])).toEqual([
      [
        "a",
        [
          "`inputs.serverName`: serverName is part of the Azure resource id",
          "`inputs.location`: location is fixed at creation",
        ],
      ],
      ["k", ["`inputs.metadata.name`: name and namespace are the object's identity"]],
    ]);
  });

  it("marks a logical rename of the same cloud object", () => {
    const T = "azure-native:keyvault:Vault";
    const d = diffRenders(
      doc("prod", [res("old", { resourceGroupName: "rg", vaultName: "kv" }, false, T)]),
      doc("prod", [res("new", { resourceGroupName: "rg", vaultName: "kv" }, false, T)]),
    );
    expect(d.replaced.map((r) => r.reasons)).toEqual([
      ["logical name old → new: replaced unless an alias is set"],
    ]);
  });
});

describe("render diff: summary and size", () => {
  it("gives one summary line per stack", () => {
    const d = diffRenders(doc("dev", [res("a", { x: 1 })]), doc("dev", [res("a", { x: 2 }), res("b", {})]));
    expect(summaryLine(d)).toBe("**dev**: 1 to add, 1 to change, 0 to remove (0 unchanged)");
    expect(summaryLine(diffRenders(doc("dev", [res("a", {})]), doc("dev", [res("a", {})])))).toBe(
      "**dev**: no changes (1 resources in 0 components)",
    );
    // Counted as render and policy:check count: our components (`<project>:…` types) apart, replacements
    // apart from in-place updates.
    const comp = res("c", {}, false, "p:apps:Component");
    const base = doc("dev", [
      comp,
      res("a", { x: 1 }),
      res("v", { location: "westeurope" }, false, "azure-native:network:VirtualNetwork"),
    ]);
    const same = diffRenders(base, base);
    expect(summaryLine(same)).toBe("**dev**: no changes (2 resources in 1 components)");
    const moved = doc("dev", [
      comp,
      res("a", { x: 2 }),
      res("v", { location: "northeurope" }, false, "azure-native:network:VirtualNetwork"),
    ]);
    expect(summaryLine(diffRenders(base, moved))).toBe(
      "**dev**: 0 to add, 1 to change, ⚠️ 1 to replace, 0 to remove (0 unchanged)",
    );
  });

  it("cuts between resources to fit the comment limit and links the full diff", () => {
    const many = (v: string) =>
      Array.from({ length: 200 }, (_, i) => res(`r${i}`, { text: `${v}\n`.repeat(50) }));
    const d = diffRenders(doc("prod", many("a")), doc("prod", many("b")));
    const full = toMarkdown(d);
    expect(full.length).toBeGreaterThan(65_536);
    const cut = toMarkdown(d, { maxChars: 65_000, fullDiffUrl: "https://example.invalid/run/1" });
    expect(cut.length).toBeLessThanOrEqual(65_000);
    expect(cut).toMatch(
      /✂️ \d+ more changed resource\(s\) not shown .*\[full diff\]\(https:\/\/example.invalid\/run\/1\)/,
    );
    expect(cut.startsWith(full.slice(0, 200))).toBe(true);
    // Never inside a value: every opened fold is closed.
    expect(cut.split("<details>").length).toBe(cut.split("</details>").length);
  });

  it("never shows a secret: values marked [secret] stay the marker", () => {
    const text = md([res("s", { value: "[secret]", n: 1 })], [res("s", { value: "[secret]", n: 2 })]);
    expect(text).not.toContain("inputs.value");
  });
});

describe("npm run render:diff", () => {
  it("diffs two render directories and honours --max-chars", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-"));
    try {
      for (const [side, v] of [
        ["base", 1],
        ["head", 2],
      ] as const) {
        fs.mkdirSync(path.join(dir, side));
        fs.writeFileSync(
          path.join(dir, side, "resources.json"),
          JSON.stringify(doc("dev", [res("a", { x: v })])),
        );
      }
      const ok = await npmRun("render:diff", [
        path.join(dir, "base"),
        path.join(dir, "head"),
        "--max-chars",
        "5000",
      ]);
      expect(ok.code, ok.out).toBe(0);
      expect(ok.stdout).toContain("**dev**: 0 to add, 1 to change, 0 to remove (0 unchanged)");
      const bad = await npmRun("render:diff", [
        path.join(dir, "base"),
        path.join(dir, "head"),
        "--max-chars",
        "x",
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--max-chars needs a whole number of at least 1000, got "x"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 0 when the reader closes the pipe early (`| head`, as .ci/run does)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-pipe-"));
    try {
      // Well over the 64 KiB pipe buffer, so the writer sees the closed pipe.
      const many = (v: string) =>
        Array.from({ length: 400 }, (_, i) => res(`r${i}`, { text: `${v}\n`.repeat(40) }));
      for (const [side, v] of [
        ["base", "a"],
        ["head", "b"],
      ] as const) {
        fs.mkdirSync(path.join(dir, side));
        fs.writeFileSync(path.join(dir, side, "resources.json"), JSON.stringify(doc("dev", many(v))));
      }
      const cmd = `set -o pipefail; npm run -s render:diff -- "${dir}/base" "${dir}/head" | head -n 3`;
      const r = await run("bash", ["-c", cmd], { cwd: path.resolve(__dirname, "..") });
      expect(r.stderr).not.toContain("EPIPE");
      expect(r.stdout.split("\n")[0]).toBe("### Render diff: dev");
      expect(r.code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
