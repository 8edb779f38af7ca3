/**
 * The import engine: source records → decode, validate, deduplicate → (prehash) → batches →
 * `batchPatchIdentities` with journal, reconciliation and AIMD batch sizing → events.
 */
import { hash as bcryptHash } from "@node-rs/bcrypt"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import * as Mailbox from "effect/Mailbox"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as RetryPolicy from "../../RetryPolicy.js"
import * as fs from "node:fs"
import * as os from "node:os"
import { maxItems, maxPlaintextItems } from "../../BatchPatch.js"
import { JsonText } from "../../Operation.js"
import type { BatchPatchIdentitiesResponse } from "../../BatchPatch.js"
import { CreateIdentityBody, type CreateIdentityBodyEncoded, hasPlaintextPassword } from "../../Identity.js"
import { type KratosError, TransportError } from "../../KratosError.js"
import type { Identity } from "../../Identity.js"
import * as Reconcile from "./reconcile.js"
import { FailureWriter, unwrapFailureLine, withoutPassword } from "./failures.js"
import { currentResponseListener } from "../client/context.js"
import { Gate } from "../client/gate.js"
import { handOff, yieldToEventLoop } from "../eventLoop.js"
import { formatParseError } from "../parseIssues.js"
import { wireCheck } from "../wireCheck.js"
import * as Journal from "./journal.js"
import { ByteWriter } from "./bytes.js"
import { type Digest, digestText, InputDigest } from "./digest.js"
import { defaultNamespace, KeyKind, KeyTable, PatchIds } from "./keys.js"
import * as Lock from "./lock.js"
import { importDefaults } from "./model.js"
import type {
  FailureStatus,
  ImportClient,
  ImportEvent,
  ImportFailure,
  ImportOptions,
  ImportReport,
  PreparedRecord
} from "./model.js"
import { ImportError } from "./model.js"
import * as IdSchema from "./schema.js"
import type { SourceItem } from "./source.js"

const decodeBody = Schema.decodeUnknownEither(CreateIdentityBody, { onExcessProperty: "error", errors: "all" })
const encodeBody = Schema.encodeEither(CreateIdentityBody)

const checkBody = wireCheck(CreateIdentityBody)

/**
 * A record's body in its wire form, validated. ajv's verdict on the wire form is the fast path: a
 * body it accepts is sent as read (and nothing is allocated for it). Anything else goes through the
 * schema, for its messages (and for the rare body only the schema accepts, which is then sent as
 * the schema encodes it).
 */
const validateBody = (raw: unknown): CreateIdentityBodyEncoded | ParseResult.ParseError => {
  if (checkBody(raw)) return raw
  const decoded = Either.flatMap(decodeBody(raw), encodeBody)
  return Either.isRight(decoded) ? decoded.right : decoded.left
}

/** The record's create body (its bytes are the batch item around it; parsed only on rare paths). */
const sourceRecord = (rec: PreparedRecord): unknown =>
  (JSON.parse(rec.bytes.toString("utf8", rec.start, rec.end)) as { create: unknown }).create

const externalIdOf = (record: unknown): string | undefined => {
  const id = (record as { external_id?: unknown } | null)?.external_id
  return typeof id === "string" && id.length > 0 ? id : undefined
}

/** A source text that is not JSON, and why. */
class Unparsable {
  constructor(readonly reason: string) {}
}

const parseText = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch (e) {
    return new Unparsable(e instanceof Error ? e.message : String(e))
  }
}

/** Where a chunk's records are until the chunk is done (its buffer may grow meanwhile). */
const noBytes = Buffer.alloc(0)

const ascii = (s: string): Buffer => Buffer.from(s, "latin1")
const itemOpen = ascii("{\"create\":")
const itemClose = ascii("\"}")
const comma = ascii(",")
const bodyOpen = ascii("{\"identities\":[")
const bodyClose = ascii("]}")

/** `,"patch_id":"` and the part of the id all records of a source share. */
const patchIdField = (patchIds: PatchIds): Buffer => ascii(`,"patch_id":"${patchIds.prefix}`)

/** A record as a batch item, `{"create":…,"patch_id":"…"}`, appended to `out`. */
const writeItem = (out: ByteWriter, json: string, line: number, patchId: Buffer): void => {
  out.constant(itemOpen)
  out.text(json)
  out.constant(patchId)
  out.hex(line, 12)
  out.constant(itemClose)
}

/**
 * The batch as JSON, copied from the records' bytes: a chunk's records sit one after the other,
 * comma-separated, so consecutive records of a chunk are one copy. Nothing is serialized again.
 */
const batchBody = (recs: ReadonlyArray<PreparedRecord>): JsonText => {
  if (recs.length === 0) return new JsonText("{\"identities\":[]}")
  let size = 18
  for (const r of recs) size += r.end - r.start + 1
  const w = new ByteWriter(size)
  w.constant(bodyOpen)
  let from = recs[0]
  let to = recs[0]
  for (let i = 1; i < recs.length; i++) {
    const r = recs[i]
    if (r.bytes === to.bytes && r.start === to.end + 1) {
      to = r
      continue
    }
    w.copy(from.bytes, from.start, to.end)
    w.constant(comma)
    from = to = r
  }
  w.copy(from.bytes, from.start, to.end)
  w.constant(bodyClose)
  return new JsonText(w.bytes)
}


/** AIMD batch size: halve on a gateway timeout, grow back by a tenth of the maximum per success. */
class Sizer {
  current: number
  constructor(readonly max: number) {
    this.current = max
  }
  shrink(): void {
    this.current = Math.max(1, Math.floor(this.current / 2))
  }
  grow(): void {
    this.current = Math.min(this.max, this.current + Math.max(1, Math.ceil(this.max / 10)))
  }
}

