/**
 * Reading the run's shared renders (test/globalSetup.ts, `inject("renders")`): every manifest of a stack,
 * parsed once per test file, the values of its Helm releases, and its resources.json.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { inject } from "vitest";

export type Stack = "dev" | "prod";
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Manifest {
  file: string;
  obj: any;
}

const cache = new Map<Stack, Manifest[]>();

/** Every file of `<render>/manifests/` (Kubernetes objects and `helm-release_*` chart + values), by name. */
export function manifests(stack: Stack): Manifest[] {
  if (!cache.has(stack)) {
    const dir = path.join(inject("renders")[stack].dir, "manifests");
    cache.set(
      stack,
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((file) => ({ file, obj: yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) })),
    );
  }
  return cache.get(stack)!;
}

/** The Kubernetes objects Pulumi registers (the Helm releases are chart + values, not objects). */
export function renderObjects(stack: Stack): Manifest[] {
  return manifests(stack).filter((m) => !m.file.startsWith("helm-release_"));
}

/** The values of the Helm release `<namespace>-<release>` (e.g. monitoring-kube-prometheus-stack). */
export function releaseValues(stack: Stack, release: string): any {
  const found = manifests(stack).find((m) => m.file === `helm-release_${release}.yaml`);
  if (!found) throw new Error(`the ${stack} render has no Helm release ${release}`);
  return found.obj.values;
}

/** A resource of resources.json as the tests read it (inputs are arbitrary JSON). */
export interface RenderedResource {
  type: string;
  name: string;
  inputs: any;
  options: { protect: boolean; ignoreChanges: string[]; dependsOn: string[] };
}

const resourceCache = new Map<Stack, RenderedResource[]>();

/** Every resource of the stack's resources.json, parsed once per test file. */
export function renderResources(stack: Stack): RenderedResource[] {
  if (!resourceCache.has(stack)) {
    const file = path.join(inject("renders")[stack].dir, "resources.json");
    resourceCache.set(
      stack,
      (JSON.parse(fs.readFileSync(file, "utf8")) as { resources: RenderedResource[] }).resources,
    );
  }
  return resourceCache.get(stack)!;
}
