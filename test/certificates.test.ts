/**
 * "cert-manager certificate readiness for every Certificate (Grafana's too)" (issue 17): the Certificates are
 * read from both renders — every Ingress, and every Ingress in a Helm release's values, that asks
 * cert-manager for one (ingress-shim: annotation `cert-manager.io/cluster-issuer` or `cert-manager.io/issuer`,
 * one Certificate per `tls[].secretName`, in the Ingress's namespace) — and the real rule file is run by the
 * pinned promtool with each of them not Ready: CertManagerCertificateNotReady must fire for every one, and
 * only for those. A Certificate the rule's labels cannot name, or one the render gains later, is covered here
 * without anyone editing the test.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./mocks";
import { manifests, type Stack } from "./renderFiles";
import { run, tool } from "./tools";

const ISSUER_ANNOTATIONS = ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

interface Cert {
  namespace: string;
  name: string;
  issuer: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Certificates ingress-shim makes for an Ingress-shaped object (metadata.annotations or a chart's `ingress:` values). */
function certsOf(annotations: any, tls: any, namespace: string): Cert[] {
  const issuer = ISSUER_ANNOTATIONS.map((a) => annotations?.[a]).find((v) => typeof v === "string");
  if (!issuer || !Array.isArray(tls)) return [];
  return tls
    .filter((t) => typeof t?.secretName === "string")
    .map((t) => ({ namespace, name: t.secretName, issuer }));
}

/** Every object in a chart's values that looks like an ingress block (annotations + tls), at any depth. */
function ingressBlocks(values: any, out: any[] = []): any[] {
  if (values && typeof values === "object") {
    if (!Array.isArray(values) && values.annotations && values.tls) out.push(values);
    for (const v of Object.values(values)) ingressBlocks(v, out);
  }
  return out;
}

function certificates(stack: Stack): Cert[] {
  const certs: Cert[] = [];
  for (const { obj: doc } of manifests(stack)) {
    if (doc?.kind === "Ingress") {
      certs.push(...certsOf(doc.metadata?.annotations, doc.spec?.tls, doc.metadata?.namespace ?? "default"));
    } else if (doc?.kind === "Certificate") {
      certs.push({
        namespace: doc.metadata.namespace,
        name: doc.metadata.name,
        issuer: doc.spec?.issuerRef?.name,
      });
    } else if (doc?.chart && doc?.values) {
      // A chart's Ingress lives in the release namespace (grafana's templates/ingress.yaml).
      for (const block of ingressBlocks(doc.values)) {
        if (block.enabled === false) continue;
        certs.push(...certsOf(block.annotations, block.tls, doc.namespace));
      }
    }
  }
  return certs;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A promtool unit test: every Certificate Ready=False from the start, queried through ALERTS at 15m. */
function promtoolTest(certs: Cert[]): string {
  const series = certs.flatMap((c) =>
    ["False", "True", "Unknown"].map((condition) => ({
      series:
        `certmanager_certificate_ready_status{job="cert-manager", namespace="cert-manager", ` +
        `exported_namespace="${c.namespace}", name="${c.name}", issuer_name="${c.issuer}", ` +
        `issuer_kind="ClusterIssuer", issuer_group="cert-manager.io", condition="${condition}"}`,
      values: condition === "False" ? "1x40" : "0x40",
    })),
  );
  const firing = (eval_time: string, exp: Cert[]) => ({
    eval_time,
    expr: 'ALERTS{alertname="CertManagerCertificateNotReady", alertstate="firing"}',
    exp_samples: exp.map((c) => ({
      labels:
        `ALERTS{alertname="CertManagerCertificateNotReady", alertstate="firing", severity="warning", ` +
        `service="kubernetes", exported_namespace="${c.namespace}", name="${c.name}", issuer_name="${c.issuer}"}`,
      value: 1,
    })),
  });
  return yaml.dump({
    rule_files: [path.join(ROOT, "rules", "platform.yaml")],
    evaluation_interval: "30s",
    tests: [
      {
        name: "every Certificate of the render, not Ready",
        interval: "30s",
        input_series: series,
        promql_expr_test: [firing("14m30s", []), firing("15m", certs)],
      },
    ],
  });
}

describe.each(["dev", "prod"] as const)("Certificates of the %s render", (stack) => {
  const certs = () => certificates(stack);

  it("are the app's and Grafana's, each once", () => {
    const names = certs().map((c) => `${c.namespace}/${c.name}`);
    expect(names.sort()).toEqual(["agents/agent-api-tls", "monitoring/grafana-tls"]);
  });

  it("each gets CertManagerCertificateNotReady when not Ready (promtool on rules/platform.yaml)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "certs-"));
    try {
      const file = path.join(dir, "certificates_test.yaml");
      fs.writeFileSync(file, promtoolTest(certs()));
      const r = await run(tool("promtool"), ["test", "rules", file], { cwd: ROOT, timeoutMs: 120_000 });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("SUCCESS");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
