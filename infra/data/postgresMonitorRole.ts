/**
 * The login role postgres_exporter connects with: `pg_monitor` only, never the server admin (issue 17,
 * item 7). Before, the exporter held the admin password (member of azure_pg_admin, CREATEROLE, CREATEDB):
 * a compromised exporter pod could read and change every database.
 *
 * Why a Job: Azure Database for PostgreSQL flexible server has no ARM (so no azure-native) resource for a
 * database role; roles are SQL, created by the admin ("Use this admin role to create more PostgreSQL roles
 * ... Don't use the admin role for applications", learn.microsoft.com/azure/postgresql/security/
 * security-access-control). The admin has CREATEROLE, and `pg_monitor` is one of the predefined roles the
 * service offers (same page; learn.microsoft.com training "Describe built-in Azure Database for PostgreSQL
 * server roles"). The Entra-admin resource (dbforpostgresql.Administrator) only makes azure_pg_admin
 * members, and postgres_exporter cannot fetch Entra tokens, so a password role it is.
 *
 * The Job runs psql in the monitoring namespace with its own workload identity, the only one that may read
 * the admin password (the exporters' identity reads only the monitor password). It is idempotent: it
 * creates the role if missing and sets its password from Key Vault every time it runs, so re-running it is
 * also how the monitor password is rotated (replace the Job: `pulumi up --replace <urn>`). Pulumi waits for
 * the Job to complete (the Kubernetes provider's await logic for Jobs), and the exporter depends on it.
 * Honest limits: the password travels as a literal in `ALTER ROLE … PASSWORD`, so a server with
 * `log_statement = ddl|all` would log it (our servers keep Azure's default, `none`); and nothing here was
 * run against a real server (no cloud in CI): the SQL is psql's documented `\gexec` and `:'var'` syntax.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { k8sLabels } from "../naming";
import { VAULT_SECRETS } from "../azure/secrets";
import { csiSecretsVolume, registerSecretProviderClass, type VaultObject } from "../kubernetes/secretSync";
import {
  dnsEgressRule,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "../kubernetes/namespace";

/** The role postgres_exporter logs in as. */
export const PG_MONITOR_ROLE = "metrics_exporter";
/** psql from the official image, the server's major version; pinned like the exporters. */
export const PSQL_IMAGE = "docker.io/library/postgres:16.10-alpine";
/** The service account the Job runs as (federated to its own identity in infra/index.ts). */
export const PG_ROLES_SERVICE_ACCOUNT = "postgres-roles";
const NAME = "postgres-monitor-role";
const SECRETS_DIR = "/mnt/secrets";
const FILES = { admin: "admin-password", monitor: "monitor-password" } as const;
// The postgres user of the official alpine image.
const UID = 70;

/** The two secrets the Job reads: the admin's to log in, the monitor role's to set. */
export function monitorRoleVaultObjects(): VaultObject[] {
  return [
    { objectName: VAULT_SECRETS.postgresAdminPassword, key: FILES.admin },
    { objectName: VAULT_SECRETS.postgresMonitorPassword, key: FILES.monitor },
  ];
}

/**
 * The SQL, fed to psql on stdin (psql interpolates `:'pw'` only in script input, not in `-c`). Creates the
 * role if missing (`\gexec` runs the generated statement), then sets login, limits and password, and grants
 * pg_monitor (PostgreSQL docs, "Predefined Roles": read all pg_stat_* views and settings, execute
 * monitoring functions; no table data).
 */
export function monitorRoleSql(role: string = PG_MONITOR_ROLE): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`"${role}" is not a plain PostgreSQL role name`);
  return [
    `SELECT 'CREATE ROLE ${role} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}')\\gexec`,
    `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 3 PASSWORD :'pw';`,
    `GRANT pg_monitor TO ${role};`,
    "",
  ].join("\n");
}

export interface MonitorRolePlanInput {
  namespace: string;
  secretProviderClassName: string;
  host: string;
  adminUser: string;
  /** The Postgres subnet (egress on 5432 only). */
  subnetCidr: string;
}

