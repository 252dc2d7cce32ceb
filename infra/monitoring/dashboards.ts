// Loads the Grafana dashboards in dashboards/<folder>/<uid>.json for the sidecar ConfigMaps. Pure: file
// system in, plain data out, no Pulumi, no dev tooling: `pulumi up` needs only what it ships. A file that
// would not load (bad JSON, a uid Grafana cannot link to) throws a DashboardError naming the file and the
// fix; everything about the content is linted by the tests and CI (test/dashboardLint.ts).
import * as fs from "fs";
import * as path from "path";

/** A dashboard that passed the lint, ready to be shipped as a Grafana sidecar ConfigMap. */
export interface Dashboard {
  /** Grafana uid; equal to the file stem, so alert annotations can link to `/d/<uid>`. */
  uid: string;
  /** The dashboard title shown in Grafana. */
  title: string;
  /** Grafana folder, taken from the directory the file sits in (`dashboards/<folder>/`). */
  folder: string;
  /** Path of the source file, as found under the loaded directory. */
  file: string;
  /** The dashboard JSON, minified: the ConfigMap value. */
  json: string;
}

/** Thrown for any dashboard that would not load or would show wrong data; the message says how to fix it. */
export class DashboardError extends Error {
  constructor(
    /** The offending file. */
    public readonly file: string,
    message: string,
    /** The panel title, when the problem is inside a panel. */
    public readonly panel?: string,
  ) {
    super(message);
    this.name = "DashboardError";
  }
}

const UID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * Loads every `<dir>/<folder>/<uid>.json`: valid JSON, a uid equal to the file stem (alerts link to
 * `/d/<uid>`), a title, both unique. Throws a {@link DashboardError} on the first problem. Returns the
 * dashboards sorted by folder, then uid. Content rules (datasource, units, queries against the metric
 * contract) are the lint's, run by the tests and CI (test/dashboardLint.ts), not by `pulumi up`.
 */
export function loadDashboards(dir: string): Dashboard[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DashboardError(dir, `${dir}: not a directory. Fix: pass the dashboards/ directory.`);
  }
  const dashboards: Dashboard[] = [];
  const uidFiles = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort(byName)) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith(".json")) {
      throw new DashboardError(
        entryPath,
        `${entryPath}: dashboards must sit in a folder directory. Fix: move it to ${path.join(dir, "<folder>", entry.name)}; the directory name becomes the Grafana folder.`,
      );
    }
    if (!entry.isDirectory()) continue;
    const titles = new Map<string, string>();
    for (const file of fs.readdirSync(entryPath, { withFileTypes: true }).sort(byName)) {
      if (!file.isFile() || !file.name.endsWith(".json")) continue;
      const filePath = path.join(entryPath, file.name);
      const dashboard = readDashboard(filePath, entry.name, fs.readFileSync(filePath, "utf8"));
      const clash = uidFiles.get(dashboard.uid);
      if (clash !== undefined) {
        throw new DashboardError(
          filePath,
          `${filePath}: uid "${dashboard.uid}" is also used by ${clash}. Fix: give each dashboard a unique uid (and file name); Grafana would silently overwrite one with the other.`,
        );
      }
      const titleClash = titles.get(dashboard.title);
      if (titleClash !== undefined) {
        throw new DashboardError(
          filePath,
          `${filePath}: title "${dashboard.title}" is also used by ${titleClash} in folder "${entry.name}". Fix: rename one of them; Grafana needs unique titles within a folder.`,
        );
      }
      uidFiles.set(dashboard.uid, filePath);
      titles.set(dashboard.title, filePath);
      dashboards.push(dashboard);
    }
  }
  return dashboards;
}

/** One dashboard file: JSON, uid and title; the model itself is shipped as written. */
function readDashboard(file: string, folder: string, text: string): Dashboard {
  const fail = (problem: string, fix: string, panel?: string): never => {
    throw new DashboardError(file, `${file}: ${problem}. Fix: ${fix}.`, panel);
  };
  const dashboard = parseJson(file, text);
  if (!isObject(dashboard)) {
    return fail("the top level is not a JSON object", "export the dashboard JSON model");
  }

  const stem = path.basename(file, ".json");
  const uid = dashboard.uid;
  if (typeof uid !== "string" || uid === "") {
    return fail("missing uid", `set "uid": "${stem}" (alert rules link to dashboards by uid)`);
  }
  if (uid !== stem) {
    return fail(
      `uid "${uid}" differs from the file name`,
      `rename the file to ${uid}.json or set "uid": "${stem}"`,
    );
  }
  if (!UID_PATTERN.test(uid)) {
    return fail(`uid "${uid}" is not a valid Grafana uid`, "use at most 40 of [A-Za-z0-9_-]");
  }
  const title = dashboard.title;
  if (typeof title !== "string" || title.trim() === "") {
    return fail("missing title", 'set a stable "title"');
  }

  return { uid, title, folder, file, json: JSON.stringify(dashboard) };
}

type Json = Record<string, unknown>;

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around the error, newlines included: keep the message on one line.
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ");
    // V8 gives an offset for some errors only ("Unexpected token" has none), so find it ourselves.
    const offset = jsonErrorOffset(text);
    const before = text.slice(0, offset).split("\n");
    const line = before.length;
    const column = (before[before.length - 1] ?? "").length + 1;
    throw new DashboardError(
      file,
      `${file}:${line}:${column}: invalid JSON at line ${line}, column ${column} (${message}). Fix: correct the JSON there (a trailing comma or a missing quote is the usual cause).`,
    );
  }
}

class JsonSyntaxError extends Error {
  constructor(public readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/** Offset of the first JSON syntax error in `text` (strict RFC 8259), or `text.length` if none is found. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxError(i);
  };
  const skipSpace = (): void => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  const expect = (ch: string): void => {
    skipSpace();
    if (text.charAt(i) !== ch) fail();
    i++;
  };
  const string = (): void => {
    expect('"');
    while (i < text.length) {
      const ch = text.charAt(i);
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < " ") fail();
      if (ch === "\\") {
        i++;
        if (text.charAt(i) === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text.charAt(i)) || i >= text.length) {
          fail();
        }
      }
      i++;
    }
    fail();
  };
  const sequence = (close: string, item: () => void): void => {
    i++;
    skipSpace();
    if (text.charAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skipSpace();
      if (text.charAt(i) === close) {
        i++;
        return;
      }
      expect(",");
    }
  };
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const value = (): void => {
    skipSpace();
    const ch = text.charAt(i);
    if (ch === "{") {
      sequence("}", () => {
        string();
        expect(":");
        value();
      });
    } else if (ch === "[") {
      sequence("]", value);
    } else if (ch === '"') {
      string();
    } else {
      literal.lastIndex = i;
      if (!literal.test(text)) fail();
      i = literal.lastIndex;
    }
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail();
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err.offset;
    throw err;
  }
  return text.length;
}

/** Panels in document order with their JSON position; collapsed rows keep their children in `panels`. */
function byName(a: fs.Dirent, b: fs.Dirent): number {
  return a.name.localeCompare(b.name);
}

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
