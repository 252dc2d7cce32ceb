/**
 * Pure: compares two render documents resource by resource (key: type + name) and property by property,
 * and writes the markdown a reviewer reads in the pull request. Values are never cut: short ones sit in
 * the table, long or multi-line ones follow it as a unified diff inside a fold.
 */
import { linesOf, unifiedDiff } from "./lineDiff";
import type { RenderDocument, RenderedResource } from "../shared/renderOutput";

export interface PropertyChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface Replacement {
  resource: RenderedResource;
  /** Why the engine would delete and re-create it. */
  reasons: string[];
}

export interface RenderDiff {
  stack: { base: string; head: string };
  /** The Pulumi project: resources of type `<project>:…` are our components, not cloud resources. */
  project: string;
  added: RenderedResource[];
  removed: RenderedResource[];
  changed: { resource: RenderedResource; changes: PropertyChange[] }[];
  /** Changed or renamed resources that would be replaced rather than updated in place. */
  replaced: Replacement[];
  /** Unchanged entries, components included (`unchangedComponents` of them). */
  unchanged: number;
  unchangedComponents?: number;
}

const key = (r: RenderedResource) => `${r.type}::${r.name}`;
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";

/**
 * Fields that name a list item, most specific first: Prometheus rules by `alert`/`record`, rule groups,
 * containers, env vars, ports, volumes and receivers by `name`, dashboards by `uid`.
 */
const IDENTITY_KEYS = ["alert", "record", "name", "uid", "id", "key"] as const;

/** The identity field shared by every item of both lists, unique within each, if there is one. */
function identityKey(a: unknown[], b: unknown[]): string | undefined {
  const items = [...a, ...b];
  if (!items.length || !items.every(isObj)) return undefined;
  return IDENTITY_KEYS.find((k) => {
    const ok = (list: unknown[]) => {
      const ids = list.map((x) => (x as Record<string, unknown>)[k]);
      return (
        ids.every((v) => typeof v === "string" || typeof v === "number") && new Set(ids).size === ids.length
      );
    };
    return ok(a) && ok(b);
  });
}

/** Keys of two objects in their natural order: the head's order, then keys only the base had. */
function keysInOrder(b: Record<string, unknown>, a: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

/**
 * Differences between two JSON values, with paths. Objects recurse by key; lists of objects recurse by
 * the items' identity (`rules[alert=AgentDown]`) when they have one, else by index; lists of plain values
 * are one change, shown whole.
 */
export function propertyChanges(before: unknown, after: unknown, at = ""): PropertyChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const here = at || "(root)";
  if (Array.isArray(before) && Array.isArray(after)) {
    const id = identityKey(before, after);
    if (id) {
      const byId = (l: unknown[]) => new Map(l.map((x) => [String((x as Record<string, unknown>)[id]), x]));
      const b = byId(before);
      const a = byId(after);
      const ids = [...new Set([...a.keys(), ...b.keys()])];
      return ids.flatMap((k) => propertyChanges(b.get(k), a.get(k), `${at}[${id}=${k}]`));
    }
    if ([...before, ...after].every(isObj)) {
      const n = Math.max(before.length, after.length);
      return Array.from({ length: n }, (_, i) => propertyChanges(before[i], after[i], `${at}[${i}]`)).flat();
    }
    return [{ path: here, before, after }];
  }
  if (isObj(before) && isObj(after) && !Array.isArray(before) && !Array.isArray(after)) {
    return keysInOrder(before, after).flatMap((k) =>
      propertyChanges(before[k], after[k], at ? `${at}.${k}` : k),
    );
  }
  return [{ path: here, before, after }];
}

// ---- replacement ---------------------------------------------------------------------------------

const WORKLOADS = /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:Job)$/;

/**
 * Inputs Azure accepts only at creation, beyond the resource id and location: a change means delete and
 * create. Curated per type with the source; `pulumi preview` remains the authority (the provider knows
 * every create-only field from the Azure REST specs, which this offline diff does not have).
 */
const CREATE_ONLY: Record<string, Record<string, string>> = {
  "azure-native:keyvault:Vault": {
    // https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview ("cannot be changed once set")
    "inputs.properties.softDeleteRetentionInDays": "soft-delete retention is fixed at creation",
  },
  "azure-native:containerservice:ManagedCluster": {
    // https://learn.microsoft.com/azure/aks/faq (node resource group and DNS prefix are set at creation);
    // agentPoolProfiles cannot be updated in place (azure-native containerservice/managedCluster.js docs).
    "inputs.dnsPrefix": "the DNS prefix is fixed at creation",
    "inputs.nodeResourceGroup": "the node resource group is fixed at creation",
    "inputs.agentPoolProfiles": "inline pools cannot be updated in place",
  },
  "azure-native:dbforpostgresql:Server": {
    // https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking ("can't change the
    // networking option after the server is created"), .../concepts-backup-restore (geo-redundant backup
    // only at creation), .../how-to-manage-server-portal (admin login name cannot be changed).
    "inputs.network.delegatedSubnetResourceId": "the networking mode is fixed at creation",
    "inputs.network.privateDnsZoneArmResourceId": "the networking mode is fixed at creation",
    "inputs.backup.geoRedundantBackup": "geo-redundant backup is chosen at creation",
    "inputs.administratorLogin": "the administrator login is fixed at creation",
  },
};

