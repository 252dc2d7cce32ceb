/**
 * Example values: the stack files ship with documentation addresses, example.com hosts
 * and made-up object ids. A real run (`pulumi preview`/`up`: loadConfig outside the offline render) refuses
 * them, naming every key and what to set; the offline render keeps working on the example files and lists
 * the keys as "fill in before deploying".
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, inject, it, vi } from "vitest";
import {
  findPlaceholders,
  hasDocumentationAddress,
  hasExampleHost,
  isPlaceholderUuid,
} from "../infra/placeholders";
import { evaluateProgram, type RecordedResource } from "../cli/shared/mockRuntime";
import { stackConfig, withDeployableValues } from "./mocks";

describe("findPlaceholders (pure)", () => {
  it.each([
    ["11111111-1111-1111-1111-111111111111", true],
    ["11111111-2222-3333-4444-555555555555", true],
    ["00000000-0000-0000-0000-000000000000", true],
    ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", true],
    ["12345678-1234-1234-1234-123456789012", true],
    ["6dae42f8-4368-4678-94ff-3960e28e3630", false],
    ["not-a-uuid", false],
  ])("object id %s is a placeholder: %s", (v, expected) => {
    expect(isPlaceholderUuid(v)).toBe(expected);
  });

  it.each([
    ["203.0.113.0/24", true],
    ["198.51.100.16/28", true],
    ["192.0.2.7", true],
    ["https://192.0.2.10:8443/hook", true],
    ["2001:db8::/32", true],
    ["203.0.114.0/24", false],
    ["10.20.0.0/16", false],
    ["0.0.0.0/0", false], // contains the documentation ranges, but is not one of them
    ["1.203.0.113", false],
  ])("address %s is documentation-only: %s", (v, expected) => {
    expect(hasDocumentationAddress(v)).toBe(expected);
  });

  it.each([
    ["agents.platform.example.com", true],
    ["https://grafana.example.org/d/x", true],
    ["example.net", true],
    ["ops@example.com", true],
    ["api.staging.test", true],
    ["svc.invalid", true],
    ["agents.contoso.com", false],
    ["example.com.au", false],
    ["myexample.com", false],
    ["acrplatformprod.azurecr.io/agent-api", false],
    ["https://github.com/example-org/monitoring-platform", false],
  ])("host %s is an RFC 2606 example: %s", (v, expected) => {
    expect(hasExampleHost(v)).toBe(expected);
  });

  it("names every key, nested and in lists, and never returns a secret's value", () => {
    const raw = {
      "monitoring-platform:location": "westeurope",
      "monitoring-platform:aks": JSON.stringify({
        apiServer: { authorizedIpRanges: ["10.0.0.0/24", "203.0.113.0/24"] },
        adminGroupObjectIds: ["11111111-1111-1111-1111-111111111111"],
      }),
      "monitoring-platform:app": JSON.stringify({ ingress: { hostname: "agents.example.com" } }),
      "monitoring-platform:heartbeatUrl": "https://hc.example.com/ping/abc",
      "azure-native:location": "203.0.113.1", // another namespace: not ours to judge
    };
    const found = findPlaceholders(raw, "monitoring-platform", ["heartbeatUrl"]);
    expect(found.map((p) => [p.key, p.kind, p.value])).toEqual([
      ["monitoring-platform:aks.apiServer.authorizedIpRanges[1]", "documentation-address", "203.0.113.0/24"],
      ["monitoring-platform:aks.adminGroupObjectIds[0]", "object-id", "11111111-1111-1111-1111-111111111111"],
      ["monitoring-platform:app.ingress.hostname", "example-host", "agents.example.com"],
      ["monitoring-platform:heartbeatUrl", "example-host", "[secret]"],
    ]);
  });
});

/** Keys the shipped stack files hold examples in (read off Pulumi.prod.yaml by hand). */
const PROD_EXAMPLE_KEYS = [
  "monitoring-platform:aks.apiServer.authorizedIpRanges[0]",
  "monitoring-platform:aks.apiServer.authorizedIpRanges[1]",
  "monitoring-platform:aks.adminGroupObjectIds[0]",
  "monitoring-platform:monitoring.grafana.url",
  "monitoring-platform:postgres.entraAdmin.objectId",
  "monitoring-platform:app.ingress.hostname",
];

describe("a real run refuses a stack holding examples", () => {
  it("prod from Pulumi.prod.yaml: ConfigError naming every key and what to set, nothing registered", async () => {
    const sc = stackConfig("prod");
    let error: (Error & { registeredResources?: RecordedResource[] }) | undefined;
    try {
      // Mode "test" is the path `pulumi up` takes: no offline-render flag.
      await evaluateProgram({
        ...sc,
        mode: "test",
        program: async () => {
          vi.resetModules();
          return (await import("../infra/index")) as Record<string, unknown>;
        },
      });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.name).toBe("ConfigError");
    expect(error!.message).toMatch(/^The stack still holds example values that cannot be deployed/);
    for (const key of PROD_EXAMPLE_KEYS) expect(error!.message).toContain(`${key} still holds the example`);
    // Every example the pure function finds is named (including keys added to the stack files later).
    for (const p of findPlaceholders(sc.config, sc.project)) expect(error!.message).toContain(p.key);
    expect(error!.message).toContain(
      "monitoring-platform:aks.adminGroupObjectIds[0] still holds the example 11111111-2222-3333-4444-555555555555: " +
        "set a real id: the object id of an Entra ID group or user",
    );
    expect(error!.message).toContain(
      "fix: pulumi config set --path 'monitoring-platform:app.ingress.hostname' <value>",
    );
    expect(error!.registeredResources).toEqual([]);
  });

  it("the test harness's deployable stand-ins leave nothing to refuse", () => {
    const sc = stackConfig("prod");
    expect(findPlaceholders(withDeployableValues(sc.config, sc.project), sc.project)).toEqual([]);
  });
});

describe("the offline render keeps working on the example stack files", () => {
  // The run's one prod render of the example stack file, by `npm run render` (test/globalSetup.ts).
  it("renders prod and lists the examples as 'fill in before deploying'", () => {
    const { dir: out, stdout } = inject("renders").prod;
    const line = stdout.split("\n").find((l) => l.startsWith("fill in before deploying: "));
    expect(line, stdout).toBeDefined();
    const listed = line!.slice("fill in before deploying: ".length).split(", ");
    expect(listed).toEqual(expect.arrayContaining(PROD_EXAMPLE_KEYS));
    expect(fs.existsSync(path.join(out, "resources.json"))).toBe(true);
  });
});
