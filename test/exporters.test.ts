import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateComponents, type StackRun } from "./mocks";
import { validateManifest } from "./schemas";
import {
  EXPORTER_IMAGES,
  exporterManifests,
  exporterVaultObjects,
  type ExportersPlanInput,
} from "../infra/data/exporters";
import {
  PSQL_IMAGE,
  appGrantsSql,
  appRoleSql,
  checkAppRole,
  monitorRoleManifests,
  monitorRoleSql,
  monitorRoleVaultObjects,
} from "../infra/data/postgresMonitorRole";

/* eslint-disable @typescript-eslint/no-explicit-any */

const input: ExportersPlanInput = {
  namespace: "monitoring",
  serviceAccountName: "data-exporters",
  secretProviderClassName: "data-exporters-keyvault",
  serviceMonitorLabels: { release: "kube-prometheus-stack" },
  postgres: {
    host: "psql-agents-prod.postgres.database.azure.com",
    user: "pgadmin",
    database: "postgres",
    subnetCidr: "10.30.8.0/24",
  },
  redis: {
    address: "rediss://redis-agents-prod.westeurope.redis.azure.net:10000",
    subnetCidr: "10.30.9.0/24",
    port: 10000,
  },
};

const envOf = (d: any) =>
  Object.fromEntries(
    (d.spec.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [
      e.name,
      e.value,
    ]),
  );

describe("exporter manifests (pure)", () => {
  const plan = exporterManifests(input);
  const pg = plan.exporters.find((e) => e.key === "postgres")!;
  const redis = plan.exporters.find((e) => e.key === "redis")!;

  it("pins both images to a release, never latest", () => {
    expect(EXPORTER_IMAGES.postgres).toMatch(
      /^quay\.io\/prometheuscommunity\/postgres-exporter:v\d+\.\d+\.\d+$/,
    );
    expect(EXPORTER_IMAGES.redis).toMatch(/^oliver006\/redis_exporter:v\d+\.\d+\.\d+$/);
    expect(pg.deployment.spec.template.spec.containers[0]!.image).toBe(EXPORTER_IMAGES.postgres);
    expect(redis.deployment.spec.template.spec.containers[0]!.image).toBe(EXPORTER_IMAGES.redis);
  });

  it("connects over TLS and reads the credentials from the Key Vault mount", () => {
    const mountPath = pg.deployment.spec.template.spec.containers[0]!.volumeMounts[0]!.mountPath;
    const files = exporterVaultObjects().map((o) => `${mountPath}/${o.key}`);
    expect(envOf(pg.deployment)).toEqual({
      DATA_SOURCE_URI: "psql-agents-prod.postgres.database.azure.com:5432/postgres?sslmode=require",
      DATA_SOURCE_USER: "pgadmin",
      DATA_SOURCE_PASS_FILE: `${mountPath}/postgres-password`,
    });
    const r = envOf(redis.deployment);
    expect(r.REDIS_ADDR).toBe("rediss://redis-agents-prod.westeurope.redis.azure.net:10000");
    expect(r.REDIS_PASSWORD_FILE).toBe(`${mountPath}/redis-password-map.json`);
    expect(files).toEqual(
      expect.arrayContaining([envOf(pg.deployment).DATA_SOURCE_PASS_FILE, r.REDIS_PASSWORD_FILE]),
    );
    for (const e of plan.exporters) {
      const env = JSON.stringify(e.deployment.spec.template.spec.containers[0]!.env);
      expect(env).not.toMatch(/DATA_SOURCE_PASS"|REDIS_PASSWORD"|secretKeyRef/);
      expect(e.deployment.spec.template.spec.volumes).toEqual([
        {
          name: "keyvault",
          csi: {
            driver: "secrets-store.csi.k8s.io",
            readOnly: true,
            volumeAttributes: { secretProviderClass: "data-exporters-keyvault" },
          },
        },
      ]);
    }
  });

  it("mounts the pg_monitor role's password (never the admin's) and the redis_exporter password map", () => {
    expect(exporterVaultObjects()).toEqual([
      { objectName: "postgres-monitor-password", key: "postgres-password" },
      { objectName: "redis-exporter-password-map", key: "redis-password-map.json" },
    ]);
  });

  it("runs under the restricted Pod Security Standard with workload identity, probes and limits", () => {
    for (const e of plan.exporters) {
      const t = e.deployment.spec.template;
      expect(t.metadata.labels["azure.workload.identity/use"]).toBe("true");
      expect(t.spec.serviceAccountName).toBe("data-exporters");
      expect(t.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      const c = t.spec.containers[0]!;
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.readinessProbe.httpGet.port).toBe("metrics");
      expect(c.livenessProbe.httpGet.port).toBe("metrics");
      expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    }
  });

  it("is scraped by ServiceMonitors carrying the selector label and the contract's job names", () => {
    expect(pg.serviceMonitor.metadata.labels.release).toBe("kube-prometheus-stack");
    expect(pg.service.metadata.name).toBe("postgres-exporter");
    expect(redis.service.metadata.name).toBe("redis-exporter");
    expect(pg.serviceMonitor.spec.endpoints[0]!.relabelings).toContainEqual({
      action: "replace",
      targetLabel: "job",
      replacement: "postgres-exporter",
    });
    expect(redis.serviceMonitor.spec.endpoints[0]!.relabelings).toContainEqual({
      action: "replace",
      targetLabel: "job",
      replacement: "redis-exporter",
    });
    for (const e of plan.exporters) {
      expect(e.service.spec.selector).toEqual(e.serviceMonitor.spec.selector.matchLabels);
      expect(e.deployment.spec.template.metadata.labels).toMatchObject(e.service.spec.selector);
    }
  });

  it("lets each exporter reach only DNS and its own target", () => {
    expect(pg.networkPolicy.spec.egress[1]).toEqual({
      to: [{ ipBlock: { cidr: "10.30.8.0/24" } }],
      ports: [{ protocol: "TCP", port: 5432 }],
    });
    expect(redis.networkPolicy.spec.egress[1]).toEqual({
      to: [{ ipBlock: { cidr: "10.30.9.0/24" } }],
      ports: [{ protocol: "TCP", port: 10000 }],
    });
    expect(pg.networkPolicy.spec.ingress[0]!.ports).toEqual([{ protocol: "TCP", port: 9187 }]);
  });

  it("produces only schema-valid objects", async () => {
    await validateManifest(plan.serviceAccount);
    for (const e of plan.exporters) {
      for (const m of [e.deployment, e.service, e.serviceMonitor, e.networkPolicy]) await validateManifest(m);
    }
  });
});

