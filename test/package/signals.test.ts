/**
 * The binary is one process: an import (which tunes V8's heap) runs in the PID the user started,
 * so `kill -INT <pid>` stops it like Ctrl-C does and `kill -9 <pid>` leaves nothing running. The
 * sandbox answers slowly so that the import is mid-way when the signal arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"

let scope: Scope.CloseableScope
let dir = ""

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-signals-"))
})
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  fs.rmSync(dir, { recursive: true, force: true })
})

const records = (tag: string, n: number): string =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ schema_id: "default", traits: { email: `${tag}-${i}@example.com`, name: { first: "Sig", last: String(i) } } })).join("\n") + "\n"

/** The live processes (not zombies) whose command line mentions `needle`. */
const processesMentioning = (needle: string): Array<number> =>
  fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).flatMap((pid) => {
    try {
      const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0]
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")
      return state !== "Z" && cmdline.includes(needle) ? [Number(pid)] : []
    } catch {
      return []
    }
  })

/** The live children of `pid`. */
const childrenOf = (pid: number): Array<number> =>
  fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).flatMap((p) => {
    try {
      const fields = fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")
      return fields[0] !== "Z" && Number(fields[1]) === pid ? [Number(p)] : []
    } catch {
      return []
    }
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Starts `kratos-admin identities import` of a fresh file against a sandbox of its own (a killed
 * run's last request must not count as the next run's); resolves once its first batch arrived.
 */
const startImport = async (tag: string) => {
  const file = path.join(dir, `${tag}.jsonl`)
  fs.writeFileSync(file, records(tag, 300))
  const sandbox = await Effect.runPromise(Scope.extend(Sandbox.make({ latency: "300 millis" }), scope))
  const child = spawn(process.execPath, [binPath, "--url", sandbox.url, "identities", "import", file, "--batch-size", "5", "--quiet"], {
    env: { PATH: process.env.PATH, HOME: dir },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
  child.stdout!.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  )
  const sent = async () => (await Effect.runPromise(sandbox.requests)).some((r) => r.method === "PATCH")
  const deadline = Date.now() + 30_000
  while (!(await sent())) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the import never sent a batch: ${stderr}`)
    await sleep(50)
  }
  return { child: child as ChildProcess, file, exited, stderr: () => stderr }
}

describe("kratos-admin identities import (one process)", () => {
  it("runs in the process the user started: no child process", async () => {
    const run = await startImport("alone")
    expect(childrenOf(run.child.pid!)).toEqual([])
    run.child.kill("SIGKILL")
    await run.exited
  })

  it("kill -INT <pid> interrupts the import: exit 130, nothing left running", async () => {
    const run = await startImport("sigint")
    run.child.kill("SIGINT")
    const exit = await run.exited
    expect(exit).toEqual({ code: 130, signal: null })
    expect(processesMentioning(run.file)).toEqual([])
  })

  it("kill -9 <pid> leaves no process importing", async () => {
    const run = await startImport("sigkill")
    run.child.kill("SIGKILL")
    expect(await run.exited).toEqual({ code: null, signal: "SIGKILL" })
    // a process that outlived it would still be sending this file's records
    await sleep(1_000)
    expect(processesMentioning(run.file)).toEqual([])
  })
})
