import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Export from "../../src/Export.js"
import * as Import from "../../src/Import.js"
import * as OwnPages from "../../src/internal/client/ownPages.js"
import { byExternalId, http, fullRecord, hashOf, readJsonl, sandboxWithClient, tmpDir } from "./helpers.js"

const serverFields = ["id", "schema_url", "created_at", "updated_at", "state_changed_at"]

describe("Export", () => {
  it.scopedLive("a round trip between two sandboxes carries every identity whole, credentials included", () =>
    Effect.gen(function*() {
      const a = yield* sandboxWithClient()
      const b = yield* sandboxWithClient()
      const hash = hashOf("known-password")
      const source = Array.from({ length: 1_203 }, (_, k) => fullRecord(k + 1, hash))
      const seeded = yield* a.sandbox.insertIdentities(source)
      expect(seeded.length).toBe(source.length)
      const file = path.join(tmpDir(), "export.jsonl")
      const events = yield* Stream.runCollect(
        Export.toFileWith(a.api, file, { includeCredentials: ["password", "oidc", "saml"], pageSize: 250 })
      )
      const finished = Chunk.findLast(events, (e) => e._tag === "Finished")
      expect(finished._tag === "Some" && finished.value._tag === "Finished" && finished.value.report.exported).toBe(1_203)
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      const lines = readJsonl(file)
      expect(lines.length).toBe(1_203)
      for (const line of lines) for (const f of serverFields) expect(line).not.toHaveProperty(f)
      for (const line of lines) {
        for (const a of (line.verifiable_addresses ?? []) as Array<object>) expect(a).not.toHaveProperty("id")
      }

      const report = yield* Import.report(Import.importFileWith(b.api, file, { journal: `${file}.journal`, failures: `${file}.failures` }))
      expect(report.created).toBe(1_203)

      const again = yield* Stream.runCollect(Export.wireBodiesWith(b.api, { includeCredentials: ["password", "oidc", "saml"] }))
      const exportedA = byExternalId(lines)
      const exportedB = byExternalId(Chunk.toReadonlyArray(again))
      expect(exportedB).toEqual(exportedA)
      // and the bodies are what was put in, field for field
      expect(exportedA).toEqual(byExternalId(source))
    }).pipe(Effect.provide(http)))

  it.scopedLive("without --include-credentials no secret leaves the server; the filters are the list's", () =>
    Effect.gen(function*() {
      const a = yield* sandboxWithClient()
      yield* a.sandbox.insertIdentities(Array.from({ length: 40 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(Export.wireBodiesWith(a.api)))
      expect(all.length).toBe(40)
      for (const body of all) expect(body).not.toHaveProperty("credentials")
      const org = Chunk.toReadonlyArray(yield* Stream.runCollect(
        Export.wireBodiesWith(a.api, { filter: { organization_id: "5f4b0c1e-6a57-4c3b-9d45-0a1b2c3d4e5f" } })
      ))
      expect(org.map((b) => b.external_id).sort()).toEqual(
        Array.from({ length: 10 }, (_, k) => `ext-${(k + 1) * 4}`).sort()
      )
      const one = Chunk.toReadonlyArray(yield* Stream.runCollect(
        Export.wireBodiesWith(a.api, { filter: { credentials_identifier: "user7@example.com" }, includeCredentials: ["oidc"] })
      ))
      expect(one.length).toBe(1)
      expect(one[0].credentials).toEqual({ oidc: { config: { providers: [{ provider: "google", subject: "g-7" }, { provider: "github", subject: "h-7" }] } } })
    }).pipe(Effect.provide(http)))

  it.scopedLive("the client's own pages are let go as rendered; a caller's stream is only read; both write the same file", () =>
    Effect.gen(function*() {
      const a = yield* sandboxWithClient()
      yield* a.sandbox.insertIdentities(Array.from({ length: 120 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const dir = tmpDir()
      const include = ["password", "oidc", "saml"] as const
      // the fast path: the interpreter's own stream function, whose pages the export clears
      expect(OwnPages.isOwn(a.api.listIdentitiesStream)).toBe(true)
      const own = path.join(dir, "own.jsonl")
      yield* Stream.runDrain(Export.toFileWith(a.api, own, { includeCredentials: include, pageSize: 50 }))

      // the plain path: a caller's stream over an array the caller keeps (Chunk.fromIterable shares it)
      const held = Chunk.toArray(yield* Stream.runCollect(
        a.api.listIdentitiesStream({ page_size: 500, include_credential: [...include] })
      ))
      const before = JSON.stringify(held)
      const theirs: Export.ExportClient = { listIdentitiesStream: () => Stream.fromChunk(Chunk.fromIterable(held)) }
      expect(OwnPages.isOwn(theirs.listIdentitiesStream)).toBe(false)
      const bound: Export.ExportClient = { listIdentitiesStream: a.api.listIdentitiesStream.bind(a.api) }
      expect(OwnPages.isOwn(bound.listIdentitiesStream)).toBe(false)
      const plain = path.join(dir, "plain.jsonl")
      yield* Stream.runDrain(Export.toFileWith(theirs, plain, { includeCredentials: include }))

      expect(held.length).toBe(120)
      expect(JSON.stringify(held)).toBe(before)
      expect(fs.readFileSync(plain, "utf8")).toBe(fs.readFileSync(own, "utf8"))
      expect(readJsonl(own).length).toBe(120)
    }).pipe(Effect.provide(http)))

  it.scopedLive("numbers JavaScript's JSON cannot keep exactly are named, and every identity is still exported", () =>
    Effect.gen(function*() {
      const a = yield* sandboxWithClient()
      yield* a.sandbox.insertIdentities([
        // 2^60 is served as an integer beyond 2^53: rounded when any page holding it is read
        { ...fullRecord(1, hashOf("pw")), metadata_public: { big: 2 ** 60, ok: 42, list: [1, -(2 ** 55)] } },
        fullRecord(2, hashOf("pw")),
        { ...fullRecord(3, hashOf("pw")), traits: { email: "user3@example.com", name: { first: "U", last: "3" } }, metadata_admin: { n: 2 ** 54 } }
      ])
      const file = path.join(tmpDir(), "inexact.jsonl")
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(Export.toFileWith(a.api, file)))
      const warnings = events.flatMap((e) => (e._tag === "Warning" ? [e.message] : []))
      expect(warnings).toHaveLength(2)
      expect(warnings.find((w) => w.includes("(external_id ext-1)"))).toMatch(
        /^identity [0-9a-f-]{36} \(external_id ext-1\): metadata_public\.big, metadata_public\.list\[1\] hold numbers JavaScript's JSON cannot keep exactly/
      )
      expect(warnings.find((w) => w.includes("(external_id ext-3)"))).toMatch(/metadata_admin\.n holds a number/)
      const finished = events.at(-1)
      expect(finished?._tag === "Finished" && finished.report).toMatchObject({ exported: 3, inexactNumbers: 2 })
      expect(finished?._tag === "Finished" && finished.report.warnings).toEqual(warnings)
      expect(readJsonl(file)).toHaveLength(3)

      // past the named ones, the rest are counted
      const many = yield* sandboxWithClient()
      yield* many.sandbox.insertIdentities(
        Array.from({ length: 25 }, (_, k) => ({ ...fullRecord(k + 1, hashOf("pw")), metadata_public: { big: 2 ** 60 } }))
      )
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(Export.toFileWith(many.api, path.join(tmpDir(), "many.jsonl"))))
      expect(all.filter((e) => e._tag === "Warning")).toHaveLength(20)
      const last = all.at(-1)
      expect(last?._tag === "Finished" && last.report.inexactNumbers).toBe(25)
      expect(last?._tag === "Finished" && last.report.warnings.at(-1)).toBe("… and 5 more identities with such numbers")
    }).pipe(Effect.provide(http)))

  it.scopedLive("JSON format: an interrupted export leaves a valid array of what was written", () =>
    Effect.gen(function*() {
      const a = yield* sandboxWithClient()
      yield* a.sandbox.insertIdentities(Array.from({ length: 100 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const dir = tmpDir()
      const whole = path.join(dir, "whole.json")
      yield* Stream.runDrain(Export.toFileWith(a.api, whole, { format: "json", pageSize: 30 }))
      expect((JSON.parse(fs.readFileSync(whole, "utf8")) as Array<unknown>).length).toBe(100)
      const partial = path.join(dir, "partial.json")
      // stop after the second page
      yield* Export.toFileWith(a.api, partial, { format: "json", pageSize: 30 }).pipe(
        Stream.filter((e) => e._tag === "Progress"),
        Stream.take(2),
        Stream.runDrain
      )
      const parsed = JSON.parse(fs.readFileSync(partial, "utf8")) as Array<{ external_id: string }>
      expect(parsed.length).toBeGreaterThanOrEqual(60)
      expect(parsed.length).toBeLessThan(100)
      // stopped before the first write, while pages may already be fetched and rendered ahead
      const unwritten = path.join(dir, "unwritten.json")
      yield* Export.toFileWith(a.api, unwritten, { format: "json", pageSize: 30 }).pipe(Stream.take(1), Stream.runDrain)
      expect(Array.isArray(JSON.parse(fs.readFileSync(unwritten, "utf8")))).toBe(true)
      const empty = path.join(dir, "empty.json")
      yield* Stream.runDrain(Export.toFileWith(a.api, empty, { format: "json", filter: { credentials_identifier: "nobody@example.com" } }))
      expect(JSON.parse(fs.readFileSync(empty, "utf8"))).toEqual([])
    }).pipe(Effect.provide(http)))
})
