/** Public types of the importer, kept apart from the engine so both `Import` and the engine use them. */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type BatchPatchIdentitiesResponse, maxItems, type PatchIdentitiesBody } from "../../BatchPatch.js"
import type { Identity, UpdateIdentityBody } from "../../Identity.js"
import type { IdentitySchemaDocument } from "../../IdentitySchema.js"
import type { KratosError } from "../../KratosError.js"
import type { JsonText } from "../../Operation.js"
import type { Page } from "../../Pagination.js"

/** What the importer needs of the client (`IdentityApi` provides it). */
export interface ImportClient {
  /** Batches go out in their wire form: records were validated against the same schema when read. */
  readonly encoded: {
    readonly batchPatchIdentities: (
      input: { readonly body: typeof PatchIdentitiesBody.Encoded | JsonText }
    ) => Effect.Effect<BatchPatchIdentitiesResponse, KratosError>
    /**
     * Replaces an identity an earlier run created from a record edited since (as `JsonText` when
     * the record holds a number `JSON.parse` would round).
     */
    readonly updateIdentity: (
      input: { readonly id: string; readonly body: typeof UpdateIdentityBody.Encoded | JsonText }
    ) => Effect.Effect<Identity, KratosError>
  }
  readonly getIdentityByExternalID: (input: { readonly externalID: string }) => Effect.Effect<Identity, KratosError>
  readonly listIdentities: (input: { readonly credentials_identifier: string }) => Effect.Effect<Page<Identity>, KratosError>
  readonly getIdentitySchema: (input: { readonly id: string }) => Effect.Effect<IdentitySchemaDocument, KratosError>
}

/**
 * The defaults of `ImportOptions` the importer applies and the CLI shows: one batch on the wire (Ory
 * Network serialises writes per path), batches of the API's maximum, and Kratos' own bcrypt cost.
 *
 * @since 0.1.0 @category models
 */
export const importDefaults = { concurrency: 1, batchSize: maxItems, prehashCost: 12 } as const

/** @since 0.1.0 @category models */
export interface ImportOptions {
  /** Names the source in patch ids, journal and report (default "input"; the file path for files). */
  readonly source?: string
  /** Validate and deduplicate, send nothing. */
  readonly dryRun?: boolean
  /** Batch requests on the wire (default 1: Ory Network serialises writes per path anyway). */
  readonly concurrency?: number
  /**
   * One more batch in the pipeline than `concurrency`: the next batch is journaled and encoded while
   * `concurrency` are on the server, and goes out the moment one comes back. Never more than
   * `concurrency` requests on the wire. Default on; dropped after the first ambiguous failure.
   */
  readonly lookAhead?: boolean
  /** Largest batch (default and maximum 1000; plaintext batches are capped at 200 whatever this says). */
  readonly batchSize?: number
  /** Hash plaintext passwords locally (bcrypt, default cost 12) so batches can be 1000 and the server does no hashing. */
  readonly prehash?: boolean | { readonly cost?: number; readonly concurrency?: number }
  /** Journal path (append-only JSONL). Without it the import cannot be resumed. */
  readonly journal?: string
  /**
   * Continue from the journal: records an earlier run finished are skipped (matched by their text,
   * wherever their line is now: an edited record is a new one), records sent without a result are
   * looked up before they are sent again.
   */
  readonly resume?: boolean
  /** With `resume`: send again the records the journal holds as failed (after looking them up). */
  readonly retryFailed?: boolean
  /** Replace a journal that holds an earlier import (without it, such a journal stops the run). */
  readonly restart?: boolean
  /** Failures file (JSONL, fixable and re-importable). */
  readonly failures?: string
  /** Schema id for records without `schema_id` (default "default"). */
  readonly defaultSchemaId?: string
  /** Validate traits against the server's identity schema (default true). */
  readonly validateSchema?: boolean
  /**
   * Validate every record's traits against this identity schema document instead of fetching the
   * server's: with `dryRun`, a check that needs no server at all.
   */
  readonly identitySchema?: { readonly name: string; readonly document: unknown }
  /** UUID namespace of patch ids (default: a fixed effect-kratos namespace). */
  readonly namespace?: string
  /** Input size in bytes, for progress (files: set by `importFile`). */
  readonly totalBytes?: number
  /** Attempts for a batch answered 429/502/503 (after the client's own retries; default 6). */
  readonly maxBatchAttempts?: number
  /** First backoff between batch attempts (default 1 s, doubling, capped at 30 s, full jitter). */
  readonly retryBase?: number
  /** The longest wait a server's `Retry-After` or `x-ratelimit-reset` gets (default 60 s). */
  readonly retryAfterCap?: Duration.DurationInput
  /** Bound on one call with all its attempts, a batch or a lookup (default 2 minutes): past it, a batch is ambiguous. */
  readonly requestTimeout?: Duration.DurationInput
  /** Time between two `Progress` events at most (default 250 ms). */
  readonly progressInterval?: number
}

/** Why a record was not imported. @since 0.1.0 @category models */
export type FailureStatus = "malformed" | "invalid" | "duplicate" | "failed" | "conflict" | "unknown"

