/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run render:diff -- <base-dir> <head-dir> [--max-chars N | --full] [--full-diff-url URL]

A markdown diff of two offline renders for a pull-request comment: replacements first, then resources
added, removed and changed, with every changed value in full. Reads only resources.json, where secrets are
already "[secret]".

  <base-dir> <head-dir>  two render directories (npm run render -- --stack <name> --out <dir>)
  --max-chars N          cut between resources to fit N characters (at least 1000; default 65536, what a
                         GitHub comment holds)
  --full                 never cut (the whole diff, e.g. for a workflow artifact)
  --full-diff-url URL    where the cut comment links the whole diff
  --help                 print this help`;
