/**
 * What an input's first bytes say it is, and the input as UTF-8 text:
 * - gzip (`users.jsonl.gz`, or `gzip -c … |` on stdin) is decompressed as it is read;
 * - UTF-16 (Windows PowerShell's `>` writes it) is converted to UTF-8;
 * - zip, xz, bzip2 and zstd are refused with what to do, rather than read as text and reported
 *   as hundreds of malformed lines.
 * No JSON text starts with any of these bytes (a value starts with whitespace, a UTF-8 BOM, `{`,
 * `[`, `"`, a digit, `-`, `t`, `f` or `n`), so a valid input is never mistaken for one.
 */
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as zlib from "node:zlib"
import { shellWord } from "../shellWord.js"

export type InputFormat =
  | { readonly _tag: "Text" }
  | { readonly _tag: "Gzip" }
  | { readonly _tag: "Utf16"; readonly encoding: "utf-16le" | "utf-16be" }
  | { readonly _tag: "Refused"; readonly what: string; readonly tool: "xz" | "bzip2" | "zstd" | undefined }

const text: InputFormat = { _tag: "Text" }
const gzip: InputFormat = { _tag: "Gzip" }
const refused = (what: string, tool?: "xz" | "bzip2" | "zstd"): InputFormat => ({ _tag: "Refused", what, tool })

/** Why an input of a refused format is not read, and the command that reads it (`source`: its path, or "-"). */
export const refusal = (format: Extract<InputFormat, { _tag: "Refused" }>, source: string): string =>
  format.tool === undefined
    ? `it is ${format.what}: extract the JSON Lines (or JSON) file from it and import that`
    : `it is ${format.what}: decompress it on the way in: ` +
      (source === "-" ? `… | ${format.tool} -dc | kratos-admin identities import -` : `${format.tool} -dc ${shellWord(source)} | kratos-admin identities import -`)

const startsWith = (head: Uint8Array, magic: ReadonlyArray<number>): boolean =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b)

/** The format the first bytes of an input (up to six of them) say it has. */
export const formatOf = (head: Uint8Array): InputFormat => {
  if (startsWith(head, [0x1f, 0x8b])) return gzip
  if (startsWith(head, [0xff, 0xfe]) || (head.length >= 2 && head[0] !== 0 && head[1] === 0)) {
    return { _tag: "Utf16", encoding: "utf-16le" }
  }
  if (startsWith(head, [0xfe, 0xff]) || (head.length >= 2 && head[0] === 0 && head[1] !== 0)) {
    return { _tag: "Utf16", encoding: "utf-16be" }
  }
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    return refused("a zip archive")
  }
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) {
    return refused("xz-compressed", "xz")
  }
  if (startsWith(head, [0x42, 0x5a, 0x68]) && head.length >= 4 && head[3] >= 0x31 && head[3] <= 0x39) {
    return refused("bzip2-compressed", "bzip2")
  }
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) {
    return refused("zstd-compressed", "zstd")
  }
  return text
}

/** A regular file's format, from its first bytes (a pipe can't be peeked: its stream's first chunk tells). */
export const regularFileFormat = (path: string): InputFormat => {
  let fd: number | undefined
  try {
    fd = fs.openSync(path, "r")
    const head = Buffer.alloc(6)
    return formatOf(head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)))
  } catch {
    return text
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * `bytes` as UTF-8 text: gzip decompressed, UTF-16 converted, the refused formats failed with
 * `fail`, anything else passed on. Chunks are copied before they go to zlib, which may hold them
 * past the next pull (a reader may reuse its buffers).
 */
export const asText = <E, E2>(
  bytes: Stream.Stream<Uint8Array, E>,
  source: string,
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
      const all = Stream.concat(Stream.fromChunk(first.value), Stream.repeatEffectChunkOption(pull))
      const head = Chunk.findFirst(first.value, (c) => c.length > 0)
      const format = Option.isSome(head) ? formatOf(head.value) : text
      switch (format._tag) {
        case "Text":
          return all
        case "Refused":
          return Stream.fail(fail(refusal(format, source)))
        case "Gzip":
          return all.pipe(
            Stream.map((chunk) => Buffer.from(chunk)),
            NodeStream.pipeThroughDuplex(
              () => zlib.createGunzip(),
              (cause) => fail(`gzip: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
            )
          )
        case "Utf16": {
          // The decoder keeps a character split between chunks and drops the byte order mark; a
          // broken sequence fails the input rather than becoming U+FFFD unnoticed.
          const decoder = new TextDecoder(format.encoding, { fatal: true })
          const decode = (chunk?: Uint8Array) =>
            Effect.try({
              try: () => Buffer.from(chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true }), "utf8"),
              catch: (cause) => fail(`not valid ${format.encoding.toUpperCase()}`, cause)
            })
          return Stream.concat(Stream.mapEffect(all, decode), Stream.fromEffect(Effect.suspend(() => decode())))
        }
      }
    })
  )
