/**
 * Bulk import of identities through `batchPatchIdentities`: millions of records, resumable, no
 * duplicates, nothing lost.
 *
 * The pipeline reads source records (JSON Lines, a JSON array or concatenated JSON objects,
 * streamed with flat memory), decodes each as a `CreateIdentityBody` (strict), validates its traits
 * against the server's identity schema, reports in-input duplicates (same `external_id` or password
 * identifier), optionally bcrypt-hashes plaintext passwords locally, and sends batches of up to 1000
 * (200 with plaintext passwords, batched apart). Every record carries a deterministic `patch_id`.
 *
 * After an ambiguous failure (504, timeout, reset) it looks records up (by `external_id`, else by
 * credential identifier) and resends only the missing ones, halving the batch size and growing it
 * back additively. 429/502/503 are retried with backoff. A journal (append-only JSONL, fsynced per
 * batch, never passwords) lets `resume` continue after a crash with the same end state as an
 * uninterrupted run. Records with neither `external_id` nor an identifier cannot be looked up: after
 * an ambiguous failure they are reported as `unknown`, never resent blindly (a warning says so up front).
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import { IdentityApi } from "./IdentityApi.js"
import * as Engine from "./internal/import/engine.js"
import { ImportError, ImportIncomplete } from "./internal/import/model.js"
import type { ImportClient, ImportEvent, ImportOptions, ImportReport } from "./internal/import/model.js"
import { asText, type InputFormat, refusal, regularFileFormat } from "./internal/import/inputFormat.js"
import { FileReader, openFile } from "./internal/import/fileReader.js"
import { SourceParser, type SourceItem } from "./internal/import/source.js"

export {
  /**
   * @since 0.1.0
   * @category errors
   */
  ImportError,
  /**
   * @since 0.1.0
   * @category errors
   */
  ImportIncomplete,
  /**
   * @since 0.1.0
   * @category models
   */
  importDefaults,
  /**
   * @since 0.1.0
   * @category models
   */
  ImportReport
} from "./internal/import/model.js"
export type {
  /**
   * @since 0.1.0
   * @category models
   */
  FailureStatus,
  /**
   * @since 0.1.0
   * @category models
   */
  ImportClient,
  /**
   * @since 0.1.0
   * @category models
   */
  ImportEvent,
  /**
   * @since 0.1.0
   * @category models
   */
  ImportFailure,
  /**
   * @since 0.1.0
   * @category models
   */
  ImportOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  ImportProgress
} from "./internal/import/model.js"
export type {
  /**
   * One source record with its line number, or a line that is not JSON.
   *
   * @since 0.1.0
   * @category models
   */
  SourceItem
} from "./internal/import/source.js"

/**
 * Splits a byte stream into records: JSON Lines, one JSON array (elements yielded one at a time,
 * never the whole document in memory) or JSON objects one after the other. The format is detected
 * from the first value. Each record comes as its JSON text, parsed when the import validates it.
 *
 * @since 0.1.0
 * @category sources
 */
export const readSource = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SourceItem, E, R> =>
  Stream.suspend(() => {
    const parser = new SourceParser()
    return bytes.pipe(
      // the parser's array becomes the chunk as it is (no copy through an iterator)
      Stream.mapChunks((chunk) => {
        if (chunk.length === 1) return Chunk.unsafeFromArray(parser.push(Chunk.unsafeHead(chunk)))
        const out: Array<SourceItem> = []
        for (const bytes of chunk) for (const item of parser.push(bytes)) out.push(item)
        return Chunk.unsafeFromArray(out)
      }),
      Stream.concat(Stream.suspend(() => Stream.fromIterable(parser.end())))
    )
  })

/**
 * Streams the records of a file, or of stdin for `"-"`. A gzip input (`users.jsonl.gz`) is
 * decompressed as it is read and a UTF-16 one converted; a zip, xz, bzip2 or zstd file fails with
 * what to do.
 *
 * @since 0.1.0
 * @category sources
 */
export const readFile = (path: string): Stream.Stream<SourceItem, ImportError> =>
  readSource(
    asText(
      path === "-"
        ? Stream.fromAsyncIterable(process.stdin as AsyncIterable<Uint8Array>, (cause) => readError("stdin", cause))
        : fileBytes(path),
      path,
      (reason, cause) => readError(path === "-" ? "stdin" : path, reason, cause)
    )
  )

const readError = (what: string, reason: unknown, cause: unknown = reason) =>
  new ImportError({ message: `cannot read ${what}: ${String(reason)}`, cause })

/** A file's bytes, read ahead a chunk at a time (`internal/import/fileReader.ts`). */
const fileBytes = (path: string): Stream.Stream<Uint8Array, ImportError> =>
  Stream.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(
        Effect.map(openFile(path, (e) => readError(path, e)), (fd) => new FileReader(fd, (e) => readError(path, e))),
        (reader) => reader.close
      ),
      (reader) => Stream.repeatEffectOption(reader.next)
    )
  )

/**
 * Records from values already in memory (scripts, tests); line numbers are 1-based positions.
 *
 * @since 0.1.0
 * @category sources
 */