/** One line of the failures file. @since 0.1.0 @category models */
export interface ImportFailure {
  readonly line: number
  /** The byte offset in the input where the record's line begins (failures found while reading it). */
  readonly offset?: number | undefined
  readonly external_id?: string | undefined
  readonly status: FailureStatus
  /** The HTTP status of a server-side failure. */
  readonly code?: number | undefined
  readonly reason: string
  /** The record had a plaintext password, left out here: add it back before re-importing. */
  readonly password_removed?: boolean | undefined
  /** The record as read (for malformed lines: absent). */
  readonly record?: unknown
}

/** @since 0.1.0 @category models */
export const ImportReport = Schema.Struct({
  source: Schema.String,
  dryRun: Schema.Boolean,
  /** Records read (malformed lines included). */
  records: Schema.Number,
  /** Records that passed decoding, schema validation and deduplication. */
  valid: Schema.Number,
  created: Schema.Number,
  /** Found on the server after an ambiguous attempt of this import (or of the resumed one). */
  alreadyPresent: Schema.Number,
  /**
   * Records edited since an earlier run of this import put their previous version on the server:
   * that identity was updated to the record as it is now.
   */
  updated: Schema.Number,
  failed: Schema.Number,
  conflicts: Schema.Number,
  /** Sent in a batch whose outcome is unknown and impossible to look up (no external_id, no identifier). */
  unknown: Schema.Number,
  invalid: Schema.Number,
  malformed: Schema.Number,
  /** Where the first malformed lines are (up to 20): line number and byte offset of its start. */
  malformedAt: Schema.optional(Schema.Array(Schema.Struct({ line: Schema.Number, offset: Schema.Number }))),
  duplicates: Schema.Number,
  /** Lines skipped on resume because an earlier run had finished them (included in the counts above). */
  resumed: Schema.Number,
  failuresByReason: Schema.Record({ key: Schema.String, value: Schema.Number }),
  /** Batch attempts repeated after 429/502/503. */
  retried: Schema.Number,
  /** Records looked up after an ambiguous failure (504, timeout, reset) or a resume. */
  reconciled: Schema.Number,
  batches: Schema.Number,
  batchesSplit: Schema.Number,
  durationMs: Schema.Number,
  recordsPerSecond: Schema.Number,
  /** Every record read was imported (or, in a dry run, would be sent). */
  complete: Schema.Boolean,
  journal: Schema.optional(Schema.String),
  failuresFile: Schema.optional(Schema.String),
  warnings: Schema.Array(Schema.String)
}).annotations({ identifier: "ImportReport" })
/** @since 0.1.0 @category models */
export type ImportReport = typeof ImportReport.Type

/** @since 0.1.0 @category models */
export interface ImportProgress {
  /** Records read from the source. */
  readonly read: number
  /** Records with a final outcome (imported, failed, skipped). */
  readonly done: number
  readonly imported: number
  readonly failed: number
  readonly retries: number
  readonly batchSize: number
  readonly inFlight: number
  /** Records per second since the start. */
  readonly rate: number
  readonly bytesRead: number
  readonly totalBytes?: number | undefined
  /**
   * 0..1 when the input size is known: the finished records' share of those the input is estimated
   * to hold (from the records and bytes read so far). Reading runs ahead of the server, so this
   * follows `done`, not `bytesRead / totalBytes`.
   */
  readonly fraction?: number | undefined
  readonly etaSeconds?: number | undefined
  readonly elapsedMs: number
  /** Sleeping before a batch is tried again: how long is left and why. */
  readonly waiting?: { readonly seconds: number; readonly reason: string } | undefined
}

/** @since 0.1.0 @category models */
export type ImportEvent =
  | { readonly _tag: "Started"; readonly source: string; readonly dryRun: boolean; readonly totalBytes?: number | undefined; readonly resumedLines: number }
  | { readonly _tag: "Warning"; readonly message: string }
  | { readonly _tag: "Progress"; readonly progress: ImportProgress }
  | { readonly _tag: "RecordFailed"; readonly failure: ImportFailure }
  | { readonly _tag: "Finished"; readonly report: ImportReport }

/** The import could not go on (unreadable input, journal not writable, 401/403, schema not loadable). @since 0.1.0 @category errors */
export class ImportError extends Schema.TaggedError<ImportError>()("ImportError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/** The import ran to its end but not every record was imported; the report says which. @since 0.1.0 @category errors */
export class ImportIncomplete extends Schema.TaggedError<ImportIncomplete>()("ImportIncomplete", {
  message: Schema.String,
  report: ImportReport
}) {}

/**
 * A validated record on its way to a batch. Its create body is UTF-8 JSON in `bytes[start, end)`,
 * a buffer its chunk of records shares: records waiting for a batch hold no strings, so the GC has
 * little to copy. Its keys are read back from that text on the rare paths that need them.
 */
export interface PreparedRecord {
  readonly line: number
  bytes: Buffer
  start: number
  end: number
  plaintext: boolean
  /** Sent in an attempt whose outcome was not seen: a later 409 may be our own earlier create. */
  ambiguous: boolean
  /** The digest of the record's source text (journaled with the line it was sent from). */
  readonly da: number
  readonly db: number
  /** The digest of its key (external_id, else first password identifier; 0, 0 for none). */
  readonly ka: number
  readonly kb: number
  /**
   * Edited since an earlier run sent a version of it (the journal knows its key, not its text): the
   * identity found by its key, if this import created it, is updated to this record.
   */
  readonly changed: boolean
}
