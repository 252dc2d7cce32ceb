/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run policy:check -- (--stack <name> | --render <dir>) [--policy-config <file>]

Runs the platform's policies (policy/policies/, the same checks as the CrossGuard pack in policy/) over an
offline render. Exit 0: every promise holds; 1: findings (each names the policy and the resource); 2: bad
usage or a render that failed.

  --stack <name>          render Pulumi.<name>.yaml offline into a temporary directory and check it
  --render <dir>          check an existing render (its resources.json)
  --policy-config <file>  CrossGuard --policy-pack-config file (default policy/config.<stack>.json)
  --help                  print this help`;