export const fromValues = (values: Iterable<unknown>): Stream.Stream<SourceItem> =>
  Stream.fromIterable(values).pipe(
    Stream.zipWithIndex,
    Stream.map(([value, i]): SourceItem => ({ _tag: "Value", line: i + 1, value, bytes: 0 }))
  )

/**
 * Runs an import with the given client: a stream of events (`Started`, `Warning`, `Progress`,
 * `RecordFailed`) ending with `Finished` and the report.
 *
 * @since 0.1.0
 * @category running
 */
export const runWith: <E>(
  client: ImportClient,
  source: Stream.Stream<SourceItem, E>,
  options?: ImportOptions
) => Stream.Stream<ImportEvent, E | ImportError> = Engine.run

/**
 * Runs an import with the `IdentityApi` in context (its adaptive rate limiter is shared by every
 * batch in flight).
 *
 * @since 0.1.0
 * @category running
 */
export const run = <E>(
  source: Stream.Stream<SourceItem, E>,
  options?: ImportOptions
): Stream.Stream<ImportEvent, E | ImportError, IdentityApi> =>
  Stream.unwrap(Effect.map(IdentityApi, (api) => runWith(api, source, options)))

/**
 * Imports a file with the `IdentityApi` in context; see `importFileWith`.
 *
 * @since 0.1.0
 * @category running
 */
export const importFile = (path: string, options?: ImportOptions): Stream.Stream<ImportEvent, ImportError, IdentityApi> =>
  Stream.unwrap(Effect.map(IdentityApi, (api) => importFileWith(api, path, options)))

/**
 * The default journal and failures paths next to an input file: none for stdin, nor for a pipe or
 * device named by a path (`<(zcat users.jsonl.gz)` is `/dev/fd/63`), where nothing can be put and
 * which is read once.
 *
 * @since 0.1.0
 * @category running
 */
export const defaultPaths = (path: string): { readonly journal?: string; readonly failures?: string } =>
  path === "-" || notAFile(path) ? {} : pathsBeside(path)

const pathsBeside = (path: string) => ({ journal: `${path}.journal.jsonl`, failures: `${path}.failures.jsonl` })

/** Whether `path` exists and is something other than a regular file (a pipe, socket, device or directory). */
const notAFile = (path: string): boolean => {
  try {
    return !fs.statSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * Imports a file (or stdin, `"-"`): its size drives progress, the journal and failures file default
 * to `<file>.journal.jsonl` / `<file>.failures.jsonl` (a pipe given by its path is read as stdin is:
 * no size, no journal or failures file unless given).
 *
 * @since 0.1.0
 * @category running
 */
export const importFileWith = (
  client: ImportClient,
  path: string,
  options: ImportOptions = {}
): Stream.Stream<ImportEvent, ImportError> =>
  Stream.unwrap(
    Effect.gen(function*() {
      if (path === "-") return runWith(client, readFile(path), { source: path, ...options })
      // An unreadable or refused input stops here, before a journal, lock or failures file is made for it.
      const input = yield* inspect(path)
      if (input.format?._tag === "Refused") return yield* readError(path, refusal(input.format, path))
      return runWith(client, readFile(path), {
        source: path,
        ...(input.regular ? pathsBeside(path) : {}),
        // a compressed or UTF-16 file's size says little of how much text it holds
        ...(input.format?._tag === "Text" ? { totalBytes: input.size } : {}),
        ...options
      })
    })
  )

/**
 * What an input path is, from one `stat` (and a regular file's first bytes). Nothing else is
 * opened: opening and closing a named pipe would hang until a writer comes, and then leave that
 * writer without a reader (it dies of SIGPIPE).
 */
const inspect = (path: string): Effect.Effect<{ readonly regular: boolean; readonly size: number; readonly format: InputFormat | undefined }, ImportError> =>
  Effect.try({
    try: () => {
      fs.accessSync(path, fs.constants.R_OK)
      const stat = fs.statSync(path)
      if (stat.isDirectory()) throw new Error("EISDIR: it is a directory")
      const regular = stat.isFile()
      return { regular, size: stat.size, format: regular ? regularFileFormat(path) : undefined }
    },
    catch: (cause) => readError(path, cause)
  })

/**
 * The final report of an event stream (progress ignored); fails with `ImportIncomplete` when not
 * every record was imported.
 *
 * @since 0.1.0
 * @category running
 */
export const report = <E, R>(
  events: Stream.Stream<ImportEvent, E, R>
): Effect.Effect<ImportReport, E | ImportError | ImportIncomplete, R> =>
  Effect.gen(function*() {
    let last: ImportReport | undefined
    yield* Stream.runForEach(events, (e) => Effect.sync(() => {
      if (e._tag === "Finished") last = e.report
    }))
    if (last === undefined) return yield* new ImportError({ message: "the import ended without a report" })
    if (!last.complete) return yield* new ImportIncomplete({ message: incompleteMessage(last), report: last })
    return last
  })

/** @since 0.1.0 */
export const incompleteMessage = (r: ImportReport): string => {
  const notImported = r.failed + r.conflicts + r.unknown + r.invalid + r.malformed + r.duplicates
  return `${notImported} of ${r.records} record(s) ${r.dryRun ? "would not be imported" : "not imported"}` +
    (r.failuresFile !== undefined ? ` (see ${r.failuresFile})` : "")
}
