#!/usr/bin/env bash
# `npm run -s identity -- [<base-ref>]`: proves a restructuring changed no behaviour. Runs the same commands,
# through the npm scripts users type, in a clean checkout of <base-ref> (default HEAD) and in this working
# tree, and compares byte for byte: both renders (every file), policy:check, render:diff, dr:rebuild
# --offline, a config error, and each command's --help and usage errors (stdout, stderr and exit code).
# Prints one line per output and exits 1 on any difference, with the diff.
set -euo pipefail
head_root="$(cd "$(dirname "$0")/.." && pwd)"
base_ref="${1:-HEAD}"
if [[ "$base_ref" == "--help" || "$base_ref" == "-h" ]]; then
  echo "usage: npm run -s identity -- [<base-ref>]   (default HEAD: compares the working tree with the last commit)"
  exit 0
fi
git -C "$head_root" rev-parse --verify --quiet "$base_ref^{commit}" >/dev/null || {
  echo "identity: '$base_ref' is not a commit here (try: git log --oneline | head)" >&2
  exit 2
}
work="$(mktemp -d)"
base_root="$work/base"
cleanup() {
  git -C "$head_root" worktree remove --force "$base_root" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$head_root" worktree add --detach --quiet "$base_root" "$base_ref"
ln -s "$head_root/node_modules" "$base_root/node_modules"

# One restore time for both trees (dr:rebuild refuses one outside retention, which moves with the clock).
restore_time="$(date -u -d 'yesterday 00:00' +%Y-%m-%dT%H:%M:%SZ)"

capture() { # tree outdir name -- command...
  local tree="$1" dir="$2" name="$3"
  shift 4
  local code=0
  (cd "$tree" && "$@") >"$dir/$name.stdout" 2>"$dir/$name.stderr" || code=$?
  echo "$code" >"$dir/$name.code"
  # Allowed to differ: the checkout's absolute path, and the render's own timing ("in 2946 ms").
  sed -i -E "s#$tree#<root>#g; s/ in [0-9]+ ms\b/ in <n> ms/g" "$dir/$name.stdout" "$dir/$name.stderr"
}

run_all() { # tree outdir
  local t="$1" d="$2"
  mkdir -p "$d"
  rm -rf "$t/identity-out" && mkdir -p "$t/identity-out"
  sed -e 's/^  monitoring-platform:environment: dev$/  monitoring-platform:environment: prod/' \
    "$t/Pulumi.dev.yaml" >"$t/identity-out/Pulumi.bad.yaml"
  capture "$t" "$d" render-dev -- npm run -s render -- --stack dev --out identity-out/dev
  capture "$t" "$d" render-prod -- npm run -s render -- --stack prod --out identity-out/prod
  capture "$t" "$d" render-bad-config -- npm run -s render -- --stack dev --config identity-out/Pulumi.bad.yaml --out identity-out/bad
  capture "$t" "$d" render-help -- npm run -s render -- --help
  capture "$t" "$d" render-no-stack -- npm run -s render --
  capture "$t" "$d" diff -- npm run -s render:diff -- identity-out/dev identity-out/prod
  capture "$t" "$d" policy-dev -- npm run -s policy:check -- --stack dev
  capture "$t" "$d" policy-prod -- npm run -s policy:check -- --render identity-out/prod
  capture "$t" "$d" policy-usage -- npm run -s policy:check --
  capture "$t" "$d" dr -- npm run -s dr:rebuild -- --from prod --region northeurope --restore-time "$restore_time" --offline --out identity-out/dr
  capture "$t" "$d" dr-usage -- npm run -s dr:rebuild --
  capture "$t" "$d" bluegreen-help -- npm run -s bluegreen -- --help
  capture "$t" "$d" bluegreen-usage -- npm run -s bluegreen --
  capture "$t" "$d" bluegreen-status -- npm run -s bluegreen -- status --stack dev --prometheus-url http://127.0.0.1:9
  capture "$t" "$d" bootstrap-usage -- npm run -s bootstrap:state --
  capture "$t" "$d" smoke-usage -- npm run -s smoke -- --help
  capture "$t" "$d" preview-comment-usage -- npm run -s preview:comment --
  mv "$t/identity-out" "$d/files"
}

echo "identity: $base_ref ($(git -C "$base_root" rev-parse --short HEAD)) against the working tree; restore time $restore_time"
run_all "$base_root" "$work/out-base"
run_all "$head_root" "$work/out-head"
status=0
for f in "$work/out-base"/*.code; do
  name="$(basename "$f" .code)"
  if diff -q "$work/out-base/$name.stdout" "$work/out-head/$name.stdout" >/dev/null &&
    diff -q "$work/out-base/$name.stderr" "$work/out-head/$name.stderr" >/dev/null &&
    diff -q "$f" "$work/out-head/$name.code" >/dev/null; then
    echo "identical  $name (exit $(cat "$f"))"
  else
    echo "DIFFERENT  $name"
    diff "$work/out-base/$name.stdout" "$work/out-head/$name.stdout" | head -20 || true
    diff "$work/out-base/$name.stderr" "$work/out-head/$name.stderr" | head -20 || true
    status=1
  fi
done
nfiles="$(find "$work/out-base/files" -type f | wc -l)"
if diff -r "$work/out-base/files" "$work/out-head/files" >"$work/files.diff"; then
  echo "identical  $nfiles rendered files (dev, prod, dr, render:diff inputs)"
else
  echo "DIFFERENT  rendered files:"
  head -40 "$work/files.diff"
  status=1
fi
[[ $status == 0 ]] && echo "identity: no behaviour change" || echo "identity: behaviour changed (above)"
exit $status
