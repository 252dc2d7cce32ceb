import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type StackRun } from "./mocks";

let run: StackRun;
beforeAll(async () => {
  run = await evaluateStack("prod");
});

describe("prod stack: Azure core", () => {
  it("tags every taggable resource with project and stack", () => {
    const taggable = run.resources.filter((r) => r.custom && r.type.startsWith("azure-native:") && "tags" in r.inputs);
    expect(taggable.length).toBeGreaterThan(5);
    for (const r of taggable) {
      expect(run.inputsOf(r).tags, `${r.type} ${r.name}`).toMatchObject({ project: "monitoring-platform", stack: "prod" });
    }
  });
});