type Lookup =
  | { readonly _tag: "Found"; readonly id: string }
  /** An earlier version of an edited record, created by this import: to be updated to it. */
  | { readonly _tag: "Stale"; readonly id: string }
  | { readonly _tag: "Foreign"; readonly reason: string }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Unknown"; readonly reason: string }

const timedOut = (operation: string, after: Duration.Duration) =>
  new TransportError({ operation, reason: "Timeout", message: `no complete answer within ${Duration.format(after)}`, sent: true, attempts: 1 })

const isTimeout = (e: KratosError): boolean => e._tag === "TransportError" && e.reason === "Timeout"

const isAmbiguous = (e: KratosError): boolean =>
  e._tag === "GatewayTimeout" ||
  e._tag === "ResponseDecodeError" ||
  (e._tag === "TransportError" && e.sent)

const isRetryable = (e: KratosError): boolean =>
  e._tag === "TooManyRequests" ||
  e._tag === "BadGateway" ||
  e._tag === "ServiceUnavailable" ||
  e._tag === "InternalServerError" ||
  (e._tag === "TransportError" && !e.sent)

const errorStatus = (e: KratosError): number => ("status" in e ? e.status : 0)

const errorReason = (e: KratosError): string => {
  const reason = "reason" in e && typeof e.reason === "string" && e.reason.length > 0 ? e.reason : undefined
  return reason ?? e.message
}

