/**
 * `npm run bluegreen` through the entry users type, for what needs no Prometheus: usage, bad input, and the
 * 3 AM case of an unreachable Prometheus (a clear message and a non-zero exit, never silence).
 * The runs against a real Prometheus are in promotion.test.ts.
 */
import { describe, expect, it } from "vitest";
import { npmRun } from "./cli";

describe("npm run bluegreen", () => {
  it("prints usage for --help and exits 0", async () => {
    const r = await npmRun("bluegreen", ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: npm run bluegreen -- status\|promote\|rollback --stack <name>/);
    expect(r.stdout).toMatch(/rollback\s+switch traffic back/);
  });

  it("rejects a missing command with usage and exit 1", async () => {
    const r = await npmRun("bluegreen", []);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command ""\nusage:/);
  });

  it("rejects a missing --stack instead of guessing one", async () => {
    const r = await npmRun("bluegreen", ["status"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--stack is required/);
  });

  it("names an unknown stack file", async () => {
    const r = await npmRun("bluegreen", ["status", "--stack", "nosuch"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Pulumi\.nosuch\.yaml/);
  });

  it("status with an unreachable Prometheus exits non-zero and says how to reach it", async () => {
    const r = await npmRun("bluegreen", [
      "status",
      "--stack",
      "prod",
      "--prometheus-url",
      "http://127.0.0.1:9",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/stack prod: agent-api is live on (BLUE|GREEN)/);
    expect(r.stderr).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:9/);
    expect(r.stderr).toMatch(/port-forward svc\/kube-prometheus-stack-prometheus 9090/);
  });

  it("promote with an unreachable Prometheus refuses (the gate cannot be judged) and changes nothing", async () => {
    const r = await npmRun("bluegreen", [
      "promote",
      "--stack",
      "prod",
      "--prometheus-url",
      "http://127.0.0.1:9",
      "--yes",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach Prometheus/);
    expect(r.out).not.toMatch(/running pulumi up/);
  });
});
