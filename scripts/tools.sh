#!/usr/bin/env bash
# Builds the Go command-line tools pinned in tools/go.mod into the git-ignored .bin/ (`npm run tools`).
#
#   npm run tools                 promtool amtool actionlint (what `npm test` runs), then prometheus alertmanager
#                                 (what `npm run test:drill` runs), in that order
#   npm run tools -- sloth        only the named tools (sloth is only for `npm run bench -- rules`)
#
# tools/go.mod is the one place their versions are written (Go 1.24+ `tool` directives, the same idea as
# prometheus-operator/kube-prometheus's scripts/go.mod). promtool/prometheus and amtool/alertmanager must
# be the versions the pinned kube-prometheus-stack deploys: test/tools.test.ts compares each built binary's
# `--version` with infra/monitoring/chartVersions.json and fails on any drift.
#
# A tool is rebuilt only when .bin/<name> is missing or was built from another module version or build flags
# than now (recorded in .bin/.<name>.version); otherwise it is reused. One line per tool as it starts and one
# when it is done, with its time; Go's own output goes to .bin/.<name>.log and is printed only on failure.
#
# A user with internet may instead put the official release binaries of the same versions into .bin/
# (checked against the release's sha256sums.txt): the version test accepts any binary that reports the
# pinned version.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
mkdir -p "$bin"
cd "$root/tools"

[[ -x /usr/local/go/bin/go ]] && ! command -v go >/dev/null && export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
  echo "tools.sh: 'go' is not on PATH. Install Go >= 1.26 (Debian: apt-get install golang-go, or the Go" >&2
  echo "toolchain your machine image provides), then run: npm run tools" >&2
  exit 1
fi
# Module downloads go through the Go module proxy; -mod=readonly lets go.sum be checked, never rewritten.
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

# Prometheus' README ("Building with a reduced set of service discoveries"; plugins/plugin_*.go carry
# `//go:build !remove_all_sd || enable_<name>_sd`) documents these tags: every optional service discovery
# is left out except Kubernetes, the one the operator's generated config uses in production (file, static
# and http SD stay in always). Rule evaluation, alerting, TSDB, remote write and promtool's checks are the
# same code; the cloud SDKs of AWS, GCE, Azure SD, OCI … are neither downloaded nor compiled, which is most
# of a cold build.
PROM_TAGS="remove_all_sd,enable_kubernetes_sd"

# name | package | module whose version the binary reports | how the version reaches the binary | build tags
#   common:  github.com/prometheus/common/version (Prometheus' own release build sets it the same way with -X)
#   actionlint: github.com/rhysd/actionlint.version (it would otherwise print the main module, ours)
#   sloth:   prints "dev" (release ldflags set its version); test/tools.test.ts reads `go version -m`
# Order: what `npm test` needs first, then the drill's servers.
#   kube:    k8s.io/component-base/version (what `kube-apiserver --version` and /version report; Kubernetes'
#            own build sets it the same way, hack/lib/version.sh). etcd reports its version from a constant.
# Module directory: tools/ unless given (the API server and etcd: tools/kube, see its go.mod).
tools=(
  "promtool|github.com/prometheus/prometheus/cmd/promtool|github.com/prometheus/prometheus|common|$PROM_TAGS"
  "amtool|github.com/prometheus/alertmanager/cmd/amtool|github.com/prometheus/alertmanager|common|"
  "actionlint|github.com/rhysd/actionlint/cmd/actionlint|github.com/rhysd/actionlint|actionlint|"
  "prometheus|github.com/prometheus/prometheus/cmd/prometheus|github.com/prometheus/prometheus|common|$PROM_TAGS"
  "alertmanager|github.com/prometheus/alertmanager/cmd/alertmanager|github.com/prometheus/alertmanager|common|"
  "sloth|github.com/slok/sloth/cmd/sloth|github.com/slok/sloth|buildinfo|"
  "kube-apiserver|k8s.io/kubernetes/cmd/kube-apiserver|k8s.io/kubernetes|kube||kube"
  "etcd|go.etcd.io/etcd/server/v3|go.etcd.io/etcd/server/v3|none||kube"
  "crds|tools/kube/crds.txt|-|crds||kube"
)
# Built by `npm run tools` without arguments; the others only when named (`npm run tools -- kube-apiserver
# etcd crds` for `npm run test:apiserver`: the API server is a 4-minute cold build nobody else needs).
DEFAULT=" promtool amtool actionlint prometheus alertmanager "
KNOWN="promtool amtool actionlint prometheus alertmanager sloth kube-apiserver etcd crds"

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

