import { describe, expect, it } from "vitest";
import { diffRenders, propertyChanges, toMarkdown } from "../scripts/lib/renderDiff";
import type { RenderDocument, RenderedResource } from "../scripts/lib/renderOutput";

const res = (name: string, inputs: unknown, protect = false): RenderedResource => ({
  type: "t:m:R",
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

describe("render diff (pure)", () => {
  it("finds leaf-level property changes with paths", () => {
    expect(propertyChanges({ a: { b: [1, 2] }, s: "[secret]" }, { a: { b: [1, 3] }, s: "[secret]" })).toEqual(
      [{ path: "a.b[1]", before: 2, after: 3 }],
    );
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
    const md = toMarkdown(d);
    expect(md).toContain("**1 to add, 1 to change, 1 to remove** (1 unchanged)");
    expect(md).toContain("a protected resource would be removed");
    expect(md).toContain("| `inputs.x` | `1` | `2` |");
  });

  it("says so when nothing changed", () => {
    expect(toMarkdown(diffRenders(doc("a", [res("x", {})]), doc("b", [res("x", {})])))).toContain(
      "No changes.",
    );
  });
});
