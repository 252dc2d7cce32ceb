/**
 * Pure IPv4 CIDR arithmetic for config validation (no network calls, no dependencies).
 */

export interface Cidr {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; returns undefined when the text is not a canonical IPv4 CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  // A host address with a network prefix (10.0.0.5/24) is almost always a typo: reject it.
  if (ip % size !== 0) return undefined;
  return { text, start: ip, end: ip + size - 1, prefix };
}

export function parseIp(text: string): number | undefined {
  const c = parseCidr(`${text}/32`);
  return c?.start;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}
