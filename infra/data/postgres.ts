import * as pulumi from "@pulumi/pulumi";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import * as monitor from "@pulumi/azure-native/monitor";
import type { PostgresConfig } from "./config";
import { postgresPlan, storageToRequest, type PostgresPlan } from "./postgresPlan";
import { linkedPrivateZone } from "../azure/privateDns";
import { guardCreateOnly } from "../azure/existing";
import { POSTGRES_RESTORE_FIELDS, restoredBackup, type PostgresRestore } from "../recovery";

export interface PostgresArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  stack: string;
  /** The validated `postgres` config section. */
  postgres: PostgresConfig;
  /** Stack-wide zone redundancy: pins the primary and standby to different zones. */
  zoneRedundant: boolean;
  /** Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers (`Network.postgresSubnetId`). */
  delegatedSubnetId: pulumi.Input<string>;
  /** The VNet the private DNS zone is linked to (`Network.vnetId`). */
  vnetId: pulumi.Input<string>;
  /** Entra tenant for Entra ID authentication. */
  tenantId: pulumi.Input<string>;
  /**
   * Workload identities that administer the server besides `postgres.entraAdmin`: the roles Job, which
   * creates the app's Entra role (only an Entra administrator may: pgaadauth_create_principal_with_oid,
   * learn.microsoft.com/azure/postgresql/flexible-server/how-to-manage-azure-ad-users).
   */
  workloadAdmins?: { key: string; objectId: pulumi.Input<string>; principalName: string }[];
  /** The generated admin password (a secret Output; it also lives in Key Vault). */
  administratorLoginPassword: pulumi.Input<string>;
  /** Server logs and metrics go here (`LogAnalytics.workspaceId`). */
  logAnalyticsWorkspaceId: pulumi.Input<string>;
  /** `protect` on the server and databases. */
  protect: boolean;
  tags: Record<string, string>;
  /** Disaster recovery: create the server from another server's backups (`recoveryPlan().postgres`). */
  restore?: PostgresRestore;
}

/**
 * Azure Database for PostgreSQL Flexible Server, private only: VNet-integrated through the delegated subnet
 * with its own private DNS zone, no public endpoint, TLS required, Entra ID + password authentication,
 * zone-redundant HA and geo-redundant backups where the stack asks for them, logs to Log Analytics.
 */
export class Postgres extends pulumi.ComponentResource {
  public readonly serverName: pulumi.Output<string>;
  public readonly serverId: pulumi.Output<string>;
  /** Host name clients connect to (resolves to a private IP inside the VNet). */
  public readonly fqdn: pulumi.Output<string>;
  public readonly adminLogin: string;
  public readonly databaseNames: string[];

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("monitoring-platform:data:Postgres", name, {}, opts);
    let plan: PostgresPlan;
    try {
      plan = postgresPlan({ stack: args.stack, postgres: args.postgres, zoneRedundant: args.zoneRedundant });
    } catch (e) {
      throw new pulumi.ResourceError((e as Error).message, this);
    }

    // A VNet-integrated server needs its private DNS zone linked to the VNet *before* it is created.
    const { zone, link } = linkedPrivateZone(
      name,
      {
        zoneName: plan.privateDnsZoneName,
        linkName: `${plan.serverName}-vnet`,
        resourceGroupName: args.resourceGroupName,
        vnetId: args.vnetId,
        tags: args.tags,
      },
      this,
    );

