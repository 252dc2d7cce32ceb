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
 * The Job also creates the app's login role (issue 18, item 2): an Entra ID role bound to the app's workload
 * identity (pgaadauth_create_principal_with_oid, object type "service"), granted USAGE and CREATE on the
 * public schema of its databases (its tables are its own; see appGrantsSql) — not the admin, not a member
 * of azure_pg_admin. Only an Entra administrator may create Entra roles
 * (learn.microsoft.com/azure/postgresql/flexible-server/how-to-manage-azure-ad-users), so the Job's own
 * identity is one (infra/index.ts, Postgres `workloadAdmins`) and logs in with an Entra token, never the
 * admin password: nobody in the cluster reads that any more; it stays in Key Vault for break-glass.
 *
 * The token: the Job exchanges its federated service-account token for an Entra access token with the
 * OAuth 2.0 client-credentials grant and a client assertion (learn.microsoft.com/entra/identity-platform/
 * v2-oauth2-client-creds-grant-flow, "Third case: Access token request with a federated credential"), for
 * the Postgres scope https://ossrdbms-aad.database.windows.net/.default, using the variables the workload
 * identity webhook injects (AZURE_AUTHORITY_HOST, AZURE_TENANT_ID, AZURE_CLIENT_ID,
 * AZURE_FEDERATED_TOKEN_FILE), with busybox wget (the alpine base ships busybox, ssl_client and the CA
 * bundle, which its HTTPS needs). The token is psql's password; `set -x` is never on, so it is not logged.
 *
 * The Job runs psql in the monitoring namespace with its own workload identity (it reads only the monitor
 * password, to set it; the exporters' identity reads only that password too). It is idempotent: it
 * creates the role if missing and sets its password from Key Vault every time it runs, so re-running it is
 * also how the monitor password is rotated (replace the Job: `pulumi up --replace <urn>`). Pulumi waits for
 * the Job to complete (the Kubernetes provider's await logic for Jobs), and the exporter depends on it.
 * Honest limits: the monitor password travels as a literal in `ALTER ROLE … PASSWORD`, so a server with
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
  ENTRA_TOKEN_FQDN,
  fqdnEgressPolicy,
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
const FILES = { monitor: "monitor-password" } as const;
/** The scope of Entra ID tokens for Azure Database for PostgreSQL. */
export const POSTGRES_ENTRA_SCOPE = "https://ossrdbms-aad.database.windows.net/.default";
// The postgres user of the official alpine image.
const UID = 70;

/** The one secret the Job reads: the monitor role's password, to set it (it logs in with an Entra token). */
export function monitorRoleVaultObjects(): VaultObject[] {
  return [{ objectName: VAULT_SECRETS.postgresMonitorPassword, key: FILES.monitor }];
}

const PLAIN_ROLE = /^[a-z_][a-z0-9_-]{0,62}$/;

/**
 * The app's Entra role, run in the `postgres` database: created if missing, bound to the identity's object
 * id (a later rename of the identity keeps the binding). psql variables `:'app'`/`:'oid'` carry the values.
 */
export function appRoleSql(): string {
  return [
    "SELECT format('SELECT * FROM pgaadauth_create_principal_with_oid(%L, %L, %L, false, false)', :'app', :'oid', 'service')",
    "  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app')\\gexec",
    // An existing role keeps the object id it was created with; a recreated identity has a new one. The
    // documented way to rebind it (how-to-manage-azure-ad-users, "SECURITY LABEL … pgaadauth"), every run.
    "SELECT format('SECURITY LABEL FOR \"pgaadauth\" ON ROLE %I IS %L', :'app', 'aadauth,oid=' || :'oid' || ',type=service')\\gexec",
    "",
  ].join("\n");
}

/**
 * The app role's rights in one of its databases (run connected to it): USAGE and CREATE on schema public,
 * so its migrations can create (and then own) its tables. CONNECT and TEMPORARY need no grant: PUBLIC holds
 * them on every database by default (PostgreSQL docs, "Privileges", default privileges). Since PostgreSQL 15
 * schema public belongs to pg_database_owner, so this grant needs the Job's role to act for the database
 * owner: databases created through ARM are owned by the server's admin roles, of which an Entra admin is a
 * member (azure_pg_admin), and Azure makes azure_pg_admin the owner of schema public. Not run against a real
 * server; if the grant is not honoured, the check below raises and `pulumi up` stops at the Job.
 */
export function appGrantsSql(): string {
  return [
    `GRANT USAGE, CREATE ON SCHEMA public TO :"app";`,
    // A GRANT by a role without the grant right is only a WARNING (PostgreSQL docs, GRANT, "Notes"), which
    // ON_ERROR_STOP lets through: check the right and raise, so the Job fails instead of the app later.
    "SELECT CASE WHEN has_schema_privilege(:'app', 'public', 'CREATE') THEN 'SELECT 1' ELSE",
    "  format('DO $$BEGIN RAISE EXCEPTION %L; END$$', 'role ' || :'app' || ' did not get CREATE on schema public of ' || current_database()) END\\gexec",
    "",
  ].join("\n");
}

/**
 * Checks the names that end up in the shell script (from config and naming). The object id comes from
 * Azure and reaches SQL only through an environment variable and psql's quoting (`:'oid'`).
 */
export function checkAppRole(app: { role: string; objectId: string; databases: readonly string[] }): void {
  if (!PLAIN_ROLE.test(app.role)) throw new Error(`"${app.role}" is not a plain PostgreSQL role name`);
  for (const d of app.databases) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(d)) throw new Error(`"${d}" is not a plain database name`);
  }
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
  /** The Job's own Entra principal name (an administrator of the server). */
  loginUser: string;
  /** The app's Entra role: name, the identity's object id, the databases it uses. */
  app: { role: string; objectId: string; databases: readonly string[] };
  /** The Postgres subnet (egress on 5432 only). */
  subnetCidr: string;
}

