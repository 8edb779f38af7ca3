import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Import from "../../src/Import.js"
import { defaultNamespace, KeyKind, KeyTable, PatchIds, uuidV5 } from "../../src/internal/import/keys.js"

/** The value of a record's text, as the import parses it ("malformed" when it is not JSON). */
const parseOr = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return "malformed"
  }
}

/** Splits text fed in `size`-byte pieces (so values straddle chunk boundaries). */
const parse = (text: string, size = 7) => {
  const bytes = Buffer.from(text)
  const pieces: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size))
  return Stream.runCollect(Import.readSource(Stream.fromIterable(pieces))).pipe(
    Effect.map((c) => Chunk.toArray(c).map((i) => [i.line, i._tag === "Text" ? parseOr(i.text) : "malformed"]))
  )
}

describe("sources", () => {
  it.effect("every item carries the byte offset where its line begins, whatever the chunk size", () =>
    Effect.gen(function*() {
      const text = '{"a":"日本"}\r\n\n{"b":"🦀"}\n{"c":\n{"d":4}\n{"e":"é"}'
      const bytes = Buffer.from(text)
      const lineStarts = [0]
      bytes.forEach((b, i) => b === 10 && lineStarts.push(i + 1))
      for (const size of [1, 2, 3, 5, 64]) {
        const pieces: Array<Uint8Array> = []
        for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size))
        const items = Chunk.toArray(yield* Stream.runCollect(Import.readSource(Stream.fromIterable(pieces))))
        expect(items.map((i) => [i.line, i.offset])).toEqual([1, 3, 4, 5, 6].map((line) => [line, lineStarts[line - 1]]))
      }
      // concatenated values: the offset of the line the value starts on
      const values = Chunk.toArray(yield* Stream.runCollect(Import.readSource(Stream.make(Buffer.from('{"a":\n1}\n  {"b":2} {"c":\n3}')))))
      expect(values.map((i) => [i.line, i.offset])).toEqual([[1, 0], [3, 9], [3, 9]])
    }))

  it.effect("JSON Lines: one record per line, a broken line reported and skipped", () =>
    Effect.gen(function*() {
      expect(yield* parse('{"a":1}\r\n\n{"b":"x\\"}{"}\n{"c":\n{"d":4}\n')).toEqual([
        [1, { a: 1 }],
        [3, { b: 'x"}{' }],
        [4, "malformed"],
        [5, { d: 4 }]
      ])
    }))

  it.effect("a JSON array: elements one at a time with the line each starts on", () =>
    Effect.gen(function*() {
      expect(yield* parse('[\n  {"a": [1,\n 2]},\n  {"b": "]"},\n  {"bad": }\n]\n')).toEqual([
        [2, { a: [1, 2] }],
        [4, { b: "]" }],
        [5, "malformed"]
      ])
    }))

  it.effect("pretty-printed objects one after the other", () =>
    Effect.gen(function*() {
      expect(yield* parse('{\n  "a": 1\n}\n{\n  "b": {"c": 2}\n}{"d":3}\n', 3)).toEqual([
        [1, { a: 1 }],
        [4, { b: { c: 2 } }],
        [6, { d: 3 }]
      ])
    }))
})

describe("files", () => {
  it.effect("a file larger than a read: lines straddling reads arrive whole, numbered, once each", () =>
    Effect.gen(function*() {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "source-")), "big.jsonl")
      // ~1.3 MB of lines of varying length (and a multi-byte character now and then)
      const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ n: i + 1, pad: "x".repeat(i % 97), s: i % 500 === 0 ? "\u00e9\u4e2d" : "" }))
      fs.writeFileSync(file, lines.join("\n") + "\n")
      const items = Chunk.toArray(yield* Stream.runCollect(Import.readFile(file)))
      expect(items.length).toBe(lines.length)
      items.forEach((item, i) => {
        expect(item).toMatchObject({ _tag: "Text", line: i + 1, text: lines[i] })
      })
      expect(items.at(-1)!.bytes).toBe(fs.statSync(file).size)
    }))

  it.effect("a file that cannot be read is an ImportError naming it", () =>
    Effect.gen(function*() {
      const missing = path.join(os.tmpdir(), "no-such-dir-effect-kratos", "users.jsonl")
      const error = yield* Stream.runDrain(Import.readFile(missing)).pipe(Effect.flip)
      expect(error._tag).toBe("ImportError")
      expect(error.message).toContain(`cannot read ${missing}`)
      expect(error.message).toContain("ENOENT")
    }))
})

