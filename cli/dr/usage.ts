/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run dr:rebuild -- --from <stack> --region <region> [--restore-time <ISO time>] [--stack <name>]
         [--subscription <id>] [--recover-vault <vault>] [--secrets-provider <url>] [--offline --out <dir>]

Rebuilds a stack from nothing in another region: creates the recovery stack from the source stack's config
with the region set and Postgres restored from its geo-redundant backups, previews, updates and runs the
smoke check (Pulumi Automation API). Runbook: docs/runbooks/disaster-recovery.md.

  --from <stack>            the stack to rebuild (e.g. prod), required
  --region <region>         where to rebuild (e.g. northeurope, the paired region), required
  --restore-time <ISO>      Postgres point in time to restore (default now; within backup retention)
  --stack <name>            the recovery stack's name (default <from>-dr)
  --subscription <id>       the source server's subscription (default $ARM_SUBSCRIPTION_ID or $AZURE_SUBSCRIPTION_ID)
  --recover-vault <vault>   recover this soft-deleted Key Vault instead of creating a new one
  --secrets-provider <url>  secrets provider of the new recovery stack (default: Pulumi's own)
  --offline --out <dir>     touch no cloud: write the offline render of the recovery stack to <dir>
  --help                    print this help`;