/** Pure: the Job and its NetworkPolicy (the ServiceAccount and SecretProviderClass are added by the component). */
export function monitorRoleManifests(input: MonitorRolePlanInput) {
  const labels = k8sLabels(NAME, "setup", "monitoring-platform");
  const selector = { "app.kubernetes.io/name": NAME };
  checkAppRole(input.app);
  const psql = (db: string) =>
    `psql "host=$PGHOST port=5432 dbname=${db} user=$PGUSER sslmode=require" -v ON_ERROR_STOP=1 -v app="$APP_ROLE"`;
  const script = [
    "set -eu",
    // The federated token for an Entra access token (see the file comment); the response is JSON.
    `response="$(wget -q -O - --post-data "client_id=$AZURE_CLIENT_ID&scope=${encodeURIComponent(POSTGRES_ENTRA_SCOPE)}` +
      `&grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer` +
      `&client_assertion=$(cat "$AZURE_FEDERATED_TOKEN_FILE")" "\${AZURE_AUTHORITY_HOST%/}/$AZURE_TENANT_ID/oauth2/v2.0/token")" ` +
      `|| { echo "the token request to Entra ID failed (a new federated credential can take a minute: the Job retries)" >&2; exit 1; }`,
    `PGPASSWORD="$(printf '%s' "$response" | sed -n 's/.*"access_token":"\\([^"]*\\)".*/\\1/p')"`,
    `[ -n "$PGPASSWORD" ] || { echo "no Entra access token for Postgres (is the identity federated?)" >&2; exit 1; }`,
    "export PGPASSWORD",
    `${psql("postgres")} -v pw="$(cat ${SECRETS_DIR}/${FILES.monitor})" -v oid="$APP_OBJECT_ID" <<'SQL'`,
    monitorRoleSql().trimEnd(),
    appRoleSql().trimEnd(),
    "SQL",
    ...input.app.databases.flatMap((db) => [`${psql(db)} <<'SQL'`, appGrantsSql().trimEnd(), "SQL"]),
  ].join("\n");
  const job = {
    apiVersion: "batch/v1" as const,
    kind: "Job" as const,
    metadata: { name: NAME, namespace: input.namespace, labels },
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: 600,
      template: {
        metadata: {
          labels: { ...labels, ...selector, app: NAME, "azure.workload.identity/use": "true" },
        },
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
                { name: "PGUSER", value: input.loginUser },
                { name: "APP_ROLE", value: input.app.role },
                { name: "APP_OBJECT_ID", value: input.app.objectId },
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
  // The Entra token endpoint by name (Cilium FQDN policy, allowed in addition to the NetworkPolicy above).
  const entraEgress = fqdnEgressPolicy(NAME, input.namespace, { names: [ENTRA_TOKEN_FQDN], ports: [443] });
  return { job, networkPolicy, entraEgress };
}

export interface PostgresMonitorRoleArgs {
  namespace: string;
  /** Postgres server FQDN. */
  host: pulumi.Input<string>;
  /** The Job's identity's Entra principal name (made an administrator of the server). */
  loginUser: string;
  /** The app's Entra role to create: its name, the identity's object id, its databases. */
  app: { role: string; objectId: pulumi.Input<string>; databases: readonly string[] };
  subnetCidr: string;
  vaultName: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  /** Client id of the Job's identity: an Entra admin of the server, reads the monitor password only. */
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
    const plan = (host: string, objectId: string) =>
      monitorRoleManifests({
        namespace: args.namespace,
        secretProviderClassName,
        host,
        loginUser: args.loginUser,
        app: { ...args.app, objectId },
        subnetCidr: args.subnetCidr,
      });
    const offline = plan("-", "00000000-0000-0000-0000-000000000000");
    const np = new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, offline.networkPolicy, k8sOpts);
    const cnp = new k8s.apiextensions.CustomResource(`${name}-entra-egress`, offline.entraEgress, k8sOpts);
    new k8s.batch.v1.Job(
      `${name}-job`,
      pulumi.all([args.host, args.app.objectId]).apply(([h, oid]) => plan(h, oid).job),
      {
        ...k8sOpts,
        dependsOn: [...(args.dependsOn ?? []), sa, spc, np, cnp],
      },
    );
    this.registerOutputs({});
  }
}
