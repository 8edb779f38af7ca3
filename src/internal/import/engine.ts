/**
 * The import engine: a run's stages put together. Source items are prepared (`prepare.ts`: decoded,
 * validated, deduplicated, matched against an earlier run's journal, optionally prehashed), gathered
 * into batches sized by `attempts.ts`' AIMD sizer, and sent (`send.ts`: journaled first, at most
 * `concurrency` on the wire plus one encoded ahead); what an attempt's outcome hides is looked up
 * (`lookups.ts`). Every outcome is counted and told by the tally (`tally.ts`), which makes the
 * report; the journal's lock and files are `journalRun.ts`'.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Mailbox from "effect/Mailbox"
import * as Stream from "effect/Stream"
import { maxBodyBytes, maxPlaintextItems } from "../../BatchPatch.js"
import { type CallObserver, currentCallObserver } from "../client/context.js"
import { Sizer } from "./attempts.js"
import { FailureWriter } from "./failures.js"
import * as Journal from "./journal.js"
import { journalStep, openJournal, writeError } from "./journalRun.js"
import { makeReconciler } from "./lookups.js"
import type { ImportClient, ImportEvent, ImportOptions, PreparedRecord } from "./model.js"
import { ImportError } from "./model.js"
import { makePreparer, prepareSlice } from "./prepare.js"
import { makeSender } from "./send.js"
import { settings } from "./settings.js"
import type { SourceItem } from "./source.js"
import { Tally } from "./tally.js"
import { makeWire } from "./wire.js"

/** Runs an import, streaming its events; the last one is `Finished`. */
export const run = <E>(
  client: ImportClient,
  source: Stream.Stream<SourceItem, E>,
  options: ImportOptions = {}
): Stream.Stream<ImportEvent, E | ImportError> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<ImportEvent, E | ImportError>({ capacity: 4096 })
      yield* engine(client, source, options, mailbox).pipe(Mailbox.into(mailbox), Effect.forkScoped)
      return Mailbox.toStream(mailbox)
    })
  )

