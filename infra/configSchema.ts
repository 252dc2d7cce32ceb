/**
 * The building blocks of the stack config schema, shared by the areas' schemas (infra/<area>/config.ts)
 * and the composition in infra/config.ts. Pure zod; imports nothing of ours but the CIDR parser.
 */
import { z } from "zod";
import { parseCidr } from "./cidr";

/** The Pulumi project name; config keys are `<PROJECT>:<key>`. */
export const PROJECT = "monitoring-platform";

/** Reports a problem at a config path (zod's `superRefine` issue, or a cross-area check's). */
export type Issue = (path: (string | number)[], message: string) => void;

// Standard_D4s_v5, Standard_D8ds_v5, Standard_B2s, Standard_E16as_v6, Standard_D2pds_v6 ...
export const VM_SIZE_RE = /^Standard_[A-Z]{1,3}\d{1,3}(-\d{1,3})?[a-z]*(_v\d)?$/;
export const IMAGE_TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DNS_LABEL_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DURATION_RE = /^\d+(s|m|h|d|w)$/;
export const QUANTITY_RE = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/;
export const HHMM_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: "must be an IPv4 network in CIDR notation with no host bits set, e.g. 10.20.0.0/16",
});
export const vmSize = z.string().regex(VM_SIZE_RE, {
  message: "must be an Azure VM size such as Standard_D4ds_v5 (case-sensitive, with the Standard_ prefix)",
});
export const duration = (example: string) =>
  z.string().regex(DURATION_RE, { message: `must be a Prometheus duration such as ${example}` });
export const quantity = (example: string) =>
  z.string().regex(QUANTITY_RE, { message: `must be a Kubernetes quantity such as ${example}` });
export const hhmm = z.string().regex(HHMM_RE, { message: "must be a 24-hour time HH:MM, e.g. 09:00" });
export const int = (min: number, max: number) => z.number().int().min(min).max(max);
export const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be an IANA time zone such as Europe/Berlin or America/New_York" },
);
export const httpsUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith("https://"), { message: "must be an https:// URL" });

export const WEEKDAYS = [
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
] as const;
export const MAINTENANCE_DAYS = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
] as const;
