/**
 * The binary evaluates what a command needs: a one-shot `identities list` against a sandbox loads
 * no importer, workflow planner, sandbox, JSON Schema validator, OpenTelemetry SDK or REPL.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"

let scope: Scope.CloseableScope
let dir = ""
let url = ""

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-lazy-"))
  url = (await Effect.runPromise(Scope.extend(Sandbox.make({ demo: true }), scope))).url
})
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  fs.rmSync(dir, { recursive: true, force: true })
})

/**
 * The source modules a run of the binary evaluated. The bundle (dist/bin/main.cjs) keeps esbuild's
 * `// path` comment above each module it holds; a module loaded on demand is wrapped in a function
 * named by its path, evaluated on first use, and V8's coverage (NODE_V8_COVERAGE) says whether it
 * ran. A module that is not wrapped is evaluated at start-up.
 */
const loadedModules = async (args: ReadonlyArray<string>): Promise<ReadonlyArray<string>> => {
  const coverage = fs.mkdtempSync(path.join(dir, "coverage-"))
  await promisify(execFile)(process.execPath, [binPath, ...args], {
    // compiled from source: what coverage counts does not depend on a cache
    env: { ...process.env, NODE_V8_COVERAGE: coverage, KRATOS_ADMIN_NO_COMPILE_CACHE: "1", NO_COLOR: "1" }
  })
  const bundle = path.join(path.dirname(binPath), "main.cjs")
  type Coverage = { result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }> }
  const scripts = fs.readdirSync(coverage).flatMap((f) => (JSON.parse(fs.readFileSync(path.join(coverage, f), "utf8")) as Coverage).result)
  const functions = scripts.filter((s) => s.url === pathToFileURL(bundle).href || s.url === bundle).flatMap((s) => s.functions)
  expect(functions.length).toBeGreaterThan(0)
  const ran = new Set(functions.filter((f) => f.ranges[0]!.count > 0).map((f) => f.functionName))
  const notRun = new Set(functions.filter((f) => f.ranges[0]!.count === 0 && !ran.has(f.functionName)).map((f) => f.functionName))
  const modules = Array.from(fs.readFileSync(bundle, "utf8").matchAll(/^\s*\/\/ ((?:src|repl|node_modules)\/\S+)$/gm), (m) => m[1]!)
  return modules.filter((m) => !notRun.has(m))
}

describe("start-up loads what the command needs", () => {
  it("identities list: no importer, workflow planner, sandbox, ajv, OpenTelemetry or REPL", async () => {
    const modules = await loadedModules(["--url", url, "identities", "list", "--page-size", "1"])
    expect(modules).toContain("repl/commands/identities.ts")
    for (const absent of [
      "src/internal/import/engine.ts",
      "src/internal/workflows/apply.ts",
      "src/internal/sandbox/",
      "node_modules/ajv/",
      "node_modules/@opentelemetry/",
      "node_modules/@node-rs/",
      "repl/Repl.ts",
      "repl/commands/ImportCommand.ts"
    ]) {
      expect(modules.filter((m) => m.startsWith(absent)), absent).toEqual([])
    }
  })

  it("the importer's commands and help still see the whole tree", async () => {
    const modules = await loadedModules(["identities", "import", "--help"])
    expect(modules).toContain("repl/commands/ImportCommand.ts")
  })
})
