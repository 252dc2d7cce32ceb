#!/usr/bin/env bash
# Builds the Go command-line tools pinned in tools/go.mod into the git-ignored .bin/ (`npm run tools`).
#
# tools/go.mod is the one place their versions are written (Go 1.24+ `tool` directives, the same idea as
# prometheus-operator/kube-prometheus's scripts/go.mod). promtool/prometheus and amtool/alertmanager must
# be the versions the pinned kube-prometheus-stack deploys: test/tools.test.ts compares each built binary's
# `--version` with infra/monitoring/chartVersions.json and fails on any drift.
#
# A tool is rebuilt only when .bin/<name> is missing or was built from another module version than the one
# tools/go.mod pins (recorded in .bin/.<name>.version when it was built); otherwise it is reused. The Go build
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

# `scripts/tools.sh amtool promtool` builds only the named tools.
only=" $* "
built=0
for entry in "${tools[@]}"; do
  IFS='|' read -r name pkg module how <<<"$entry"
  [[ "$only" == "  " || "$only" == *" $name "* ]] || continue
  want="$(go list -m -f '{{.Version}}' "$module")"
  out="$bin/$name"
  stamp="$bin/.$name.version"
  if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$module $want" ]]; then
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
  if [[ "$name" == "alertmanager" ]]; then
    # Alertmanager's server embeds its web UI (`//go:embed app/dist` in ui/web.go), which its release
    # process builds with npm and which the module zip on the Go proxy does not contain, so
    # `go build .../cmd/alertmanager` fails there ("pattern app/dist: no matching files found"). Build it
    # from a copy of the module with a one-page placeholder UI, in a Go workspace with tools/ so every
    # dependency resolves exactly as for amtool. Alerting, routing, inhibition and the API are unchanged;
    # only the browser UI is the placeholder (the tests use the API).
    work="$bin/.build/alertmanager-$want"
    if [[ ! -d "$work/alertmanager" ]]; then
      rm -rf "$work" && mkdir -p "$work"
      cp -r "$(go list -m -f '{{.Dir}}' "$module")" "$work/alertmanager"
      chmod -R u+w "$work/alertmanager"
      mkdir -p "$work/alertmanager/ui/app/dist"
      echo '<!doctype html><title>Alertmanager</title><p>UI not built (scripts/tools.sh); use the API.</p>' \
        >"$work/alertmanager/ui/app/dist/index.html"
      printf 'go 1.26.0\n\nuse (\n\t%s\n\t%s\n)\n' "$root/tools" "$work/alertmanager" >"$work/go.work"
    fi
    GOWORK="$work/go.work" go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg"
  elif [[ "$name" == "actionlint" || "$name" == "sloth" ]]; then
    # Built against their own go.mod (`go install pkg@version`), at the version tools/go.mod pins: in the
    # shared tools module, minimal version selection lifts their YAML library to the version Prometheus
    # needs and actionlint v1.7.12 no longer compiles (yaml.ParserError undefined).
    tmpbin="$(mktemp -d)"
    GOFLAGS="" GOBIN="$tmpbin" go install -trimpath -ldflags "$ldflags" "$pkg@$want"
    mv -f "$tmpbin/$name" "$out.tmp" && rm -rf "$tmpbin"
  else
    go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg"
  fi
  mv -f "$out.tmp" "$out"
  echo "$module $want" >"$stamp"
  echo "tools.sh: $name built in $((SECONDS - start)) s"
  built=$((built + 1))
done
if [[ "$only" == "  " ]]; then
  echo "tools.sh: ${#tools[@]} tools in .bin/ ($built built, $((${#tools[@]} - built)) reused)"
fi
