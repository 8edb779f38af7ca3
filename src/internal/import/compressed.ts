/**
 * Compressed inputs, told by their first bytes: gzip (`users.jsonl.gz`, or `gzip -c … |` on stdin)
 * is decompressed as it is read; a zip archive is refused with what to do, rather than read as
 * text and reported as hundreds of malformed lines.
 */
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as zlib from "node:zlib"

export type Compression = "gzip" | "zip" | undefined

/** Why a zip archive is not read. */
export const zipRefused = "it is a zip archive: extract the JSON Lines (or JSON) file from it and import that"

/** What the first bytes of an input say it is (`undefined`: not compressed, read as text). */
export const compressionOf = (head: Uint8Array): Compression =>
  head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b
    ? "gzip"
    : head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04
    ? "zip"
    : undefined

/** A regular file's compression, from its first four bytes (`undefined` for a pipe: it can't be peeked). */
export const fileCompression = (path: string): Compression => {
  let fd: number | undefined
  try {
    if (!fs.statSync(path).isFile()) return undefined
    fd = fs.openSync(path, "r")
    const head = Buffer.alloc(4)
    return compressionOf(head.subarray(0, fs.readSync(fd, head, 0, 4, 0)))
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * `bytes` as text: decompressed when they are gzip, refused (with `fail`) when they are a zip
 * archive, passed on otherwise. The chunks of a gzip input are copied before they go to zlib,
 * which may hold them past the next pull (a reader may reuse its buffers).
 */
export const decompressed = <E, E2>(
  bytes: Stream.Stream<Uint8Array, E>,
  fail: (reason: string, cause?: unknown) => E2
): Stream.Stream<Uint8Array, E | E2> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const pull = yield* Stream.toPull(bytes)
      // the first chunk, to look at (none: an empty input)
      const first = yield* Effect.catchAll(
        Effect.map(pull, Option.some),
        (e) => (Option.isNone(e) ? Effect.succeed(Option.none()) : Effect.fail(e.value))
      )
      if (Option.isNone(first)) return Stream.empty
      const rest = Stream.concat(Stream.fromChunk(first.value), Stream.repeatEffectChunkOption(pull))
      const head = Chunk.findFirst(first.value, (c) => c.length > 0)
      const kind = Option.isSome(head) ? compressionOf(head.value) : undefined
      if (kind === "zip") {
        return Stream.fail(fail(zipRefused))
      }
      if (kind !== "gzip") return rest
      return rest.pipe(
        Stream.map((chunk) => Buffer.from(chunk)),
        NodeStream.pipeThroughDuplex(() => zlib.createGunzip(), (cause) => fail(`gzip: ${cause instanceof Error ? cause.message : String(cause)}`, cause))
      )
    })
  )
