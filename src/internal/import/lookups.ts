/**
 * Reconciliation: which records of an attempt whose outcome was not seen (504, reset, timeout, a
 * resumed run's unanswered batch, an edited record) are on the server, as theirs. Found by
 * external_id or identifier is not enough: `reconcile.ts` judges whether the identity is the
 * record's. An edited record's earlier version, created by this import, is updated to it.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { CreateIdentityBodyEncoded, Identity } from "../../Identity.js"
import type { KratosError } from "../../KratosError.js"
import { JsonText } from "../../Operation.js"
import { errorReason, errorStatus, isAmbiguous, isRetryable, isTimeout, timedOut } from "./attempts.js"
import { exactSourceRecord, externalIdOf, sourceRecord } from "./batchBytes.js"
import { stringifyExact } from "../exactJson.js"
import type * as Journal from "./journal.js"
import { journalStep, writeError } from "./journalRun.js"
import type { ImportClient, ImportError, PreparedRecord } from "./model.js"
import * as Reconcile from "./reconcile.js"
import * as IdSchema from "./schema.js"
import type { Tally } from "./tally.js"

/** What a lookup found for a record. */
export type Lookup =
  | { readonly _tag: "Found"; readonly id: string }
  /** An earlier version of an edited record, created by this import: to be updated to it. */
  | { readonly _tag: "Stale"; readonly id: string }
  | { readonly _tag: "Foreign"; readonly reason: string }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Unknown"; readonly reason: string }

export interface LookupDeps {
  readonly client: ImportClient
  readonly tally: Tally
  readonly journal: Journal.JournalWriter | undefined
  readonly schemas: ReadonlyMap<string, IdSchema.CompiledSchema | string>
  readonly schemaIdOf: (record: unknown) => string
  /** When the import's first run began: identities created before it are never its own. */
  readonly since: number
  readonly requestTimeout: Duration.Duration
  readonly nextBatchId: () => string
}

export type Reconciler = ReturnType<typeof makeReconciler>

