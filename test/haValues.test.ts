/**
 * What the HA drill proves must be what prod deploys (issue 15): the drill's replica counts, the operator
 * behaviours it reproduces (replica label dropped from alerts, Alertmanager's default peer timeout) and the
 * external labels it sends with, against the kube-prometheus-stack values of the prod render. Plus what the
 * drill cannot show but the same promise needs: a PodDisruptionBudget that keeps all but one replica through
 * a drain, and replicas spread across zones (a zone outage takes one replica, not the alerting path).
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { describe, expect, inject, it } from "vitest";
import {
  ALERTMANAGER_REPLICAS,
  PEER_TIMEOUT_MS,
  PROD_EXTERNAL_LABELS,
  PROMETHEUS_REPLICAS,
} from "./haTopology";
import { releaseValues } from "./renderFiles";

/* eslint-disable @typescript-eslint/no-explicit-any */
const prodValues = () => releaseValues("prod", "monitoring-kube-prometheus-stack");

const zoneSpread = (spec: any, name: string) =>
  (spec.topologySpreadConstraints ?? []).find(
    (c: any) =>
      c.topologyKey === "topology.kubernetes.io/zone" &&
      c.whenUnsatisfiable === "DoNotSchedule" &&
      c.maxSkew === 1 &&
      c.labelSelector?.matchLabels?.["app.kubernetes.io/name"] === name,
  );

describe("prod's alerting path is the one the HA drill proves", () => {
  it("runs as many Prometheus and Alertmanager replicas as the drill", () => {
    const v = prodValues();
    expect(v.prometheus.prometheusSpec.replicas).toBe(PROMETHEUS_REPLICAS);
    expect(v.alertmanager.alertmanagerSpec.replicas).toBe(ALERTMANAGER_REPLICAS);
  });

  it("keeps the operator's replica label, which the drill drops from alerts as the operator does", () => {
    const spec = prodValues().prometheus.prometheusSpec;
    // Unset: the operator's default `prometheus_replica` and its labeldrop in alert_relabel_configs apply.
    // An empty string would turn both off and every alert would arrive once per replica, ungrouped.
    expect(spec.replicaExternalLabelName ?? null).toBeNull();
    expect(spec.externalLabels).toEqual(PROD_EXTERNAL_LABELS);
  });

  it("leaves Alertmanager's peer timeout at the default the drill runs with", () => {
    const spec = prodValues().alertmanager.alertmanagerSpec;
    expect(spec.clusterPeerTimeout).toBeUndefined();
    // Clustering is on: statefulset.go turns it off (`--cluster.listen-address=`) only for one replica
    // without forceEnableClusterMode.
    expect(spec.replicas).toBeGreaterThan(1);
  });

  it("has PodDisruptionBudgets that let a drain take one replica at a time", () => {
    const v = prodValues();
    expect(v.prometheus.podDisruptionBudget).toMatchObject({
      enabled: true,
      minAvailable: PROMETHEUS_REPLICAS - 1,
    });
    expect(v.alertmanager.podDisruptionBudget).toMatchObject({
      enabled: true,
      minAvailable: ALERTMANAGER_REPLICAS - 1,
    });
  });

  it("spreads the replicas across zones (a zone lost takes one replica)", () => {
    const v = prodValues();
    expect(zoneSpread(v.prometheus.prometheusSpec, "prometheus")).toBeDefined();
    expect(zoneSpread(v.alertmanager.alertmanagerSpec, "alertmanager")).toBeDefined();
  });

  it("has no route whose group_interval is shorter than the last peer's turn (2 × peer timeout)", () => {
    // Shorter, a peer still waiting its turn sends stale notifications (docs/alerting-ha.md: the HA drill's
    // first runs, at 1 s, sent "firing" after the resolve).
    const cfg = yaml.load(
      fs.readFileSync(path.join(inject("renders").prod.dir, "alertmanager.yaml"), "utf8"),
    ) as any;
    const seconds = (d: string) => {
      const m = /^(\d+)(s|m|h)$/.exec(d);
      if (!m) throw new Error(`unexpected duration ${d}`);
      return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
    };
    const intervals: string[] = [];
    const walk = (route: any) => {
      if (route.group_interval) intervals.push(route.group_interval);
      (route.routes ?? []).forEach(walk);
    };
    walk(cfg.route);
    expect(intervals.length).toBeGreaterThan(3);
    for (const i of intervals) expect(seconds(i) * 1000, i).toBeGreaterThanOrEqual(2 * PEER_TIMEOUT_MS);
  });
});