    const storage = this.storageRequest(args, plan);
    const server = this.server(name, args, plan, storage, zone.id, link);
    this.serverContents(name, args, plan, server);
    this.diagnostics(name, args, server);
    this.serverName = server.name;
    this.serverId = server.id;
    this.fqdn = server.fullyQualifiedDomainName;
    this.adminLogin = args.postgres.adminLogin;
    this.databaseNames = plan.databases;
    this.registerOutputs({ serverName: this.serverName, fqdn: this.fqdn });
  }

  // Day 2: storage auto-grow raises the disk behind Pulumi's back, and Azure refuses any request for a
  // smaller size ("Storage size cannot be decreased", learn.microsoft.com/azure/postgresql/flexible-server/
  // how-to-auto-grow-storage). So the size asked for is never below what the server has now; a larger
  // size in config still grows it. Geo-redundant backup is fixed at creation: refused with a clear message.
  private storageRequest(args: PostgresArgs, plan: PostgresPlan) {
    return pulumi.output(args.resourceGroupName).apply(async (rg) => {
      const current = await guardCreateOnly(
        `Postgres server ${plan.serverName}`,
        () =>
          dbforpostgresql.getServer({ resourceGroupName: rg, serverName: plan.serverName }, { parent: this }),
        (live) => [
          {
            key: "postgres.geoRedundantBackup",
            current: live.backup?.geoRedundantBackup === "Enabled",
            // A geo-restored server is created locally redundant on purpose (infra/recovery.ts).
            desired: restoredBackup(plan.backup, args.restore).geoRedundantBackup === "Enabled",
            how: "restore a backup into a new server with the setting you want (docs/runbooks/disaster-recovery.md)",
          },
        ],
        this,
      );
      return storageToRequest(plan.storage, current?.storage?.storageSizeGB);
    });
  }

  private server(
    name: string,
    args: PostgresArgs,
    plan: PostgresPlan,
    storage: dbforpostgresql.ServerArgs["storage"],
    privateDnsZoneId: pulumi.Input<string>,
    link: pulumi.Resource,
  ): dbforpostgresql.Server {
    return new dbforpostgresql.Server(
      `${name}-server`,
      {
        serverName: plan.serverName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        version: plan.version,
        sku: plan.sku,
        storage,
        availabilityZone: plan.availabilityZone,
        highAvailability: plan.highAvailability,
        backup: restoredBackup(plan.backup, args.restore),
        network: {
          delegatedSubnetResourceId: args.delegatedSubnetId,
          privateDnsZoneArmResourceId: privateDnsZoneId,
          publicNetworkAccess: "Disabled",
        },
        authConfig: { activeDirectoryAuth: "Enabled", passwordAuth: "Enabled", tenantId: args.tenantId },
        administratorLogin: args.postgres.adminLogin,
        administratorLoginPassword: pulumi.secret(args.administratorLoginPassword),
        tags: args.tags,
        // Recovery stack only: createMode PointInTimeRestore/GeoRestore + sourceServerResourceId +
        // pointInTimeUTC make ARM build the server from the source's backups instead of an empty one.
        ...(args.restore ?? {}),
      },
      {
        parent: this,
        dependsOn: [link],
        // The data lives here: with protect, neither an update that would replace the server nor a
        // `pulumi destroy` can delete it; removing it takes an explicit `pulumi state unprotect`.
        protect: args.protect,
        // Geo-redundant backup can only be chosen when the server is created; Azure refuses to change it
        // later. Declaring it replace-on-change makes a flip show up in `pulumi preview` as a *replace* of
        // the server instead of an opaque ARM error mid-update; with protect on (always in prod) Pulumi then
        // refuses the replace, so the only way through is a deliberate migration (restore into a new server).
        replaceOnChanges: ["backup.geoRedundantBackup"],
        // The name is fixed (clients and the DNS zone use it), so a replacement must delete first.
        deleteBeforeReplace: true,
        // After an HA failover Azure swaps primary and standby zones; reverting that is not our business
        // and would otherwise show as drift on every preview
        // (learn.microsoft.com/azure/postgresql/flexible-server/concepts-high-availability, "failover").
        // The performance tier follows the disk size Azure chose when it auto-grew it; not ours to revert.
        ignoreChanges: [
          "availabilityZone",
          "highAvailability.standbyAvailabilityZone",
          "storage.tier",
          // Restore inputs only act at creation; ignoring them afterwards means a later change of the
          // recovery section (a new restore time, another source) never plans a replacement of the
          // restored server. Only in a recovery stack, so a normal stack's registration is unchanged.
          ...(args.restore ? POSTGRES_RESTORE_FIELDS : []),
        ],
      },
    );
  }

  /** The Entra administrator, the server parameters one after another, then the databases. */
  private serverContents(
    name: string,
    args: PostgresArgs,
    plan: PostgresPlan,
    server: dbforpostgresql.Server,
  ): void {
    // Entra authentication needs an Entra administrator; it can then create Entra roles for people and
    // workload identities (passwordless) alongside the password-authenticated admin.
    const entraAdmin = new dbforpostgresql.AdministratorsMicrosoftEntra(
      `${name}-entra-admin`,
      {
        serverName: server.name,
        resourceGroupName: args.resourceGroupName,
        objectId: args.postgres.entraAdmin.objectId,
        principalName: args.postgres.entraAdmin.principalName,
        principalType: args.postgres.entraAdmin.principalType,
        tenantId: args.tenantId,
      },
      { parent: this },
    );

    // One administrator operation at a time, like the parameters below.
    let previous: pulumi.Resource = entraAdmin;
    for (const a of args.workloadAdmins ?? []) {
      previous = new dbforpostgresql.AdministratorsMicrosoftEntra(
        `${name}-entra-admin-${a.key}`,
        {
          serverName: server.name,
          resourceGroupName: args.resourceGroupName,
          objectId: a.objectId,
          principalName: a.principalName,
          principalType: "ServicePrincipal",
          tenantId: args.tenantId,
        },
        { parent: this, dependsOn: [previous] },
      );
    }

    // Server parameters one after another: the server rejects a parameter change while another is running.
    for (const c of plan.configurations) {
      previous = new dbforpostgresql.Configuration(
        `${name}-param-${c.name}`,
        {
          configurationName: c.name,
          serverName: server.name,
          resourceGroupName: args.resourceGroupName,
          value: c.value,
          source: "user-override",
        },
        { parent: this, dependsOn: [previous] },
      );
    }

    for (const db of plan.databases) {
      new dbforpostgresql.Database(
        `${name}-db-${db}`,
        {
          databaseName: db,
          serverName: server.name,
          resourceGroupName: args.resourceGroupName,
          charset: "UTF8",
          collation: "en_US.utf8",
        },
        // Dropping a database drops its data; protected like the server.
        { parent: this, protect: args.protect, dependsOn: [previous] },
      );
    }
  }

  private diagnostics(name: string, args: PostgresArgs, server: dbforpostgresql.Server): void {
    // Postgres logs (connections, errors, slow queries) and platform metrics next to the cluster's logs.
    new monitor.DiagnosticSetting(
      `${name}-diagnostics`,
      {
        name: "to-log-analytics",
        resourceUri: server.id,
        workspaceId: args.logAnalyticsWorkspaceId,
        logs: [{ categoryGroup: "allLogs", enabled: true }],
        metrics: [{ category: "AllMetrics", enabled: true }],
      },
      { parent: this },
    );
  }
}
