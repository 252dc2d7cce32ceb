/**
 * Reading what already exists in Azure, for the two things a declarative diff cannot do on its own:
 *   1. refuse a change of a create-only setting with a message that says what to do, instead of the ARM
 *      error (or silent replacement) a plain `pulumi up` would run into, and
 *   2. never ask Azure to undo what it changed on its own (Postgres storage auto-grow raises the disk; ARM
 *      refuses any request to shrink it: "Storage size cannot be decreased", learn.microsoft.com/azure/
 *      postgresql/flexible-server/how-to-auto-grow-storage).
 * The reads are ARM GETs (invokes) that run in `pulumi preview` as well, so both show up before anything
 * changes. On the first `pulumi up` the resource (or its resource group) does not exist yet: ARM answers
 * ResourceNotFound / ResourceGroupNotFound (HTTP 404), which means "nothing to compare".
 */
import * as pulumi from "@pulumi/pulumi";

/** A create-only setting: what the live resource has, what config asks for, and how to change it anyway. */
export interface CreateOnlyField {
  /** The config key users edit, e.g. `keyVault.softDeleteRetentionDays`. */
  key: string;
  current: unknown;
  desired: unknown;
  /** The working way to get the new value (a migration, a new pool, a CLI command). */
  how: string;
  /**
   * Set when the program derives the value instead of reading one config key (the OS disk type every pool
   * gets): there is nothing to "set back", only the way forward in `how`.
   */
  derived?: string;
}

/** Messages for every create-only field whose desired value differs from the live one (empty when none). */
export function createOnlyProblems(resource: string, fields: CreateOnlyField[]): string[] {
  return fields
    .filter((f) => f.current !== undefined && !sameValue(f.current, f.desired))
    .map((f) =>
      f.derived
        ? `${resource} has ${f.key} ${JSON.stringify(f.current)}, but ${f.derived} asks for ` +
          `${JSON.stringify(f.desired)}, and Azure cannot change it after creation: ${f.how}`
        : `monitoring-platform:${f.key} is ${JSON.stringify(f.desired)} in config but ${resource} was created with ` +
          `${JSON.stringify(f.current)}, and Azure cannot change it after creation. Set it back with ` +
          `\`pulumi config set --path 'monitoring-platform:${f.key}' ${JSON.stringify(f.current)}\`` +
          (f.how ? `, or ${f.how}` : ""),
    );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  // ARM echoes some strings in another case (e.g. "azure" vs "Azure"); compare case-insensitively.
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  return JSON.stringify(a) === JSON.stringify(b);
}

/** True when an invoke failed because the resource (or its group) does not exist yet. */
export function isNotFound(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /ResourceNotFound|ResourceGroupNotFound|NotFound|\b404\b|was not found|could not be found/i.test(
    msg,
  );
}

/** Runs an ARM read; undefined when the resource does not exist yet, any other failure is rethrown. */
export async function readExisting<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Reads the live resource and refuses (as a ResourceError of `parent`) any create-only change; resolves
 * to the live state, or undefined when the resource does not exist yet.
 */
export async function guardCreateOnly<T>(
  resource: string,
  read: () => Promise<T>,
  fields: (current: T) => CreateOnlyField[],
  parent: pulumi.Resource,
): Promise<T | undefined> {
  const current = await readExisting(read);
  if (current === undefined) return undefined;
  try {
    assertNoCreateOnlyChanges(resource, fields(current));
  } catch (e) {
    throw new pulumi.ResourceError((e as Error).message, parent);
  }
  return current;
}

/** Throws one error listing every create-only problem (the caller wraps it as a ResourceError). */
export function assertNoCreateOnlyChanges(resource: string, fields: CreateOnlyField[]): void {
  const problems = createOnlyProblems(resource, fields);
  if (problems.length) {
    throw new Error(
      `create-only setting${problems.length > 1 ? "s" : ""} changed:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}
