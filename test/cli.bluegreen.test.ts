/**
 * `npm run bluegreen` through the entry users type, for what needs no Prometheus: usage, bad input, and the
 * 3 AM case of an unreachable Prometheus (a clear message and a non-zero exit, never silence).
 * The runs against a real Prometheus are in promotion.test.ts.
 */
import { describe, expect, it } from "vitest";
import { npmRun } from "./cli";
import { colorOfService, statusCommand, type CommandDeps } from "../cli/bluegreen/promotionGate";
import { parseStackConfig } from "../infra/config";
import { stackConfig } from "./mocks";
import { kubectlError, missingKubeconfig } from "../cli/shared/kubeconfig";

describe("npm run bluegreen", () => {
  it("prints usage for --help and exits 0", async () => {
    const r = await npmRun("bluegreen", ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: npm run bluegreen -- status\|promote\|rollback --stack <name>/);
    expect(r.stdout).toMatch(/rollback\s+switch traffic back/);
  });

  it("rejects a missing command, naming the three, with usage and exit 1", async () => {
    const r = await npmRun("bluegreen", []);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bluegreen: missing command: status, promote or rollback\n\nusage:/);
    expect(r.stderr).not.toContain('""');
    const typo = await npmRun("bluegreen", ["stauts", "--stack", "dev"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/unknown command "stauts": status, promote or rollback/);
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
    // The user gave the URL: the hint is to check it, not to pass it.
    expect(r.stderr).toContain("check the --prometheus-url you gave (is its port-forward still running?)");
    expect(r.stderr).not.toMatch(/pass --prometheus-url/);
  });

  it("status without --prometheus-url says how to reach Prometheus", async () => {
    const r = await npmRun("bluegreen", ["status", "--stack", "prod"], {
      env: { PROMETHEUS_URL: "", KUBECONFIG: "/nonexistent/kubeconfig" },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /port-forward svc\/kube-prometheus-stack-prometheus 9090, or pass --prometheus-url/,
    );
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

describe("bluegreen status reads the live color from the cluster", () => {
  const app = parseStackConfig(stackConfig("dev").config, "dev").app;
  const deps = (liveColor?: CommandDeps["liveColor"]) => {
    const log: string[] = [];
    const d: CommandDeps = {
      app,
      stackName: "dev",
      query: async () => 0,
      openStack: async () => {
        throw new Error("status never opens the stack");
      },
      log: (l) => log.push(l),
      confirm: async () => false,
      liveColor,
    };
    return { d, log };
  };
  const other = app.activeColor === "blue" ? "green" : "blue";

  it("takes the color the live Service selects, and says when the stack file disagrees", async () => {
    const { d, log } = deps(async () => other);
    expect(await statusCommand(d)).toBe(0);
    expect(log[0]).toBe(
      `stack dev: ${app.name} is live on ${other.toUpperCase()} (preview: ${app.activeColor}), from the selector of Service ${app.namespace}/${app.name} in the cluster`,
    );
    expect(log[1]).toMatch(
      new RegExp(
        `^WARNING: Pulumi\\.dev\\.yaml says app\\.activeColor ${app.activeColor}, but the cluster serves ${other}`,
      ),
    );
  });

  it("agrees silently when the cluster and the file agree", async () => {
    const { d, log } = deps(async () => app.activeColor);
    await statusCommand(d);
    expect(log.join("\n")).not.toContain("WARNING");
  });

  it("falls back to the stack file, saying why, when the cluster cannot be read", async () => {
    const { d, log } = deps(async () => {
      throw new Error("kubectl is not installed");
    });
    await statusCommand(d);
    expect(log[0]).toContain(
      `live on ${app.activeColor.toUpperCase()} (preview: ${other}), from Pulumi.dev.yaml app.activeColor: the cluster could not be read (kubectl is not installed)`,
    );
  });

  it("reads the color from kubectl's Service JSON", () => {
    expect(
      colorOfService(JSON.stringify({ spec: { selector: { app: "agent-api", color: "green" } } }), "x"),
    ).toBe("green");
    expect(() => colorOfService(JSON.stringify({ spec: { selector: { app: "a" } } }), "ns/a")).toThrow(
      'Service ns/a selects {"app":"a"}, no blue/green color',
    );
    expect(() => colorOfService("error: not found", "ns/a")).toThrow("kubectl did not print JSON");
  });
});

describe("what commands that use kubectl check first", () => {
  it("names az aks get-credentials for the stack's cluster when no kubeconfig exists", () => {
    const none = () => false;
    expect(missingKubeconfig("prod", undefined, {}, "/home/u", none)).toBe(
      "no kubeconfig (looked for /home/u/.kube/config): run `az aks get-credentials --resource-group " +
        "rg-agents-prod --name aks-agents-prod` then `kubelogin convert-kubeconfig -l azurecli`",
    );
    expect(
      missingKubeconfig("dev", undefined, { KUBECONFIG: "/a:/b" }, "/h", none, "pass --kubeconfig"),
    ).toMatch(/^no kubeconfig \(looked for \/a, \/b\): .*, or pass --kubeconfig$/);
    expect(missingKubeconfig("dev", "/k", {}, "/h", (f) => f === "/k")).toBeUndefined();
  });

  it("keeps kubectl's last error line without klog's prefix", () => {
    expect(
      kubectlError(
        'E1203 11:04:54.365451   16341 memcache.go:265] "Unhandled Error" err="x"\n' +
          "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n",
      ),
    ).toBe(
      "The connection to the server localhost:8080 was refused - did you specify the right host or port?",
    );
    expect(kubectlError('E1203 11:04:54.365451   16341 memcache.go:265] "Unhandled Error"')).toBe(
      '"Unhandled Error"',
    );
  });
});