/** Pure: the Job and its NetworkPolicy (the ServiceAccount and SecretProviderClass are added by the component). */
export function monitorRoleManifests(input: MonitorRolePlanInput) {
  const labels = k8sLabels(NAME, "setup", "monitoring-platform");
  const selector = { "app.kubernetes.io/name": NAME };
  const script = [
    "set -eu",
    `export PGPASSWORD="$(cat ${SECRETS_DIR}/${FILES.admin})"`,
    `psql "host=$PGHOST port=5432 dbname=postgres user=$PGUSER sslmode=require" -v ON_ERROR_STOP=1 ` +
      `-v pw="$(cat ${SECRETS_DIR}/${FILES.monitor})" <<'SQL'`,
    monitorRoleSql().trimEnd(),
    "SQL",
  ].join("\n");
  const job = {
    apiVersion: "batch/v1" as const,
    kind: "Job" as const,
    metadata: { name: NAME, namespace: input.namespace, labels },
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 600,
      template: {
        metadata: { labels: { ...labels, ...selector, "azure.workload.identity/use": "true" } },
        spec: {
          serviceAccountName: PG_ROLES_SERVICE_ACCOUNT,
          automountServiceAccountToken: false,
          restartPolicy: "OnFailure",
          securityContext: restrictedPodSecurityContext(UID),
          containers: [
            {
              name: "psql",
              image: PSQL_IMAGE,
              imagePullPolicy: "IfNotPresent",
              command: ["/bin/sh", "-c", script],
              env: [
                { name: "PGHOST", value: input.host },
                { name: "PGUSER", value: input.adminUser },
                // psql writes no history in script mode; HOME only keeps it from probing an unwritable dir.
                { name: "HOME", value: "/tmp" },
              ],
              resources: {
                requests: { cpu: "10m", memory: "32Mi" },
                limits: { cpu: "200m", memory: "64Mi" },
              },
              securityContext: restrictedContainerSecurityContext(),
              volumeMounts: [
                { name: "keyvault", mountPath: SECRETS_DIR, readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            csiSecretsVolume("keyvault", input.secretProviderClassName),
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  };
  const networkPolicy = {
    apiVersion: "networking.k8s.io/v1" as const,
    kind: "NetworkPolicy" as const,
    metadata: { name: NAME, namespace: input.namespace, labels },
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ["Ingress", "Egress"],
      ingress: [],
      egress: [
        dnsEgressRule(),
        { to: [{ ipBlock: { cidr: input.subnetCidr } }], ports: [{ protocol: "TCP", port: 5432 }] },
      ],
    },
  };
  return { job, networkPolicy };
}

export interface PostgresMonitorRoleArgs {
  namespace: string;
  /** Postgres server FQDN. */
  host: pulumi.Input<string>;
  /** The server admin login the Job connects as. */
  adminUser: string;
  subnetCidr: string;
  vaultName: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  /** Client id of the identity allowed to read the admin and the monitor password (and nothing else). */
  workloadIdentityClientId: pulumi.Input<string>;
  provider: k8s.Provider;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Creates the `pg_monitor` login role the exporter uses; see the file comment for why a Job. */
export class PostgresMonitorRole extends pulumi.ComponentResource {
  /** The role name, for the exporter's DATA_SOURCE_USER. */
  public readonly role: string = PG_MONITOR_ROLE;

  constructor(name: string, args: PostgresMonitorRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:data:PostgresMonitorRole", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
    const secretProviderClassName = `${PG_ROLES_SERVICE_ACCOUNT}-keyvault`;
    const labels = k8sLabels(NAME, "setup", "monitoring-platform");
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          name: PG_ROLES_SERVICE_ACCOUNT,
          namespace: args.namespace,
          labels,
          annotations: { "azure.workload.identity/client-id": args.workloadIdentityClientId },
        },
      },
      k8sOpts,
    );
    const spc = registerSecretProviderClass(
      `${name}-secrets`,
      {
        name: secretProviderClassName,
        namespace: args.namespace,
        vaultName: args.vaultName,
        tenantId: args.tenantId,
        clientId: args.workloadIdentityClientId,
        secrets: monitorRoleVaultObjects(),
        labels,
      },
      k8sOpts,
    );
    const policy = (host: string) =>
      monitorRoleManifests({
        namespace: args.namespace,
        secretProviderClassName,
        host,
        adminUser: args.adminUser,
        subnetCidr: args.subnetCidr,
      });
    const np = new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, policy("-").networkPolicy, k8sOpts);
    new k8s.batch.v1.Job(
      `${name}-job`,
      pulumi.output(args.host).apply((h) => policy(h).job),
      {
        ...k8sOpts,
        dependsOn: [...(args.dependsOn ?? []), sa, spc, np],
      },
    );
    this.registerOutputs({});
  }
}
