/**
 * Azure regions: the ones this program deploys to, their paired regions and which have availability zones.
 * One list, used by config validation (infra/config.ts), disaster-recovery planning (infra/recovery.ts) and
 * `npm run dr:rebuild`.
 */

/** Azure regions we accept (a typo such as "westeruope" must fail here, not in ARM after 10 minutes). */
export const AZURE_REGIONS = [
  "australiaeast",
  "brazilsouth",
  "canadacentral",
  "centralindia",
  "centralus",
  "eastasia",
  "eastus",
  "eastus2",
  "francecentral",
  "germanywestcentral",
  "italynorth",
  "japaneast",
  "koreacentral",
  "northeurope",
  "norwayeast",
  "polandcentral",
  "southafricanorth",
  "southcentralus",
  "southeastasia",
  "spaincentral",
  "swedencentral",
  "switzerlandnorth",
  "uaenorth",
  "uksouth",
  "westeurope",
  "westus2",
  "westus3",
] as const;

/**
 * Display names, as Azure Service Health reports impacted regions (`az account list-locations --query
 * "[].{name:name, displayName:displayName}"`); activity-log alerts match on these, not on the short names.
 */
export const REGION_DISPLAY_NAME: Readonly<Record<(typeof AZURE_REGIONS)[number], string>> = Object.freeze({
  australiaeast: "Australia East",
  brazilsouth: "Brazil South",
  canadacentral: "Canada Central",
  centralindia: "Central India",
  centralus: "Central US",
  eastasia: "East Asia",
  eastus: "East US",
  eastus2: "East US 2",
  francecentral: "France Central",
  germanywestcentral: "Germany West Central",
  italynorth: "Italy North",
  japaneast: "Japan East",
  koreacentral: "Korea Central",
  northeurope: "North Europe",
  norwayeast: "Norway East",
  polandcentral: "Poland Central",
  southafricanorth: "South Africa North",
  southcentralus: "South Central US",
  southeastasia: "Southeast Asia",
  spaincentral: "Spain Central",
  swedencentral: "Sweden Central",
  switzerlandnorth: "Switzerland North",
  uaenorth: "UAE North",
  uksouth: "UK South",
  westeurope: "West Europe",
  westus2: "West US 2",
  westus3: "West US 3",
});

/** The display name of a region we accept (config validation has refused any other). */
export function regionDisplayName(region: string): string {
  const name = (REGION_DISPLAY_NAME as Record<string, string | undefined>)[region];
  if (!name) throw new Error(`${region} is not one of the accepted Azure regions (infra/regions.ts)`);
  return name;
}

/**
 * The secondary region of each region we deploy to, from Microsoft's "Azure cross-region replication
 * pairings" table (https://learn.microsoft.com/azure/reliability/cross-region-replication-azure).
 * Pairs are not always symmetric: Brazil South's secondary is South Central US, West US 3's is East US.
 * `undefined`: the region has no pair (Italy North, Poland Central, Spain Central), so there is no
 * geo-redundant backup to restore from and GeoRestore is impossible.
 */
export const PAIRED_REGION: Readonly<Record<string, string | undefined>> = Object.freeze({
  australiaeast: "australiasoutheast",
  brazilsouth: "southcentralus",
  canadacentral: "canadaeast",
  centralindia: "southindia",
  centralus: "eastus2",
  eastasia: "southeastasia",
  eastus: "westus",
  eastus2: "centralus",
  francecentral: "francesouth",
  germanywestcentral: "germanynorth",
  italynorth: undefined,
  japaneast: "japanwest",
  koreacentral: "koreasouth",
  northeurope: "westeurope",
  norwayeast: "norwaywest",
  polandcentral: undefined,
  southafricanorth: "southafricawest",
  southcentralus: "northcentralus",
  southeastasia: "eastasia",
  spaincentral: undefined,
  swedencentral: "swedensouth",
  switzerlandnorth: "switzerlandwest",
  uaenorth: "uaecentral",
  uksouth: "ukwest",
  westeurope: "northeurope",
  westus2: "westcentralus",
  westus3: "eastus",
});

/**
 * Regions with availability zones, from Microsoft's "Azure regions with availability zone support" list
 * (https://learn.microsoft.com/azure/reliability/availability-zones-region-support). A zone-redundant
 * stack (zones 1-3 for AKS, zone-redundant Postgres HA, Redis) cannot be rebuilt anywhere else.
 * Every region in AZURE_REGIONS is on that list (a zone-redundant prod needs zones), so the set is the
 * accepted list itself; regions added to AZURE_REGIONS later must be checked against Microsoft's list.
 */
export const ZONE_REGIONS: ReadonlySet<string> = new Set<string>(AZURE_REGIONS);
