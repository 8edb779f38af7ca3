/**
 * Batch bodies spliced from bytes: each record is written once, as its batch item
 * `{"create":…,"patch_id":"…"}`, into its chunk's buffer (`ByteWriter`); a batch's body is copied
 * from those items, never serialized again.
 */
import { JsonText } from "../../Operation.js"
import { ByteWriter } from "./bytes.js"
import { exactObject, hasInexactNumber, parseExact } from "../exactJson.js"
import type { PatchIds } from "./keys.js"
import type { PreparedRecord } from "./model.js"

/** Where a chunk's records are until the chunk is done (its buffer may grow meanwhile). */
export const noBytes = Buffer.alloc(0)

const ascii = (s: string): Buffer => Buffer.from(s, "latin1")
const itemOpen = ascii("{\"create\":")
const itemClose = ascii("\"}")
export const comma = ascii(",")
const bodyOpen = ascii("{\"identities\":[")
const bodyClose = ascii("]}")

/** `,"patch_id":"` and the part of the id all records of a source share. */
export const patchIdField = (patchIds: PatchIds): Buffer => ascii(`,"patch_id":"${patchIds.prefix}`)

/** A record as a batch item, `{"create":…,"patch_id":"…"}`, appended to `out`. */
export const writeItem = (out: ByteWriter, json: string, line: number, patchId: Buffer): void => {
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
export const batchBody = (recs: ReadonlyArray<PreparedRecord>): JsonText => {
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

/** The record's create body, read back from its batch item (only on rare paths: lookups, failures, prehash). */
export const sourceRecord = (rec: PreparedRecord): unknown => (JSON.parse(itemText(rec)) as { create: unknown }).create

/**
 * The same, its numbers as written (`exactJson.ts`), when it holds one `JSON.parse` would round;
 * `undefined` when `sourceRecord` is exact.
 */
export const exactSourceRecord = (rec: PreparedRecord): Record<string, unknown> | undefined => {
  const text = itemText(rec)
  return hasInexactNumber(text) ? exactObject(exactObject(parseExact(text))?.create) : undefined
}

const itemText = (rec: PreparedRecord): string => rec.bytes.toString("utf8", rec.start, rec.end)

export const externalIdOf = (record: unknown): string | undefined => {
  const id = (record as { external_id?: unknown } | null)?.external_id
  return typeof id === "string" && id.length > 0 ? id : undefined
}
