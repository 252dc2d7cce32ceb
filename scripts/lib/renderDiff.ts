/**
 * Pure: compares two render documents resource by resource (key: type + name) and property by property.
 */
import type { RenderDocument, RenderedResource } from "./renderOutput";

export interface PropertyChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface RenderDiff {
  stack: { base: string; head: string };
  added: RenderedResource[];
  removed: RenderedResource[];
  changed: { resource: RenderedResource; changes: PropertyChange[] }[];
  unchanged: number;
}

const key = (r: RenderedResource) => `${r.type}::${r.name}`;

/** Leaf-level differences between two JSON values, with dotted/indexed paths. */
export function propertyChanges(before: unknown, after: unknown, at = ""): PropertyChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === "object";
  if (isObj(before) && isObj(after) && Array.isArray(before) === Array.isArray(after)) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    return keys.flatMap((k) => {
      const p = Array.isArray(before) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
      return propertyChanges(b[k], a[k], p);
    });
  }
  return [{ path: at || "(root)", before, after }];
}

export function diffRenders(base: RenderDocument, head: RenderDocument): RenderDiff {
  const b = new Map(base.resources.map((r) => [key(r), r]));
  const h = new Map(head.resources.map((r) => [key(r), r]));
  const added = [...h.values()].filter((r) => !b.has(key(r)));
  const removed = [...b.values()].filter((r) => !h.has(key(r)));
  const changed: RenderDiff["changed"] = [];
  let unchanged = 0;
  for (const [k, after] of h) {
    const before = b.get(k);
    if (!before) continue;
    const changes = [
      ...propertyChanges(before.inputs, after.inputs, "inputs"),
      ...propertyChanges(before.options, after.options, "options"),
      ...propertyChanges(before.parent, after.parent, "parent"),
    ];
    if (changes.length) changed.push({ resource: after, changes });
    else unchanged++;
  }
  return { stack: { base: base.stack, head: head.stack }, added, removed, changed, unchanged };
}

const fmt = (v: unknown) =>
  v === undefined ? "—" : "`" + JSON.stringify(v).replace(/`/g, "'").slice(0, 120) + "`";

export function toMarkdown(d: RenderDiff): string {
  const lines = [`### Render diff (${d.stack.base} → ${d.stack.head})`, ""];
  lines.push(
    `**${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove** (${d.unchanged} unchanged)`,
    "",
  );
  if (d.removed.some((r) => r.options.protect)) {
    lines.push(
      "> ⚠️ a protected resource would be removed: `pulumi up` will refuse until protection is lifted.",
      "",
    );
  }
  if (d.added.length) {
    lines.push("#### Added", "", ...d.added.map((r) => `- \`${r.type}\` **${r.name}**`), "");
  }
  if (d.removed.length) {
    lines.push(
      "#### Removed",
      "",
      ...d.removed.map((r) => `- \`${r.type}\` **${r.name}**${r.options.protect ? " (protected)" : ""}`),
      "",
    );
  }
  if (d.changed.length) {
    lines.push("#### Changed", "");
    for (const c of d.changed) {
      lines.push(
        `<details><summary><code>${c.resource.type}</code> <b>${c.resource.name}</b> — ${c.changes.length} propert${c.changes.length === 1 ? "y" : "ies"}</summary>`,
        "",
      );
      lines.push("| property | before | after |", "|---|---|---|");
      for (const ch of c.changes.slice(0, 50))
        lines.push(`| \`${ch.path}\` | ${fmt(ch.before)} | ${fmt(ch.after)} |`);
      if (c.changes.length > 50) lines.push(`| … | ${c.changes.length - 50} more | |`);
      lines.push("", "</details>", "");
    }
  }
  if (!d.added.length && !d.removed.length && !d.changed.length) lines.push("No changes.");
  return lines.join("\n");
}
