import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Import from "../../src/Import.js"
import { digestKey } from "../../src/internal/import/digest.js"
import { ImportFiles, type Files } from "../../src/internal/import/journal.js"
import * as Sandbox from "../../src/Sandbox.js"
import { countByExternalId, env, record, records, tmpDir, writeJsonl } from "./helpers.js"

const quick = { retryBase: 20, batchSize: 100 } as const

/** Runs an import until `done` records are finished, then stops it (as Ctrl-C would). */
const runUntil = (file: string, done: number, options: Import.ImportOptions = {}) =>
  Import.importFile(file, { ...quick, ...options }).pipe(
    Stream.takeUntil((e) => e._tag === "Progress" && e.progress.done >= done),
    Stream.runDrain
  )

const failuresOf = (file: string): Array<Import.ImportFailure> =>
  fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l)) : []

const batchRequests = (log: ReadonlyArray<Sandbox.SandboxRequestLog>) =>
  log.filter((r) => r.operation === "batchPatchIdentities")

const edited = (i: number) => record(i, { traits: { email: `user${i}@example.com`, name: { first: "Edited", last: String(i) } } })

layer(env({}, { rateLimit: false }), { excludeTestServices: true })("journal bound to the input", (it) => {
  it.effect("50 lines edited between a stopped run and its resume: each on the server as it is now", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      yield* sb.setOptions({ latency: "5 millis" })
      const dir = tmpDir()
      const input: Array<ReturnType<typeof record>> = records(3000)
      const file = writeJsonl(dir, "users.jsonl", input)
      yield* runUntil(file, 1000)
      yield* sb.setOptions({ latency: undefined })
      const before = new Set((yield* sb.identities).map((i) => i.external_id))
      // 25 lines of records already imported, 25 of records not yet sent
      const editedLines = [...Array.from({ length: 25 }, (_, k) => 1 + k * 20), ...Array.from({ length: 25 }, (_, k) => 2001 + k * 40)]
      for (const line of editedLines) input[line - 1] = edited(line)
      writeJsonl(dir, "users.jsonl", input)
      const report = yield* Import.report(Import.importFile(file, { ...quick, resume: true }))
      expect(failuresOf(`${file}.failures.jsonl`)).toEqual([])
      const all = yield* sb.identities
      expect(all.length).toBe(3000)
      const byExternalId = new Map(all.map((i) => [i.external_id, i]))
      for (const r of input) expect(byExternalId.get(r.external_id)?.traits).toEqual(r.traits)
      // the records edited after their earlier version was imported were updated, the others created
      const wasThere = editedLines.filter((line) => before.has(input[line - 1].external_id)).length
      expect(wasThere).toBeGreaterThanOrEqual(25)
      expect(report).toMatchObject({ complete: true, updated: wasThere, conflicts: 0 })
      expect(report.created + report.alreadyPresent + report.updated).toBe(3000)
      expect(report.warnings.some((w) => w.includes("not in the input as it is now"))).toBe(false)
      // resumed again: nothing changed, nothing sent, the updates still counted as such
      const requests = batchRequests(yield* sb.requests).length
      const again = yield* Import.report(Import.importFile(file, { ...quick, resume: true }))
      expect(again).toMatchObject({ complete: true, updated: wasThere, batches: 0 })
      expect(batchRequests(yield* sb.requests).length).toBe(requests)
    }))

  it.effect("500 lines prepended between a stopped run and its resume: all 500 sent, nothing twice", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      yield* sb.setOptions({ latency: "5 millis" })
      const dir = tmpDir()
      const tail = records(2000, 501)
      const file = writeJsonl(dir, "users.jsonl", tail)
      yield* runUntil(file, 1000)
      yield* sb.setOptions({ latency: undefined })
      const before = (yield* sb.identities).length
      expect(before).toBeGreaterThanOrEqual(1000)
      expect(before).toBeLessThan(2000)
      const input = [...records(500), ...tail]
      writeJsonl(dir, "users.jsonl", input)
      const report = yield* Import.report(Import.importFile(file, { ...quick, resume: true }))
      expect(report.complete).toBe(true)
      expect(report.created + report.alreadyPresent).toBe(2500)
      expect(report.resumed).toBeGreaterThanOrEqual(1000)
      const all = yield* sb.identities
      const counts = countByExternalId(all)
      expect(all.length).toBe(2500)
      for (const r of input) expect(counts.get(r.external_id)).toBe(1)
    }))

  it.effect("a finished import run again sends nothing and says so; --restart starts over; failures files are kept", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const file = writeJsonl(dir, "done.jsonl", [...records(50), { traits: {} }])
      const first = yield* Effect.either(Import.report(Import.importFile(file, quick)))
      expect(first._tag).toBe("Left")
      const failuresFile = `${file}.failures.jsonl`
      const firstFailures = fs.readFileSync(failuresFile, "utf8")
      expect(firstFailures).toContain("\"line\":51")
      const requests = batchRequests(yield* sb.requests).length
      const again = yield* Effect.flip(Import.report(Import.importFile(file, quick)))
      expect(again._tag).toBe("ImportError")
      expect(again.message).toContain("was imported by an earlier run")
      expect(again.message).toContain("--restart")
      expect(batchRequests(yield* sb.requests).length).toBe(requests)
      expect(fs.readFileSync(failuresFile, "utf8")).toBe(firstFailures)
      // a resume of the finished import: nothing changed, nothing sent
      const resumed = yield* Effect.either(Import.report(Import.importFile(file, { ...quick, resume: true })))
      expect(resumed._tag).toBe("Left")
      expect(batchRequests(yield* sb.requests).length).toBe(requests)
      expect(fs.readFileSync(path.join(dir, "done.jsonl.failures.1.jsonl"), "utf8")).toBe(firstFailures)
      const restarted = yield* Effect.either(Import.report(Import.importFile(file, { ...quick, restart: true })))
      expect(restarted._tag).toBe("Left")
      expect(batchRequests(yield* sb.requests).length).toBeGreaterThan(requests)
      expect(fs.existsSync(path.join(dir, "done.jsonl.failures.2.jsonl"))).toBe(true)
    }))

  it.effect("one run per journal: a live holder is named and nothing is sent; a dead one's lock is taken over", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const file = writeJsonl(dir, "locked.jsonl", records(20))
      const lock = `${file}.journal.jsonl.lock`
      const started = "2026-01-01T00:00:00.000Z"
      fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), started }))
      const held = yield* Effect.flip(Import.report(Import.importFile(file, quick)))
      expect(held.message).toContain(`pid ${process.pid} on ${os.hostname()}, running since ${started}`)
      expect(held.message).toContain(lock)
      expect(batchRequests(yield* sb.requests)).toEqual([])
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!
      fs.writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname(), started }))
      const events: Array<Import.ImportEvent> = []
      const report = yield* Import.report(Import.importFile(file, quick).pipe(Stream.tap((e) => Effect.sync(() => events.push(e)))))
      expect(report.created).toBe(20)
      expect(events.some((e) => e._tag === "Warning" && e.message.includes(`pid ${dead}`))).toBe(true)
      expect(fs.existsSync(lock)).toBe(false)
    }))

  it.effect("two imports of one journal at once: the second is refused while the first runs", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      yield* sb.setOptions({ latency: "30 millis" })
      const file = writeJsonl(tmpDir(), "twice.jsonl", records(500))
      const first = yield* Effect.fork(Import.report(Import.importFile(file, { ...quick, batchSize: 50 })))
      yield* Effect.sleep("200 millis")
      const second = yield* Effect.flip(Import.report(Import.importFile(file, { ...quick, resume: true })))
      expect(second.message).toContain(`in use by pid ${process.pid}`)
      const report = yield* first
      yield* sb.setOptions({ latency: undefined })
      expect(report.created).toBe(500)
      expect((yield* sb.identities).length).toBe(500)
    }))

  it.effect("journal and failures files are owner-only; a missing input leaves no file behind", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const file = writeJsonl(dir, "modes.jsonl", [record(1), "{broken"])
      yield* Effect.either(Import.report(Import.importFile(file, quick)))
      expect(fs.statSync(`${file}.journal.jsonl`).mode & 0o777).toBe(0o600)
      expect(fs.statSync(`${file}.failures.jsonl`).mode & 0o777).toBe(0o600)
      const missing = path.join(dir, "missing.jsonl")
      const e = yield* Effect.flip(Import.report(Import.importFile(missing, quick)))
      expect(e.message).toContain(missing)
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("missing"))).toEqual([])
    }))

  it.effect("an unwritable failures location stops the run before anything is sent", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const file = writeJsonl(dir, "nowhere.jsonl", records(10))
      const e = yield* Effect.flip(Import.report(Import.importFile(file, { ...quick, failures: path.join(dir, "no-such-dir", "f.jsonl") })))
      expect(e.message).toContain("no-such-dir")
      expect(batchRequests(yield* sb.requests)).toEqual([])
      expect(fs.existsSync(`${file}.journal.jsonl.lock`)).toBe(false)
    }))

  it.effect("a full disk (/dev/full) under the journal: stopped before the first batch, the message names the journal", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const file = writeJsonl(dir, "full.jsonl", records(10))
      const journal = path.join(dir, "full.journal")
      fs.symlinkSync("/dev/full", journal)
      const e = yield* Effect.flip(Import.report(Import.importFile(file, { ...quick, journal })))
      expect(e.message).toContain(journal)
      expect(e.message).toContain("ENOSPC")
      expect(batchRequests(yield* sb.requests)).toEqual([])
    }))

  it.effect("a journal entry cut short mid-run stops the run before its batch is sent; a resume then sends each record once", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const input = records(1000)
      const file = writeJsonl(dir, "short.jsonl", input)
      const journal = `${file}.journal.jsonl`
      // The sixth `sent` entry gets half written, then the disk is full.
      let sent = 0
      let full = false
      const failing: Files = {
        openSync: (p, flags, mode) => fs.openSync(p, flags, mode),
        writeSync: (fd, data, offset, length) => {
          const text = Buffer.from(data.subarray(offset, offset + length)).toString("utf8")
          if (full) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })
          if (text.startsWith("{\"t\":\"sent\"") && ++sent === 6) {
            full = true
            return fs.writeSync(fd, data, offset, Math.floor(length / 2))
          }
          return fs.writeSync(fd, data, offset, length)
        },
        fsync: (fd, cb) => fs.fsync(fd, cb),
        fsyncSync: (fd) => fs.fsyncSync(fd),
        closeSync: (fd) => fs.closeSync(fd),
        fchmodSync: (fd, mode) => fs.fchmodSync(fd, mode)
      }
      const e = yield* Effect.flip(
        Import.report(Import.importFile(file, { ...quick, lookAhead: false })).pipe(Effect.provideService(ImportFiles, failing))
      )
      expect(e.message).toContain(journal)
      expect(e.message).toContain("ENOSPC")
      expect(batchRequests(yield* sb.requests).length).toBe(5)
      const report = yield* Import.report(Import.importFile(file, { ...quick, resume: true }))
      expect(report.created + report.alreadyPresent).toBe(1000)
      const all = yield* sb.identities
      const counts = countByExternalId(all)
      expect(all.length).toBe(1000)
      for (const r of input) expect(counts.get(r.external_id)).toBe(1)
    }))
  it.effect("each sent record is journaled with the digest of its key: its external_id, else its first identifier", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const { external_id: _e2, ...byEmail } = record(2)
      const file = writeJsonl(dir, "keys.jsonl", [record(1), byEmail])
      expect((yield* Import.report(Import.importFile(file, quick))).created).toBe(2)
      const sent = fs.readFileSync(`${file}.journal.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.t === "sent")
      const keyOf = new Map<number, [number, number]>()
      for (const e of sent) e.lines.forEach((line: number, i: number) => keyOf.set(line, [e.k[2 * i], e.k[2 * i + 1]]))
      const digest = (prefix: string, key: string) => {
        const out = { a: 0, b: 0 }
        digestKey(prefix.charCodeAt(0), key, out)
        return [out.a, out.b]
      }
      expect(keyOf.get(1)).toEqual(digest("e", "ext-1"))
      expect(keyOf.get(2)).toEqual(digest("i", "user2@example.com"))
    }))
})
