/**
 * Turns an evaluation into the render contract: resources.json, manifests/ (one YAML per Kubernetes
 * object, Helm releases as chart+version+repo+values) and alertmanager.yaml; plus the stdout summary.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { type Evaluation, type RecordedResource, redact } from "./mockRuntime";

export interface RenderedResource {
  type: string;
  name: string;
  parent: string | null;
  inputs: unknown;
  options: { protect: boolean; retainOnDelete: boolean; ignoreChanges: string[]; dependsOn: string[] };
}

export interface RenderDocument {
  project: string;
  stack: string;
  resources: RenderedResource[];
}

export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

export function toDocument(meta: { project: string; stack: string }, ev: Evaluation): RenderDocument {
  return {
    project: meta.project,
    stack: meta.stack,
    resources: ev.resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      inputs: redact(r.inputs),
      options: {
        protect: r.options.protect,
        retainOnDelete: r.options.retainOnDelete,
        ignoreChanges: r.options.ignoreChanges,
        dependsOn: r.options.dependsOn,
      },
    })),
  };
}

/** A Kubernetes object the provider applies (Helm releases are rendered as chart + values instead). */
export function isKubernetesObject(r: { type: string }): boolean {
  return r.type.startsWith("kubernetes:") && r.type !== HELM_RELEASE;
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

/** Writes the render; returns how many files were written. */
export function writeRender(
  outDir: string,
  meta: { project: string; stack: string },
  ev: Evaluation,
): { files: number } {
  fs.rmSync(outDir, { recursive: true, force: true });
  const manifests = path.join(outDir, "manifests");
  fs.mkdirSync(manifests, { recursive: true });
  const doc = toDocument(meta, ev);
  fs.writeFileSync(path.join(outDir, "resources.json"), JSON.stringify(doc, null, 2) + "\n");
  let files = 1;
  for (const r of doc.resources) {
    if (r.type === HELM_RELEASE) {
      const i = r.inputs as Record<string, unknown>;
      const release = {
        release: i.name ?? r.name,
        namespace: i.namespace,
        chart: i.chart,
        version: i.version,
        repository: (i.repositoryOpts as { repo?: string } | undefined)?.repo,
        values: i.values,
      };
      fs.writeFileSync(
        path.join(manifests, `helm-release_${fileSafe(r.name)}.yaml`),
        yaml.dump(release, { lineWidth: -1 }),
      );
      files++;
      const am = (i.values as { alertmanager?: { config?: unknown } } | undefined)?.alertmanager?.config;
      if (am) {
        fs.writeFileSync(path.join(outDir, "alertmanager.yaml"), yaml.dump(am, { lineWidth: -1 }));
        files++;
      }
    } else if (isKubernetesObject(r)) {
      // The inputs are the manifest, already redacted by toDocument.
      const m = r.inputs as Record<string, unknown>;
      const kind = String(m.kind ?? r.type.split(":").pop());
      const meta = (m.metadata ?? {}) as { namespace?: string; name?: string };
      const file = `${fileSafe(kind)}_${fileSafe(meta.namespace ?? "cluster")}_${fileSafe(meta.name ?? r.name)}.yaml`;
      fs.writeFileSync(path.join(manifests, file), yaml.dump(m, { lineWidth: -1, noRefs: true }));
      files++;
    }
  }
  return { files };
}

/** Resources per type and per component, and the placeholders used for secrets. */
export function summarize(
  meta: { project: string; stack: string },
  ev: Evaluation,
  placeholders: string[],
): string {
  const byType = new Map<string, number>();
  const byComponent = new Map<string, number>();
  const components = new Map(ev.resources.filter((r) => !r.custom).map((r) => [`${r.type}::${r.name}`, r]));
  const topComponent = (r: RecordedResource): string => {
    let cur: RecordedResource | undefined = r;
    let top = "(stack)";
    while (cur?.parent) {
      const p = components.get(cur.parent);
      if (!p) break;
      top = `${p.name} (${p.type.split(":").pop()})`;
      cur = p;
    }
    return top;
  };
  for (const r of ev.resources.filter((x) => x.custom)) {
    byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    const c = topComponent(r);
    byComponent.set(c, (byComponent.get(c) ?? 0) + 1);
  }
  const custom = ev.resources.filter((r) => r.custom).length;
  const lines = [
    `${meta.project}/${meta.stack}: ${custom} resources in ${components.size} components (offline render, mock runtime)`,
    "",
    "per type:",
    ...[...byType.entries()].sort().map(([t, n]) => `  ${String(n).padStart(3)}  ${t}`),
    "",
    "per component:",
    ...[...byComponent.entries()].sort().map(([c, n]) => `  ${String(n).padStart(3)}  ${c}`),
    "",
    'values only known after deployment are shown as "(known after apply)"; secret values as "[secret]".',
  ];
  if (placeholders.length) {
    lines.push(
      `secret config rendered with a placeholder (encrypted or not set in the stack file): ${placeholders.join(", ")}`,
    );
  }
  return lines.join("\n");
}

/** A directory as the user typed it, for "wrote … to <dir>/" (npm runs commands from the repository root, so
 * a path made relative to the working directory would not be the one the user gave). */
export function asTyped(dir: string): string {
  return `${dir.replace(/\/+$/, "") || "/"}/`.replace(/^\/\/$/, "/");
}
