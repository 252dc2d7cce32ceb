/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run render -- --stack <dev|prod> [--out <dir>] [--config <stack-file>]

Evaluates infra/index.ts offline (Pulumi mock runtime: no CLI, credentials or network) with the config of
Pulumi.<stack>.yaml and writes resources.json, manifests/ and alertmanager.yaml.

  --stack <name>    stack to render (required): dev, prod, or any stack with a Pulumi.<name>.yaml
  --out <dir>       output directory (default out/<stack>; emptied first)
  --config <file>   render this stack file instead of Pulumi.<stack>.yaml
  --help            print this help`;