# Alertmanager's server embeds its web UI (`//go:embed app/dist` in ui/web.go), which its release process
# builds with npm and which the module zip on the Go proxy does not contain, so `go build
# .../cmd/alertmanager` fails there ("pattern app/dist: no matching files found"). It is built from a copy of
# the module with a one-page placeholder UI, in a Go workspace with tools/ so every dependency resolves
# exactly as for amtool. Alerting, routing, inhibition, clustering and the API are unchanged; only the
# browser UI is the placeholder (the tests use the API).
alertmanager_workspace() { # module version → path of its go.work
  local want="$1" work="$bin/.build/alertmanager-$1"
  if [[ ! -d "$work/alertmanager" ]]; then
    rm -rf "$work" && mkdir -p "$work"
    cp -r "$(go list -m -f '{{.Dir}}' github.com/prometheus/alertmanager)" "$work/alertmanager"
    chmod -R u+w "$work/alertmanager"
    mkdir -p "$work/alertmanager/ui/app/dist"
    echo '<!doctype html><title>Alertmanager</title><p>UI not built (scripts/tools.sh); use the API.</p>' \
      >"$work/alertmanager/ui/app/dist/index.html"
    printf 'go 1.26.0\n\nuse (\n\t%s\n\t%s\n)\n' "$root/tools" "$work/alertmanager" >"$work/go.work"
  fi
  echo "$work/go.work"
}

# The CRDs of tools/kube/crds.txt into .bin/crds/<name>/ (a directory, built like a tool: stamped, reused).
copy_crds() { # out
  local out="$1" name module version dir src
  rm -rf "$out" && mkdir -p "$out"
  while read -r name module version dir; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    # Outside any module, so nothing edits a go.sum; the checksum database still verifies the download.
    src="$(cd "$(mktemp -d)" && GOFLAGS="" go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -d "$src/$dir" ]] || { echo "tools.sh: $module@$version has no $dir" >&2; return 1; }
    mkdir -p "$out/$name"
    cp "$src/$dir"/*.yaml "$out/$name/"
    chmod -R u+w "$out/$name"
  done <"$root/tools/kube/crds.txt"
}

build_one() { # name pkg want ldflags tags out
  local name="$1" pkg="$2" want="$3" ldflags="$4" tags="$5" out="$6"
  case "$name" in
    crds) copy_crds "$out" ;;
    alertmanager)
      GOWORK="$(alertmanager_workspace "$want")" \
        go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$out" "$pkg"
      ;;
    actionlint | sloth)
      # Built against their own go.mod (`go install pkg@version`), at the version tools/go.mod pins: in the
      # shared tools module, minimal version selection lifts their YAML library to the version Prometheus
      # needs and actionlint v1.7.12 no longer compiles (yaml.ParserError undefined).
      local tmpbin
      tmpbin="$(mktemp -d)"
      GOFLAGS="" GOBIN="$tmpbin" go install -trimpath -ldflags "$ldflags" "$pkg@$want"
      mv -f "$tmpbin/$name" "$out" && rm -rf "$tmpbin"
      ;;
    *) go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$out" "$pkg" ;;
  esac
}

if [[ $# -gt 0 ]]; then
  only=" $* "
  for n in "$@"; do
    printf '%s\n' "${tools[@]}" | grep -q "^$n|" || {
      echo "tools.sh: unknown tool '$n' (known: $KNOWN)" >&2
      exit 2
    }
  done
else
  only="$DEFAULT"
fi
built=0
reused=0
all_start=$SECONDS
for entry in "${tools[@]}"; do
  IFS='|' read -r name pkg module how tags dir <<<"$entry"
  [[ "$only" == *" $name "* ]] || continue
  cd "$root/tools${dir:+/$dir}"
  if [[ "$how" == crds ]]; then
    want="$(sha256sum "$root/tools/kube/crds.txt" | cut -c1-16)"
    id="tools/kube/crds.txt $want"
  else
    want="$(go list -m -f '{{.Version}}' "$module")"
    id="$module $want${tags:+ tags=$tags}"
  fi
  out="$bin/$name"
  stamp="$bin/.$name.version"
  if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$id" ]]; then
    echo "tools.sh: $name reused ($id)"
    reused=$((reused + 1))
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
    # sloth: no version ldflags are set, so `sloth version` says "dev"; the module version is in the Go build info.
    actionlint) ldflags+=" -X github.com/rhysd/actionlint.version=v$ver" ;;
    kube)
      local_minor="${ver#*.}"
      ldflags+=" -X k8s.io/component-base/version.gitVersion=v$ver"
      ldflags+=" -X k8s.io/component-base/version.gitMajor=${ver%%.*}"
      ldflags+=" -X k8s.io/component-base/version.gitMinor=${local_minor%%.*}"
      ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
      ldflags+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
      ;;
  esac
  echo "tools.sh: $name building ($id)"
  start=$SECONDS
  log="$bin/.$name.log"
  if ! build_one "$name" "$pkg" "$want" "$ldflags" "$tags" "$out.tmp" >"$log" 2>&1; then
    cat "$log" >&2
    echo "tools.sh: $name FAILED after $((SECONDS - start)) s (Go's output above, also in $log)" >&2
    exit 1
  fi
  rm -rf "$out" && mv -f "$out.tmp" "$out"
  echo "$id" >"$stamp"
  echo "tools.sh: $name built in $((SECONDS - start)) s"
  built=$((built + 1))
done
echo "tools.sh: $((built + reused)) tools in .bin/ ($built built, $reused reused) in $((SECONDS - all_start)) s"
