import { describe, expect, it, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import * as Import from "../../src/Import.js"
import { formatOf } from "../../src/internal/import/inputFormat.js"
import * as Sandbox from "../../src/Sandbox.js"
import { countByExternalId, env, record, tmpDir, writeJsonl } from "./helpers.js"

/** Records with incompressible traits: their gzip spans several of the reader's 256 KB chunks. */
const noisy = (n: number) =>
  Array.from({ length: n }, (_, k) => record(k + 1, { metadata_admin: { noise: randomBytes(120).toString("base64") } }))

const items = (file: string) =>
  Effect.map(Stream.runCollect(Import.readFile(file)), (c) => Chunk.toArray(c).map((i) => [i.line, i._tag === "Text" ? i.text : i._tag]))

describe("input formats", () => {
  it("formats are told by their first bytes; no JSON text is mistaken for one", () => {
    const tag = (bytes: Uint8Array | string) => formatOf(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes)
    expect(tag(zlib.gzipSync("{}"))._tag).toBe("Gzip")
    expect(tag(Buffer.from("\ufeff{}", "utf16le"))).toEqual({ _tag: "Utf16", encoding: "utf-16le" })
    expect(tag(Buffer.from("{}", "utf16le"))).toEqual({ _tag: "Utf16", encoding: "utf-16le" })
    expect(tag(Buffer.from("{}", "utf16le").swap16())).toEqual({ _tag: "Utf16", encoding: "utf-16be" })
    expect(tag(Buffer.from("\ufeff{}", "utf16le").swap16())).toEqual({ _tag: "Utf16", encoding: "utf-16be" })
    expect(tag("PK\u0003\u0004rest")).toEqual({ _tag: "Refused", what: "a zip archive", tool: undefined })
    expect(tag(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toEqual({ _tag: "Refused", what: "xz-compressed", tool: "xz" })
    expect(tag("BZh91AY&SY")).toEqual({ _tag: "Refused", what: "bzip2-compressed", tool: "bzip2" })
    expect(tag(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toEqual({ _tag: "Refused", what: "zstd-compressed", tool: "zstd" })
    for (const json of ["{\"a\":1}", "[1]", " {}", "\n{}", "\ufeff{}", "\"s\"", "-1", "12", "true", "null", "BZ", "{", "P"]) {
      expect(formatOf(Buffer.from(json, "utf8"))._tag, json).toBe("Text")
    }
    expect(tag(Buffer.from([0x1f]))._tag).toBe("Text")
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

layer(env({}, { rateLimit: false }), { excludeTestServices: true })("inputs in other formats, imported or refused", (it) => {
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

  it.effect("UTF-16 with or without a byte order mark, either byte order: imported as the text it holds", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const dir = tmpDir()
      // a name outside ASCII and one outside the BMP, each split across read chunks somewhere
      const input = Array.from({ length: 1200 }, (_, k) => record(20_000 + k, { traits: { email: `u${k}@example.com`, name: { first: "Zoë 🦀", last: String(k) } } }))
      const utf8 = input.map((r) => JSON.stringify(r)).join("\r\n") + "\r\n"
      const le = path.join(dir, "le.jsonl")
      fs.writeFileSync(le, Buffer.from("\ufeff" + utf8, "utf16le"))
      const be = path.join(dir, "be.jsonl")
      fs.writeFileSync(be, Buffer.from(utf8, "utf16le").swap16())
      expect(fs.statSync(le).size).toBeGreaterThan(256 * 1024)
      const plain = writeJsonl(dir, "plain.jsonl", input.map((r) => JSON.stringify(r) + "\r"))
      expect(yield* items(le)).toEqual(yield* items(plain))
      expect(yield* items(be)).toEqual(yield* items(plain))
      const report = yield* Import.report(Import.importFile(le, { batchSize: 500 }))
      expect(report).toMatchObject({ created: 1200, complete: true, malformed: 0 })
      const byId = new Map((yield* sb.identities).map((i) => [i.external_id, i]))
      for (const r of input) expect(byId.get(r.external_id)?.traits).toEqual(r.traits)
    }))

  it.effect("UTF-16 cut in the middle of a character fails naming the encoding", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const file = path.join(dir, "odd.jsonl")
      fs.writeFileSync(file, Buffer.concat([Buffer.from("\ufeff" + JSON.stringify(record(1)) + "\n", "utf16le"), Buffer.from([0x41])]))
      const error = yield* Effect.flip(Stream.runDrain(Import.readFile(file)))
      expect(error.message).toBe(`cannot read ${file}: not valid UTF-16LE`)
    }))

  it.effect("xz, bzip2 and zstd files are refused before anything is made beside them, with the command that reads them", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const cases = [
        ["users.jsonl.xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), "xz"],
        ["users.jsonl.bz2", Buffer.from("BZh91AY&SY", "latin1"), "bzip2"],
        ["users.jsonl.zst", Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), "zstd"]
      ] as const
      for (const [name, magic, tool] of cases) {
        const file = path.join(dir, name)
        fs.writeFileSync(file, Buffer.concat([magic, randomBytes(300)]))
        const error = yield* Effect.flip(Import.report(Import.importFile(file)))
        expect(error.message).toBe(
          `cannot read ${file}: it is ${tool}-compressed: decompress it on the way in: ${tool} -dc ${file} | kratos-admin identities import -`
        )
      }
      expect(fs.readdirSync(dir).sort()).toEqual(["users.jsonl.bz2", "users.jsonl.xz", "users.jsonl.zst"])
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
