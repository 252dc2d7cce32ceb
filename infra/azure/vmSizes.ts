/**
 * What a VM size offers the node OS disk. Ephemeral OS disks (the AKS baseline's choice: the OS lives on the
 * VM's local disk, so node reimages and scale-outs are fast and no managed disk is billed or throttled) need
 * a local disk at least as large as the OS disk (learn.microsoft.com/azure/virtual-machines/ephemeral-os-disks,
 * "Size requirements"; AKS: learn.microsoft.com/azure/aks/concepts-storage#ephemeral-os-disk).
 *
 * Known here: the v5 sizes with a local temporary SSD ("d" in the name) of the D, Dl, Da, E and Ea families,
 * whose temp disk is 37.5 GiB per vCPU (Standard_D2ds_v5 75 GiB, D4ds_v5 150 GiB, D8ds_v5 300 GiB; the
 * Ddsv5/Dldsv5/Dadsv5/Edsv5/Eadsv5 size tables on learn.microsoft.com/azure/virtual-machines/sizes). Sizes
 * without a local disk (Standard_D4s_v5) cannot hold an ephemeral OS disk at all; other families are not
 * guessed at.
 */

/** The OS disk size AKS would pick for a managed disk (GB), and the most an ephemeral one is given here. */
export const OS_DISK_GB = 128;

/** Local temp disk in GiB, or undefined when the size has none or is not one of the families above. */
export function tempDiskGib(vmSize: string): number | undefined {
  // Standard_<D|E><vCPUs>[-<constrained vCPUs>][a][l]ds_v5: the temp disk follows the full vCPU count.
  const m = /^Standard_([DE])(\d+)(?:-\d+)?(a?)(l?)ds_v5$/.exec(vmSize);
  if (!m) return undefined;
  if (m[1] === "E" && m[4]) return undefined; // there is no "Elds" family
  return Number(m[2]) * 37.5;
}

/**
 * The ephemeral OS disk for a pool of this size: 128 GB where the temp disk holds it, else the whole temp
 * disk (Standard_D2ds_v5: 75). Undefined when the size cannot hold one (config refuses such a size).
 */
export function ephemeralOsDisk(
  vmSize: string,
): { osDiskType: "Ephemeral"; osDiskSizeGB: number } | undefined {
  const temp = tempDiskGib(vmSize);
  if (temp === undefined) return undefined;
  return { osDiskType: "Ephemeral", osDiskSizeGB: Math.min(OS_DISK_GB, Math.floor(temp)) };
}
