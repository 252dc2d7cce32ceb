/**
 * The CrossGuard pack as Pulumi runs it: policy/index.ts started as the analyzer plugin (it serves
 * Pulumi's Analyzer gRPC protocol and prints its port, as `pulumi preview --policy-pack policy` expects),
 * then queried through the protocol's own client (@pulumi/pulumi/proto). Every resource of the prod render
 * goes through `Analyze` and the whole stack through `AnalyzeStack`; the pack must find exactly what
 * `npm run policy:check` finds, except the checks only the render can make (secret markers).
 */
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RenderDocument } from "../cli/shared/renderOutput";
import { evaluatePolicies, policies } from "../policy/policies";
import { fromRender } from "../cli/policy-check/policyCheck";

/* eslint-disable @typescript-eslint/no-explicit-any */
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

const ROOT = path.resolve(__dirname, "..");
/** pulumirpc.EnforcementLevel (proto/analyzer.proto): ADVISORY = 0, MANDATORY = 1. */
const MANDATORY = 1;

let pack: ChildProcess;
let client: any;
let work: string;
let prod: RenderDocument;

const call = <T>(method: string, req: unknown): Promise<T> =>
  new Promise((resolve, reject) =>
    client[method](req, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))),
  );

const urn = (key: string) => `urn:pulumi:prod::monitoring-platform::${key}`;

function options(protect: boolean, parent: string | null): any {
  const o = new analyzerPb.AnalyzerResourceOptions();
  o.setProtect(protect);
  if (parent) o.setParent(urn(parent));
  return o;
}

beforeAll(async () => {
  work = inject("renders").prod.dir; // the run's one prod render (test/globalSetup.ts); read only
  prod = JSON.parse(fs.readFileSync(path.join(work, "resources.json"), "utf8")) as RenderDocument;
  pack = spawn(process.execPath, [require.resolve("tsx/cli"), "policy/index.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let err = "";
    pack.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    pack.once("exit", (code) => reject(new Error(`policy pack exited ${code}: ${err}`)));
    pack.stdout!.once("data", (b: Buffer) => resolve(b.toString().trim()));
  });
  client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  pack?.kill();
  client?.close();
});

describe("the CrossGuard pack over Pulumi's analyzer protocol", () => {
  it("serves every policy, each mandatory", async () => {
    const info: any = await call("getAnalyzerInfo", new Empty());
    const served = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
    expect(served).toEqual(policies.map((p) => [p.name, MANDATORY]));
  });

  it("reports a broken resource by policy name, mandatory, and nothing for a compliant one", async () => {
    const req = (props: object) => {
      const r = new analyzerPb.AnalyzeRequest();
      r.setType("kubernetes:core/v1:Service");
      r.setName("svc");
      r.setUrn(urn("kubernetes:core/v1:Service::svc"));
      r.setProperties(Struct.fromJavaScript(props));
      r.setOptions(options(false, null));
      return r;
    };
    const bad: any = await call(
      "analyze",
      req({ metadata: { name: "web", namespace: "agents" }, spec: { type: "LoadBalancer" } }),
    );
    expect(bad.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getEnforcementlevel()])).toEqual([
      ["no-public-loadbalancer", MANDATORY],
    ]);
    const good: any = await call(
      "analyze",
      req({ metadata: { name: "web", namespace: "agents" }, spec: { type: "ClusterIP" } }),
    );
    expect(good.getDiagnosticsList()).toEqual([]);
  });

  it("finds on the prod render what npm run policy:check finds", async () => {
    const custom = prod.resources.filter((r) => !r.type.startsWith(`${prod.project}:`));
    const found = new Set<string>();
    for (const r of custom) {
      const req = new analyzerPb.AnalyzeRequest();
      req.setType(r.type);
      req.setName(r.name);
      req.setUrn(urn(`${r.type}::${r.name}`));
      req.setProperties(Struct.fromJavaScript(r.inputs as object));
      req.setOptions(options(r.options.protect, r.parent));
      const res: any = await call("analyze", req);
      for (const d of res.getDiagnosticsList()) found.add(`${d.getPolicyname()} ${r.type} ${r.name}`);
    }
    const stackReq = new analyzerPb.AnalyzeStackRequest();
    stackReq.setResourcesList(
      custom.map((r) => {
        const a = new analyzerPb.AnalyzerResource();
        a.setType(r.type);
        a.setName(r.name);
        a.setUrn(urn(`${r.type}::${r.name}`));
        a.setProperties(Struct.fromJavaScript(r.inputs as object));
        a.setOptions(options(r.options.protect, r.parent));
        if (r.parent) a.setParent(urn(r.parent));
        return a;
      }),
    );
    const stackRes: any = await call("analyzeStack", stackReq);
    for (const d of stackRes.getDiagnosticsList()) {
      const u: string = d.getUrn();
      const [type, name] = u ? u.split("::").slice(2) : ["(stack)", ""];
      found.add(`${d.getPolicyname()} ${type} ${name}`);
    }
    const offline = evaluatePolicies(fromRender(prod), {
      secretMarkers: false,
      allowPublicLoadBalancers: [],
    });
    const expected = new Set(offline.map((f) => `${f.policy} ${f.resource}`));
    expect([...found].sort()).toEqual([...expected].sort());
  });
});
