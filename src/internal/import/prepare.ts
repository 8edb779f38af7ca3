/**
 * Stage 1, prepare: a source item → a record ready to send (validated against the create body and
 * its identity schema, deduplicated within the input, matched against an earlier run's journal,
 * written as its batch item), or a reported failure. With `prehash`, plaintext passwords are then
 * hashed with bcrypt on the libuv threadpool.
 */
import { hash as bcryptHash } from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { KratosError } from "../../KratosError.js"
import { CreateIdentityBody, type CreateIdentityBodyEncoded, hasPlaintextPassword } from "../../Identity.js"
import { yieldToEventLoop } from "../eventLoop.js"
import { hashChecked, isKnownHashFormat } from "../hashFormats.js"
import { formatParseError } from "../parseIssues.js"
import { wireCheck } from "../wireCheck.js"
import { errorReason } from "./attempts.js"
import { comma, exactSourceRecord, externalIdOf, noBytes, patchIdField, sourceRecord, writeItem } from "./batchBytes.js"
import { ByteWriter } from "./bytes.js"
import { type Digest, digestText, InputDigest } from "./digest.js"
import { hasInexactNumber, parseExact, stringifyExact } from "../exactJson.js"
import { unwrapFailureLine } from "./failures.js"
import * as Journal from "./journal.js"
import { KeyKind, KeyTable } from "./keys.js"
import type { FailureStatus, ImportClient, PreparedRecord } from "./model.js"
import { ImportError } from "./model.js"
import * as IdSchema from "./schema.js"
import type { Settings } from "./settings.js"
import type { SourceItem } from "./source.js"
import { countRecords, type Tally } from "./tally.js"

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

/**
 * Records validated between two turns of the event loop: ~0.5 ms, so a response that arrives is
 * read (and the next batch sent) without waiting for a whole chunk.
 */
export const prepareSlice = 50

/** Why a hash is refused (never the hash: it is a secret). */
const unknownHashFormat = "credentials.password.config.hashed_password: not a hash format Kratos v26.2.0 imports " +
  "(known prefixes: $2a$/$2b$/$2y$ bcrypt, $argon2id$, $argon2i$, $pbkdf2-sha…$, $scrypt$, $firescrypt$, " +
  "$sha1$/$sha256$/$sha512$, $md5$, $md5-crypt$, $sha256-crypt$, $sha512-crypt$, {SSHA}, $hmac-…$; see https://www.ory.sh/dr/2)"

export interface PrepareDeps {
  readonly client: ImportClient
  readonly settings: Settings
  readonly tally: Tally
  /** Whether a journal is written (the input's digests are computed only then). */
  readonly journaled: boolean
  /** What an earlier run left in the journal, when resuming. */
  readonly previous: Journal.JournalState | undefined
  readonly totalBytes: number | undefined
  readonly retryFailed: boolean
  /** A schema document every record is validated against instead of the server's (offline). */
  readonly schemaDocument: { readonly name: string; readonly document: unknown } | undefined
}

export type Preparer = ReturnType<typeof makePreparer>

