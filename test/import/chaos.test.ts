/**
 * Acceptance: 20,000 records through the built `kratos-admin` against a sandbox on loopback that
 * fails at random (500/502/503 on any admin request) and on a script (504 and connection resets
 * after the server committed, 429 with Retry-After), killed with SIGKILL three times mid-run, the
 * input edited and lines prepended between a crash and its resume. The last run must leave exactly
 * the input as it is then on the server (each record once, edited ones as edited) and say so.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"
import { sandboxPerFile } from "../support/sandbox.js"
import { record, records, tmpDir, writeJsonl } from "./helpers.js"

let sb: Sandbox.SandboxService
sandboxPerFile({ hashCost: 4 }, (s) => {
  sb = s
})

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

type Rec = ReturnType<typeof record>

const importArgs = (file: string, resume: boolean) =>
  ["identities", "import", file, "--batch-size", "250", "--output", "json", "--quiet", ...(resume ? ["--resume"] : [])]

const start = (args: ReadonlyArray<string>): ChildProcess =>
  spawn(process.execPath, [binPath, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: sb.url },
    stdio: ["ignore", "pipe", "pipe"]
  })

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

/** Journal entries written since the last run began. */
const thisRun = (journal: string) => {
  const lines = fs.existsSync(journal) ? fs.readFileSync(journal, "utf8").split("\n") : []
  let from = 0
  lines.forEach((l, i) => l.includes('"t":"begin"') && (from = i))
  return lines.slice(from).filter((l) => l.length > 0)
}

/** Runs the binary until this run journaled `batches` outcomes and has a batch on the wire, then SIGKILLs it. */
const killMidRun = async (file: string, resume: boolean, batches: number) => {
  const journal = `${file}.journal.jsonl`
  const child = start(importArgs(file, resume))
  const end = exited(child)
  let killed = false
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const entries = thisRun(journal)
      if (entries.filter((l) => l.includes('"t":"done"')).length >= batches && entries.at(-1)?.includes('"t":"sent"')) {
        clearInterval(timer)
        killed = child.kill("SIGKILL")
        resolve()
      }
    }, 5)
    void end.then((r) => {
      clearInterval(timer)
      if (!killed) reject(new Error(`the import ended before it was killed: ${r.code} ${r.stderr}`))
    })
  })
  const r = await end
  expect(r.signal).toBe("SIGKILL")
  // the server finishes the request the dead process left on the wire
  await new Promise((resolve) => setTimeout(resolve, 200))
}

const edit = (r: Rec, round: number): Rec => ({ ...r, traits: { ...r.traits, name: { first: `Edited${round}`, last: r.traits.name.last } } })

describe("import chaos (the built binary, SIGKILLs, faults, an input edited between crash and resume)", () => {
  it("20,000 records end on the server exactly as the input is at the end, once each, and the report says so", async () => {
    await run(sb.reset)
    await run(sb.setOptions({ latency: "15 millis", faults: { seed: 14, rate: 0.01, statuses: [500, 502, 503] } }))
    // Batch answers: lost after commit (504, reset), refused before (429 with Retry-After, 503); the rest real.
    const script: Array<Sandbox.ScriptedResponse> = Array.from({ length: 400 }, (_, i) =>
      i % 11 === 5
        ? { status: 504, afterCommit: true }
        : i % 13 === 7
        ? { reset: true, afterCommit: true }
        : i % 29 === 3
        ? { status: 429, retryAfter: 1 }
        : i % 31 === 9
        ? { status: 503 }
        : {})
    await run(sb.script("batchPatchIdentities", script))

    const dir = tmpDir()
    let input: Array<Rec> = records(20_000)
    const file = writeJsonl(dir, "users.jsonl", input)
    const editedOnServer = new Set<string>()
    let nextId = 20_001
    const onServer = async () => new Set((await run(sb.identities)).map((i) => i.external_id))

    /** Edits `n` records at each of three places (imported, on the wire at the kill, not yet sent) and prepends `prepend` new ones. */
    const change = async (round: number, n: number, prepend: number) => {
      const there = await onServer()
      const journalText = fs.readFileSync(`${file}.journal.jsonl`, "utf8")
      const entries = journalText.trim().split("\n").map((l) => JSON.parse(l) as { t: string; lines?: Array<number> })
      const lastSent = entries.filter((e) => e.t === "sent").at(-1)!.lines!
      const imported = input.map((r, i) => [r, i] as const).filter(([r]) => there.has(r.external_id)).map(([, i]) => i)
      const notSent = input.map((r, i) => [r, i] as const).filter(([r]) => !there.has(r.external_id)).map(([, i]) => i)
      const picks = [
        ...imported.filter((_, k) => k % Math.floor(imported.length / n) === 0).slice(0, n),
        ...lastSent.slice(0, n).map((line) => line - 1),
        ...notSent.filter((_, k) => k % Math.floor(notSent.length / n) === 0).slice(-n)
      ]
      for (const i of new Set(picks)) {
        input[i] = edit(input[i], round)
        if (there.has(input[i].external_id)) editedOnServer.add(input[i].external_id)
      }
      input = [...records(prepend, nextId), ...input]
      nextId += prepend
      writeJsonl(dir, "users.jsonl", input)
    }

    await killMidRun(file, false, 10)
    await change(1, 20, 300)
    await killMidRun(file, true, 10)
    await change(2, 20, 100)
    await killMidRun(file, true, 10)
    await change(3, 10, 0)

    const last = await exited(start(importArgs(file, true)))
    expect(last.code, last.stderr).toBe(0)
    const report = JSON.parse(last.stdout)

    await run(sb.setOptions({ faults: { rate: 0 }, latency: undefined }))
    const all = await run(sb.identities)
    const byExternalId = new Map<string, Array<(typeof all)[number]>>()
    for (const i of all) byExternalId.set(i.external_id!, [...(byExternalId.get(i.external_id!) ?? []), i])
    // exactly the input set: nothing missing, nothing twice, nothing else, each as it is now
    expect(all.length).toBe(input.length)
    for (const r of input) {
      const found = byExternalId.get(r.external_id) ?? []
      expect(found.length).toBe(1)
      expect(found[0].traits).toEqual(r.traits)
    }
    // and the report says what happened
    expect(report).toMatchObject({
      records: input.length,
      valid: input.length,
      complete: true,
      failed: 0,
      conflicts: 0,
      unknown: 0,
      invalid: 0,
      malformed: 0,
      duplicates: 0,
      updated: editedOnServer.size
    })
    expect(report.created + report.alreadyPresent + report.updated).toBe(input.length)
    expect(report.reconciled).toBeGreaterThan(0)
    expect(report.warnings.filter((w: string) => w.includes("not in the input as it is now"))).toEqual([])
    expect(fs.readFileSync(`${file}.journal.jsonl`, "utf8")).not.toContain("$2a$")
  }, 180_000)
})