const engine = <E>(
  client: ImportClient,
  source: Stream.Stream<SourceItem, E>,
  options: ImportOptions,
  mailbox: Mailbox.Mailbox<ImportEvent, E | ImportError>
): Effect.Effect<void, E | ImportError> =>
  Effect.scoped(Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const startedAt = new Date(started)
    const config = settings(options)
    const { batchMax, concurrency, dryRun, lookAhead, namespace, prehash, sourceName } = config
    const runId = Date.now().toString(36)
    let batchCounter = 0
    const nextBatchId = () => `${runId}-${++batchCounter}`

    // ---- journal, its lock and the failures file: all settled before anything is sent
    const warnings: Array<string> = []
    const files = yield* Journal.ImportFiles
    const journalPath = dryRun ? undefined : options.journal
    if (options.resume && !options.journal) warnings.push("resume asked for without a journal: starting from the beginning")
    const opened = journalPath === undefined ? undefined : yield* openJournal(journalPath, options, sourceName, startedAt)
    warnings.push(...(opened?.warnings ?? []))
    const previous = opened?.previous
    const failuresOut = yield* Effect.acquireRelease(
      Effect.try({
        try: () => FailureWriter.open(files, options.failures),
        catch: (e) => new ImportError({ message: `cannot write the failures file: ${e instanceof Error ? e.message : String(e)}`, cause: e })
      }),
      (w) => Effect.sync(() => w.close())
    )
    if (failuresOut.kept !== undefined) warnings.push(`the earlier failures file is kept as ${failuresOut.kept}`)
    const journal = journalPath === undefined ? undefined : yield* Effect.acquireRelease(
      Effect.try({
        try: () => Journal.JournalWriter.open(journalPath, { files, truncate: options.restart === true }),
        catch: (e) => writeError(e instanceof Journal.WriteFailed ? e : new Journal.WriteFailed(journalPath, Journal.errorText(e)))
      }),
      (w) => Effect.sync(() => w.close())
    )
    yield* journalStep(() => journal?.begin(sourceName, namespace, startedAt))

    // ---- the stages
    const tally = new Tally((events) => mailbox.offerAll(events), started, config.progressInterval, options.totalBytes, failuresOut, journal)
    for (const w of warnings) tally.warnSync(w)
    yield* tally.flush
    const stats = tally.stats
    const hashed = new Sizer(batchMax)
    const plain = new Sizer(Math.min(batchMax, maxPlaintextItems))
    tally.batchSize = () => hashed.current
    const preparer = makePreparer({
      client,
      settings: config,
      tally,
      journaled: journal !== undefined,
      previous,
      totalBytes: options.totalBytes,
      retryFailed: options.retryFailed === true,
      schemaDocument: options.identitySchema
    })
    const reconciler = makeReconciler({
      client,
      tally,
      journal,
      schemas: preparer.schemas,
      schemaIdOf: preparer.schemaIdOf,
      // identities created before the import's first run are never its own
      since: previous?.firstRun !== undefined ? Date.parse(previous.firstRun.at) : started,
      requestTimeout: config.requestTimeout,
      nextBatchId
    })
    const fatal = yield* Deferred.make<never, ImportError>()

    // ---- batching with bounded batches in flight
    // Look-ahead: one more batch than `concurrency` is journaled and encoded while `concurrency` are
    // on the wire, and goes out as soon as one comes back (without it the wire idles while the next
    // batch is encoded and its journal entry synced).
    const slots = yield* Effect.makeSemaphore(concurrency + (lookAhead ? 1 : 0))
    // After an ambiguous failure the server is struggling: its extra slot is taken for good.
    let lookAheadDropped: Fiber.RuntimeFiber<void> | undefined
    const dropLookAhead = Effect.suspend(() => {
      if (!lookAhead || lookAheadDropped !== undefined) return Effect.void
      return Effect.map(Effect.forkDaemon(Effect.asVoid(slots.take(1))), (f) => {
        lookAheadDropped = f
      })
    })
    const { processBatch } = makeSender({
      client,
      settings: config,
      tally,
      journal,
      reconciler,
      onWire: makeWire(concurrency),
      dropLookAhead,
      nextBatchId
    })
    const buffers = { hashed: [] as Array<PreparedRecord>, plain: [] as Array<PreparedRecord> }
    // A batch's body is its items, a comma after each but the last, in `{"identities":[…]}`: kept
    // within Kratos' body limit, or the whole batch would be refused and split.
    const bodyBudget = maxBodyBytes - 17
    const bufferedBytes = { hashed: 0, plain: 0 }

    const dispatch = (batches: FiberSet.FiberSet<void>, recs: Array<PreparedRecord>, sizer: Sizer) =>
      Effect.gen(function*() {
        yield* slots.take(1)
        stats.inFlight++
        const started = yield* Deferred.make<void>()
        yield* processBatch(recs, sizer, started).pipe(
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.void : Deferred.failCause(fatal, cause as Cause.Cause<ImportError>)
          ),
          Effect.zipRight(tally.progress(true)),
          Effect.ensuring(Effect.sync(() => stats.inFlight--).pipe(Effect.zipRight(slots.release(1)))),
          Effect.ensuring(Deferred.succeed(started, undefined)),
          FiberSet.run(batches)
        )
        // Reading and validating the next records waits until this batch is on the wire: on one
        // thread they would otherwise delay its encoding and sending.
        yield* Deferred.await(started)
      })

    yield* tally.emit({ _tag: "Started", source: sourceName, dryRun, totalBytes: options.totalBytes, resumedLines: previous?.records.finished() ?? 0 })

    // Whole chunks go through synchronously: per-record effects would make the fiber yield to the
    // event loop every few thousand operations and leave the CPU idle.
    const prepared = source.pipe(
      (s) => atLeast(s, prepareSlice),
      Stream.mapChunksEffect((chunk) => Effect.map(preparer.prepareChunk(Chunk.toReadonlyArray(chunk)), Chunk.unsafeFromArray)),
      prehash === undefined
        ? (s) => s
        : (s) =>
          s.pipe(
            Stream.mapEffect(preparer.hashRecord, { concurrency: prehash.concurrency }),
            Stream.filter((r): r is PreparedRecord => r !== undefined)
          ),
      // Keep reading and validating while a batch is in flight (a file's chunk is ~250 records).
      Stream.bufferChunks({ capacity: 4 })
    )
    const flush = (batches: FiberSet.FiberSet<void>, key: keyof typeof buffers, sizer: Sizer) => {
      const batch = buffers[key]
      buffers[key] = []
      bufferedBytes[key] = 0
      return dispatch(batches, batch, sizer)
    }
    const acceptChunk = (batches: FiberSet.FiberSet<void>) => (chunk: Chunk.Chunk<PreparedRecord>) =>
      Effect.gen(function*() {
        const recs = Chunk.toReadonlyArray(chunk)
        for (let i = 0; i < recs.length; i++) {
          const rec = recs[i]
          const key = rec.plaintext ? "plain" : "hashed"
          const sizer = rec.plaintext ? plain : hashed
          const size = rec.end - rec.start + 1
          if (buffers[key].length > 0 && bufferedBytes[key] + size > bodyBudget) yield* flush(batches, key, sizer)
          buffers[key].push(rec)
          bufferedBytes[key] += size
          if (buffers[key].length >= sizer.current) yield* flush(batches, key, sizer)
        }
        yield* tally.progress(false)
      })
    const pump = Effect.gen(function*() {
      const batches = yield* FiberSet.make<void>()
      yield* Stream.runForEachChunk(prepared, acceptChunk(batches)).pipe(Effect.zipRight(tally.progress(false)))
      if (buffers.hashed.length > 0) yield* flush(batches, "hashed", hashed)
      if (buffers.plain.length > 0) yield* flush(batches, "plain", plain)
      yield* FiberSet.awaitEmpty(batches)
    })

    // waits inside the client's calls (a Retry-After, the rate limiter) show in the progress line
    const observer: CallObserver = { waiting: (millis, reason) => tally.inCallWait(millis, reason) }
    yield* Effect.scoped(Effect.raceFirst(pump, Deferred.await(fatal))).pipe(
      Effect.locally(currentCallObserver, observer),
      Effect.ensuring(Effect.suspend(() => {
        failuresOut.close()
        return lookAheadDropped === undefined ? Effect.void : Fiber.interrupt(lookAheadDropped)
      }))
    )

    // ---- the end: journaled, reported
    if (failuresOut.failed !== undefined) return yield* writeError(failuresOut.failed)
    const unclaimed = previous?.records.unclaimed() ?? 0
    if (unclaimed > 0) {
      tally.warnings.push(
        `${unclaimed} record(s) an earlier run sent are not in the input as it is now (removed, or their ` +
          `external_id or identifier changed since): they were left as they are on the server`
      )
    }
    if (journal !== undefined) {
      const complete = tally.notImported === 0
      yield* journalStep(() =>
        journal.end({ at: new Date().toISOString(), input: preparer.inputDigest.hex, records: stats.records, complete })
      )
    }
    if (stats.keyless > 0) tally.warnings.push(`${stats.keyless} record(s) without external_id or password identifier`)
    const report = tally.report(yield* Clock.currentTimeMillis, {
      source: sourceName,
      dryRun,
      journal: journal !== undefined ? options.journal : undefined,
      failuresFile: options.failures
    })
    yield* tally.progress(true)
    yield* tally.emit({ _tag: "Finished", report })
  }))

/** Chunks of at least `n` elements (but the last): small ones merged, bigger ones passed whole. */
const atLeast = <A, E, R>(self: Stream.Stream<A, E, R>, n: number): Stream.Stream<A, E, R> =>
  Stream.suspend(() => {
    let pending: Array<A> = []
    return self.pipe(
      Stream.mapChunks((chunk) => {
        if (pending.length === 0 && chunk.length >= n) return chunk
        for (const a of chunk) pending.push(a)
        if (pending.length < n) return Chunk.empty()
        const out = Chunk.unsafeFromArray(pending)
        pending = []
        return out
      }),
      Stream.concat(Stream.suspend(() => (pending.length > 0 ? Stream.fromChunk(Chunk.unsafeFromArray(pending)) : Stream.empty)))
    )
  })
