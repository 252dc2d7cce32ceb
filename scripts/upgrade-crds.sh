#!/usr/bin/env bash
# Applies the prometheus-operator CRDs of the operator version the pinned kube-prometheus-stack ships,
# server-side (they are too large for client-side apply's last-applied annotation). Helm installs a
# chart's CRDs on first install only and never upgrades them
# (https://helm.sh/docs/chart_best_practices/custom_resource_definitions/), and the chart's UPGRADE.md
# asks for exactly this `kubectl apply --server-side` before every operator bump. Run it BEFORE
# `pulumi up` whenever kubePrometheusStack.version moves in infra/monitoring/chartVersions.ts.
#   usage: scripts/upgrade-crds.sh [operator-version]   (default: operatorVersion from chartVersions.ts)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${1:-$(sed -n 's/^ *operatorVersion: "\(v[0-9.]*\)",$/\1/p' "$root/infra/monitoring/chartVersions.ts")}"
if [[ ! "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "upgrade-crds.sh: cannot read operatorVersion from infra/monitoring/chartVersions.ts; pass it: $0 v0.94.1" >&2
  exit 2
fi
url="https://github.com/prometheus-operator/prometheus-operator/releases/download/${version}/stripped-down-crds.yaml"
echo "applying prometheus-operator CRDs ${version} from ${url}"
kubectl apply --server-side --force-conflicts -f "${url}"
kubectl wait --for=condition=Established --timeout=120s crd/prometheusrules.monitoring.coreos.com crd/servicemonitors.monitoring.coreos.com
