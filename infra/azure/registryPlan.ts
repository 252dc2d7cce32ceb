/** Pure decisions for the container registry (infra/azure/registry.ts turns them into resources). */
import type { RegistryConfig } from "./config";
import { stackSlug, WORKLOAD } from "../naming";

/**
 * Zone redundancy, said explicitly where the stack is zone-redundant (prod): the registry's replicas spread
 * over the region's zones, so a zone outage does not stop image pulls (and with them every reschedule and
 * rollback). Fixed when the registry is created; Azure now turns it on by default for registries of every
 * SKU in zoned regions, while the property may still read "Disabled"
 * (learn.microsoft.com/azure/container-registry/zone-redundancy). So it is sent at creation and ignored
 * afterwards (registry.ts), and left unset elsewhere: an unset input never plans a change.
 */
export function registryZoneRedundancy(zoneRedundant: boolean): "Enabled" | undefined {
  return zoneRedundant ? "Enabled" : undefined;
}

/** `acr<workload><stack>`: registry names are global, 5-50 lowercase alphanumerics (no hyphens). */
export function registryName(stack: string): string {
  return `acr${WORKLOAD}${stackSlug(stack).replace(/-/g, "")}`;
}

/** The registry name inside an ARM resource id `/subscriptions/…/registries/<name>`. */
export function registryNameFromId(id: string): string | undefined {
  return /\/providers\/Microsoft\.ContainerRegistry\/registries\/([A-Za-z0-9]{5,50})$/i
    .exec(id)?.[1]
    ?.toLowerCase();
}

/**
 * The registry's login server, known before anything exists: `<name>.azurecr.io` (the name lowercased) is
 * how Azure public cloud names every registry's endpoint (learn.microsoft.com/azure/container-registry/
 * container-registry-get-started-portal, "Login server"), for ours and for an existing one by id.
 */
export function registryLoginServer(stack: string, registry: RegistryConfig): string {
  const name = registry.existingId ? registryNameFromId(registry.existingId) : registryName(stack);
  return `${name ?? registryName(stack)}.azurecr.io`;
}

/**
 * Config problems the schema cannot see: the app image must come from the registry the kubelet may pull
 * from (the one AcrPull is granted on), and a registry without public access needs Premium (private
 * endpoints are Premium-only: learn.microsoft.com/azure/container-registry/container-registry-private-link).
 */
export function registryConfigProblems(stack: string, registry: RegistryConfig, image: string): string[] {
  const problems: string[] = [];
  const name = registry.existingId ? registryNameFromId(registry.existingId) : registryName(stack);
  if (registry.existingId && !name) {
    problems.push(
      `monitoring-platform:registry.existingId "${registry.existingId}" is not a container registry resource id ` +
        "(/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>)",
    );
  }
  const host = image.split("/")[0];
  if (name && host !== `${name}.azurecr.io`) {
    problems.push(
      `monitoring-platform:app.image "${image}" is not in the registry the cluster pulls from (${name}.azurecr.io): ` +
        `pulumi config set --path 'monitoring-platform:app.image' ${name}.azurecr.io/${image.split("/").slice(1).join("/") || "agent-api"}`,
    );
  }
  if (!registry.existingId && !registry.publicNetworkAccess && registry.sku !== "Premium") {
    problems.push(
      `monitoring-platform:registry.sku is ${registry.sku} but registry.publicNetworkAccess is false: only Premium ` +
        "registries have private endpoints. pulumi config set --path 'monitoring-platform:registry.sku' Premium",
    );
  }
  return problems;
}
