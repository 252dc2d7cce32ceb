#!/usr/bin/env bash
# Builds the Go command-line tools pinned in tools/go.mod into the git-ignored .bin/ (`npm run tools`).
#
# tools/go.mod is the one place their versions are written (Go 1.24+ `tool` directives, the same idea as
# prometheus-operator/kube-prometheus's scripts/go.mod). promtool/prometheus and amtool/alertmanager must
# be the versions the pinned kube-prometheus-stack deploys: test/tools.test.ts compares each built binary's
# `--version` with infra/monitoring/chartVersions.json and fails on any drift.
#
# A tool is rebuilt only when .bin/<name> is missing or was built from another module version than the one
# tools/go.mod pins (read back from the binary with `go version -m`); otherwise it is reused. The Go build
# cache makes a rebuild after a version bump cheap for everything that did not change.
#
# A user with internet may instead put the official release binaries of the same versions into .bin/
# (checked against the release's sha256sums.txt): the version test accepts any binary that reports the
# pinned version.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
mkdir -p "$bin"
cd "$root/tools"

if ! command -v go >/dev/null; then
  echo "tools.sh: 'go' is not on PATH. Install Go >= 1.26 (Debian: apt-get install golang-go, or the Go" >&2
  echo "toolchain your machine image provides), then run: npm run tools" >&2
  exit 1
fi
# Module downloads go through the Go module proxy; -mod=mod lets go.sum be checked, never rewritten silently.
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

# name | package | module whose version the binary reports | how the version reaches the binary
#   common:  github.com/prometheus/common/version (Prometheus' own release build sets it the same way with -X)
#   actionlint: github.com/rhysd/actionlint.version (it would otherwise print the main module, ours)
#   sloth:   reads its version from the Go build info by itself
tools=(
  "promtool|github.com/prometheus/prometheus/cmd/promtool|github.com/prometheus/prometheus|common"
  "prometheus|github.com/prometheus/prometheus/cmd/prometheus|github.com/prometheus/prometheus|common"
  "amtool|github.com/prometheus/alertmanager/cmd/amtool|github.com/prometheus/alertmanager|common"
  "alertmanager|github.com/prometheus/alertmanager/cmd/alertmanager|github.com/prometheus/alertmanager|common"
  "actionlint|github.com/rhysd/actionlint/cmd/actionlint|github.com/rhysd/actionlint|actionlint"
  "sloth|github.com/slok/sloth/cmd/sloth|github.com/slok/sloth|buildinfo"
)

# Prometheus tags its releases v3.X.Y but publishes the Go module as v0.3XX.Y (v0.315.0 is v3.15.0; see the
# "Go module versioning" note in prometheus/prometheus's README). Alertmanager's tags and module agree.
release_version() { # module-version → the version string the binary reports (no leading v)
  local module="$1" v="$2"
  v="${v#v}"
  if [[ "$module" == "github.com/prometheus/prometheus" && "$v" =~ ^0\.([0-9])([0-9]{2})\.([0-9]+)$ ]]; then
    echo "${BASH_REMATCH[1]}.$((10#${BASH_REMATCH[2]})).${BASH_REMATCH[3]}"
  else
    echo "$v"
  fi
}

built=0
for entry in "${tools[@]}"; do
  IFS='|' read -r name pkg module how <<<"$entry"
  want="$(go list -m -f '{{.Version}}' "$module")"
  out="$bin/$name"
  if [[ -x "$out" ]] && go version -m "$out" 2>/dev/null | awk -v m="$module" -v w="$want" '$1=="dep" && $2==m && $3==w {found=1} END {exit !found}'; then
    echo "tools.sh: $name reused ($module $want)"
    continue
  fi
  ver="$(release_version "$module" "$want")"
  ldflags="-s -w"
  case "$how" in
    common)
      ldflags+=" -X github.com/prometheus/common/version.Version=$ver"
      ldflags+=" -X github.com/prometheus/common/version.Branch=tools-module"
      ldflags+=" -X github.com/prometheus/common/version.BuildUser=scripts/tools.sh"
      ;;
    # sloth reads its own version from the build info (internal/info), nothing to set.
    actionlint) ldflags+=" -X github.com/rhysd/actionlint.version=v$ver" ;;
  esac
  echo "tools.sh: building $name ($module $want)"
  start=$SECONDS
  go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg"
  mv -f "$out.tmp" "$out"
  echo "tools.sh: $name built in $((SECONDS - start)) s"
  built=$((built + 1))
done
echo "tools.sh: ${#tools[@]} tools in .bin/ ($built built, $((${#tools[@]} - built)) reused)"