const reasonKey = (status: FailureStatus, code: number | undefined, reason: string): string => {
  const short = reason.split("\n")[0].slice(0, 100)
  if (status === "malformed") return "malformed JSON"
  if (status === "duplicate") return "duplicate in input"
  if (status === "invalid") return `invalid: ${short.replace(/line \d+/g, "line N")}`
  return code ? `${code} ${status}: ${short}` : `${status}: ${short}`
}

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
    const startedAt = new Date()
    const started = startedAt.getTime()
    const sourceName = options.source ?? "input"
    const dryRun = options.dryRun === true
    const concurrency = Math.max(1, options.concurrency ?? importDefaults.concurrency)
    const batchMax = Math.max(1, Math.min(maxItems, options.batchSize ?? importDefaults.batchSize))
    const namespace = options.namespace ?? defaultNamespace
    const patchIds = new PatchIds(namespace, sourceName)
    const patchId = patchIdField(patchIds)
    const defaultSchemaId = options.defaultSchemaId ?? "default"
    const validateSchema = options.validateSchema !== false
    const maxAttempts = Math.max(1, options.maxBatchAttempts ?? 6)
    const retryBase = options.retryBase ?? 1000
    // every call (all its attempts) is bounded: a server that trickles its answers is given up on
    const requestTimeout = Duration.decode(options.requestTimeout ?? "2 minutes")
    let waiting: { readonly seconds: number; readonly reason: string } | undefined
    const progressInterval = options.progressInterval ?? 250
    const prehash = options.prehash === undefined || options.prehash === false
      ? undefined
      : {
        cost: (options.prehash === true ? undefined : options.prehash.cost) ?? importDefaults.prehashCost,
        concurrency: (options.prehash === true ? undefined : options.prehash.concurrency) ??
          Math.max(1, os.availableParallelism())
      }
    const runId = Date.now().toString(36)

    // Events are queued synchronously and handed to the mailbox in bulk at the end of each step.
    const queued: Array<ImportEvent> = []
    const flushEvents = Effect.suspend(() => (queued.length === 0 ? Effect.void : mailbox.offerAll(queued.splice(0))))
    const emit = (event: ImportEvent) => {
      queued.push(event)
      return flushEvents
    }
    const warnings: Array<string> = []
    const warnSync = (message: string) => {
      warnings.push(message)
      queued.push({ _tag: "Warning", message })
    }
    const warn = (message: string) => Effect.suspend(() => emit({ _tag: "Warning", message }).pipe(Effect.tap(() => warnings.push(message))))

    // ---- journal, its lock and the failures file: all settled before anything is sent
    const files = yield* Journal.ImportFiles
    const journalPath = dryRun ? undefined : options.journal
    if (options.resume && !options.journal) yield* warn("resume asked for without a journal: starting from the beginning")
    const opened = journalPath === undefined ? undefined : yield* openJournal(journalPath, options, sourceName, startedAt)
    for (const w of opened?.warnings ?? []) yield* warn(w)
    const previous = opened?.previous
    const failuresOut = yield* Effect.acquireRelease(
      Effect.try({
        try: () => FailureWriter.open(files, options.failures),
        catch: (e) => new ImportError({ message: `cannot write the failures file: ${e instanceof Error ? e.message : String(e)}`, cause: e })
      }),
      (w) => Effect.sync(() => w.close())
    )
    if (failuresOut.kept !== undefined) yield* warn(`the earlier failures file is kept as ${failuresOut.kept}`)
    const journal = journalPath === undefined ? undefined : yield* Effect.acquireRelease(
      Effect.try({
        try: () => Journal.JournalWriter.open(journalPath, { files, truncate: options.restart === true }),
        catch: (e) => writeError(e instanceof Journal.WriteFailed ? e : new Journal.WriteFailed(journalPath, Journal.errorText(e)))
      }),
      (w) => Effect.sync(() => w.close())
    )
    yield* journalStep(() => journal?.begin(sourceName, namespace, startedAt))

    // ---- counters
    const stats = {
      records: 0,
      valid: 0,
      created: 0,
      alreadyPresent: 0,
      updated: 0,
      failed: 0,
      conflicts: 0,
      unknown: 0,
      invalid: 0,
      malformed: 0,
      duplicates: 0,
      resumed: 0,
      retried: 0,
      reconciled: 0,
      batches: 0,
      batchesSplit: 0,
      done: 0,
      bytes: 0,
      inFlight: 0,
      keyless: 0
    }
    const byReason = new Map<string, number>()
    const hashed = new Sizer(batchMax)
    const plain = new Sizer(Math.min(batchMax, maxPlaintextItems))
    let lastProgress = 0

    const progressEvent = (): ImportEvent => {
      const elapsedMs = Date.now() - started
      const rate = elapsedMs > 0 ? (stats.done * 1000) / elapsedMs : 0
      const total = options.totalBytes
      const fraction = total && total > 0 ? Math.min(1, stats.bytes / total) : undefined
      const estimated = fraction && fraction > 0 ? stats.records / fraction : undefined
      const etaSeconds = estimated !== undefined && rate > 0 ? Math.max(0, (estimated - stats.done) / rate) : undefined
      return {
        _tag: "Progress",
        progress: {
          read: stats.records,
          done: stats.done,
          imported: stats.created + stats.alreadyPresent + stats.updated,
          failed: stats.failed + stats.conflicts + stats.unknown + stats.invalid + stats.malformed + stats.duplicates,
          retries: stats.retried,
          batchSize: hashed.current,
          inFlight: stats.inFlight,
          rate,
          bytesRead: stats.bytes,
          totalBytes: total,
          fraction,
          etaSeconds,
          elapsedMs,
          ...(waiting !== undefined ? { waiting } : {})
        }
      }
    }
    const progress = (force: boolean) =>
      Effect.suspend(() => {
        const now = Date.now()
        if (!force && now - lastProgress < progressInterval) return Effect.void
        lastProgress = now
        return emit(progressEvent())
      })

    const failSync = (
      line: number,
      status: FailureStatus,
      reason: string,
      extra: { readonly raw?: unknown; readonly externalId?: string | undefined; readonly code?: number }
    ) => {
      stats.done++
      if (status === "malformed") stats.malformed++
      else if (status === "invalid") stats.invalid++
      else if (status === "duplicate") stats.duplicates++
      else if (status === "failed") stats.failed++
      else if (status === "conflict") stats.conflicts++
      else stats.unknown++
      const key = reasonKey(status, extra.code, reason)
      byReason.set(key, (byReason.get(key) ?? 0) + 1)
      const stripped = extra.raw === undefined ? undefined : withoutPassword(extra.raw)
      const failure: ImportFailure = {
        line,
        ...(extra.externalId !== undefined ? { external_id: extra.externalId } : {}),
        status,
        ...(extra.code !== undefined ? { code: extra.code } : {}),
        reason,
        ...(stripped?.removed ? { password_removed: true } : {}),
        ...(stripped !== undefined ? { record: stripped.record } : {})
      }
      failuresOut.write(failure)
      queued.push({ _tag: "RecordFailed", failure })
    }
    const fail = (...args: Parameters<typeof failSync>) => Effect.suspend(() => {
      failSync(...args)
      return flushEvents
    })

    // ---- identity schemas, fetched and compiled once per id
    const schemas = new Map<string, IdSchema.CompiledSchema | string>()
    const schemaFor = (id: string): Effect.Effect<IdSchema.CompiledSchema | string, ImportError> => {
      const cached = schemas.get(id)
      if (cached !== undefined) return Effect.succeed(cached)
      return client.getIdentitySchema({ id }).pipe(
        Effect.flatMap((doc) =>
          Effect.try({
            try: () => IdSchema.compile(id, doc),
            catch: (e) => `identity schema \`${id}\` cannot be compiled: ${e instanceof Error ? e.message : String(e)}`
          }).pipe(Effect.merge)
        ),
        Effect.catchAll((e) =>
          e._tag === "NotFound"
            ? Effect.succeed(`identity schema \`${id}\` does not exist`)
            : new ImportError({ message: `cannot load identity schema ${id}: ${errorReason(e)}`, cause: e })
        ),
        Effect.tap((s) => Effect.sync(() => schemas.set(id, s)))
      )
    }

    const keys = new KeyTable()
    // prepare's identifiers: one list for every record (they are claimed, not kept)
    const identifiers = new IdSchema.Identifiers()
    let keyCount = 0
    // the digest of the record being prepared, and of the input so far
    const digest: Digest = { a: 0, b: 0 }
    const keyDigest: Digest = { a: 0, b: 0 }
    const inputDigest = new InputDigest()

    // ---- stage 1: a source item → a record ready to send, or a reported failure
    const schemaIdOf = (value: unknown): string => {
      const id = (unwrapFailureLine(value) as { schema_id?: unknown } | null)?.schema_id
      return typeof id === "string" && id.length > 0 ? id : defaultSchemaId
    }
    /** `value` is the item's value, parsed from its text by the caller (`Unparsable` if it is not JSON). */
    const prepare = (item: SourceItem, value: unknown, out: ByteWriter): PreparedRecord | undefined => {
        stats.records++
        stats.bytes = item.bytes
        if (journal !== undefined) {
          if (item._tag === "Malformed") inputDigest.addMalformed(item.line, item.reason, digest)
          else {
            digestText(item._tag === "Text" ? item.text : JSON.stringify(item.value) ?? "", digest)
            inputDigest.add(digest)
          }
        }
        if (item._tag === "Malformed" || value instanceof Unparsable) {
          failSync(item.line, "malformed", item._tag === "Malformed" ? item.reason : (value as Unparsable).reason, {})
          return undefined
        }
        const raw = unwrapFailureLine(value)
        const rawExternalId = externalIdOf(raw)
        const body = validateBody(raw)
        if (body instanceof ParseResult.ParseError) {
          failSync(item.line, "invalid", formatParseError(body), { raw, externalId: rawExternalId })
          return undefined
        }
        const schemaId = body.schema_id !== undefined && body.schema_id.length > 0 ? body.schema_id : defaultSchemaId
        // Fetched for the whole chunk beforehand (prepareChunk).
        const schema = schemas.get(schemaId) ?? `identity schema \`${schemaId}\` was not loaded`
        if (typeof schema === "string") {
          if (validateSchema) {
            failSync(item.line, "invalid", schema, { raw, externalId: rawExternalId })
            return undefined
          }
        } else if (validateSchema) {
          const problem = IdSchema.check(schema, body.traits)
          if (problem !== undefined) {
            failSync(item.line, "invalid", problem, { raw, externalId: rawExternalId })
            return undefined
          }
        }
        identifiers.length = 0
        if (typeof schema !== "string") identifiers.read(schema, body.traits)
        const externalId = body.external_id !== undefined && body.external_id.length > 0 ? body.external_id : undefined
        // In-input duplicates: every key checked before any is claimed, so a duplicate claims nothing.
        let first = externalId === undefined ? undefined : keys.probe(KeyKind.externalId, externalId)
        let same = first === undefined ? undefined : `external_id ${externalId}`
        const ids = identifiers.items
        for (let i = 0; i < identifiers.length && first === undefined; i++) {
          first = keys.probe(KeyKind.identifier, ids[i])
          if (first !== undefined) same = `identifier ${ids[i]}`
        }
        if (first !== undefined) {
          keys.forget()
          failSync(item.line, "duplicate", `duplicate of line ${first} (same ${same})`, { raw, externalId })
          return undefined
        }
        keys.commit(item.line)
        const recordKeys = (externalId !== undefined ? 1 : 0) + identifiers.length
        keyCount += recordKeys
        // Size the key table once from the input size (a doubling at a million keys costs 72 MB at once).
        if (stats.records === 2000 && options.totalBytes !== undefined && item.bytes > 0) {
          keys.reserve(Math.ceil(((options.totalBytes / item.bytes) * keyCount) * 1.05))
        }
        stats.valid++
        if (recordKeys === 0) {
          stats.keyless++
          if (stats.keyless === 1) {
            warnSync(
              `line ${item.line} has neither external_id nor a password identifier: such records cannot be looked up ` +
                `after an ambiguous failure (504, timeout) and are then reported as "unknown", never resent`
            )
          }
        }
        const key = externalId !== undefined ? `e\0${externalId}` : identifiers.length > 0 ? `i\0${ids[0]}` : undefined
        if (key === undefined || journal === undefined) keyDigest.a = keyDigest.b = 0
        else digestText(key, keyDigest)
        // Resume: a record an earlier run finished (the same text, wherever its line is now) counts
        // as it ended then; one sent without a result is looked up before it is sent again, and so is
        // one edited since an earlier run sent it (found by its key): its earlier version may be on
        // the server.
        let ambiguous = false
        let changed = false
        const prior = previous === undefined ? -1 : previous.records.take(digest)
        if (prior < 0 && previous !== undefined && previous.records.takeByKey(keyDigest.a, keyDigest.b) >= 0) {
          ambiguous = true
          changed = true
        }
        if (prior >= 0) {
          const code = previous!.records.code(prior)
          if (code === Journal.Code.pending) {
            ambiguous = true
          } else if (Journal.succeeded(code)) {
            stats.resumed++
            stats.done++
            if (code === Journal.Code.created) stats.created++
            else if (code === Journal.Code.updated) stats.updated++
            else stats.alreadyPresent++
            return undefined
          } else if (options.retryFailed === true) {
            ambiguous = true
          } else {
            stats.resumed++
            const was = previous!.records.details.get(prior)
            const status: FailureStatus = code === Journal.Code.failed ? "failed" : code === Journal.Code.conflict ? "conflict" : "unknown"
            failSync(item.line, status, was?.[3] ?? "failed in an earlier run", {
              raw,
              externalId,
              ...(typeof was?.[2] === "number" && was[2] > 0 ? { code: was[2] } : {})
            })
            return undefined
          }
        }
        if (dryRun) {
          stats.done++
          return undefined
        }
        if (out.at > 0) out.constant(comma)
        const start = out.at
        // the text as read when ajv accepted the value itself (validateBody returned it)
        writeItem(out, body === value && item._tag === "Text" ? item.text : JSON.stringify(body), item.line, patchId)
        return {
          line: item.line,
          bytes: noBytes,
          start,
          end: out.at,
          plaintext: hasPlaintextPassword(body),
          ambiguous,
          changed,
          da: digest.a,
          db: digest.b,
          ka: keyDigest.a,
          kb: keyDigest.b
        }
    }

    // one slice's parsed values (reused: a slice at a time)
    const values: Array<unknown> = []
    const prepareChunk = (items: ReadonlyArray<SourceItem>): Effect.Effect<Array<PreparedRecord>, ImportError> =>
      Effect.gen(function*() {
        let size = 0
        for (let i = 0; i < items.length; i++) {
          const item = items[i]
          if (item._tag !== "Malformed") size += (item._tag === "Text" ? item.text.length : 256) + 80
        }
        const out: Array<PreparedRecord> = []
        const text = new ByteWriter(size)
        for (let from = 0; from < items.length; from += prepareSlice) {
          const to = Math.min(items.length, from + prepareSlice)
          for (let i = from; i < to; i++) {
            const item = items[i]
            const value = item._tag === "Text" ? parseText(item.text) : item._tag === "Value" ? item.value : undefined
            values[i - from] = value
            if (item._tag !== "Malformed" && !(value instanceof Unparsable)) {
              const id = schemaIdOf(value)
              if (!schemas.has(id)) yield* schemaFor(id)
            }
          }
          for (let i = from; i < to; i++) {
            const rec = prepare(items[i], values[i - from], text)
            values[i - from] = undefined
            if (rec !== undefined) out.push(rec)
          }
          yield* flushEvents
          yield* progress(false)
          // Let a response that arrived meanwhile in: validation must not delay the wire. (A microtask
          // yield would not: the scheduler lets I/O in only every few thousand of them.)
          yield* yieldToEventLoop
        }
        const bytes = text.bytes
        for (let i = 0; i < out.length; i++) out[i].bytes = bytes
        return out
      })

    // ---- prehash: bcrypt on the libuv threadpool, so records hash in parallel on every core
    const hashRecord = (rec: PreparedRecord): Effect.Effect<PreparedRecord | undefined> => {
      if (prehash === undefined || !rec.plaintext) return Effect.succeed(rec)
      const body = sourceRecord(rec) as CreateIdentityBodyEncoded
      const config = body.credentials!.password!.config!
      const password = config.password!
      return Effect.tryPromise(() => bcryptHash(password, { cost: prehash.cost })).pipe(
        Effect.map((hashed) => {
          const { password: _plain, ...others } = config
          const json = JSON.stringify({
            ...body,
            credentials: {
              ...body.credentials,
              password: { ...body.credentials!.password, config: { ...others, hashed_password: hashed } }
            }
          })
          const out = new ByteWriter(json.length + 80)
          writeItem(out, json, rec.line, patchId)
          rec.bytes = out.bytes
          rec.start = 0
          rec.end = out.at
          rec.plaintext = false
          return rec as PreparedRecord | undefined
        }),
        Effect.catchAll((e) =>
          fail(rec.line, "failed", `prehash failed: ${e.error instanceof Error ? e.error.message : String(e.error)}`, {
            raw: body,
            externalId: externalIdOf(body)
          }).pipe(Effect.as(undefined))
        )
      )
    }

    // ---- outcomes
    let createdLines: Array<number> = []
    let finals: Array<Journal.DoneItem> = []
    const created = (rec: PreparedRecord) => {
      stats.created++
      stats.done++
      createdLines.push(rec.line)
    }
    const present = (rec: PreparedRecord, id: string) => {
      stats.alreadyPresent++
      stats.done++
      finals.push([rec.line, "p", id])
    }
    const finalFailure = (rec: PreparedRecord, status: "failed" | "conflict" | "unknown", code: number | undefined, reason: string) => {
      finals.push([rec.line, status === "failed" ? "f" : status === "conflict" ? "x" : "u", code ?? 0, reason])
      const raw = sourceRecord(rec)
      return fail(rec.line, status, reason, { raw, externalId: externalIdOf(raw), ...(code ? { code } : {}) })
    }
    const commit: Effect.Effect<void, ImportError> = Effect.suspend(() => {
      if (createdLines.length > 0 || finals.length > 0) {
        const c = createdLines
        const f = finals
        createdLines = []
        finals = []
        failuresOut.flush()
        if (journal !== undefined) return journalStep(() => journal.done(c, f))
      }
      return failuresOut.failed === undefined ? Effect.void : Effect.fail(writeError(failuresOut.failed))
    })

    // ---- reconciliation: which records of an ambiguous attempt exist on the server, as theirs?
    // Identities created before the import's first run are never its own.
    const since = previous?.firstRun !== undefined ? Date.parse(previous.firstRun.at) : started
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
        present(rec, r.id)
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
          yield* journalStep(() => journal.sent(`${runId}-u${++batchCounter}`, [rec.line], [rec.da, rec.db], [rec.ka, rec.kb]))
          yield* Effect.mapError(journal.sync, writeError)
        }
        const raw = sourceRecord(rec) as CreateIdentityBodyEncoded
        const body = { ...raw, state: raw.state ?? "active" }
        const result = yield* client.encoded.updateIdentity({ id, body }).pipe(
          Effect.timeoutFail({ duration: requestTimeout, onTimeout: () => timedOut("updateIdentity", requestTimeout) }),
          Effect.retry({ times: 5, while: (e) => isRetryable(e) && !isTimeout(e) }),
          Effect.either
        )
        if (Either.isRight(result)) {
          stats.updated++
          stats.done++
          finals.push([rec.line, "r", id])
          return
        }
        const e = result.left
        // not journaled as done when its outcome is unknown: a resume looks it up again
        if (isAmbiguous(e)) return yield* fail(rec.line, "unknown", `updating identity ${id} to the edited record: ${errorReason(e)}`, { raw, externalId: externalIdOf(raw) })
        return yield* finalFailure(rec, "failed", errorStatus(e) || undefined, `updating identity ${id} (an earlier version of this record) failed: ${errorReason(e)}`)
      })

    /** Marks existing records done; returns the ones to (re)send. */
    const reconcile = (recs: ReadonlyArray<PreparedRecord>): Effect.Effect<Array<PreparedRecord>, ImportError> =>
      Effect.gen(function*() {
        stats.reconciled += recs.length
        const results = yield* Effect.forEach(recs, lookup, { concurrency: 8 })
        const missing: Array<PreparedRecord> = []
        for (let i = 0; i < recs.length; i++) {
          const r = results[i]
          if (r._tag === "Missing") missing.push(recs[i])
          else yield* settle(recs[i], r)
        }
        yield* commit
        return missing
      })

    // ---- sending
    let batchCounter = 0
    // `concurrency` batch requests on the wire; one that waits here is ready to go. A slot is freed
    // when the response arrives (our client tells, before it reads the body) or else when the call
    // ends; a request waiting for it is then on the socket before this one's results are read.
    const wire = new Gate(concurrency)
    const onWire = <A, E>(request: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          wire.tryTake() ? Effect.void : restore(wire.take),
          Effect.suspend(() => {
            let held = true
            const free = (): boolean => {
              if (!held) return false
              held = false
              const waiting = wire.waiting > 0
              wire.release()
              return waiting
            }
            const arrived = () => (free() ? handOff : Effect.void)
            return restore(Effect.locally(request, currentResponseListener, arrived)).pipe(
              Effect.ensuring(Effect.suspend(arrived))
            )
          })
        )
      )
    // Waits between batch attempts in the client's vocabulary: capped exponential backoff with full
    // jitter, a server's hint honoured up to `retryAfterCap`, and shown in the progress line.
    const retry = RetryPolicy.resolve({
      base: Duration.millis(retryBase),
      cap: "30 seconds",
      retryAfterCap: options.retryAfterCap ?? "60 seconds"
    })
    const backoff = (attempt: number, e: KratosError): { readonly millis: number; readonly reason: string } => {
      const hint = "retryAfter" in e && e.retryAfter !== undefined ? Duration.toMillis(e.retryAfter) : 0
      const cap = Duration.toMillis(retry.retryAfterCap)
      const exp = Duration.toMillis(RetryPolicy.backoff(retry, attempt, Math.random()))
      const what = `${errorStatus(e) || e._tag}`
      if (hint > cap) return { millis: Math.max(cap, exp), reason: `${what}, the server asked for ${Math.round(hint / 1000)} s: capped` }
      if (hint > exp) return { millis: hint, reason: `${what}, as the server asked` }
      return { millis: exp, reason: `${what}, backing off` }
    }
    /** Sleeps, with a progress event a second saying how long is left and why. */
    const wait = (millis: number, reason: string) =>
      Effect.gen(function*() {
        let left = millis
        while (left > 0) {
          waiting = { seconds: Math.ceil(left / 1000), reason }
          yield* progress(true)
          yield* Effect.sleep(Duration.millis(Math.min(1000, left)))
          left -= Math.min(1000, left)
        }
        waiting = undefined
      })

    const handleResponse = (recs: ReadonlyArray<PreparedRecord>, response: BatchPatchIdentitiesResponse) =>
      Effect.gen(function*() {
        const items = response.identities
        const check: Array<PreparedRecord> = []
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
            yield* finalFailure(rec, "failed", undefined, "the server returned no result for this record")
          } else if (item.action === "create") {
            created(rec)
          } else {
            const code = item.error?.code ?? 0
            const reason = item.error?.reason ?? item.error?.message ?? "unknown error"
            if (code === 409 && rec.ambiguous) check.push(rec)
            else if (code === 409) yield* finalFailure(rec, "conflict", 409, reason)
            else yield* finalFailure(rec, "failed", code || undefined, reason)
          }
        }
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
        const batchId = `${runId}-${++batchCounter}`
        if (journal !== undefined) {
          const lines = new Array<number>(recs.length)
          const digests = new Array<number>(recs.length * 2)
          const keys = new Array<number>(recs.length * 2)
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
          return yield* handleResponse(recs, result.right)
        }
        const e = result.left
        if (isAmbiguous(e)) {
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
        if (isRetryable(e)) {
          // 502 (and 500) may come from a gateway after the server acted: a 409 on resend gets checked.
          if (e._tag === "BadGateway" || e._tag === "InternalServerError") for (const r of recs) r.ambiguous = true
          if (attempt < maxAttempts) {
            stats.retried++
            const pause = backoff(attempt, e)
            yield* wait(pause.millis, pause.reason)
            return yield* sendOnce(recs, sizer, attempt + 1, rounds)
          }
          // Not journaled as done: a resumed run tries these again (after a lookup).
          for (const r of recs) {
            stats.done++
            stats.failed++
            const reason = `gave up after ${attempt} attempts: ${errorStatus(e) || e._tag} ${errorReason(e)}`
            const key = reasonKey("failed", errorStatus(e) || undefined, `gave up after retries (${e._tag})`)
            byReason.set(key, (byReason.get(key) ?? 0) + 1)
            const raw = sourceRecord(r)
            const externalId = externalIdOf(raw)
            const stripped = withoutPassword(raw)
            const failure: ImportFailure = {
              line: r.line,
              ...(externalId !== undefined ? { external_id: externalId } : {}),
              status: "failed",
              code: errorStatus(e),
              reason,
              ...(stripped.removed ? { password_removed: true } : {}),
              record: stripped.record
            }
            failuresOut.write(failure)
            yield* emit({ _tag: "RecordFailed", failure })
          }
          return yield* commit
        }
        if (e._tag === "BadRequest" || e._tag === "Conflict" || (e._tag === "UnexpectedStatus" && e.status === 413)) {
          // The whole request was refused for one bad item (unknown hash format, ...) or all failed:
          // bisect down to the records at fault.
          if (e._tag === "UnexpectedStatus") sizer.shrink()
          if (recs.length > 1) {
            stats.batchesSplit++
            const half = Math.ceil(recs.length / 2)
            yield* sendOnce(recs.slice(0, half), sizer, 1, rounds)
            return yield* sendOnce(recs.slice(half), sizer, 1, rounds)
          }
          const rec = recs[0]
          if (e._tag === "Conflict") {
            if (rec.ambiguous) {
              const r = yield* lookup(rec)
              stats.reconciled++
              yield* settle(rec, r, errorReason(e))
            } else {
              yield* finalFailure(rec, "conflict", 409, errorReason(e))
            }
          } else {
            yield* finalFailure(rec, "failed", errorStatus(e), errorReason(e))
          }
          return yield* commit
        }
        return yield* new ImportError({
          message: `batchPatchIdentities failed: ${e._tag} ${errorReason(e)}`,
          cause: e
        })
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

    // ---- batching with bounded batches in flight
    // Look-ahead: one more batch than `concurrency` is journaled and encoded while `concurrency` are
    // on the wire, and goes out as soon as one comes back. Measured on the import bench: 77% of the
    // ideal importer without it, 92-100% with it.
    const lookAhead = !dryRun && (options.lookAhead ?? true)
    const slots = yield* Effect.makeSemaphore(concurrency + (lookAhead ? 1 : 0))
    // After an ambiguous failure the server is struggling: its extra slot is taken for good.
    let lookAheadDropped: Fiber.RuntimeFiber<void> | undefined
    const dropLookAhead = Effect.suspend(() => {
      if (!lookAhead || lookAheadDropped !== undefined) return Effect.void
      return Effect.map(Effect.forkDaemon(Effect.asVoid(slots.take(1))), (f) => {
        lookAheadDropped = f
      })
    })
    const fatal = yield* Deferred.make<never, ImportError>()
    const buffers = { hashed: [] as Array<PreparedRecord>, plain: [] as Array<PreparedRecord> }

    const dispatch = (batches: FiberSet.FiberSet<void>, recs: Array<PreparedRecord>, sizer: Sizer) =>
      Effect.gen(function*() {
        yield* slots.take(1)
        stats.inFlight++
        const started = yield* Deferred.make<void>()
        yield* processBatch(recs, sizer, started).pipe(
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.void : Deferred.failCause(fatal, cause as Cause.Cause<ImportError>)
          ),
          Effect.zipRight(progress(true)),
          Effect.ensuring(Effect.sync(() => stats.inFlight--).pipe(Effect.zipRight(slots.release(1)))),
          Effect.ensuring(Deferred.succeed(started, undefined)),
          FiberSet.run(batches)
        )
        // Reading and validating the next records waits until this batch is on the wire: on one
        // thread they would otherwise delay its encoding and sending.
        yield* Deferred.await(started)
      })

    yield* emit({ _tag: "Started", source: sourceName, dryRun, totalBytes: options.totalBytes, resumedLines: previous?.records.finished() ?? 0 })

    // Whole chunks go through synchronously: per-record effects would make the fiber yield to the
    // event loop every few thousand operations and leave the CPU idle.
    const prepared = source.pipe(
      (s) => atLeast(s, prepareSlice),
      Stream.mapChunksEffect((chunk) => Effect.map(prepareChunk(Chunk.toReadonlyArray(chunk)), Chunk.unsafeFromArray)),
      prehash === undefined
        ? (s) => s
        : (s) =>
          s.pipe(
            Stream.mapEffect(hashRecord, { concurrency: prehash.concurrency }),
            Stream.filter((r): r is PreparedRecord => r !== undefined)
          ),
      // Keep reading and validating while a batch is in flight (a file's chunk is ~250 records).
      Stream.bufferChunks({ capacity: 4 })
    )
    const acceptChunk = (batches: FiberSet.FiberSet<void>) => (chunk: Chunk.Chunk<PreparedRecord>) =>
      Effect.gen(function*() {
        const recs = Chunk.toReadonlyArray(chunk)
        for (let i = 0; i < recs.length; i++) {
          const rec = recs[i]
          const key = rec.plaintext ? "plain" : "hashed"
          const sizer = rec.plaintext ? plain : hashed
          buffers[key].push(rec)
          if (buffers[key].length >= sizer.current) {
            const batch = buffers[key]
            buffers[key] = []
            yield* dispatch(batches, batch, sizer)
          }
        }
        yield* progress(false)
      })
    const pump = Effect.gen(function*() {
      const batches = yield* FiberSet.make<void>()
      yield* Stream.runForEachChunk(prepared, acceptChunk(batches)).pipe(Effect.zipRight(progress(false)))
      if (buffers.hashed.length > 0) yield* dispatch(batches, buffers.hashed.splice(0), hashed)
      if (buffers.plain.length > 0) yield* dispatch(batches, buffers.plain.splice(0), plain)
      yield* FiberSet.awaitEmpty(batches)
    })

    yield* Effect.scoped(Effect.raceFirst(pump, Deferred.await(fatal))).pipe(
      Effect.ensuring(Effect.suspend(() => {
        failuresOut.close()
        return lookAheadDropped === undefined ? Effect.void : Fiber.interrupt(lookAheadDropped)
      }))
    )

    if (failuresOut.failed !== undefined) return yield* writeError(failuresOut.failed)
    const durationMs = Date.now() - started
    const imported = stats.created + stats.alreadyPresent + stats.updated
    const failedTotal = stats.failed + stats.conflicts + stats.unknown + stats.invalid + stats.malformed + stats.duplicates
    const unclaimed = previous?.records.unclaimed() ?? 0
    if (unclaimed > 0) {
      warnings.push(
        `${unclaimed} record(s) an earlier run sent are not in the input as it is now (edited or removed since): ` +
          `edited records were processed as new ones`
      )
    }
    if (journal !== undefined) {
      yield* journalStep(() =>
        journal.end({ at: new Date().toISOString(), input: inputDigest.hex, records: stats.records, complete: failedTotal === 0 })
      )
    }
    if (stats.keyless > 0) warnings.push(`${stats.keyless} record(s) without external_id or password identifier`)
    const report: ImportReport = {
      source: sourceName,
      dryRun,
      records: stats.records,
      valid: stats.valid,
      created: stats.created,
      alreadyPresent: stats.alreadyPresent,
      updated: stats.updated,
      failed: stats.failed,
      conflicts: stats.conflicts,
      unknown: stats.unknown,
      invalid: stats.invalid,
      malformed: stats.malformed,
      duplicates: stats.duplicates,
      resumed: stats.resumed,
      failuresByReason: Object.fromEntries([...byReason.entries()].sort((a, b) => b[1] - a[1])),
      retried: stats.retried,
      reconciled: stats.reconciled,
      batches: stats.batches,
      batchesSplit: stats.batchesSplit,
      durationMs,
      recordsPerSecond: durationMs > 0 ? Math.round(((dryRun ? stats.done : imported) * 1000) / durationMs) : 0,
      complete: failedTotal === 0,
      ...(journal !== undefined && options.journal !== undefined ? { journal: options.journal } : {}),
      ...(options.failures !== undefined ? { failuresFile: options.failures } : {}),
      warnings
    }
    yield* progress(true)
    yield* emit({ _tag: "Finished", report })
  }))

