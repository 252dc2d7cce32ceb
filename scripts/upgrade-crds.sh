#!/usr/bin/env bash
# Applies the prometheus-operator CRDs of a given operator version, server-side (they are too large for
# client-side apply's last-applied annotation). Helm installs CRDs only on first install and never upgrades
# them, so run this BEFORE `pulumi up` whenever CHART.version in infra/monitoring/helmValues.ts moves.
#   usage: scripts/upgrade-crds.sh v0.79.2   (the chart's appVersion / CHART.operatorVersion)
set -euo pipefail
version="${1:?usage: $0 <operator-version, e.g. v0.79.2>}"
url="https://github.com/prometheus-operator/prometheus-operator/releases/download/${version}/stripped-down-crds.yaml"
echo "applying prometheus-operator CRDs ${version} from ${url}"
kubectl apply --server-side --force-conflicts -f "${url}"
kubectl wait --for=condition=Established --timeout=120s crd/prometheusrules.monitoring.coreos.com crd/servicemonitors.monitoring.coreos.com
