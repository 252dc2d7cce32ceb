// `npm test` and `npm run test:drill` split the test files between them (test/suites.ts): a drill file
// that is renamed or removed must not silently drop out of both runs.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { APISERVER_SUITES, DRILL_SUITES } from "./suites";

const ROOT = path.resolve(__dirname, "..");

describe("test suites", () => {
  it.each(DRILL_SUITES)("%s exists (run by npm run test:drill, excluded from npm test)", (file) => {
    expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  });

  it.each(APISERVER_SUITES)("%s exists (run by npm run test:apiserver, excluded from npm test)", (file) => {
    expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  });

  it("package.json runs all three", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.test).toBe("vitest run");
    expect(pkg.scripts["test:drill"]).toBe("vitest run --config vitest.drill.config.ts");
    expect(pkg.scripts["test:apiserver"]).toBe("vitest run --config vitest.apiserver.config.ts");
  });
});
