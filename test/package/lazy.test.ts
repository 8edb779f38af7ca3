/**
 * The binary loads what a command needs: a one-shot `identities list` against a sandbox loads no
 * importer, workflow planner, sandbox, JSON Schema validator, OpenTelemetry SDK or REPL. Which
 * modules a process loaded is logged by load hooks (test/support/load-log.mjs); the bundle's
 * chunks keep esbuild's `// path` comment above each module they hold.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath, root } from "../support/bin.js"

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

/** The source modules bundled into the files a run of the binary loaded. */
const loadedModules = async (args: ReadonlyArray<string>): Promise<ReadonlyArray<string>> => {
  const log = path.join(dir, `${args.join("-").replace(/\W+/g, "_")}.log`)
  await promisify(execFile)(process.execPath, ["--import", path.join(root, "test/support/load-log.mjs"), binPath, ...args], {
    env: { ...process.env, LOAD_LOG: log, NO_COLOR: "1" }
  })
  const files = fs.readFileSync(log, "utf8").split("\n").filter((u) => u.startsWith("file:")).map((u) => fileURLToPath(u))
  return files.flatMap((f) => Array.from(fs.readFileSync(f, "utf8").matchAll(/^\/\/ ((?:src|repl|node_modules)\/\S+)$/gm), (m) => m[1]!))
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