export const makeReconciler = (deps: LookupDeps) => {
  const { client, journal, nextBatchId, requestTimeout, schemaIdOf, schemas, since, tally } = deps
  const stats = tally.stats
  const fail = tally.fail.bind(tally)
  const finalFailure = tally.finalFailure.bind(tally)
  const commit = tally.commit

  const lookupOnce = (rec: PreparedRecord): Effect.Effect<Lookup, KratosError> => {
    const raw = sourceRecord(rec) as Record<string, unknown>
    const externalId = externalIdOf(raw)
    const schemaId = schemaIdOf(raw)
    const schema = schemas.get(schemaId)
    const identifiers = schema === undefined || typeof schema === "string" ? [] : IdSchema.identifiers(schema, raw.traits)
    const expected: Reconcile.Expected = { record: raw, schemaId, identifiers, since }
    const judge = (found: ReadonlyArray<Identity>): Lookup => {
      if (found.length === 0) return { _tag: "Missing" }
      let why = ""
      for (const identity of found) {
        const differs = Reconcile.mismatch(identity, expected)
        if (differs === undefined) return { _tag: "Found", id: identity.id }
        // An edited record's earlier version, if this import created it, is replaced by the record.
        if (rec.changed && found.length === 1 && Reconcile.createdSince(identity, since)) return { _tag: "Stale", id: identity.id }
        why ||= differs
      }
      return { _tag: "Foreign", reason: `an identity with the same ${externalId !== undefined ? "external_id" : "identifier"} exists and is not this record's: ${why}` }
    }
    const bounded = <A>(call: Effect.Effect<A, KratosError>) =>
      call.pipe(Effect.timeoutFail({ duration: requestTimeout, onTimeout: () => timedOut("lookup", requestTimeout) }))
    if (externalId !== undefined) {
      return bounded(client.getIdentityByExternalID({ externalID: externalId })).pipe(
        Effect.map((identity) => judge([identity])),
        Effect.catchIf((e) => e._tag === "NotFound", () => Effect.succeed<Lookup>({ _tag: "Missing" }))
      )
    }
    if (identifiers.length > 0) {
      return bounded(client.listIdentities({ credentials_identifier: identifiers[0] })).pipe(Effect.map((page) => judge(page.items)))
    }
    return Effect.succeed({ _tag: "Unknown", reason: "outcome unknown after an ambiguous failure, and the record has no external_id or identifier to look it up by" })
  }
  // A lookup, all its attempts, is bounded by the request timeout too.
  const lookup = (rec: PreparedRecord): Effect.Effect<Lookup> =>
    lookupOnce(rec).pipe(
      Effect.retry({ times: 5, while: (e) => (isRetryable(e) || isAmbiguous(e)) && !isTimeout(e) }),
      Effect.catchAll((e) =>
        Effect.succeed<Lookup>({ _tag: "Unknown", reason: `could not check whether it was created: ${errorReason(e)}` })
      )
    )
  /** A record's lookup after its attempt's outcome was not seen, recorded as its final outcome unless missing. */
  const settle = (rec: PreparedRecord, r: Lookup, conflictReason?: string): Effect.Effect<void, ImportError> => {
    if (r._tag === "Found") {
      tally.present(rec, r.id)
      return Effect.void
    }
    if (r._tag === "Stale") return replace(rec, r.id)
    if (r._tag === "Foreign") return finalFailure(rec, "conflict", 409, r.reason)
    if (r._tag === "Unknown") return finalFailure(rec, "unknown", undefined, r.reason)
    return finalFailure(rec, "conflict", 409, conflictReason ?? "conflict with an existing identity")
  }

  /**
   * Updates the identity an earlier run created from an earlier version of `rec` to `rec`. Journaled
   * as sent first: a crash during the update leaves it to be looked up again, and then it matches.
   */
  const replace = (rec: PreparedRecord, id: string): Effect.Effect<void, ImportError> =>
    Effect.gen(function*() {
      if (journal !== undefined) {
        yield* journalStep(() => journal.sent(nextBatchId(), [rec.line], [rec.da, rec.db], [rec.ka, rec.kb]))
        yield* Effect.mapError(journal.sync, writeError)
      }
      const raw = sourceRecord(rec) as CreateIdentityBodyEncoded
      // PUT replaces the identity: a state left out would be kept as it is, not made active
      const exact = exactSourceRecord(rec)
      const body = exact !== undefined
        ? new JsonText(stringifyExact({ ...exact, state: exact.state ?? "active" }))
        : { ...raw, state: raw.state ?? "active" }
      const result = yield* client.encoded.updateIdentity({ id, body }).pipe(
        Effect.timeoutFail({ duration: requestTimeout, onTimeout: () => timedOut("updateIdentity", requestTimeout) }),
        Effect.retry({ times: 5, while: (e) => isRetryable(e) && !isTimeout(e) }),
        Effect.either
      )
      if (Either.isRight(result)) {
        tally.updated(rec, id)
        return
      }
      const e = result.left
      // not journaled as done when its outcome is unknown: a resume looks it up again
      if (isAmbiguous(e)) return yield* fail(rec.line, "unknown", `updating identity ${id} to the edited record: ${errorReason(e)}`, { raw, externalId: externalIdOf(raw), exact: () => exact })
      return yield* finalFailure(rec, "failed", errorStatus(e) || undefined, `updating identity ${id} (an earlier version of this record) failed: ${errorReason(e)}`)
    })

  /** Marks existing records done; returns the ones to (re)send. */
  const reconcile = (recs: ReadonlyArray<PreparedRecord>): Effect.Effect<Array<PreparedRecord>, ImportError> =>
    Effect.gen(function*() {
      stats.reconciled += recs.length
      const results = yield* Effect.forEach(recs, lookup, { concurrency: 8 })
      const missing: Array<PreparedRecord> = []
      const found = { Found: 0, Stale: 0, Foreign: 0, Missing: 0, Unknown: 0 }
      for (let i = 0; i < recs.length; i++) {
        const r = results[i]
        found[r._tag]++
        if (r._tag === "Missing") missing.push(recs[i])
        else yield* settle(recs[i], r)
      }
      yield* Effect.annotateCurrentSpan({
        "kratos.import.lookup.found": found.Found,
        "kratos.import.lookup.stale": found.Stale,
        "kratos.import.lookup.foreign": found.Foreign,
        "kratos.import.lookup.missing": found.Missing,
        "kratos.import.lookup.unknown": found.Unknown
      })
      yield* commit
      return missing
    }).pipe(Effect.withSpan("kratos.import.lookup", { attributes: { "kratos.import.lookup.records": recs.length } }))

  return { lookup, settle, reconcile }
}
