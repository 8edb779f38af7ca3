/**
 * The importer's speed tricks against their plain forms: each fast path writes exactly what the
 * straightforward code it replaces would.
 */
import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ByteWriter } from "../../src/internal/import/bytes.js"
import { digestKey, digestText } from "../../src/internal/import/digest.js"
import { JournalWriter, sentEntryText } from "../../src/internal/import/journal.js"
import { tmpDir } from "./helpers.js"

/** Deterministic pseudo-random int32s (xorshift), so a failure can be replayed. */
const int32s = (n: number, seed = 0x9e3779b9): Array<number> => {
  const out: Array<number> = []
  let x = seed | 0
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.push(x | 0)
  }
  return out
}

const edges = [0, -0, 1, -1, 9, 10, 11, 99, 100, 101, 999, 1000, 2147483647, -2147483648, 2147483648, -2147483649, 4294967295, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e15, 999999999999999]

describe("ByteWriter fast paths", () => {
  it("decimal writes what String does (edges, random int32s, non-integers)", () => {
    const xs = [...edges, ...int32s(10_000), 0.5, -1.25, 1e21, 2 ** 53, NaN, Infinity, -Infinity]
    const w = new ByteWriter(8)
    for (const x of xs) {
      w.reset()
      w.decimal(x)
      expect(w.bytes.toString("latin1")).toBe(String(x))
    }
  })

  it("constant writes what Buffer#set does, short and long, into a growing buffer", () => {
    const pieces = [Buffer.from(","), Buffer.from("{\"create\":"), Buffer.from("x".repeat(16)), Buffer.from("y".repeat(17)), Buffer.from("z".repeat(300))]
    const w = new ByteWriter(4)
    const expected: Array<Buffer> = []
    for (let i = 0; i < 200; i++) {
      const p = pieces[i % pieces.length]
      w.constant(p)
      expected.push(p)
    }
    expect(Buffer.compare(w.bytes, Buffer.concat(expected))).toBe(0)
  })
})

describe("journal sent entry", () => {
  it("written as bytes equals the entry built as text (with and without digests and keys)", () => {
    const dir = tmpDir()
    const file = path.join(dir, "journal.jsonl")
    const journal = JournalWriter.open(file)
    const cases: Array<Parameters<typeof sentEntryText>> = [
      ["r1-1", [1, 2, 3]],
      ["r1-2", [7], [edges[9], edges[10]], [0, 0]],
      ["r1-3", Array.from({ length: 1000 }, (_, i) => i * 3 + 1), Int32Array.from(int32s(2000, 7)), Int32Array.from(int32s(2000, 11))],
      ["3-4", [], [], []],
      ["3-5", [1_000_000_007], undefined, [5, -5]]
    ]
    for (const c of cases) journal.sent(...c)
    journal.close()
    expect(fs.readFileSync(file, "utf8")).toBe(cases.map((c) => sentEntryText(...c)).join(""))
    for (const line of fs.readFileSync(file, "utf8").trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow()
  })
})

describe("digests", () => {
  it("are the values journals already hold (a resume matches records by them)", () => {
    const d = { a: 0, b: 0 }
    const pinned: Array<[string, number, number]> = [
      ["", -2128831035, 544388495],
      ["e\0user-1", -1045956511, 285311147],
      ['{"external_id":"x","traits":{"email":"a@b.c"}}', 680360789, 739010299],
      ["ünïcödé 🙂", -32419267, -1010682672]
    ]
    for (const [text, a, b] of pinned) {
      digestText(text, d)
      expect([d.a, d.b]).toEqual([a, b])
    }
  })

  it("digestKey equals digestText of the key string it stands for", () => {
    const keys = ["", "a", "user-1", "user1@example.com", "ünïcödé-ключ-鍵", "🙂 surrogate", "x".repeat(1000), ...int32s(500).map(String)]
    const fast = { a: 0, b: 0 }
    const plain = { a: 0, b: 0 }
    for (const key of keys) {
      for (const prefix of ["e", "i"]) {
        digestKey(prefix.charCodeAt(0), key, fast)
        digestText(`${prefix}\0${key}`, plain)
        expect(fast).toEqual(plain)
      }
    }
  })
})
