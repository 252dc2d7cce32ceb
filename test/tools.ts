/**
 * The Go-built tools pinned in tools/go.mod, found only through `.bin/` (cli/shared/tools.ts is the one
 * helper; scripts use it too). Tests run these, never whatever promtool/amtool happens to be on PATH: the
 * versions must be the ones the pinned chart deploys (test/tools.test.ts checks that).
 */
export { BIN_DIR, run, tool, TOOL_NAMES, type RunResult, type ToolName } from "../cli/shared/tools";