/** Why a property change replaces the resource, or undefined for an in-place update. */
export function replacementReason(type: string, path: string): string | undefined {
  const top = path.split(/[.[]/)[1] ?? "";
  if (type.startsWith("azure-native:")) {
    // Path parameters of the Azure resource id, and location, cannot change in place
    // (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
    if (path === "inputs.location") return "location is fixed at creation";
    if (/Name$/.test(top) && !/^(display|friendly)Name$/.test(top) && path === `inputs.${top}`) {
      return `${top} is part of the Azure resource id`;
    }
    const table = CREATE_ONLY[type] ?? {};
    const hit = Object.keys(table).find(
      (p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
    );
    return hit ? table[hit] : undefined;
  }
  if (type === "kubernetes:helm.sh/v3:Release") {
    return path === "inputs.name" || path === "inputs.namespace"
      ? "the release name and namespace are its identity"
      : undefined;
  }
  if (type.startsWith("kubernetes:")) {
    if (path === "inputs.metadata.name" || path === "inputs.metadata.namespace")
      return "name and namespace are the object's identity";
    // https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#label-selector-updates
    if (WORKLOADS.test(type) && path.startsWith("inputs.spec.selector")) return "spec.selector is immutable";
  }
  if (path === "parent") return "a new parent changes the URN (replaced unless an alias is set)";
  return undefined;
}

/** The name the cloud knows a resource by (not the Pulumi logical name). */
export function physicalName(r: RenderedResource): string | undefined {
  const i = isObj(r.inputs) ? r.inputs : {};
  if (r.type.startsWith("kubernetes:")) {
    const m = isObj(i.metadata) ? i.metadata : {};
    const n = m.name ?? i.name;
    return typeof n === "string" ? `${String(m.namespace ?? i.namespace ?? "")}/${n}` : undefined;
  }
  const k = Object.keys(i).find(
    (x) => /Name$/.test(x) && x !== "resourceGroupName" && typeof i[x] === "string",
  );
  return k ? `${String(i.resourceGroupName ?? "")}/${String(i[k])}` : undefined;
}

export function diffRenders(base: RenderDocument, head: RenderDocument): RenderDiff {
  const b = new Map(base.resources.map((r) => [key(r), r]));
  const h = new Map(head.resources.map((r) => [key(r), r]));
  const added = [...h.values()].filter((r) => !b.has(key(r)));
  const removed = [...b.values()].filter((r) => !h.has(key(r)));
  const changed: RenderDiff["changed"] = [];
  const replaced: Replacement[] = [];
  let unchanged = 0;
  let unchangedComponents = 0;
  for (const [k, after] of h) {
    const before = b.get(k);
    if (!before) continue;
    const changes = [
      ...propertyChanges(before.inputs, after.inputs, "inputs"),
      ...propertyChanges(before.options, after.options, "options"),
      ...propertyChanges(before.parent, after.parent, "parent"),
    ];
    if (!changes.length) {
      unchanged++;
      if (after.type.startsWith(`${head.project}:`)) unchangedComponents++;
      continue;
    }
    changed.push({ resource: after, changes });
    // One line per reason, naming every path that triggers it.
    const byReason = new Map<string, string[]>();
    for (const c of changes) {
      const why = replacementReason(after.type, c.path);
      if (why) byReason.set(why, [...(byReason.get(why) ?? []), `\`${c.path}\``]);
    }
    const reasons = [...byReason].map(([why, paths]) => `${paths.join(", ")}: ${why}`);
    if (reasons.length) replaced.push({ resource: after, reasons });
  }
  // A logical rename of the same cloud object is a delete and a create for Pulumi
  // (https://www.pulumi.com/docs/iac/concepts/options/aliases/).
  for (const a of added) {
    const name = physicalName(a);
    const old = name && removed.find((r) => r.type === a.type && physicalName(r) === name);
    if (old)
      replaced.push({
        resource: a,
        reasons: [`logical name ${old.name} → ${a.name}: replaced unless an alias is set`],
      });
  }
  return {
    stack: { base: base.stack, head: head.stack },
    project: head.project,
    added,
    removed,
    changed,
    replaced,
    unchanged,
    unchangedComponents,
  };
}

// ---- markdown ------------------------------------------------------------------------------------

const html = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "&#124;");

/** A table cell for a value: HTML code (escapes `|`, `<`, backticks cannot break out of it). */
function cell(v: unknown): string {
  return v === undefined ? "—" : `<code>${html(JSON.stringify(v))}</code>`;
}

/** Shown in the table when short and on one line; otherwise as a unified diff below the table. */
function fitsCell(v: unknown): boolean {
  if (v === undefined) return true;
  if (typeof v === "string" && (v.includes("\n") || linesOf(v).length > 1)) return false;
  return JSON.stringify(v).length <= 120;
}

function fence(body: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

const stackLabel = (d: RenderDiff) =>
  d.stack.base === d.stack.head ? d.stack.head : `${d.stack.base} → ${d.stack.head}`;

/**
 * One line per stack: what `pulumi up` would do, counted as `npm run render` and `policy:check` count
 * (resources only; our components are counted apart), replacements apart from in-place updates.
 */
export function summaryLine(d: RenderDiff): string {
  const none = !d.added.length && !d.removed.length && !d.changed.length;
  const isComponent = (r: RenderedResource) => r.type.startsWith(`${d.project}:`);
  const resources = (rs: RenderedResource[]) => rs.filter((r) => !isComponent(r));
  if (none) {
    // Nothing changed, so the head holds exactly the unchanged entries; count them the render's way.
    const components = d.unchangedComponents ?? 0;
    return `**${stackLabel(d)}**: no changes (${d.unchanged - components} resources in ${components} components)`;
  }
  const replaced = new Set(d.replaced.map((r) => r.resource));
  const replacedCount = resources([...replaced]).length;
  const updated = resources(d.changed.map((c) => c.resource).filter((r) => !replaced.has(r))).length;
  const added = resources(d.added.filter((r) => !replaced.has(r))).length;
  const rep = replacedCount ? `, ⚠️ ${replacedCount} to replace` : "";
  const unchanged = d.unchanged - (d.unchangedComponents ?? 0);
  return `**${stackLabel(d)}**: ${added} to add, ${updated} to change${rep}, ${resources(d.removed).length} to remove (${unchanged} unchanged)`;
}

const title = (r: RenderedResource) =>
  `\`${r.type}\` **${r.name}**${r.options.protect ? " (protected)" : ""}`;

function changedSection(c: RenderDiff["changed"][number]): string {
  const n = c.changes.length;
  const lines = [
    `<details><summary><code>${html(c.resource.type)}</code> <b>${html(c.resource.name)}</b> — ${n} propert${n === 1 ? "y" : "ies"}</summary>`,
    "",
    "| property | before | after |",
    "|---|---|---|",
  ];
  const long: PropertyChange[] = [];
  for (const ch of c.changes) {
    if (fitsCell(ch.before) && fitsCell(ch.after)) {
      lines.push(`| <code>${html(ch.path)}</code> | ${cell(ch.before)} | ${cell(ch.after)} |`);
    } else {
      long.push(ch);
      lines.push(`| <code>${html(ch.path)}</code> | (long value: diff below) | |`);
    }
  }
  lines.push("");
  for (const ch of long) {
    const body = unifiedDiff(
      ch.before === undefined ? [] : linesOf(ch.before),
      ch.after === undefined ? [] : linesOf(ch.after),
    );
    const f = fence(body);
    lines.push(
      `<details><summary><code>${html(ch.path)}</code></summary>`,
      "",
      `${f}diff`,
      body,
      f,
      "",
      "</details>",
      "",
    );
  }
  lines.push("</details>", "");
  return lines.join("\n");
}

export interface MarkdownOptions {
  /** Cut the markdown (between resources, never inside a value) to stay under this many characters. */
  maxChars?: number;
  /** Where the full diff is, named when the markdown had to be cut. */
  fullDiffUrl?: string;
}

export function toMarkdown(d: RenderDiff, opts: MarkdownOptions = {}): string {
  const head = [`### Render diff: ${stackLabel(d)}`, "", summaryLine(d), ""];
  if (d.replaced.length) {
    head.push(
      "> [!WARNING]",
      "> **Would be replaced** (deleted and created again: a stateful resource loses its data; a protected one makes `pulumi up` fail):",
      ...d.replaced.map((r) => `> - ${title(r.resource)}: ${r.reasons.join("; ")}`),
      "",
    );
  }
  if (d.removed.some((r) => r.options.protect)) {
    head.push(
      "> ⚠️ a protected resource would be removed: `pulumi up` will refuse until protection is lifted.",
      "",
    );
  }
  if (d.added.length) head.push("#### Added", "", ...d.added.map((r) => `- ${title(r)}`), "");
  if (d.removed.length) head.push("#### Removed", "", ...d.removed.map((r) => `- ${title(r)}`), "");
  if (!d.added.length && !d.removed.length && !d.changed.length) head.push("No changes.");
  const sections = d.changed.map(changedSection);
  if (sections.length) head.push("#### Changed", "");
  let out = head.join("\n");
  const max = opts.maxChars ?? Infinity;
  for (let i = 0; i < sections.length; i++) {
    const s = sections[i]!;
    const notice = `\n> ✂️ ${sections.length - i} more changed resource(s) not shown to stay under the comment limit${
      opts.fullDiffUrl ? `: [full diff](${opts.fullDiffUrl})` : ""
    }.\n`;
    if (out.length + s.length + notice.length + 200 > max) return out + notice;
    out += "\n" + s;
  }
  return out;
}