/**
 * Records validated between two turns of the event loop: ~0.5 ms, so a response that arrives is
 * read (and the next batch sent) without waiting for a whole chunk.
 */
const prepareSlice = 50

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

const nonEmpty = (path: string): boolean => {
  try {
    return fs.statSync(path).size > 0
  } catch {
    return false
  }
}


const writeError = (e: Journal.WriteFailed): ImportError =>
  new ImportError({ message: `${e.message}; the import stopped before sending more`, cause: e })

/** A synchronous journal write: a `WriteFailed` stops the import (before the batch it precedes is sent). */
const journalStep = (write: () => void): Effect.Effect<void, ImportError> =>
  Effect.try({
    try: write,
    catch: (e) => writeError(e instanceof Journal.WriteFailed ? e : new Journal.WriteFailed("the journal", Journal.errorText(e)))
  })

interface OpenedJournal {
  readonly previous: Journal.JournalState | undefined
  readonly warnings: ReadonlyArray<string>
}

/**
 * Locks the journal for this run and reads what an earlier run left in it.
 * A journal with an earlier import in it is continued only with `resume`, replaced only with
 * `restart`; otherwise nothing is sent and the error says what the journal holds.
 */
const openJournal = (
  path: string,
  options: ImportOptions,
  source: string,
  startedAt: Date
): Effect.Effect<OpenedJournal, ImportError, Scope.Scope> =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const lock = yield* Effect.acquireRelease(
      Effect.try({
        try: () => Lock.acquire(path, startedAt),
        catch: (e) => new ImportError({ message: `cannot lock journal ${path}: ${Journal.errorText(e)}`, cause: e })
      }),
      (l) => Effect.sync(() => l._tag === "Acquired" && l.release())
    )
    if (lock._tag === "Held") {
      return yield* new ImportError({
        message: `journal ${path} is in use by ${Lock.describeHolder(lock.holder)} (lock file ${lock.lockPath}): ` +
          `one import per journal. Wait for that run to end, or remove ${lock.lockPath} if that process is gone.`
      })
    }
    if (lock.tookOver !== undefined) {
      warnings.push(`took over the lock of ${Lock.describeHolder(lock.tookOver)}, which is no longer running`)
    }
    const existing = nonEmpty(path)
    let previous: Journal.JournalState | undefined
    if (existing && options.restart !== true) {
      previous = yield* Effect.tryPromise({
        try: () => Journal.load(path),
        catch: (cause) => new ImportError({ message: `cannot read journal ${path}: ${Journal.errorText(cause)}`, cause })
      })
      if (options.resume !== true) {
        const end = previous.lastEnd
        return yield* new ImportError({
          message: end !== undefined
            ? `${previous.source ?? source} was imported by an earlier run (journal ${path}, finished ${end.at}, ` +
              `${end.complete ? "every record imported" : "not every record imported"}): nothing sent. ` +
              `Resume (--resume) to check the input against the journal and send only records new or changed since ` +
              `(--retry-failed: and those that failed), or restart (--restart) to start over.`
            : `journal ${path} holds an unfinished import (its last run began ${previous.lastRun?.at ?? "at an unknown time"}): ` +
              `nothing sent. Resume it (--resume), or start over (--restart).`
        })
      }
      if (previous.legacy) {
        return yield* new ImportError({
          message: `journal ${path} was written by an older version without record digests: it cannot tell whether the ` +
            `input changed since. Restart (--restart) to import again (records already on the server come back as conflicts).`
        })
      }
      if (previous.source !== undefined && previous.source !== source) {
        warnings.push(`the journal was written for ${previous.source}, not ${source}`)
      }
    } else if (existing) {
      warnings.push(`starting over: the earlier import in ${path} is replaced (restart)`)
    }
    return { previous, warnings }
  })
