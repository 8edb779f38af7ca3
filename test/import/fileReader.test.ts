import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Import from "../../src/Import.js"
import { FileReader, type FileOps } from "../../src/internal/import/fileReader.js"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "file-reader-"))

/** The reader's chunks as a stream (the file closed by the reader when the stream ends). */
const chunks = (reader: FileReader<string>) =>
  Stream.unwrapScoped(
    Effect.map(Effect.acquireRelease(Effect.succeed(reader), (r) => r.close), (r) => Stream.repeatEffectOption(r.next))
  )

/**
 * File operations over `content` in memory that answer each read only when the test says so, and
 * log what happens in order.
 */
const scripted = (content: Buffer, failAt?: number) => {
  const log: Array<string> = []
  const pending: Array<() => void> = []
  let position = 0
  let reads = 0
  const ops: FileOps = {
    read: (_fd, buffer, callback) => {
      const n = ++reads
      log.push(`read ${n} started`)
      pending.push(() => {
        log.push(`read ${n} done`)
        if (n === failAt) return callback(Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" }), 0)
        const bytes = content.copy(buffer, 0, position, Math.min(content.length, position + buffer.length))
        position += bytes
        callback(null, bytes)
      })
    },
    close: (_fd, callback) => {
      log.push("closed")
      callback()
    }
  }
  /** Answers the reads started so far, one turn of the event loop later (as the threadpool does). */
  const answer = () => {
    setImmediate(() => {
      for (const f of pending.splice(0)) f()
    })
  }
  return { log, ops, answer, reads: () => reads }
}

/** Runs `effect` while answering every read as it comes. */
const answering = <A, E>(s: ReturnType<typeof scripted>, effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const timer = setInterval(s.answer, 1)
    try {
      return yield* effect
    } finally {
      clearInterval(timer)
    }
  })

describe("the input file's reader", () => {
  it.effect("a file of several chunks comes out whole and in order, lines that straddle chunks included", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const file = path.join(dir, "in.jsonl")
      // ~700 KB: three reads of 256 KB, the last one short; multi-byte characters land on the seams
      const lines = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ external_id: `x-${i}`, traits: { name: `Zoë 🦀 ${"é".repeat(i % 40)}` } }))
      fs.writeFileSync(file, lines.join("\n") + "\n")
      const items = Chunk.toArray(yield* Stream.runCollect(Import.readFile(file)))
      expect(items.map((i) => (i._tag === "Text" ? i.text : i._tag))).toEqual(lines)
      expect(items.map((i) => i.line)).toEqual(lines.map((_, i) => i + 1))
      fs.rmSync(dir, { recursive: true })
    }))

  it.effect("the next chunk is read while this one is used, into the other buffer", () =>
    Effect.gen(function*() {
      const content = Buffer.from("abcdefghij")
      const s = scripted(content)
      const got: Array<string> = []
      yield* answering(
        s,
        Stream.runForEach(chunks(new FileReader(3, String, s.ops, 4)), (c) =>
          Effect.sync(() => {
            got.push(Buffer.from(c).toString())
            // the read of the following chunk was started before this one was handed over
            expect(s.log.at(-1)).toBe(`read ${got.length + 1} started`)
          }))
      )
      expect(got).toEqual(["abcd", "efgh", "ij"])
      // the read that found the end was the last one; nothing was in flight when the file closed
      expect(s.log).toEqual([
        "read 1 started",
        "read 1 done",
        "read 2 started",
        "read 2 done",
        "read 3 started",
        "read 3 done",
        "read 4 started",
        "read 4 done",
        "closed"
      ])
    }))

  it.effect("a stream that stops early closes the file only once the read ahead is back", () =>
    Effect.gen(function*() {
      const s = scripted(Buffer.from("abcdefghij"))
      const first = yield* answering(s, Stream.runHead(chunks(new FileReader(3, String, s.ops, 4))))
      expect(first._tag).toBe("Some")
      // the stream ended (interrupting the reader) with read 2 in flight: close waited for it
      if (!s.log.includes("closed")) yield* answering(s, Effect.sleep("20 millis"))
      expect(s.log).toEqual(["read 1 started", "read 1 done", "read 2 started", "read 2 done", "closed"])
    }))

  it.effect("a read that fails ends the stream with the reader's error; nothing is read after it", () =>
    Effect.gen(function*() {
      const s = scripted(Buffer.from("abcdefghij"), 2)
      const got: Array<string> = []
      const exit = yield* answering(
        s,
        Effect.exit(
          Stream.runForEach(
            chunks(new FileReader(3, (e) => `cannot read in.jsonl: ${e.message}`, s.ops, 4)),
            (c) => Effect.sync(() => got.push(Buffer.from(c).toString()))
          )
        )
      )
      expect(got).toEqual(["abcd"])
      expect(exit).toEqual(Exit.fail("cannot read in.jsonl: EIO: i/o error, read"))
      expect(s.reads()).toBe(2)
      expect(s.log.at(-1)).toBe("closed")
    }))

  it.effect("an empty file is no chunk at all", () =>
    Effect.gen(function*() {
      const s = scripted(Buffer.alloc(0))
      const all = yield* answering(s, Stream.runCollect(chunks(new FileReader(3, String, s.ops, 4))))
      expect(Chunk.size(all)).toBe(0)
      expect(s.log).toEqual(["read 1 started", "read 1 done", "closed"])
    }))

  it.effect("an unreadable path fails before anything is read, naming the path", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Stream.runDrain(Import.readFile("/nonexistent/dir/in.jsonl")))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(JSON.stringify(exit)).toContain("cannot read /nonexistent/dir/in.jsonl")
    }))
})
