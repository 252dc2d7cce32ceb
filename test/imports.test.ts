/**
 * The import graph of infra/, cli/ and policy/ (from the sources, type-only imports included): no cycle,
 * and no arrow back up: a component or planner under infra/<area>/ never imports infra/config.ts (the
 * composition) or infra/index.ts (the program); the program never imports cli/; one command's folder
 * imports another only where named below.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

/** file → the files it imports (relative imports resolved to repository paths). */
export type Graph = Map<string, string[]>;

function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']|require\(\s*["'](\.[^"']+)["']\s*\)|import\(\s*["'](\.[^"']+)["']\s*\)/g;

function resolve(from: string, spec: string): string | undefined {
  const base = path.normalize(path.join(path.dirname(from), spec));
  for (const c of [`${base}.ts`, path.join(base, "index.ts"), base]) {
    if (fs.existsSync(path.join(ROOT, c)) && fs.statSync(path.join(ROOT, c)).isFile()) return c;
  }
  return undefined;
}

export function importGraph(dirs: string[]): Graph {
  const g: Graph = new Map();
  for (const f of dirs.flatMap(tsFiles)) {
    const text = fs.readFileSync(path.join(ROOT, f), "utf8");
    const deps = [...text.matchAll(IMPORT_RE)]
      .map((m) => resolve(f, (m[1] ?? m[2] ?? m[3])!))
      .filter((d): d is string => d !== undefined && d.endsWith(".ts"));
    g.set(f, [...new Set(deps)]);
  }
  return g;
}

/** The first cycle found (as a path a → … → a), or undefined. */
export function findCycle(g: Graph): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, "open");
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      if (state.get(d) === "open") return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of [...g.keys()].sort()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

/** Imports that run back up the floors (see the file comment). */
export function upwardArrows(g: Graph): string[] {
  const out: string[] = [];
  const area = (f: string) => /^infra\/[^/]+\//.test(f);
  // dr:rebuild runs the smoke check after the rebuild: it uses that command's library on purpose.
  const allowedSideways = new Set(["cli/dr/main.ts -> cli/smoke/smoke.ts"]);
  for (const [f, deps] of g) {
    for (const d of deps) {
      const arrow = `${f} -> ${d}`;
      if (area(f) && (d === "infra/config.ts" || d === "infra/index.ts")) out.push(arrow);
      else if (f.startsWith("infra/") && (d.startsWith("cli/") || d.startsWith("policy/"))) out.push(arrow);
      else if (f.startsWith("policy/") && d.startsWith("cli/")) out.push(arrow);
      else if (f.startsWith("cli/") && !f.startsWith("cli/shared/")) {
        const [, cmd] = f.split("/");
        const [top, dcmd] = d.split("/");
        if (top === "cli" && dcmd !== cmd && dcmd !== "shared" && !allowedSideways.has(arrow))
          out.push(arrow);
      } else if (f.startsWith("cli/shared/") && d.startsWith("cli/") && !d.startsWith("cli/shared/"))
        out.push(arrow);
    }
  }
  return out.sort();
}

describe("import graph", () => {
  it("finds a cycle and an upward arrow when there is one (the checks can fail)", () => {
    const g: Graph = new Map([
      ["infra/a.ts", ["infra/b.ts"]],
      ["infra/b.ts", ["infra/c.ts"]],
      ["infra/c.ts", ["infra/a.ts"]],
    ]);
    expect(findCycle(g)).toEqual(["infra/a.ts", "infra/b.ts", "infra/c.ts", "infra/a.ts"]);
    expect(
      findCycle(
        new Map([
          ["x.ts", ["y.ts"]],
          ["y.ts", []],
        ]),
      ),
    ).toBeUndefined();
    expect(
      upwardArrows(
        new Map([
          ["infra/data/postgresPlan.ts", ["infra/config.ts"]],
          ["cli/render/main.ts", ["cli/bluegreen/args.ts", "cli/shared/stackFile.ts"]],
          ["infra/naming.ts", ["cli/shared/tools.ts"]],
        ]),
      ),
    ).toEqual([
      "cli/render/main.ts -> cli/bluegreen/args.ts",
      "infra/data/postgresPlan.ts -> infra/config.ts",
      "infra/naming.ts -> cli/shared/tools.ts",
    ]);
  });

  const graph = importGraph(["infra", "cli", "policy"]);

  it("reads the real sources", () => {
    expect(graph.size).toBeGreaterThan(60);
    expect(graph.get("infra/config.ts")).toContain("infra/data/config.ts");
  });

  it("has no import cycle under infra/, cli/ or policy/", () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it("the program (infra/) imports only runtime dependencies: npm ci --omit=dev then pulumi up works", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const runtime = new Set([
      ...Object.keys(pkg.dependencies),
      "fs",
      "path",
      "os",
      "crypto",
      "child_process",
      "util",
    ]);
    const bare = tsFiles("infra").flatMap((f) =>
      [...fs.readFileSync(path.join(ROOT, f), "utf8").matchAll(/from\s+["']([^."'][^"']*)["']/g)].map((m) => {
        const spec = m[1]!.replace(/^node:/, "");
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
        return { f, name };
      }),
    );
    expect(bare.length).toBeGreaterThan(20);
    expect(bare.filter((b) => !runtime.has(b.name)).map((b) => `${b.f} imports ${b.name}`)).toEqual([]);
  });

  it("has no arrow running back up", () => {
    expect(upwardArrows(graph)).toEqual([]);
  });
});
