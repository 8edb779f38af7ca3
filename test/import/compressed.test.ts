import { describe, expect, it, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import * as Import from "../../src/Import.js"
import { compressionOf } from "../../src/internal/import/compressed.js"
import * as Sandbox from "../../src/Sandbox.js"
import { countByExternalId, env, record, tmpDir, writeJsonl } from "./helpers.js"

/** Records with incompressible traits: their gzip spans several of the reader's 256 KB chunks. */
const noisy = (n: number) =>
  Array.from({ length: n }, (_, k) => record(k + 1, { metadata_admin: { noise: randomBytes(120).toString("base64") } }))

const items = (file: string) =>
  Effect.map(Stream.runCollect(Import.readFile(file)), (c) => Chunk.toArray(c).map((i) => [i.line, i._tag === "Text" ? i.text : i._tag]))

describe("compressed inputs", () => {
  it("gzip and zip are told by their first bytes", () => {
    expect(compressionOf(zlib.gzipSync("{}"))).toBe("gzip")
    expect(compressionOf(Buffer.from("PK\u0003\u0004rest"))).toBe("zip")
    expect(compressionOf(Buffer.from("{\"a\":1}"))).toBeUndefined()
    expect(compressionOf(Buffer.from([0x1f]))).toBeUndefined()
  })

  it.effect("a gzip file reads as the text it holds, line for line, across many chunks", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const plain = writeJsonl(dir, "users.jsonl", noisy(6000))
      const gz = path.join(dir, "users.jsonl.gz")
      fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(plain)))
      expect(fs.statSync(gz).size).toBeGreaterThan(2 * 256 * 1024)
      expect(yield* items(gz)).toEqual(yield* items(plain))
    }))

  it.effect("a truncated gzip fails naming the file and what zlib found", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const gz = path.join(dir, "cut.jsonl.gz")
      const whole = zlib.gzipSync(fs.readFileSync(writeJsonl(dir, "cut.jsonl", noisy(500))))
      fs.writeFileSync(gz, whole.subarray(0, whole.length - 100))
      const error = yield* Effect.flip(Stream.runDrain(Import.readFile(gz)))
      expect(error.message).toBe(`cannot read ${gz}: gzip: unexpected end of file`)
    }))
})

layer(env({}, { rateLimit: false }), { excludeTestServices: true })("compressed inputs imported", (it) => {
  it.effect("users.jsonl.gz: every record on the server once, no size in the progress, the journal beside it", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      const input = noisy(3000)
      const gz = path.join(dir, "users.jsonl.gz")
      fs.writeFileSync(gz, zlib.gzipSync(input.map((r) => JSON.stringify(r)).join("\n") + "\n"))
      const events = Chunk.toArray(yield* Stream.runCollect(Import.importFile(gz, { batchSize: 500 })))
      const report = events.find((e) => e._tag === "Finished")!.report
      expect(report).toMatchObject({ created: 3000, complete: true, journal: `${gz}.journal.jsonl` })
      expect(events.filter((e) => e._tag === "Progress").every((e) => e.progress.totalBytes === undefined)).toBe(true)
      const counts = countByExternalId(yield* sb.identities)
      for (const r of input) expect(counts.get(r.external_id)).toBe(1)
      // the journal knows the records by their text: a resume finds nothing left to send
      const again = yield* Import.report(Import.importFile(gz, { resume: true }))
      expect(again).toMatchObject({ resumed: 3000, batches: 0, complete: true })
    }))

  it.effect("a zip archive is refused before anything is made beside it", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const zip = path.join(dir, "users.zip")
      fs.writeFileSync(zip, Buffer.concat([Buffer.from("PK\u0003\u0004"), randomBytes(200)]))
      const error = yield* Effect.flip(Import.report(Import.importFile(zip)))
      expect(error.message).toBe(`cannot read ${zip}: it is a zip archive: extract the JSON Lines (or JSON) file from it and import that`)
      expect(fs.readdirSync(dir)).toEqual(["users.zip"])
    }))
})