describe("keys", () => {
  it("the key table remembers the first line of each key across growth", () => {
    const t = new KeyTable(8)
    for (let i = 1; i <= 50_000; i++) {
      expect(t.probe(KeyKind.externalId, `k${i}`)).toBeUndefined()
      t.commit(i)
    }
    t.reserve(120_000)
    for (let i = 1; i <= 50_000; i += 997) expect(t.probe(KeyKind.externalId, `k${i}`)).toBe(i)
    expect(t.probe(KeyKind.externalId, "absent")).toBeUndefined()
    // the same text as another kind of key is another key
    expect(t.probe(KeyKind.identifier, "k1")).toBeUndefined()
    t.forget()
    expect(t.probe(KeyKind.externalId, "absent")).toBeUndefined()
  })

  it("a record's keys are claimed together, or not at all", () => {
    const t = new KeyTable(8)
    // two keys of one record, claimed by one commit
    t.probe(KeyKind.externalId, "e1")
    t.probe(KeyKind.identifier, "a@example.com")
    t.commit(1)
    expect(t.probe(KeyKind.identifier, "a@example.com")).toBe(1)
    expect(t.probe(KeyKind.externalId, "e1")).toBe(1)
    // a record found a duplicate after probing a new key: forgetting claims nothing
    expect(t.probe(KeyKind.externalId, "e2")).toBeUndefined()
    expect(t.probe(KeyKind.identifier, "a@example.com")).toBe(1)
    t.forget()
    t.commit(2)
    expect(t.probe(KeyKind.externalId, "e2")).toBeUndefined()
    t.forget()
    // the same key probed twice before a commit is claimed once, for that commit's line
    t.probe(KeyKind.externalId, "e3")
    t.probe(KeyKind.externalId, "e3")
    t.commit(3)
    expect(t.probe(KeyKind.externalId, "e3")).toBe(3)
  })

  it("patch ids are UUIDv8s of the source with the line in their last 48 bits", () => {
    const ids = new PatchIds(defaultNamespace, "users.jsonl")
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    for (const line of [1, 15, 16, 4096, 123_456_789, 2 ** 40 + 7]) {
      const id = ids.of(line)
      expect(id).toMatch(uuid)
      expect(Number.parseInt(id.slice(24), 16)).toBe(line)
      expect(ids.is(id, line)).toBe(true)
      expect(ids.is(id, line + 1)).toBe(false)
    }
    // the same source and line: the same id (a resumed run); another source: another prefix
    expect(new PatchIds(defaultNamespace, "users.jsonl").of(7)).toBe(ids.of(7))
    const other = new PatchIds(defaultNamespace, "more.jsonl")
    expect(other.of(7)).not.toBe(ids.of(7))
    expect(other.is(ids.of(7), 7)).toBe(false)
    expect(ids.is(undefined, 7)).toBe(false)
    expect(ids.is(ids.of(7).toUpperCase(), 7)).toBe(false)
  })

  it("the default namespace is the UUIDv5 of the URL namespace and effect-kratos/import", () => {
    expect(defaultNamespace).toBe(uuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "effect-kratos/import"))
  })

  it("uuidV5 is RFC 9562's", () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d")
    // uuid.uuid5(uuid.NAMESPACE_URL, "https://www.ory.sh/kratos/\u00e9") (a name with multi-byte UTF-8)
    expect(uuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "https://www.ory.sh/kratos/\u00e9")).toBe("01fe6b01-ba73-55c6-9a1e-cf900febef27")
  })
})

describe("lines that cannot be records", () => {
  it.effect("a line over 8 MiB is one malformed line, with its number; no fragment of it becomes a record", () =>
    Effect.gen(function*() {
      const huge = `{"traits":{"x":"${"a".repeat(9 * 1024 * 1024)}"},"external_id":"tail"}`
      const items = yield* Stream.runCollect(Import.readSource(Stream.fromIterable(chunks(`{"a":1}\n${huge}\n{"b":2}\n`, 256 * 1024))))
      expect(Chunk.toArray(items).map((i) => [i.line, i._tag])).toEqual([[1, "Text"], [2, "Malformed"], [3, "Text"]])
    }))

  it.effect("a value over 8 MiB in a JSON array: one malformed element; its nested objects are not taken for records", () =>
    Effect.gen(function*() {
      const nested = `{"traits":{"email":"inner@example.com"}}`
      const huge = `{"pad":"${"a".repeat(9 * 1024 * 1024)}","inner":[${nested},${nested}]}`
      const items = yield* Stream.runCollect(Import.readSource(Stream.fromIterable(chunks(`[\n{"a":1},\n${huge},\n{"b":2}\n]\n`, 256 * 1024))))
      expect(Chunk.toArray(items).map((i) => [i.line, i._tag])).toEqual([[2, "Text"], [3, "Malformed"], [4, "Text"]])
    }))

  it.effect("invalid UTF-8 makes its line malformed (never decoded to U+FFFD), wherever chunks are cut", () =>
    Effect.gen(function*() {
      const bytes = Buffer.concat([
        Buffer.from('{"a":"ok"}\n{"b":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}\n{"c":"Zoë 日本 🦀"}\n{"d":"'),
        Buffer.from([0xe6, 0x97]), // a character cut short
        Buffer.from('"}\n{"e":"\uFFFD is fine when written"}\n')
      ])
      for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) {
        const pieces: Array<Uint8Array> = []
        for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size))
        const items = Chunk.toArray(yield* Stream.runCollect(Import.readSource(Stream.fromIterable(pieces))))
        expect(items.map((i) => [i.line, i._tag, i._tag === "Malformed" ? i.reason : ""])).toEqual([
          [1, "Text", ""],
          [2, "Malformed", "not valid UTF-8"],
          [3, "Text", ""],
          [4, "Malformed", "not valid UTF-8"],
          [5, "Text", ""]
        ])
      }
    }))
})

const chunks = (text: string, size: number): Array<Uint8Array> => {
  const bytes = Buffer.from(text)
  const out: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}
