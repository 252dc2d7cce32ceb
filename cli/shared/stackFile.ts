/**
 * Reads Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program: `{ "<ns>:<key>": string }`
 * with objects as JSON. Encrypted `secure:` values cannot be decrypted offline, so they (and declared
 * secret keys the stack file leaves unset) become a visible placeholder and are marked secret.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export const SECRET_PLACEHOLDER = "offline-render-placeholder-secret";

export interface StackFileConfig {
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  /** Secret keys rendered with the placeholder (encrypted or unset). */
  placeholders: string[];
}

interface ProjectFile {
  name: string;
  config?: Record<string, { secret?: boolean }>;
}

export function readProjectFile(root: string): ProjectFile {
  const file = path.join(root, "Pulumi.yaml");
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as ProjectFile;
  if (!doc?.name) throw new Error(`${file}: has no project name`);
  return doc;
}

/**
 * @param root project root (where Pulumi.yaml is)
 * @param stack stack name
 * @param stackFile optional explicit stack file (tests use fixtures); defaults to Pulumi.<stack>.yaml
 */
export function readStackConfig(root: string, stack: string, stackFile?: string): StackFileConfig {
  const project = readProjectFile(root);
  const file = stackFile ?? path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} does not exist: use --stack dev or --stack prod, or create the stack file`);
  }
  let doc: { config?: Record<string, unknown> };
  try {
    doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as typeof doc;
  } catch (e) {
    throw new Error(`${file}: invalid YAML: ${(e as Error).message}`);
  }
  const declaredSecret = Object.entries(project.config ?? {})
    .filter(([, v]) => typeof v === "object" && v?.secret)
    .map(([k]) => (k.includes(":") ? k : `${project.name}:${k}`));
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const placeholders: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (value && typeof value === "object" && "secure" in (value as object)) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.add(key);
      placeholders.push(key);
    } else if (typeof value === "string") {
      config[key] = value;
    } else {
      config[key] = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
  }
  for (const key of declaredSecret) {
    secretKeys.add(key);
    if (!(key in config)) {
      config[key] = SECRET_PLACEHOLDER;
      placeholders.push(key);
    }
  }
  return { project: project.name, stack, config, secretKeys: [...secretKeys], placeholders };
}

/**
 * Config fixes for a stack file given with `--config <file>`: every `pulumi config set`/`rm` gets
 * `--config-file <file>` (Pulumi's flag for exactly this: "use the configuration values in the specified
 * file rather than detecting the file name", pulumi.com/docs/iac/cli/commands/pulumi_config_set) and
 * "Pulumi.<stack>.yaml" names the file, so the printed command changes the file that was rendered.
 */
export function fixesForFile(message: string, file: string): string {
  const arg = /^[\w./@:-]+$/.test(file) ? file : `'${file.replace(/'/g, "'\\''")}'`;
  return message
    .replace(/pulumi config (set|rm)\b/g, `pulumi config $1 --config-file ${arg}`)
    .replace(/Pulumi\.<stack>\.yaml/g, file);
}
