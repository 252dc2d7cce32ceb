/**
 * How the program is being evaluated. Under `pulumi preview`/`up` nothing sets this; the offline render
 * (cli/shared/mockRuntime.ts in "render" mode) marks its evaluation so the program can tell the example
 * stack files it renders apart from a stack about to be deployed.
 *
 * A flag on `globalThis` (not a module variable, not an environment variable): the render loads the program
 * through its own module instances, and nothing outside the process — an inherited environment variable in
 * CI, say — can switch a real deployment into render mode.
 */
import * as pulumi from "@pulumi/pulumi";

const OFFLINE_RENDER = Symbol.for("monitoring-platform/offline-render");

type Flagged = typeof globalThis & { [OFFLINE_RENDER]?: boolean };

/** True only while the offline render evaluates the program. */
export function isOfflineRender(): boolean {
  return (globalThis as Flagged)[OFFLINE_RENDER] === true;
}

/** Set by the offline render around its evaluation (and cleared after it). */
export function setOfflineRender(on: boolean): void {
  (globalThis as Flagged)[OFFLINE_RENDER] = on;
}

/**
 * True under a real Pulumi engine (`pulumi preview`/`up`), false under the mock runtime of the offline render
 * and the tests (pulumi.runtime.setMocks installs a mock monitor and no engine). Only side effects that need
 * the real cloud look at it (waiting for RBAC propagation in infra/azure/aks.ts); what is registered never
 * depends on it.
 */
export function isRealDeployment(): boolean {
  return pulumi.runtime.hasEngine();
}
