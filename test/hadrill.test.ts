// The HA fault drill (issue 15): the alerting path as prod runs it — 2 Prometheus replicas with the external
// labels and alert relabelling the operator gives them, 3 Alertmanagers gossiping as one cluster with the
// operator's peer flags — with the repository's rules and the generated routing config, receivers redirected
// to a capture server. Two such clusters run side by side through the same agent-api outage:
//   control — nothing is done to it: the baseline for time to page and to resolve;
//   faults  — after the page, and long before its repeat (critical repeat_interval 1h), one Prometheus and
//             the Alertmanager that sent the page are killed with SIGKILL; the Alertmanager is restarted on
//             its data directory and ports, as its StatefulSet would.
// Measured and asserted per cluster: each receiver gets the page exactly once (none lost, none doubled),
// the Watchdog keeps reaching the heartbeat, the resolve arrives once, a silence made on the killed
// Alertmanager before the kill holds on the survivors and on the restarted peer. Last, a split: one peer of
// the control cluster is cut off from its two peers while Prometheus still reaches it; a new critical alert
// is then paged by both sides — the known at-least-once behaviour, measured and stated.
//
// No iptables or network namespaces here, so the split is made the way a partition looks to the peers: the
// cut-off Alertmanager is restarted on a cluster port its peers do not know and with no peers of its own,
// its HTTP API (where both Prometheus replicas send) unchanged. Bounded like the fire drill: free ports on
// 127.0.0.1, a temp dir, every process stopped in afterAll.
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECEIVERS, TIMINGS } from "../infra/monitoring/alertmanager";
import {
  HOST,
  agentExporter,
  captureServer,
  drillBusinessHours,
  drillConfig,
  freePort,
  getJson,
  logTimings,
  postAlert,
  listen,
  outageSources,
  prometheusConfig,
  sleep,
  start,
  stop,
  stopAll,
  waitFor,
  waitReady,
  writeRuleFiles,
  type AmAlert,
  type Delivery,
  type Proc,
} from "./drillHarness";
import {
  ALERTMANAGER_REPLICAS,
  PEER_TIMEOUT_MS,
  PROMETHEUS_REPLICAS,
  PROD_EXTERNAL_LABELS,
  REPLICA_LABEL,
  alertmanagerPod,
  prometheusReplica,
} from "./haTopology";
import { tool } from "./tools";

/** AgentCompleteOutage has `for: 2m`, then the critical route's group_wait (10 s, deployed timers here). */
const OUTAGE_PAGE_DEADLINE_MS = 170_000;
/** keep_firing_for 2m, then up to one critical group_interval (1m) until the next flush. */
const RESOLVE_DEADLINE_MS = 200_000;
/**
 * After a notification, the other peers' turns: the last one checks the notification log 2 × peer-timeout
 * after the flush they all started together.
 */
const PEERS_TURN_MS = 2 * PEER_TIMEOUT_MS + 10_000;
/**
 * After the restart the restarted peer's groups tick on their own schedule: one critical group_interval (1m)
 * and its turn, before a duplicate of the page could have gone out from it.
 */
const AFTER_RESTART_MS = 60_000 + PEER_TIMEOUT_MS;
/**
 * The notification log reaches the peers within a gossip interval (200 ms); the drill kills after this, so
 * the kill falls after the page, before the repeat (critical repeat_interval 1h). Killed within that
 * interval, the sender takes the only record of the page with it and pages again when it restarts: the
 * at-least-once window the first runs of this drill showed.
 */
const GOSSIP_MARGIN_MS = 5_000;
const PAGED = [RECEIVERS.pagerdutyCritical, RECEIVERS.slackIncidents];
const CLUSTERS = ["control", "faults"] as const;
type ClusterName = (typeof CLUSTERS)[number];

interface AmNode {
  name: string;
  index: number;
  port: number;
  clusterPort: number;
  dir: string;
  configFile: string;
  proc?: Proc;
}
interface PromNode {
  name: string;
  port: number;
  proc?: Proc;
}
interface Cluster {
  am: AmNode[];
  prom: PromNode[];
}

