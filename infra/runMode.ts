/**
 * How the program is being evaluated. Under `pulumi preview`/`up` nothing sets this; the offline render
 * (scripts/lib/mockRuntime.ts in "render" mode) marks its evaluation so the program can tell the example
 * stack files it renders apart from a stack about to be deployed.
 *
 * A flag on `globalThis` (not a module variable, not an environment variable): the render loads the program
 * through its own module instances, and nothing outside the process — an inherited environment variable in
 * CI, say — can switch a real deployment into render mode.
 */
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
