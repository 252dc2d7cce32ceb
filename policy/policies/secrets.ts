/**
 * "No secret in plaintext": secret values reach neither the Pulumi state unencrypted, nor a Kubernetes
 * object that anyone with `get` on it can read, nor a log.
 */
import {
  type Obj,
  type PolicyContext,
  type PolicyResource,
  type ResourcePolicy,
  SECRET,
  UNKNOWN,
  arr,
  obj,
  peek,
} from "./types";
import { WORKLOAD_TYPES, containersOf, podSpec } from "./kubernetes";

/** Inputs that hold a secret value by their nature; under the render they must arrive as "[secret]". */
const SECRET_INPUTS: Record<string, string[][]> = {
  "azure-native:dbforpostgresql:Server": [["administratorLoginPassword"]],
  "azure-native:keyvault:Secret": [["properties", "value"]],
  "pulumi:providers:kubernetes": [["kubeconfig"]],
  "kubernetes:core/v1:Secret": [["data"], ["stringData"]],
  "random:index/randomPassword:RandomPassword": [],
};

/** Env var names that say "this is a credential". `*_FILE`/`*_PATH` name a mounted file instead. */
const SENSITIVE_ENV =
  /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CONNECTION_?STRING|WEBHOOK|CREDENTIAL)/i;
const FILE_REFERENCE = /_(FILE|PATH|DIR)$/i;

/**
 * Alertmanager receiver fields whose value is a credential, and the file variant to use instead
 * (https://prometheus.io/docs/alerting/latest/configuration/: api_url_file, routing_key_file,
 * service_key_file, url_file). A literal lands in the Helm release and the generated Secret in clear.
 */
const ALERTMANAGER_SECRET_FIELDS: Record<string, string[]> = {
  slack_configs: ["api_url"],
  pagerduty_configs: ["routing_key", "service_key"],
  webhook_configs: ["url"],
  opsgenie_configs: ["api_key"],
  msteams_configs: ["webhook_url"],
  msteamsv2_configs: ["webhook_url"],
};

/** True when a value is the render's secret marker (or a whole object of them), or not yet known. */
function markedSecret(v: unknown): boolean {
  if (v === SECRET || v === UNKNOWN || v === undefined) return true;
  if (v && typeof v === "object") return Object.values(v).every(markedSecret);
  return false;
}

/** Under the render, known secret inputs must be marked secret; a parent marked secret covers its fields. */
function unmarkedSecretInputs(r: PolicyResource): string[] {
  return (SECRET_INPUTS[r.type] ?? []).flatMap((path) => {
    let v: unknown = r.props;
    for (const k of path) {
      if (v === SECRET) return [];
      v = obj(v)[k];
    }
    return markedSecret(v) ? [] : [`${path.join(".")} is in plaintext: pass it as pulumi.secret()`];
  });
}

function envLiterals(pod: Obj): string[] {
  return containersOf(pod).flatMap(({ kind, c }) =>
    arr(c.env)
      .map(obj)
      .filter((e) => SENSITIVE_ENV.test(String(e.name)) && !FILE_REFERENCE.test(String(e.name)))
      .filter((e) => e.value !== undefined)
      .map(
        (e) =>
          `${kind} ${String(c.name)}: env ${String(e.name)} has a literal value (readable by anyone who can get the object): ` +
          `mount it from the Key Vault CSI volume or use valueFrom.secretKeyRef`,
      ),
  );
}

function helmValueLiterals(values: Obj): string[] {
  const out: string[] = [];
  // kube-prometheus-stack's Grafana subchart: admin.existingSecret instead of adminPassword
  // (grafana chart values.yaml, `adminPassword` / `admin.existingSecret`).
  if (obj(values.grafana).adminPassword !== undefined) {
    out.push("values.grafana.adminPassword is set: use grafana.admin.existingSecret");
  }
  const receivers = arr(obj(obj(values.alertmanager).config).receivers).map(obj);
  for (const rcv of receivers) {
    for (const [kind, fields] of Object.entries(ALERTMANAGER_SECRET_FIELDS)) {
      for (const cfg of arr(rcv[kind]).map(obj)) {
        for (const f of fields.filter((x) => cfg[x] !== undefined)) {
          out.push(`alertmanager receiver ${String(rcv.name)}: ${kind}.${f} is a literal: use ${f}_file`);
        }
      }
    }
  }
  return out;
}

export const noPlaintextSecrets: ResourcePolicy = {
  kind: "resource",
  name: "no-plaintext-secrets",
  description:
    "Secret inputs are Pulumi secrets; credentials never appear as literal env values or Helm values.",
  types: [
    ...Object.keys(SECRET_INPUTS),
    ...WORKLOAD_TYPES,
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:helm.sh/v4:Chart",
  ],
  check: (r: PolicyResource, ctx: PolicyContext) => [
    ...(ctx.secretMarkers ? unmarkedSecretInputs(r) : []),
    ...((WORKLOAD_TYPES as readonly string[]).includes(r.type) ? envLiterals(podSpec(r)) : []),
    ...(r.type.startsWith("kubernetes:helm.sh/") ? helmValueLiterals(obj(peek(() => r.props.values))) : []),
  ],
};