describe("HA fault drill: 2 Prometheus, 3 clustered Alertmanagers, a replica of each lost mid-incident", () => {
  const deliveries: Delivery[] = [];
  const exporterState = { healthy: true };
  const servers: http.Server[] = [];
  const timings: Record<string, string> = {};
  const clusters = {} as Record<ClusterName, Cluster>;
  let tmp = "";
  let cleanedUp = false;
  let outageAt = 0;
  let killAt = 0;
  let recoveredAt = 0;
  let silenceId = "";

  async function cleanup(): Promise<void> {
    if (cleanedUp) return;
    cleanedUp = true;
    await stopAll(servers, () => tmp);
  }

  /** The operator's peer flags on loopback; `alone`: no peers and a cluster port nobody knows (the split). */
  function startAlertmanager(cluster: ClusterName, node: AmNode, alone = false): Proc {
    const peers = alone ? [] : clusters[cluster].am.map((n) => `--cluster.peer=${HOST}:${n.clusterPort}`);
    node.proc = start(node.name, tool("alertmanager"), [
      `--config.file=${node.configFile}`,
      `--storage.path=${path.join(node.dir, "data")}`,
      `--web.listen-address=${HOST}:${node.port}`,
      `--cluster.listen-address=${HOST}:${node.clusterPort}`,
      `--cluster.peer-name=${alertmanagerPod(node.index)}`,
      // statefulset.go sets both: a label per Alertmanager CR (`<namespace>/<name>`; here per drill cluster,
      // which share one host) and a 5-minute reconnect timeout.
      `--cluster.label=monitoring/${cluster}`,
      "--cluster.reconnect-timeout=5m",
      ...peers,
      "--log.level=warn",
    ]);
    return node.proc;
  }

  const amUrl = (n: AmNode, p: string) => `http://${HOST}:${n.port}${p}`;
  const clusterOf = (am: string) => am.split("-")[0] as ClusterName;
  /** Firing (or resolved) notifications of one cluster at one receiver that carry an alert matching `match`. */
  const notifications = (
    cluster: ClusterName,
    receiver: string,
    status: "firing" | "resolved",
    match: (l: Record<string, string>) => boolean,
  ) =>
    deliveries.filter(
      (d) =>
        clusterOf(d.am) === cluster &&
        d.receiver === receiver &&
        d.status === status &&
        d.alerts.some((a) => match(a.labels)),
    );
  const outage = (l: Record<string, string>) => l.alertname === "AgentCompleteOutage";
  /**
   * Waits for the first `status` notification of AgentCompleteOutage at every paged receiver of both
   * clusters, and records each one's time since `since` as "<cluster>: <what> at <receiver>".
   */
  const firstAtEveryReceiver = (
    status: "firing" | "resolved",
    since: number,
    deadlineMs: number,
    what: string,
  ) =>
    Promise.all(
      CLUSTERS.flatMap((c) =>
        PAGED.map((r) =>
          waitFor(
            `AgentCompleteOutage ${status === "resolved" ? "resolved " : ""}at ${r} (${c})`,
            deadlineMs,
            () => notifications(c, r, status, outage)[0],
          ).then((d) => {
            timings[`${c}: ${what} at ${r}`] = `${((d.at - since) / 1000).toFixed(1)} s (${d.am})`;
          }),
        ),
      ),
    );
  const listing = (cluster: ClusterName, since: number) =>
    deliveries
      .filter((d) => clusterOf(d.am) === cluster && d.at >= since && d.receiver !== RECEIVERS.heartbeat)
      .map(
        (d) =>
          `  +${((d.at - since) / 1000).toFixed(1)} s ${d.am} → ${d.receiver} ${d.status}: ` +
          d.alerts.map((a) => `${a.labels.alertname} ${a.status}`).join("; "),
      )
      .join("\n");

  beforeAll(async () => {
    try {
      const prometheusBin = tool("prometheus");
      tool("alertmanager");
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hadrill-"));
      const capture = captureServer(deliveries);
      servers.push(capture);
      const capturePort = await listen(capture);
      const exporter = agentExporter(exporterState);
      const sources = outageSources(exporterState);
      servers.push(exporter, sources);
      const exporterPort = await listen(exporter);
      const sourcesPort = await listen(sources);
      const ruleFiles = writeRuleFiles(path.join(tmp, "rules"));
      // prod's externalLabels (infra/monitoring/helmValues.ts: cluster and environment), which every alert
      // carries to Alertmanager besides the operator's two.
      const externalLabels = PROD_EXTERNAL_LABELS;
      const now = new Date();

      for (const cluster of CLUSTERS) {
        const am: AmNode[] = [];
        for (let i = 0; i < ALERTMANAGER_REPLICAS; i++) {
          const name = `${cluster}-am-${i}`;
          const dir = path.join(tmp, cluster, `am-${i}`);
          fs.mkdirSync(dir, { recursive: true });
          // Every peer gets the same routing config (one Secret in prod) but its own receiver URLs,
          // `/<cluster>-am-<i>/<receiver>`, so the capture server knows which peer sent.
          const cfg = drillConfig(drillBusinessHours(now, true), name, capturePort, dir, "deployed");
          const configFile = path.join(dir, "alertmanager.yaml");
          fs.writeFileSync(configFile, yaml.dump(cfg, { lineWidth: -1, noRefs: true }));
          am.push({ name, index: i, port: await freePort(), clusterPort: await freePort(), dir, configFile });
        }
        const prom: PromNode[] = [];
        for (let i = 0; i < PROMETHEUS_REPLICAS; i++)
          prom.push({ name: `${cluster}-prometheus-${i}`, port: 0 });
        clusters[cluster] = { am, prom };
        for (const node of am) startAlertmanager(cluster, node);
        for (const [i, node] of prom.entries()) {
          const dir = path.join(tmp, cluster, `prometheus-${i}`);
          fs.mkdirSync(dir, { recursive: true });
          const configFile = path.join(dir, "prometheus.yml");
          const cfg = prometheusConfig(
            ruleFiles,
            exporterPort,
            sourcesPort,
            am.map((n) => n.port),
            prometheusReplica(i, externalLabels),
          );
          fs.writeFileSync(configFile, yaml.dump(cfg, { lineWidth: -1, noRefs: true }));
          node.port = await freePort();
          node.proc = start(node.name, prometheusBin, [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${path.join(dir, "data")}`,
            `--web.listen-address=${HOST}:${node.port}`,
            // As in the fire drill: a cold Prometheus drops its first batch; see test/firedrill.test.ts.
            "--rules.alert.resend-delay=10s",
            "--log.level=warn",
          ]);
        }
      }
      await Promise.all(
        CLUSTERS.flatMap((c) => [...clusters[c].am, ...clusters[c].prom]).map((n) =>
          waitReady(n.proc!, n.port),
        ),
      );
    } catch (e) {
      await cleanup();
      throw e;
    }
  }, 90_000);

  afterAll(async () => {
    await cleanup();
    logTimings("HA drill timings", timings);
  }, 60_000);

  interface AmStatus {
    cluster: { status: string; peers: { name: string; address: string }[] };
  }
  const peersOf = async (n: AmNode) =>
    (await getJson<AmStatus>(amUrl(n, "/api/v2/status"))).cluster.peers.map((p) => p.name).sort();
  const allPods = Array.from({ length: ALERTMANAGER_REPLICAS }, (_, i) => alertmanagerPod(i)).sort();

  it("forms two clusters of 3 gossiping Alertmanagers; each cluster sends the two replicas' Watchdog to the heartbeat as one alert", async () => {
    for (const c of CLUSTERS) {
      for (const n of clusters[c].am) {
        const peers = await waitFor(
          `${n.name} to see its ${ALERTMANAGER_REPLICAS} peers`,
          30_000,
          async () => {
            const s = await getJson<AmStatus>(amUrl(n, "/api/v2/status"));
            return s.cluster.status === "ready" && s.cluster.peers.length === ALERTMANAGER_REPLICAS
              ? s.cluster.peers.map((p) => p.name).sort()
              : undefined;
          },
        );
        expect(peers).toEqual(allPods);
      }
    }
    const start = Date.now();
    const watchdog = (l: Record<string, string>) => l.alertname === "Watchdog" && l.service === "monitoring";
    for (const c of CLUSTERS) {
      const ping = await waitFor(
        `the ${c} cluster's Watchdog at the heartbeat`,
        45_000,
        () => notifications(c, RECEIVERS.heartbeat, "firing", watchdog)[0],
      );
      timings[`${c}: first Watchdog at the heartbeat, after the clusters formed`] =
        `${((Date.now() - start) / 1000).toFixed(1)} s`;
      // Both replicas send it; relabelling drops prometheus_replica, so Alertmanager holds one alert.
      const alerts = ping.alerts.filter((a) => watchdog(a.labels));
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.labels).not.toHaveProperty(REPLICA_LABEL);
      expect(alerts[0]!.labels.prometheus).toBe("monitoring/kube-prometheus-stack-prometheus");
    }
  });

  it("makes a silence on the faults cluster's first Alertmanager, and its peers receive it by gossip", async () => {
    const [first, ...others] = clusters.faults.am;
    const now = Date.now();
    const res = await fetch(amUrl(first!, "/api/v2/silences"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        matchers: [{ name: "alertname", value: "DrillSilenced", isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: "hadrill",
        comment: "made before the kill",
      }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    silenceId = ((await res.json()) as { silenceID: string }).silenceID;
    for (const n of others) {
      await waitFor(`the silence on ${n.name}`, 15_000, async () =>
        (await getJson<{ id: string; status: { state: string } }[]>(amUrl(n, "/api/v2/silences"))).some(
          (s) => s.id === silenceId && s.status.state === "active",
        )
          ? true
          : undefined,
      );
    }
  });

  it(
    "pages once per cluster for a complete outage, from one peer",
    async () => {
      exporterState.healthy = false;
      outageAt = Date.now();
      await firstAtEveryReceiver("firing", outageAt, OUTAGE_PAGE_DEADLINE_MS, "outage → page");
    },
    OUTAGE_PAGE_DEADLINE_MS + 10_000,
  );

  it("kills a Prometheus and the Alertmanager that sent the page (SIGKILL), then restarts that Alertmanager", async () => {
    const sender = notifications("faults", RECEIVERS.pagerdutyCritical, "firing", outage)[0]!.am;
    const victim = clusters.faults.am.find((n) => n.name === sender)!;
    // The first peer in name order notifies first (cluster.go, Position): it is the one that made the silence.
    expect(victim.name).toBe(clusters.faults.am[0]!.name);
    const prom = clusters.faults.prom[0]!;
    const paged = notifications("faults", RECEIVERS.pagerdutyCritical, "firing", outage)[0]!.at;
    await sleep(Math.max(0, paged + GOSSIP_MARGIN_MS - Date.now()));
    killAt = Date.now();
    prom.proc!.child.kill("SIGKILL");
    victim.proc!.child.kill("SIGKILL");
    await Promise.all([prom.proc!.exited, victim.proc!.exited]);
    timings["faults: killed"] =
      `${victim.name} (the page's sender) and ${prom.name}, ${((killAt - outageAt) / 1000).toFixed(1)} s after the outage began`;
    await sleep(3_000);
    await waitReady(startAlertmanager("faults", victim), victim.port);
    const rejoined = await waitFor(`${victim.name} to rejoin its peers`, 30_000, async () => {
      const s = await getJson<AmStatus>(amUrl(victim, "/api/v2/status"));
      return s.cluster.status === "ready" && s.cluster.peers.length === ALERTMANAGER_REPLICAS
        ? true
        : undefined;
    });
    expect(rejoined).toBe(true);
    timings["faults: restarted Alertmanager ready in its cluster"] =
      `${((Date.now() - killAt) / 1000).toFixed(1)} s after the kill`;
    // The surviving Prometheus re-sends the firing alert (every 10 s here) to every peer, the new one too.
    await waitFor(`AgentCompleteOutage known to the restarted ${victim.name}`, 30_000, async () =>
      (await getJson<AmAlert[]>(amUrl(victim, "/api/v2/alerts?filter=alertname%3D%22AgentCompleteOutage%22")))
        .length > 0
        ? true
        : undefined,
    );
  });

  it("the silence made before the kill holds on the survivors and on the restarted peer", async () => {
    const labels = { alertname: "DrillSilenced", severity: "critical", service: "drill-silence" };
    for (const n of clusters.faults.am) expect((await postAlert(n.port, labels)).status).toBe(200);
    for (const n of clusters.faults.am) {
      const a = await waitFor(`DrillSilenced silenced on ${n.name}`, 10_000, async () =>
        (
          await getJson<AmAlert[]>(
            amUrl(n, "/api/v2/alerts?filter=alertname%3D%22DrillSilenced%22&silenced=true"),
          )
        ).find((x) => x.status.state === "suppressed"),
      );
      expect(a.status.silencedBy, n.name).toEqual([silenceId]);
    }
    await sleep(PEERS_TURN_MS);
    expect(deliveries.filter((d) => d.alerts.some((a) => a.labels.alertname === "DrillSilenced"))).toEqual(
      [],
    );
  }, 60_000);

  it(
    "still one page per receiver in each cluster after the kill: none lost, none doubled",
    async () => {
      await sleep(PEERS_TURN_MS);
      for (const c of CLUSTERS) {
        const counted = Object.fromEntries(
          PAGED.map((r) => [r, notifications(c, r, "firing", outage).length]),
        );
        expect(counted, `${c} notifications since the outage:\n${listing(c, outageAt)}`).toEqual(
          Object.fromEntries(PAGED.map((r) => [r, 1])),
        );
      }
    },
    AFTER_RESTART_MS + 20_000,
  );

  it(
    "resolves once per receiver in each cluster, with and without the kill",
    async () => {
      exporterState.healthy = true;
      recoveredAt = Date.now();
      await firstAtEveryReceiver("resolved", recoveredAt, RESOLVE_DEADLINE_MS, "recovery → resolve");
      await sleep(PEERS_TURN_MS);
      for (const c of CLUSTERS) {
        const counted = Object.fromEntries(
          PAGED.map((r) => [
            r,
            {
              firing: notifications(c, r, "firing", (l) => l.service === "agent-api").length,
              resolved: notifications(c, r, "resolved", outage).length,
            },
          ]),
        );
        expect(counted, `${c} notifications since the outage:\n${listing(c, outageAt)}`).toEqual(
          Object.fromEntries(PAGED.map((r) => [r, { firing: 1, resolved: 1 }])),
        );
      }
    },
    RESOLVE_DEADLINE_MS + PEERS_TURN_MS + 10_000,
  );

  it("the Watchdog kept reaching the heartbeat across the kill", () => {
    const pings = deliveries.filter(
      (d) => clusterOf(d.am) === "faults" && d.receiver === RECEIVERS.heartbeat && d.status === "firing",
    );
    const after = pings.filter((p) => p.at > killAt);
    expect(after.length, "heartbeat pings after the kill").toBeGreaterThanOrEqual(1);
    const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
    timings["faults: heartbeat pings"] =
      `${pings.length} (${after.length} after the kill), largest gap ${(Math.max(...gaps) / 1000).toFixed(1)} s`;
    // TIMINGS.heartbeat: a ping every 60-90 s by design (repeat_interval 1m + group_interval 30s), plus
    // delivery on a busy machine; the switch is given 1 minute and 2 of grace.
    const { repeat_interval, group_interval } = TIMINGS.heartbeat;
    const limit = (parseInt(repeat_interval) * 60 + parseInt(group_interval) + 15) * 1000;
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(limit);
  });

  it(
    "a split: the cut-off peer and the majority both page a new critical alert (at-least-once)",
    async () => {
      const control = clusters.control.am;
      const cut = control[ALERTMANAGER_REPLICAS - 1]!;
      await stop(cut.proc!);
      cut.clusterPort = await freePort(); // a port its peers do not know; it knows none of theirs
      await waitReady(startAlertmanager("control", cut, true), cut.port);
      expect(await peersOf(cut)).toEqual([alertmanagerPod(cut.index)]);
      const splitAt = Date.now();
      const labels = { alertname: "DrillSplit", severity: "critical", service: "drill-split" };
      // Both Prometheus replicas send every alert to every Alertmanager they are configured with.
      for (const n of control) expect((await postAlert(n.port, labels)).status).toBe(200);
      const split = (l: Record<string, string>) => l.alertname === "DrillSplit";
      // A new group: group_wait (10 s), then the majority's turns.
      await sleep(10_000 + PEERS_TURN_MS);
      const senders = (r: string) =>
        notifications("control", r, "firing", split)
          .map((d) => d.am)
          .sort();
      for (const r of PAGED) {
        const got = senders(r);
        timings[`split: ${r} received DrillSplit`] =
          `${got.length}× (${got.join(", ")}), first after ${((notifications("control", r, "firing", split)[0]?.at ?? splitAt) - splitAt) / 1000} s`;
        // Exactly twice: once from the cut-off peer, once from the majority side (never from both of its
        // members, never zero).
        expect(got, listing("control", splitAt)).toHaveLength(2);
        expect(got).toContain(cut.name);
      }
    },
    PEERS_TURN_MS + 60_000,
  );
});
