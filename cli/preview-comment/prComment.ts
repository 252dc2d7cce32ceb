/**
 * Pure: the pull-request comment for one stack's `pulumi preview`: summary first (outcome, the
 * "Resources:" counts, policy violations and errors pulled out of the log), the full log folded below,
 * cut to GitHub's comment limit with a link to the run when it does not fit.
 */

/** GitHub refuses comment bodies over 65,536 characters (REST API "body is too long"); leave headroom. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Hidden marker the workflow finds its own comment by, one per stack, so each push edits it. */
export const previewMarker = (stack: string) => `<!-- pulumi-preview:${stack} -->`;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The block that starts at the first line matching `start` and runs to the next blank line after content. */
function block(lines: string[], start: RegExp): string[] {
  const i = lines.findIndex((l) => start.test(l));
  if (i < 0) return [];
  const out = [lines[i]!];
  for (const l of lines.slice(i + 1)) {
    if (!l.trim() && out.length > 1) break;
    if (l.trim()) out.push(l);
  }
  return out;
}

/**
 * The parts a reviewer needs first, from Pulumi CLI output: the "Resources:" summary, the "Policies:" /
 * "Policy Violations:" section (CrossGuard's report), and `error:` diagnostics.
 */
export function previewSummary(log: string): { resources: string[]; policies: string[]; errors: string[] } {
  const lines = log.replace(ANSI, "").replace(/\r/g, "").split("\n");
  return {
    resources: block(lines, /^Resources:\s*$/),
    policies: block(lines, /^(Policies|Policy Violations):\s*$/),
    errors: [...new Set(lines.filter((l) => /^\s*error:/.test(l)).map((l) => l.trim()))].slice(0, 20),
  };
}

function fence(body: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

export interface PreviewCommentInput {
  stack: string;
  /** Combined stdout/stderr of `pulumi preview`. */
  log: string;
  exitCode: number;
  /** The workflow run, where the full log is kept as an artifact. */
  runUrl: string;
  maxChars?: number;
}

export function previewComment(p: PreviewCommentInput): string {
  const max = p.maxChars ?? GITHUB_COMMENT_LIMIT - 1_536;
  const s = previewSummary(p.log);
  const clean = p.log.replace(ANSI, "").replace(/\r/g, "");
  const outcome =
    p.exitCode === 0
      ? "✅ preview succeeded, every policy holds"
      : s.policies.some((l) => /mandatory/i.test(l))
        ? "❌ a mandatory policy failed: `pulumi up` would refuse"
        : "❌ preview failed";
  const head = [
    previewMarker(p.stack),
    `### Pulumi preview: ${p.stack}`,
    "",
    `${outcome} ([run](${p.runUrl}))`,
    "",
  ];
  const pre = (title: string, lines: string[]) => {
    if (!lines.length) return [];
    const body = lines.join("\n");
    const f = fence(body);
    return [`**${title}**`, "", `${f}text`, body, f, ""];
  };
  head.push(
    ...pre("Resources", s.resources.slice(1)),
    ...pre("Policies", s.policies),
    ...pre("Errors", s.errors),
  );
  const top = head.join("\n");
  const open = "<details><summary>Full preview output</summary>\n\n";
  const close = "\n</details>\n";
  const f = fence(clean);
  const full = `${open}${f}text\n${clean}\n${f}${close}`;
  if (top.length + full.length <= max) return top + full;
  const cutNote = `\n✂️ Output cut to fit the comment limit: the full log is in the [run](${p.runUrl}) (artifact \`preview-${p.stack}\`).\n`;
  const room = Math.max(
    0,
    max - top.length - open.length - close.length - cutNote.length - 2 * f.length - 16,
  );
  // Cut at a line boundary so a reader never sees half a line as if it were whole.
  const kept = clean.slice(0, room).replace(/\n[^\n]*$/, "");
  return `${top}${open}${f}text\n${kept}\n${f}\n${cutNote}${close}`;
}
