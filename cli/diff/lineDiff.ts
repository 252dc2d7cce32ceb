/**
 * Pure: a unified line diff (LCS over the lines between the common prefix and suffix), enough for
 * reviewing rule files, dashboards and Helm values in a pull-request comment.
 */

/** Lines of a value as a reviewer reads it: strings as they are (JSON strings pretty-printed), others as JSON. */
export function linesOf(v: unknown): string[] {
  if (typeof v === "string") {
    const t = v.trim();
    if ((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]"))) {
      try {
        return JSON.stringify(JSON.parse(t), null, 2).split("\n");
      } catch {
        // not JSON: fall through to the raw text
      }
    }
    return v.split("\n");
  }
  return (JSON.stringify(v, null, 2) ?? "undefined").split("\n");
}

/** Above this many LCS cells the middle is shown as one removed block and one added block. */
const MAX_CELLS = 4_000_000;

type Op = { op: " " | "-" | "+"; line: string };

function lcsOps(a: string[], b: string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) {
    return [
      ...a.map((line) => ({ op: "-" as const, line })),
      ...b.map((line) => ({ op: "+" as const, line })),
    ];
  }
  const w = b.length + 1;
  const t = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      t[i * w + j] =
        a[i] === b[j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      ops.push({ op: " ", line: a[i]! });
      i++;
      j++;
    } else if (t[(i + 1) * w + j]! >= t[i * w + j + 1]!) ops.push({ op: "-", line: a[i++]! });
    else ops.push({ op: "+", line: b[j++]! });
  }
  while (i < a.length) ops.push({ op: "-", line: a[i++]! });
  while (j < b.length) ops.push({ op: "+", line: b[j++]! });
  return ops;
}

/** Unified diff body (no file headers), `context` unchanged lines around each change, hunks with @@ headers. */
export function unifiedDiff(before: string[], after: string[], context = 3): string {
  let pre = 0;
  while (pre < before.length && pre < after.length && before[pre] === after[pre]) pre++;
  let suf = 0;
  while (
    suf < before.length - pre &&
    suf < after.length - pre &&
    before[before.length - 1 - suf] === after[after.length - 1 - suf]
  ) {
    suf++;
  }
  const ops: Op[] = [
    ...before.slice(0, pre).map((line) => ({ op: " " as const, line })),
    ...lcsOps(before.slice(pre, before.length - suf), after.slice(pre, after.length - suf)),
    ...before.slice(before.length - suf).map((line) => ({ op: " " as const, line })),
  ];
  const changed = ops.map((o, k) => (o.op !== " " ? k : -1)).filter((k) => k >= 0);
  if (!changed.length) return "";
  // Group changes whose context windows touch into hunks.
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const last = hunks[hunks.length - 1];
    if (last && k - context <= last[1] + context) last[1] = k;
    else hunks.push([k, k]);
  }
  const out: string[] = [];
  for (const [s, e] of hunks) {
    const from = Math.max(0, s - context);
    const to = Math.min(ops.length - 1, e + context);
    const aStart = ops.slice(0, from).filter((o) => o.op !== "+").length + 1;
    const bStart = ops.slice(0, from).filter((o) => o.op !== "-").length + 1;
    const slice = ops.slice(from, to + 1);
    const aLen = slice.filter((o) => o.op !== "+").length;
    const bLen = slice.filter((o) => o.op !== "-").length;
    out.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`, ...slice.map((o) => `${o.op}${o.line}`));
  }
  return out.join("\n");
}
