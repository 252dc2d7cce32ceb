/**
 * Pure naming, tagging and labelling. Names are deterministic (stack + role) so that a disaster-recovery
 * rebuild from empty state recreates the same names — except where Azure reserves a deleted name (Key
 * Vault), which gets a random suffix (see azure/keyVault.ts).
 */

/** The workload part of every Azure name. */
export const WORKLOAD = "agents";

/** Azure resource-type abbreviations (Microsoft Cloud Adoption Framework). */
export type AzureKind =
  | "rg"
  | "vnet"
  | "snet"
  | "log"
  | "aks"
  | "kv"
  | "id"
  | "psql"
  | "redis"
  | "pe"
  | "nsg"
  | "pip"
  | "ng"
  | "amw"
  | "dce"
  | "dcr"
  | "ag"
  | "logic"
  | "prg"
  | "st"
  | "rt"
  | "afw"
  | "afwp";

/** Lower-cased stack name safe for every Azure name we build. */
export function stackSlug(stack: string): string {
  const slug = stack
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!slug) throw new Error(`stack name "${stack}" has no letters or digits to build resource names from`);
  // Cut to 10 and trim again: a cut can end on a hyphen ("staging-eu-2" → "staging-eu" is fine, but
  // "abcdefghi-jk" → "abcdefghi-"), and names ending in "-" or containing "--" are refused by several
  // Azure resource types (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
  return slug.slice(0, 10).replace(/-+$/, "");
}

/** `<kind>-agents-<stack>[-<role>]`, e.g. `aks-agents-prod`, `id-agents-prod-monitoring`. */
export function azureName(kind: AzureKind, stack: string, role?: string): string {
  if (role !== undefined && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(role)) {
    throw new Error(`name role "${role}" must be lowercase letters and digits in hyphen-separated words`);
  }
  return [kind, WORKLOAD, stackSlug(stack), role].filter(Boolean).join("-");
}

/**
 * Key Vault names are global, 3-24 chars, alphanumerics and hyphens. The suffix is random per state so a
 * rebuild from empty state never collides with the soft-deleted vault of the previous life.
 */
export function keyVaultName(stack: string, suffix: string): string {
  return `kv-${WORKLOAD}-${stackSlug(stack)}-${suffix}`.slice(0, 24).replace(/-+$/, "");
}

/**
 * A storage account name (3-24 lower-case letters and digits, globally unique): `st<workload><stack><role>`
 * plus a random suffix held in state, as for Key Vault.
 */
export function storageAccountName(stack: string, role: string, suffix: string): string {
  return `st${WORKLOAD}${stackSlug(stack).replace(/-/g, "")}${role}${suffix}`.slice(0, 24);
}

/** Tags on everything taggable: who owns it and which stack manages it. */
export function tags(project: string, stack: string, environment: string, extra: Record<string, string>) {
  return { ...extra, project, stack, environment, "managed-by": "pulumi" };
}

/** Kubernetes recommended labels (app.kubernetes.io/*). */
export function k8sLabels(name: string, component: string, partOf: string, instance = name) {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": partOf,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}