describe("DataExporters under mocks", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await evaluateComponents(async () => {
      const { DataExporters } = await import("../infra/data/exporters");
      const provider = new k8s.Provider("k8s", { kubeconfig: "fake" });
      new DataExporters("exporters", {
        namespace: "monitoring",
        serviceMonitorLabels: { prometheus: "platform" },
        postgres: {
          host: pulumi.output("psql-agents-dev.postgres.database.azure.com"),
          user: "pgadmin",
          subnetCidr: "10.20.8.0/24",
        },
        redis: {
          address: pulumi.output("rediss://redis-agents-dev.westeurope.redis.azure.net:10000"),
          port: 10000,
          subnetCidr: "10.20.9.0/24",
        },
        vaultName: pulumi.output("kv-agents-dev-a1b2c3"),
        tenantId: "11111111-1111-1111-1111-111111111111",
        workloadIdentityClientId: pulumi.output("33333333-0000-0000-0000-0000000000ee"),
        provider,
      });
      return {};
    });
  });

  it("registers both exporters with their Service, ServiceMonitor and NetworkPolicy", () => {
    expect(
      run
        .all("kubernetes:apps/v1:Deployment")
        .map((d) => run.inputsOf(d).metadata.name)
        .sort(),
    ).toEqual(["postgres-exporter", "redis-exporter"]);
    expect(run.all("kubernetes:core/v1:Service")).toHaveLength(2);
    expect(run.all("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toHaveLength(2);
    const monitors = run
      .all("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
      .map((m) => run.inputsOf(m));
    expect(monitors.map((m) => m.metadata.labels.prometheus)).toEqual(["platform", "platform"]);
  });

  it("annotates the service account with the identity and mounts the vault through it", () => {
    const sa = run.inputsOf(run.one("kubernetes:core/v1:ServiceAccount"));
    expect(sa.metadata).toMatchObject({
      name: "data-exporters",
      namespace: "monitoring",
      annotations: { "azure.workload.identity/client-id": "33333333-0000-0000-0000-0000000000ee" },
    });
    const spc = run.inputsOf(run.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"));
    expect(spc.metadata.name).toBe("data-exporters-keyvault");
    expect(spc.spec.parameters.clientID).toBe("33333333-0000-0000-0000-0000000000ee");
    const names = (yaml.load(spc.spec.parameters.objects) as { array: string[] }).array.map(
      (s) => (yaml.load(s) as { objectName: string }).objectName,
    );
    expect(names).toEqual(["postgres-monitor-password", "redis-exporter-password-map"]);
    for (const d of run.all("kubernetes:apps/v1:Deployment")) {
      expect(d.options.dependsOn).toEqual(
        expect.arrayContaining([
          "kubernetes:core/v1:ServiceAccount::exporters-sa",
          "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass::exporters-secrets",
        ]),
      );
    }
    expect(run.all("kubernetes:core/v1:Secret")).toHaveLength(0);
  });

  it("resolves the Postgres host into the DSN and validates every registered object", async () => {
    const pg = run.inputsOf(run.one("kubernetes:apps/v1:Deployment", "exporters-postgres"));
    expect(pg.spec.template.spec.containers[0].env[0]).toEqual({
      name: "DATA_SOURCE_URI",
      value: "psql-agents-dev.postgres.database.azure.com:5432/postgres?sslmode=require",
    });
    for (const r of run.resources) {
      if (
        !r.type.startsWith("kubernetes:") ||
        r.type.includes("secrets-store") ||
        r.type.startsWith("pulumi:")
      )
        continue;
      await validateManifest(run.inputsOf(r) as { apiVersion: string; kind: string });
    }
  });
});

describe("the roles Job: the exporter's pg_monitor role and the app's Entra role (issues 17 and 18)", () => {
  const app = {
    role: "id-agents-prod-agent-api",
    objectId: "44444444-0000-0000-0000-000000000001",
    databases: ["agents", "agents_audit"],
  };
  const plan = monitorRoleManifests({
    namespace: "monitoring",
    secretProviderClassName: "postgres-roles-keyvault",
    host: "psql-agents-prod.postgres.database.azure.com",
    loginUser: "id-agents-prod-pgroles",
    app,
    subnetCidr: "10.30.8.0/24",
  });
  const container = plan.job.spec.template.spec.containers[0]!;

  it("creates the role if missing, sets its password from the vault and grants pg_monitor only", () => {
    const sql = monitorRoleSql();
    expect(sql).toContain(
      "SELECT 'CREATE ROLE metrics_exporter LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'metrics_exporter')\\gexec",
    );
    expect(sql).toMatch(
      /ALTER ROLE metrics_exporter WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE .* PASSWORD :'pw';/,
    );
    expect(sql).toContain("GRANT pg_monitor TO metrics_exporter;");
    expect(sql).not.toMatch(/azure_pg_admin|GRANT ALL|SUPERUSER\b(?<!NOSUPERUSER)/);
    expect(() => monitorRoleSql("x; DROP ROLE pgadmin")).toThrow(/not a plain PostgreSQL role name/);
  });

  it("logs in with an Entra token of its own identity over TLS, never the admin password", () => {
    const script = container.command[2]!;
    expect(script).toContain(monitorRoleSql().trimEnd());
    expect(script).toContain("sslmode=require");
    // The client-credentials grant with the federated token as client assertion, for the Postgres scope.
    expect(script).toContain("grant_type=client_credentials");
    expect(script).toContain('client_assertion=$(cat "$AZURE_FEDERATED_TOKEN_FILE")');
    expect(script).toContain("scope=https%3A%2F%2Fossrdbms-aad.database.windows.net%2F.default");
    expect(script).toContain('"${AZURE_AUTHORITY_HOST%/}/$AZURE_TENANT_ID/oauth2/v2.0/token"');
    expect(script).not.toMatch(/set -x|admin-password/);
    expect(script).toContain('-v pw="$(cat /mnt/secrets/monitor-password)"');
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: "PGHOST", value: "psql-agents-prod.postgres.database.azure.com" },
        { name: "PGUSER", value: "id-agents-prod-pgroles" },
        { name: "APP_ROLE", value: app.role },
        { name: "APP_OBJECT_ID", value: app.objectId },
      ]),
    );
    expect(JSON.stringify(container.env)).not.toMatch(/PASSWORD|secretKeyRef/);
    expect(monitorRoleVaultObjects().map((o) => o.objectName)).toEqual(["postgres-monitor-password"]);
    expect(container.image).toBe(PSQL_IMAGE);
    expect(PSQL_IMAGE).toMatch(/:16\.\d+-alpine$/);
  });

  it("creates the app's Entra role bound to its object id, and grants it its schema in each database only", () => {
    const script = container.command[2]!;
    expect(appRoleSql()).toContain(
      "format('SELECT * FROM pgaadauth_create_principal_with_oid(%L, %L, %L, false, false)', :'app', :'oid', 'service')",
    );
    expect(appRoleSql()).toContain("WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app')\\gexec");
    expect(script).toContain(appRoleSql().trimEnd());
    for (const db of app.databases) {
      expect(script).toContain(
        `dbname=${db} user=$PGUSER sslmode=require" -v ON_ERROR_STOP=1 -v app="$APP_ROLE" <<'SQL'`,
      );
    }
    expect(appGrantsSql()).toContain('GRANT USAGE, CREATE ON SCHEMA public TO :"app";\n');
    // A recreated identity is rebound; a GRANT that only warned is caught and raised.
    expect(appRoleSql()).toContain(
      "SECURITY LABEL FOR \"pgaadauth\" ON ROLE %I IS %L', :'app', 'aadauth,oid=' || :'oid' || ',type=service')\\gexec",
    );
    expect(appGrantsSql()).toMatch(
      /has_schema_privilege\(:'app', 'public', 'CREATE'\) THEN 'SELECT 1' ELSE\s+format\('DO \$\$BEGIN RAISE EXCEPTION/,
    );
    expect(script).toContain('|| { echo "the token request to Entra ID failed');
    expect(appRoleSql() + appGrantsSql()).not.toMatch(/azure_pg_admin|GRANT ALL|SUPERUSER|OWNER/);
    expect(() => checkAppRole({ ...app, role: "x'; DROP" })).toThrow(/not a plain PostgreSQL role name/);
    expect(() => checkAppRole({ ...app, databases: ["a b"] })).toThrow(/not a plain database name/);
  });

  it("reaches Entra ID by name only (Cilium FQDN policy for login.microsoftonline.com:443)", () => {
    expect(plan.entraEgress.spec.endpointSelector).toEqual({ matchLabels: { app: "postgres-monitor-role" } });
    expect(plan.job.spec.template.metadata.labels.app).toBe("postgres-monitor-role");
    expect(plan.entraEgress.spec.egress[1]).toEqual({
      toFQDNs: [{ matchName: "login.microsoftonline.com" }],
      toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
    });
  });

  it("runs restricted, reaches only DNS and Postgres on 5432, and is schema-valid", async () => {
    expect(plan.job.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(plan.networkPolicy.spec.egress[1]).toEqual({
      to: [{ ipBlock: { cidr: "10.30.8.0/24" } }],
      ports: [{ protocol: "TCP", port: 5432 }],
    });
    await validateManifest(plan.job);
    await validateManifest(plan.networkPolicy);
  });
});
