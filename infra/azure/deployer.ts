/**
 * Who runs `pulumi up`. ARM needs the principal type of a role assignment up front and refuses a wrong one
 * ("UnmatchedPrincipalType: The PrincipalId '…' has type 'ServicePrincipal', which is different from
 * specified PrincipalType 'User'", learn.microsoft.com/azure/role-based-access-control/troubleshooting).
 * The README's flow is `az login` as a person (a User); CI logs in as a service principal or managed
 * identity through the azure-native provider's ARM_* settings. `aks.deployerPrincipalType: auto` (the
 * default) tells the two apart the way the provider itself chooses credentials
 * (pulumi.com/registry/packages/azure-native/installation-configuration: ARM_CLIENT_ID with a secret, OIDC
 * or MSI → service principal / managed identity; otherwise the Azure CLI login).
 */
import * as pulumi from "@pulumi/pulumi";

export type PrincipalType = "User" | "ServicePrincipal";
export type PrincipalSetting = PrincipalType | "auto";

/** The azure-native provider settings that select a non-CLI credential (stack config `azure-native:*`). */
export interface ProviderAuthConfig {
  clientId?: string;
  useOidc?: string;
  useMsi?: string;
}

/** Pure: the deployer's principal type from the environment and the provider's stack config. */
export function detectPrincipalType(
  env: Record<string, string | undefined>,
  provider: ProviderAuthConfig,
): PrincipalType {
  const truthy = (v: string | undefined) => v !== undefined && /^(1|true)$/i.test(v.trim());
  const spByEnv = !!env.ARM_CLIENT_ID || truthy(env.ARM_USE_OIDC) || truthy(env.ARM_USE_MSI);
  const spByConfig = !!provider.clientId || truthy(provider.useOidc) || truthy(provider.useMsi);
  return spByEnv || spByConfig ? "ServicePrincipal" : "User";
}

/** Reads the provider settings that matter from raw stack config (`azure-native:clientId`, …). */
export function providerAuthConfig(raw: Record<string, string>): ProviderAuthConfig {
  const get = (k: string) => raw[`azure-native:${k}`] ?? raw[`azure-native:config:${k}`];
  return { clientId: get("clientId"), useOidc: get("useOidc"), useMsi: get("useMsi") };
}

/**
 * The principal type to put on the deployer's role assignments. An explicit setting wins; `auto` is resolved
 * at deployment time (it reads the deploying machine's environment, so it stays "(known after apply)" in
 * the offline render, which must not depend on the machine it runs on).
 */
export function deployerPrincipalType(
  setting: PrincipalSetting,
  provider: ProviderAuthConfig,
  deployerClientId: pulumi.Output<string>,
  env: Record<string, string | undefined> = process.env,
): pulumi.Output<PrincipalType> {
  if (setting !== "auto") return pulumi.output(setting);
  return deployerClientId.apply(() => detectPrincipalType(env, provider));
}
