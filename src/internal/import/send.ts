/**
 * Stage 2, send: a batch on the wire (journaled first), its answer read record by record, and what
 * a failed attempt leads to (`attempts.ts` decides): look the records up and send the missing ones,
 * resend after a wait, give up, or bisect down to the records at fault.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type { BatchPatchIdentitiesResponse } from "../../BatchPatch.js"
import { backoff, decide, errorReason, errorStatus, type Sizer, timedOut } from "./attempts.js"
import { batchBody, exactSourceRecord, externalIdOf, sourceRecord } from "./batchBytes.js"
import type * as Journal from "./journal.js"
import { journalStep, writeError } from "./journalRun.js"
import type { Reconciler } from "./lookups.js"
import { type ImportClient, ImportError, type PreparedRecord } from "./model.js"
import type { Settings } from "./settings.js"
import type { Tally } from "./tally.js"
import type { OnWire } from "./wire.js"

export interface SendDeps {
  readonly client: ImportClient
  readonly settings: Settings
  readonly tally: Tally
  readonly journal: Journal.JournalWriter | undefined
  readonly reconciler: Reconciler
  readonly onWire: OnWire
  /** After an ambiguous failure the server is struggling: the batch encoded ahead waits from then on. */
  readonly dropLookAhead: Effect.Effect<void>
  readonly nextBatchId: () => string
}