export const makePreparer = (deps: PrepareDeps) => {
  const { client, previous, tally } = deps
  const { defaultSchemaId, dryRun, prehash, validateSchema } = deps.settings
  const patchId = patchIdField(deps.settings.patchIds)
  const stats = tally.stats
  const failSync = tally.failSync.bind(tally)
  const warnSync = tally.warnSync.bind(tally)
  const fail = tally.fail.bind(tally)
  const { journaled, retryFailed, totalBytes } = deps

  // ---- identity schemas, fetched and compiled once per id
  const schemas = new Map<string, IdSchema.CompiledSchema | string>()
  const schemaFor = (id: string): Effect.Effect<IdSchema.CompiledSchema | string, ImportError> => {
    const cached = schemas.get(id)
    if (cached !== undefined) return Effect.succeed(cached)
    const offline = deps.schemaDocument
    const document: Effect.Effect<unknown, KratosError> = offline === undefined
      ? client.getIdentitySchema({ id })
      : Effect.succeed(offline.document)
    return document.pipe(
      Effect.flatMap((doc) =>
        Effect.try({
          try: () => IdSchema.compile(id, doc),
          catch: (e) =>
            `identity schema ${offline === undefined ? `\`${id}\`` : offline.name} cannot be compiled: ${e instanceof Error ? e.message : String(e)}`
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
  /** An item's record with its numbers as written, when `JSON.parse` rounded one (else `undefined`). */
  const exactRecordOf = (item: SourceItem): unknown =>
    item._tag === "Text" && hasInexactNumber(item.text) ? unwrapFailureLine(parseExact(item.text)) : undefined
  /** `value` is the item's value, parsed from its text by the caller (`Unparsable` if it is not JSON). */
  const prepare = (item: SourceItem, value: unknown, out: ByteWriter): PreparedRecord | undefined => {
      stats.records++
      stats.bytes = item.bytes
      if (journaled) {
        if (item._tag === "Malformed") inputDigest.addMalformed(item.line, item.reason, digest)
        else {
          digestText(item._tag === "Text" ? item.text : JSON.stringify(item.value) ?? "", digest)
          inputDigest.add(digest)
        }
      }
      if (item._tag === "Malformed" || value instanceof Unparsable) {
        failSync(item.line, "malformed", item._tag === "Malformed" ? item.reason : (value as Unparsable).reason, { offset: item.offset })
        return undefined
      }
      const raw = unwrapFailureLine(value)
      const rawExternalId = externalIdOf(raw)
      const body = validateBody(raw)
      if (body instanceof ParseResult.ParseError) {
        failSync(item.line, "invalid", formatParseError(body), { raw, externalId: rawExternalId, offset: item.offset, exact: () => exactRecordOf(item) })
        return undefined
      }
      const schemaId = body.schema_id !== undefined && body.schema_id.length > 0 ? body.schema_id : defaultSchemaId
      // Fetched for the whole chunk beforehand (prepareChunk).
      const schema = schemas.get(schemaId) ?? `identity schema \`${schemaId}\` was not loaded`
      if (typeof schema === "string") {
        if (validateSchema) {
          failSync(item.line, "invalid", schema, { raw, externalId: rawExternalId, offset: item.offset, exact: () => exactRecordOf(item) })
          return undefined
        }
      } else if (validateSchema) {
        const problem = IdSchema.check(schema, body.traits)
        if (problem !== undefined) {
          failSync(item.line, "invalid", problem, { raw, externalId: rawExternalId, offset: item.offset, exact: () => exactRecordOf(item) })
          return undefined
        }
      }
      // A dry run predicts the server's refusal of a hash format it does not import.
      if (dryRun) {
        const hash = hashChecked(body.credentials?.password?.config)
        if (hash !== undefined && !isKnownHashFormat(hash)) {
          failSync(item.line, "invalid", unknownHashFormat, { raw, externalId: rawExternalId, offset: item.offset, exact: () => exactRecordOf(item) })
          return undefined
        }
      }
      identifiers.length = 0
      if (typeof schema !== "string") identifiers.read(schema, body.traits)
      const externalId = body.external_id !== undefined && body.external_id.length > 0 ? body.external_id : undefined
      // In-input duplicates: every key checked before any is claimed, so a duplicate claims nothing.
      // The record's own key (`e\0<external_id>`, else `i\0<first identifier>`, as the journal
      // knows it) is digested once, by the probe of its first key.
      keyDigest.a = keyDigest.b = 0
      let first = externalId === undefined ? undefined : keys.probe(KeyKind.externalId, externalId, keyDigest)
      let same = first === undefined ? undefined : `external_id ${externalId}`
      const ids = identifiers.items
      for (let i = 0; i < identifiers.length && first === undefined; i++) {
        first = keys.probe(KeyKind.identifier, ids[i], i === 0 && externalId === undefined ? keyDigest : undefined)
        if (first !== undefined) same = `identifier ${ids[i]}`
      }
      if (first !== undefined) {
        keys.forget()
        failSync(item.line, "duplicate", `duplicate of line ${first} (same ${same})`, { raw, externalId, offset: item.offset, exact: () => exactRecordOf(item) })
        return undefined
      }
      keys.commit(item.line)
      const recordKeys = (externalId !== undefined ? 1 : 0) + identifiers.length
      keyCount += recordKeys
      // Size the key table once from the input size (a doubling at a million keys costs 72 MB at once).
      if (stats.records === 2000 && totalBytes !== undefined && item.bytes > 0) {
        keys.reserve(Math.ceil(((totalBytes / item.bytes) * keyCount) * 1.05))
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
      if (!journaled) keyDigest.a = keyDigest.b = 0
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
          countRecords("resumed")
          if (code === Journal.Code.created) stats.created++
          else if (code === Journal.Code.updated) stats.updated++
          else stats.alreadyPresent++
          return undefined
        } else if (retryFailed) {
          ambiguous = true
        } else {
          stats.resumed++
          const was = previous!.records.details.get(prior)
          const status: FailureStatus = code === Journal.Code.failed ? "failed" : code === Journal.Code.conflict ? "conflict" : "unknown"
          failSync(item.line, status, was?.[3] ?? "failed in an earlier run", {
            raw,
            externalId,
            exact: () => exactRecordOf(item),
            ...(typeof was?.[2] === "number" && was[2] > 0 ? { code: was[2] } : {})
          })
          return undefined
        }
      }
      if (dryRun) {
        stats.done++
        countRecords("dry_run_valid")
        return undefined
      }
      if (out.at > 0) out.constant(comma)
      const start = out.at
      // the text as read when ajv accepted the value itself (validateBody returned it)
      writeItem(out, body === value && item._tag === "Text" ? item.text : itemJson(item, raw, body), item.line, patchId)
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

  /**
   * A record sent other than as it was read (unwrapped from a failures-file line, or re-encoded by
   * the schema): serialized again, with its numbers as written when `JSON.parse` rounded one and
   * the record is the one read (not a form the schema changed).
   */
  const itemJson = (item: SourceItem, raw: unknown, body: CreateIdentityBodyEncoded): string => {
    const json = JSON.stringify(body)
    const exact = exactRecordOf(item)
    return exact === undefined || JSON.stringify(raw) !== json ? json : stringifyExact(exact)
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
        yield* tally.flush
        yield* tally.progress(false)
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
    // a record with a number JSON.parse would round is rebuilt from its exact form
    const exact = exactSourceRecord(rec)
    const body = (exact ?? sourceRecord(rec)) as CreateIdentityBodyEncoded
    const config = body.credentials!.password!.config!
    const password = config.password!
    return Effect.tryPromise(() => bcryptHash(password, { cost: prehash.cost })).pipe(
      Effect.map((hashed) => {
        const { password: _plain, ...others } = config
        const json = (exact !== undefined ? stringifyExact : JSON.stringify)({
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
          raw: exact !== undefined ? sourceRecord(rec) : body,
          externalId: externalIdOf(body),
          exact: () => exact
        }).pipe(Effect.as(undefined))
      )
    )
  }

  return {
    /** Compiled identity schemas by id (or why one is unusable): lookups read identifiers with them. */
    schemas,
    schemaIdOf,
    /** The digest of the input read so far (journaled at the end of a run). */
    inputDigest,
    prepareChunk,
    hashRecord
  }
}
