/**
 * The data services' part of the stack config (Postgres Flexible Server, Azure Managed Redis): schemas and
 * types; their checks live beside their planners (postgresPlan.ts, redisPlan.ts).
 */
import { z } from "zod";
import { int, UUID_RE } from "../configSchema";

/**
 * Storage sizes Flexible Server offers on Premium SSD (learn.microsoft.com/azure/postgresql/flexible-server/
 * concepts-storage: 32 GiB to 32 TiB in these steps); any other number is refused by ARM.
 */
export const POSTGRES_STORAGE_SIZES_GB = [
  32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768,
] as const;

export const postgresSchema = z.strictObject({
  /** Major version, pinned: a major upgrade is a deliberate change, never a side effect. */
  version: z.enum(["14", "15", "16", "17"]),
  skuName: z
    .string()
    .regex(/^Standard_[A-Z]/, { message: "must be a Flexible Server SKU such as Standard_D2ds_v5" }),
  skuTier: z.enum(["Burstable", "GeneralPurpose", "MemoryOptimized"]),
  /**
   * Initial disk size: one of the sizes Azure offers (Premium SSD tiers). Auto-grow raises it later; the
   * program then keeps the larger live size (Azure cannot shrink a disk, infra/data/postgres.ts).
   */
  storageSizeGb: z.number().refine((n) => (POSTGRES_STORAGE_SIZES_GB as readonly number[]).includes(n), {
    message: `must be a size Azure offers: ${POSTGRES_STORAGE_SIZES_GB.join(", ")} (GiB)`,
  }),
  highAvailability: z.enum(["Disabled", "SameZone", "ZoneRedundant"]),
  geoRedundantBackup: z.boolean(),
  backupRetentionDays: int(7, 35),
  maxConnections: int(25, 5000),
  adminLogin: z.string().regex(/^[a-z][a-z0-9_]{2,62}$/, { message: "must be a lower-case identifier" }),
  /** The Entra ID administrator (a group, ideally): Entra authentication is useless without one. */
  entraAdmin: z.strictObject({
    objectId: z.string().regex(UUID_RE, { message: "must be an Entra ID object id (a UUID)" }),
    principalName: z.string().min(1),
    principalType: z.enum(["Group", "User", "ServicePrincipal"]),
  }),
  databases: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/)).min(1),
});

export const redisSchema = z.strictObject({
  /** Azure Managed Redis SKU, e.g. Balanced_B0 (dev) or Balanced_B5 (prod). */
  skuName: z.string().regex(/^(Balanced|MemoryOptimized|ComputeOptimized|FlashOptimized)_[A-Z]\d+$/, {
    message: "must be an Azure Managed Redis SKU such as Balanced_B1",
  }),
  highAvailability: z.boolean(),
});

export type PostgresConfig = z.infer<typeof postgresSchema>;
export type RedisConfig = z.infer<typeof redisSchema>;