export const makeSender = (deps: SendDeps) => {
  const { client, dropLookAhead, journal, nextBatchId, onWire, tally } = deps
  const { patchIds, requestTimeout, retry } = deps.settings
  const { lookup, reconcile, settle } = deps.reconciler
  const stats = tally.stats
  const failSync = tally.failSync.bind(tally)
  const finalFailure = tally.finalFailure.bind(tally)
  const commit = tally.commit

  /** Sleeps, with a progress event a second saying how long is left and why. */
  const wait = (millis: number, reason: string) =>
    Effect.gen(function*() {
      let left = millis
      while (left > 0) {
        tally.waiting = { seconds: Math.ceil(left / 1000), reason }
        yield* tally.progress(true)
        yield* Effect.sleep(Duration.millis(Math.min(1000, left)))
        left -= Math.min(1000, left)
      }
      tally.waiting = undefined
    })

  const handleResponse = (recs: ReadonlyArray<PreparedRecord>, response: BatchPatchIdentitiesResponse) =>
    Effect.gen(function*() {
      const items = response.identities
      const check: Array<PreparedRecord> = []
      let created = 0
      let failed = 0
      // Built only if a server reorders results (never seen): the common case costs no map.
      let byPatch: Map<string, number> | undefined
      const indexOf = (patchId: string, i: number): number => {
        if (byPatch === undefined) {
          byPatch = new Map()
          items.forEach((item, j) => item?.patch_id !== undefined && byPatch!.set(item.patch_id, j))
        }
        return byPatch.get(patchId) ?? i
      }
      for (let i = 0; i < recs.length; i++) {
        const rec = recs[i]
        // Results come in input order; the patch id confirms it (or finds the right one if a server reorders).
        const at = patchIds.is(items[i]?.patch_id, rec.line) ? i : indexOf(patchIds.of(rec.line), i)
        const item = items[at]
        if (item === null || item === undefined) {
          failed++
          yield* finalFailure(rec, "failed", undefined, "the server returned no result for this record")
        } else if (item.action === "create") {
          created++
          tally.created(rec)
        } else {
          failed++
          const code = item.error?.code ?? 0
          const reason = item.error?.reason ?? item.error?.message ?? "unknown error"
          if (code === 409 && rec.ambiguous) check.push(rec)
          else if (code === 409) yield* finalFailure(rec, "conflict", 409, reason)
          else yield* finalFailure(rec, "failed", code || undefined, reason)
        }
      }
      yield* Effect.annotateCurrentSpan({
        "kratos.import.batch.created": created,
        "kratos.import.batch.failed": failed - check.length,
        "kratos.import.batch.checked": check.length
      })
      // A 409 on a record an earlier ambiguous attempt carried: probably our own create.
      if (check.length > 0) {
        const results = yield* Effect.forEach(check, lookup, { concurrency: 8 })
        stats.reconciled += check.length
        for (let i = 0; i < check.length; i++) {
          yield* settle(check[i], results[i])
        }
      }
      yield* commit
    })

  const sendChunked = (
    recs: ReadonlyArray<PreparedRecord>,
    sizer: Sizer,
    rounds: number,
    started?: Deferred.Deferred<void>
  ): Effect.Effect<void, ImportError> =>
    Effect.gen(function*() {
      let i = 0
      while (i < recs.length) {
        const n = Math.max(1, sizer.current)
        yield* sendOnce(recs.slice(i, i + n), sizer, 1, rounds, started)
        i += n
      }
    })

  const sendOnce = (
    recs: ReadonlyArray<PreparedRecord>,
    sizer: Sizer,
    attempt: number,
    rounds: number,
    started?: Deferred.Deferred<void>
  ): Effect.Effect<void, ImportError> =>
    Effect.gen(function*() {
      // One span an attempt: the journal entry, the request and what its answer says (a resend or a
      // bisection is a span of its own, beside this one).
      const failure = yield* Effect.gen(function*() {
        const batchId = nextBatchId()
        if (journal !== undefined) {
          // int32 digests in typed arrays: no heap number each
          const lines = new Array<number>(recs.length)
          const digests = new Int32Array(recs.length * 2)
          const keys = new Int32Array(recs.length * 2)
          for (let i = 0; i < recs.length; i++) {
            lines[i] = recs[i].line
            digests[2 * i] = recs[i].da
            digests[2 * i + 1] = recs[i].db
            keys[2 * i] = recs[i].ka
            keys[2 * i + 1] = recs[i].kb
          }
          yield* journalStep(() => journal.sent(batchId, lines, digests, keys))
          yield* Effect.mapError(journal.sync, writeError)
        }
        stats.batches++
        // The request is on its way (encoded synchronously below): the pump may go on reading.
        if (started !== undefined) Deferred.unsafeDone(started, Exit.void)
        const body = batchBody(recs)
        const result = yield* onWire(
          client.encoded.batchPatchIdentities({ body }).pipe(
            Effect.timeoutFail({ duration: requestTimeout, onTimeout: () => timedOut("batchPatchIdentities", requestTimeout) })
          )
        ).pipe(Effect.either)
        if (Either.isRight(result)) {
          sizer.grow()
          yield* handleResponse(recs, result.right)
          return undefined
        }
        yield* Effect.annotateCurrentSpan({
          "kratos.import.batch.error": result.left._tag,
          "kratos.import.batch.decision": decide(result.left, attempt, retry.maxAttempts)
        })
        return result.left
      }).pipe(
        Effect.withSpan("kratos.import.batch", {
          attributes: { "kratos.import.batch.size": recs.length, "kratos.import.batch.attempt": attempt }
        })
      )
      if (failure === undefined) return
      const e = failure
      switch (decide(e, attempt, retry.maxAttempts)) {
        case "reconcile": {
          // The server may have committed some or all: look before resending, and send less at once.
          sizer.shrink()
          yield* dropLookAhead
          for (const r of recs) r.ambiguous = true
          const missing = yield* reconcile(recs)
          if (missing.length === 0) return
          if (rounds >= 8) {
            for (const r of missing) yield* finalFailure(r, "failed", errorStatus(e) || undefined, `gave up after repeated ambiguous failures: ${errorReason(e)}`)
            return yield* commit
          }
          return yield* sendChunked(missing, sizer, rounds + 1)
        }
        case "resend": {
          // 502 (and 500) may come from a gateway after the server acted: a 409 on resend gets checked.
          if (e._tag === "BadGateway" || e._tag === "InternalServerError") for (const r of recs) r.ambiguous = true
          stats.retried++
          const pause = backoff(retry, attempt, e, Math.random())
          yield* wait(pause.millis, pause.reason)
          return yield* sendOnce(recs, sizer, attempt + 1, rounds)
        }
        case "giveUp": {
          // Not journaled as done: a resumed run tries these again (after a lookup).
          const reason = `gave up after ${attempt} attempts: ${errorStatus(e) || e._tag} ${errorReason(e)}`
          for (const r of recs) {
            const raw = sourceRecord(r)
            failSync(r.line, "failed", reason, {
              raw,
              externalId: externalIdOf(raw),
              exact: () => exactSourceRecord(r),
              code: errorStatus(e) || undefined,
              group: `gave up after retries (${e._tag})`
            })
          }
          return yield* commit
        }
        case "bisect": {
          if (e._tag === "UnexpectedStatus") sizer.shrink()
          if (recs.length > 1) {
            stats.batchesSplit++
            const half = Math.ceil(recs.length / 2)
            yield* sendOnce(recs.slice(0, half), sizer, 1, rounds)
            return yield* sendOnce(recs.slice(half), sizer, 1, rounds)
          }
          const rec = recs[0]
          if (e._tag !== "Conflict") yield* finalFailure(rec, "failed", errorStatus(e), errorReason(e))
          else if (!rec.ambiguous) yield* finalFailure(rec, "conflict", 409, errorReason(e))
          else {
            // a 409 on a record an earlier attempt may have created: probably our own
            const r = yield* lookup(rec)
            stats.reconciled++
            yield* settle(rec, r, errorReason(e))
          }
          return yield* commit
        }
        case "stop":
          return yield* new ImportError({ message: `batchPatchIdentities failed: ${e._tag} ${errorReason(e)}`, cause: e })
      }
    })

  const processBatch = (
    recs: Array<PreparedRecord>,
    sizer: Sizer,
    started: Deferred.Deferred<void>
  ): Effect.Effect<void, ImportError> =>
    Effect.gen(function*() {
      // Records sent by an interrupted run without a result: look them up before sending again.
      const unsure = recs.filter((r) => r.ambiguous)
      let toSend: Array<PreparedRecord> = recs
      if (unsure.length > 0) {
        const missing = new Set(yield* reconcile(unsure))
        toSend = recs.filter((r) => !r.ambiguous || missing.has(r))
      }
      if (toSend.length > 0) yield* sendChunked(toSend, sizer, 0, started)
    })

  return { processBatch }
}
