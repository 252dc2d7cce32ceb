/** `npm run … -- --help` (printed by cli/run.cjs before anything else is loaded) and the usage-error text. */
export const USAGE = `usage: npm run preview:comment -- --stack <name> --log <file> --exit-code <n> --run-url <url>

Prints the pull-request comment for one stack's \`pulumi preview\` (.github/workflows/preview.yml edits it in
place on every push): the summary of changes first, replacements and deletions called out, the log folded.

  --stack <name>    the stack that was previewed
  --log <file>      the output of \`pulumi preview\`
  --exit-code <n>   the exit code of \`pulumi preview\`
  --run-url <url>   the workflow run, linked from the comment
  --help            print this help`;
