/**
 * Pure: which stack config values are still the examples the stack files ship with — values that look
 * valid to every schema but can never work in a real subscription:
 *
 * - object ids made of repeated digits (`11111111-1111-1111-1111-111111111111`,
 *   `11111111-2222-3333-4444-555555555555`, the all-zero GUID): no Entra ID group or user has them;
 * - addresses in the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737,
 *   https://www.rfc-editor.org/rfc/rfc5737) or 2001:db8::/32 (RFC 3849): they route nowhere, so an API
 *   server allow-list made of them locks everybody out;
 * - host names under example.com/.org/.net or the reserved TLDs .example, .test, .invalid, .localhost
 *   (RFC 2606, https://www.rfc-editor.org/rfc/rfc2606): nobody can point them at the ingress or get a
 *   certificate for them.
 *
 * infra/config.ts refuses such a stack in a real run; the offline render lists them instead.
 */

export type PlaceholderKind = "object-id" | "documentation-address" | "example-host";

export interface Placeholder {
  /** Path inside the project namespace, e.g. `["aks", "adminGroupObjectIds", 0]`. */
  path: (string | number)[];
  /** The config key as users type it: `monitoring-platform:aks.adminGroupObjectIds[0]`. */
  key: string;
  kind: PlaceholderKind;
  /** The offending value (for secrets: "[secret]"). */
  value: string;
  /** What belongs there instead. */
  hint: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A GUID whose every group is one repeated character, or the 1234… counting sequence. */
export function isPlaceholderUuid(s: string): boolean {
  if (!UUID_RE.test(s)) return false;
  const groups = s.toLowerCase().split("-");
  if (groups.every((g) => /^(.)\1*$/.test(g))) return true;
  return s.replace(/-/g, "").startsWith("12345678");
}

/** RFC 5737 TEST-NET-1/2/3 as [first, last] address numbers. */
const DOC_V4 = ["192.0.2", "198.51.100", "203.0.113"].map((net) => {
  const start = net.split(".").reduce((acc, o) => acc * 256 + Number(o), 0) * 256;
  return [start, start + 255] as const;
});

/** True when `s` contains an IPv4 address or CIDR inside an RFC 5737 range, or an RFC 3849 IPv6 one. */
export function hasDocumentationAddress(s: string): boolean {
  if (/(^|[^0-9a-f:])2001:0?db8:/i.test(s)) return true;
  const re = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?(?![\d.])/g;
  for (const m of s.matchAll(re)) {
    const ip = [m[1], m[2], m[3], m[4]].reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Math.min(Number(m[5] ?? 32), 32));
    const start = ip - (ip % size);
    const end = start + size - 1;
    // Inside a documentation block (a wider range such as 0.0.0.0/0 merely contains one: not an example).
    if (DOC_V4.some(([a, b]) => a <= start && end <= b)) return true;
  }
  return false;
}

const RESERVED_HOST_RE =
  /(?<![a-z0-9-])(?:[a-z0-9-]+\.)*(?:example\.(?:com|org|net)|[a-z0-9-]+\.(?:example|test|invalid|localhost))(?![a-z0-9-]|\.[a-z0-9])/i;

/** True when `s` names a host in an RFC 2606 reserved domain (a bare name, a URL or an e-mail address). */
export function hasExampleHost(s: string): boolean {
  return RESERVED_HOST_RE.test(s);
}

const HINTS: Record<PlaceholderKind, string> = {
  "object-id":
    "a real id: the object id of an Entra ID group or user (az ad group show --group <name> --query id -o tsv), or your subscription's id in a resource id (az account show --query id -o tsv)",
  "documentation-address":
    "the real address range (RFC 5737 documentation ranges route nowhere), e.g. your runners' and admins' egress IPs as /32s",
  "example-host": "a DNS name in a zone you own (RFC 2606 example domains can never point at your ingress)",
};

/** GUIDs inside a longer value (a resource id's subscription, say) count too. */
const EMBEDDED_UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export function hasPlaceholderUuid(s: string): boolean {
  return [...s.matchAll(EMBEDDED_UUID_RE)].some((m) => isPlaceholderUuid(m[0]));
}

function kindOf(s: string): PlaceholderKind | undefined {
  if (hasPlaceholderUuid(s)) return "object-id";
  if (hasDocumentationAddress(s)) return "documentation-address";
  if (hasExampleHost(s)) return "example-host";
  return undefined;
}

function keyOf(project: string, path: (string | number)[]): string {
  const [head, ...rest] = path;
  return `${project}:${String(head)}${rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}`;
}

/**
 * Every config key of `project` in `raw` (`{ "<ns>:<key>": "<string or JSON>" }`, as Pulumi hands config to
 * the program) that still holds an example value, in stack-file order. Secret keys are checked too, but their
 * value is never returned.
 */
export function findPlaceholders(
  raw: Record<string, string>,
  project: string,
  secretKeys: readonly string[] = [],
): Placeholder[] {
  const found: Placeholder[] = [];
  const walk = (v: unknown, path: (string | number)[], secret: boolean) => {
    if (typeof v === "string") {
      const kind = kindOf(v);
      if (kind) {
        found.push({
          path,
          key: keyOf(project, path),
          kind,
          value: secret ? "[secret]" : v,
          hint: HINTS[kind],
        });
      }
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...path, i], secret));
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k], secret);
    }
  };
  for (const [fullKey, value] of Object.entries(raw)) {
    if (!fullKey.startsWith(`${project}:`)) continue;
    const key = fullKey.slice(project.length + 1).replace(/^config:/, "");
    const secret = secretKeys.includes(key) || secretKeys.includes(fullKey);
    let decoded: unknown = value;
    const t = value.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
      try {
        decoded = JSON.parse(t);
      } catch {
        // Invalid JSON is reported by the config parser; look at the text as it is.
      }
    }
    walk(decoded, [key], secret);
  }
  return found;
}
