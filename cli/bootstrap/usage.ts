/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run bootstrap:state -- --location <region> --account <storage account> --vault <key vault>
         [--resource-group rg-pulumi-state] [--container pulumi-state] [--key pulumi-stacks]
         [--assignee <object id>] [--retention-days 30]

Creates (idempotently, with the Azure CLI after \`az login\`) the Pulumi state backend and the azurekeyvault
secrets provider, and prints the \`pulumi login\` and \`--secrets-provider\` to use.

  --location <region>         Azure region of the state resources, required
  --account <name>            storage account holding the state (globally unique), required
  --vault <name>              Key Vault holding the stack-encryption key, required
  --resource-group <name>     default rg-pulumi-state
  --container <name>          blob container of the state, default pulumi-state
  --key <name>                Key Vault key that encrypts stack secrets, default pulumi-stacks
  --assignee <object id>      who gets the data-plane roles (default: the signed-in user)
  --retention-days <n>        blob soft-delete and versioning retention, default 30
  --help                      print this help`;
