import { expect, layer } from "@effect/vitest"
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as Import from "../../src/Import.js"
import * as Sandbox from "../../src/Sandbox.js"
import { progressLine } from "../../repl/commands/ImportCommand.js"
import { countByExternalId, env, record, records, tmpDir, writeJsonl } from "./helpers.js"

/** The report of an import expected to end incomplete. */
const incomplete = <R>(events: Stream.Stream<Import.ImportEvent, Import.ImportError, R>) =>
  Effect.flip(Import.report(events)).pipe(
    Effect.flatMap((e) => (e._tag === "ImportIncomplete" ? Effect.succeed(e.report) : Effect.die(e)))
  )

const batchRequests = (log: ReadonlyArray<Sandbox.SandboxRequestLog>) =>
  log.filter((r) => r.operation === "batchPatchIdentities")

const plaintext = (i: number, pw = `password-${i}`) =>
  record(i, { credentials: { password: { config: { password: pw } } } })

layer(env(), { excludeTestServices: true })("import pipeline", (it) => {
  it.effect("plaintext records go 200 per batch, apart from hashed ones (still 1000)", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      // interleaved: one plaintext in four
      const input = Array.from({ length: 1950 }, (_, k) => (k % 4 === 0 ? plaintext(k + 1) : record(k + 1)))
      const nPlain = input.filter((r) => "password" in r.credentials.password.config).length
      const report = yield* Import.report(Import.runWith(yield* IdentityApi, Import.fromValues(input)))
      expect(report.created).toBe(1950)
      expect(report.batchesSplit).toBe(0)
      const batches = batchRequests(yield* sb.requests)
      expect(batches.every((r) => r.status === 200)).toBe(true)
      expect(batches.length).toBe(Math.ceil(nPlain / 200) + Math.ceil((1950 - nPlain) / 1000))
      expect(report.batches).toBe(batches.length)
    }))

  it.effect("batches stay within Kratos' 5 MiB body limit: large records go fewer a batch, none refused", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      // ~8 KB a record: 1000 of them would be a 8 MB body, which Kratos refuses whole
      const input = Array.from({ length: 1300 }, (_, k) => record(k + 1, { metadata_admin: { blob: "y".repeat(8000) } }))
      const report = yield* Import.report(Import.runWith(yield* IdentityApi, Import.fromValues(input)))
      expect(report.created).toBe(1300)
      expect(report.batchesSplit).toBe(0)
      const batches = batchRequests(yield* sb.requests)
      expect(batches.every((r) => r.status === 200)).toBe(true)
      expect(batches.length).toBe(3)
    }))

  it.effect("a file with multi-byte UTF-8 (wider than its text) arrives byte for byte", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const api = yield* IdentityApi
      // every name three bytes a character, one four-byte emoji: the batch is larger in bytes than in text
      const names = ["日本語のテスト名前", "Zoë Ångström", "🦀 Ferris", "\"quoted\" \\ back\u2028slash"]
      const input = Array.from({ length: 1200 }, (_, k) =>
        record(k + 1, { traits: { email: `user-${k + 1}@example.com`, name: { first: names[k % 4].repeat(1 + (k % 7)), last: "ü" } } }))
      const file = writeJsonl(tmpDir(), "utf8.jsonl", input)
      const report = yield* Import.report(Import.importFileWith(api, file, { journal: `${file}.journal` }))
      expect(report.created).toBe(1200)
      for (const k of [0, 1, 2, 3, 998, 999, 1000, 1199]) {
        const identity = yield* api.getIdentityByExternalID({ externalID: input[k].external_id })
        expect(identity.traits).toEqual(input[k].traits)
      }
    }))

  it.effect("prehash: passwords hashed locally verify with bcrypt, never plaintext on the wire", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const api = yield* IdentityApi
      const input = Array.from({ length: 12 }, (_, k) => plaintext(k + 1))
      const report = yield* Import.report(Import.runWith(api, Import.fromValues(input), { prehash: { cost: 5 } }))
      expect(report.created).toBe(12)
      for (const r of input.slice(0, 4)) {
        const identity = yield* api.getIdentityByExternalID({ externalID: r.external_id, include_credential: ["password"] })
        const config = identity.credentials?.password?.config as { hashed_password?: string }
        expect(config.hashed_password).toMatch(/^\$2b\$05\$/)
        expect(yield* Effect.promise(() => bcrypt.verify(`password-${r.external_id.slice(4)}`, config.hashed_password!))).toBe(true)
      }
    }))

  it.effect("dry run validates and deduplicates but sends nothing", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const input = [...records(50), { traits: {} }]
      const exit = yield* Effect.flip(Import.report(Import.runWith(yield* IdentityApi, Import.fromValues(input), { dryRun: true })))
      const report = (exit as Import.ImportIncomplete).report
      expect(report).toMatchObject({ dryRun: true, valid: 50, invalid: 1, created: 0, batches: 0 })
      expect(batchRequests(yield* sb.requests)).toEqual([])
      expect((yield* sb.identities).length).toBe(0)
    }))

  it.effect("duplicates within the input (external_id, identifier in any case) are reported, sent once", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const input = [
        record(1),
        record(2),
        record(1, { traits: { email: "other@example.com" } }), // same external_id
        record(3, { traits: { email: "USER2@Example.com" } }), // same identifier as line 2
        record(4)
      ]
      const failures: Array<Import.ImportFailure> = []
      const events = Import.runWith(yield* IdentityApi, Import.fromValues(input)).pipe(
        Stream.tap((e) => Effect.sync(() => e._tag === "RecordFailed" && failures.push(e.failure)))
      )
      const report = yield* incomplete(events)
      expect(report.created).toBe(3)
      expect(report.duplicates).toBe(2)
      expect(failures.map((f) => [f.line, f.status, f.reason])).toEqual([
        [3, "duplicate", "duplicate of line 1 (same external_id ext-1)"],
        [4, "duplicate", "duplicate of line 2 (same identifier user2@example.com)"]
      ])
      expect((yield* sb.identities).length).toBe(3)
    }))

  it.effect("a batch refused as a whole (unknown hash format) is bisected down to the bad record", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const input = [...records(40), record(41, { credentials: { password: { config: { hashed_password: "nope" } } } })]
      const report = yield* incomplete(Import.runWith(yield* IdentityApi, Import.fromValues(input)))
      expect(report.created).toBe(40)
      expect(report.failed).toBe(1)
      expect(report.batchesSplit).toBeGreaterThan(0)
      expect((yield* sb.identities).length).toBe(40)
    }))

  it.effect("a connection reset after commit is reconciled, not resent; records without keys become unknown", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const api = yield* IdentityApi
      const defaultSchema = yield* api.getIdentitySchema({ id: "default" })
      const plainSchema = { type: "object", properties: { traits: { type: "object", properties: { nickname: { type: "string" } } } } }
      yield* sb.setOptions({ identitySchemas: [{ id: "default", schema: defaultSchema }, { id: "plain", schema: plainSchema }] })
      const keyless = { schema_id: "plain", traits: { nickname: "no keys" } }
      const input = [...records(30), keyless]
      yield* sb.script("batchPatchIdentities", [{ reset: true, delay: "1 millis" }])
      const events: Array<Import.ImportEvent> = []
      const report = yield* incomplete(
        Import.runWith(api, Import.fromValues(input)).pipe(Stream.tap((e) => Effect.sync(() => events.push(e))))
      )
      expect(report).toMatchObject({ alreadyPresent: 30, unknown: 1, created: 0 })
      expect(events.some((e) => e._tag === "Warning" && e.message.includes("neither external_id"))).toBe(true)
      expect((yield* sb.identities).length).toBe(31)
      expect(batchRequests(yield* sb.requests).length).toBe(1)
      yield* sb.setOptions({ identitySchemas: undefined })
    }))

  it.effect("a wait inside the client's call (429 with Retry-After) shows in the progress line", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      yield* sb.script("batchPatchIdentities", [{ status: 429, retryAfter: 2 }])
      const events: Array<Import.ImportEvent> = []
      const report = yield* Import.report(
        Import.runWith(yield* IdentityApi, Import.fromValues(records(20))).pipe(Stream.tap((e) => Effect.sync(() => events.push(e))))
      )
      expect(report.created).toBe(20)
      const waits = events.flatMap((e) => (e._tag === "Progress" && e.progress.waiting !== undefined ? [e.progress.waiting] : []))
      expect(waits[0]).toEqual({ seconds: 2, reason: "429 rate limited" })
      expect(progressLine((events.find((e) => e._tag === "Progress" && e.progress.waiting !== undefined) as { progress: Import.ImportProgress }).progress))
        .toContain("waiting 2s (429 rate limited)")
      // once the call went on, the wait is gone
      const last = events.filter((e) => e._tag === "Progress").at(-1) as { progress: Import.ImportProgress }
      expect(last.progress.waiting).toBeUndefined()
    }))

  it.effect("killed with SIGKILL mid-run, then resumed: every record exactly once", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      yield* sb.setOptions({ latency: "40 millis" })
      const n = 3000
      const input = records(n)
      const file = writeJsonl(tmpDir(), "big.jsonl", input)
      const journal = `${file}.journal.jsonl`
      const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures/child-import.ts"), sb.url, file, "100"], {
        stdio: ["ignore", "ignore", "inherit"]
      })
      // Kill while a batch is in flight, after a few have been journaled as done.
      yield* Effect.promise(() =>
        new Promise<void>((resolve, reject) => {
          const timer = setInterval(() => {
            const text = fs.existsSync(journal) ? fs.readFileSync(journal, "utf8") : ""
            const lines = text.trim().split("\n")
            if (lines.filter((l) => l.includes('"t":"done"')).length >= 4 && lines.at(-1)!.includes('"t":"sent"')) {
              clearInterval(timer)
              child.kill("SIGKILL")
              resolve()
            }
          }, 2)
          child.on("exit", (code) => code !== null && (clearInterval(timer), reject(new Error(`child exited ${code}`))))
        })
      )
      yield* Effect.sleep("300 millis")
      yield* sb.setOptions({ latency: undefined })
      const before = (yield* sb.identities).length
      expect(before).toBeGreaterThan(0)
      expect(before).toBeLessThan(n)
      // The batch in flight at the kill: pretend the server committed it, as a 504 would leave it.
      const text = fs.readFileSync(journal, "utf8").trim().split("\n").map((l) => JSON.parse(l))
      const doneLines = new Set(
        text.flatMap((e) => (e.t === "done" ? [...e.c, ...e.items.map((i: Array<unknown>) => i[0])] : []))
      )
      const pending = text.flatMap((e) => (e.t === "sent" ? e.lines : [])).filter((l: number) => !doneLines.has(l))
      expect(pending.length).toBeGreaterThan(0)
      yield* sb.insertIdentities(pending.map((l: number) => input[l - 1]))
      const report = yield* Import.report(Import.importFile(file, { resume: true }))
      expect(report.resumed).toBe(doneLines.size)
      expect(report.alreadyPresent).toBe(pending.length)
      expect(report.created + report.alreadyPresent).toBe(n)
      const all = yield* sb.identities
      const counts = countByExternalId(all)
      expect(all.length).toBe(n)
      for (const r of input) expect(counts.get(r.external_id)).toBe(1)
    }))
})
