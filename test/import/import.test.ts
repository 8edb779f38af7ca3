import { expect, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Import from "../../src/Import.js"
import * as Sandbox from "../../src/Sandbox.js"
import { countByExternalId, env, record, records, tmpDir, writeJsonl } from "./helpers.js"

const quick = { retryBase: 20 } as const

// Random 429s would make the client's CUBIC limiter crawl (~10 req/s) through the 2,000 reconciliation
// lookups; the limiter is exercised by the resume test, so this one turns it off to stay fast.
layer(env({}, { rateLimit: false }), { excludeTestServices: true })("import", (it) => {
  it.effect("a named pipe as the input: read as stdin is (no size, nothing written next to it), every record imported", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const fifo = path.join(dir, "users.fifo")
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0)
      const input = records(3_000)
      // the writer opens the pipe when the importer does, and writes it whole
      const writer = fs.createWriteStream(fifo)
      writer.end(input.map((r) => JSON.stringify(r)).join("\n") + "\n")
      const events = Chunk.toArray(yield* Stream.runCollect(Import.importFile(fifo, quick)))
      const report = events.find((e) => e._tag === "Finished")!.report
      expect(report).toMatchObject({ created: 3_000, complete: true })
      expect(report.journal).toBeUndefined()
      expect(events.filter((e) => e._tag === "Progress").every((e) => e.progress.totalBytes === undefined)).toBe(true)
      expect(fs.readdirSync(dir)).toEqual(["users.fifo"])
      expect(Import.defaultPaths(fifo)).toEqual({})
      expect((yield* sb.identities).length).toBe(3_000)
    }))

  it.effect("20,000 records through 10% 429/502/503 and 504-after-commit: each imported exactly once", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const input = records(20_000)
      const file = writeJsonl(dir, "users.jsonl", input)
      yield* sb.setOptions({ faults: { seed: 1, rate: 0.1, statuses: [429, 502, 503] } })
      yield* sb.script("batchPatchIdentities", [{ status: 504, afterCommit: true }, { status: 504, afterCommit: true }])
      const report = yield* Import.report(Import.importFile(file, quick))
      yield* sb.setOptions({ faults: { rate: 0 } })
      expect(report.created + report.alreadyPresent).toBe(20_000)
      expect(report.complete).toBe(true)
      expect(report.reconciled).toBeGreaterThan(0)
      const all = yield* sb.identities
      expect(all.length).toBe(20_000)
      const counts = countByExternalId(all)
      expect(counts.size).toBe(20_000)
      for (const r of input) expect(counts.get(r.external_id)).toBe(1)
      expect(fs.readFileSync(`${file}.journal.jsonl`, "utf8")).not.toContain("$2a$")
    }), 150_000)

  it.effect("4 batches in flight through faults and a 504 after commit: still exactly once", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const input = records(6_000)
      const file = writeJsonl(tmpDir(), "conc.jsonl", input)
      yield* sb.setOptions({ faults: { seed: 7, rate: 0.1, statuses: [429, 502, 503] } })
      yield* sb.script("batchPatchIdentities", [{}, { status: 504, afterCommit: true }])
      const report = yield* Import.report(Import.importFile(file, { ...quick, concurrency: 4, batchSize: 500 }))
      yield* sb.setOptions({ faults: { rate: 0 } })
      expect(report.created + report.alreadyPresent).toBe(6_000)
      const all = yield* sb.identities
      const counts = countByExternalId(all)
      expect(all.length).toBe(6_000)
      for (const r of input) expect(counts.get(r.external_id)).toBe(1)
    }))

  it.effect("malformed and invalid lines are reported with line numbers, the rest imported", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const file = writeJsonl(dir, "mixed.jsonl", [
        record(1),
        "{not json",
        record(2, { unknown_field: true }),
        { ...record(3), traits: { email: "not-an-email" } },
        record(4, { schema_id: "nope" }),
        record(5),
        { ...record(6), credentials: { password: { config: { password: "plain-secret-pw" } } }, traits: { email: 5 } }
      ])
      const failures: Array<Import.ImportFailure> = []
      const events = Import.importFile(file).pipe(
        Stream.tap((e) => Effect.sync(() => e._tag === "RecordFailed" && failures.push(e.failure)))
      )
      const exit = yield* Effect.flip(Import.report(events))
      expect(exit._tag).toBe("ImportIncomplete")
      const report = (exit as Import.ImportIncomplete).report
      expect(report.created).toBe(2)
      expect(report.malformed).toBe(1)
      expect(report.invalid).toBe(4)
      expect(failures.map((f) => [f.line, f.status])).toEqual([
        [2, "malformed"],
        [3, "invalid"],
        [4, "invalid"],
        [5, "invalid"],
        [7, "invalid"]
      ])
      expect(failures[1].reason).toContain("unknown_field")
      expect(failures[2].reason).toContain("email")
      expect(failures[3].reason).toContain("nope")
      const written = fs.readFileSync(`${file}.failures.jsonl`, "utf8")
      expect(written).not.toContain("plain-secret-pw")
      const last = JSON.parse(written.trim().split("\n").at(-1)!)
      expect(last).toMatchObject({ line: 7, password_removed: true, external_id: "ext-6" })
      expect((yield* sb.identities).length).toBe(2)
    }))
})
