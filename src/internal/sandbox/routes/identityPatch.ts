/**
 * `PATCH /admin/identities/{id}`: RFC 6902 (add, remove, replace) applied to the admin JSON form
 * of the identity, then validated and stored like a PUT.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import fastJsonPatch from "fast-json-patch"
import { JsonPatchDocument, kratosRefusal } from "../../../JsonPatch.js"
import { decodeMessage, maxDepthExceeded, texts, unmarshalValueMessage } from "../goTexts.js"
import { adminForm, applySchema, iso, lookupSchema, normalizeVerifiable } from "../model.js"
import type { Handler } from "../request.js"
import { depthOf, identityOr404, maxDepth, parseJson, validStates } from "../request.js"
import { fail, json, KratosHttpError } from "../response.js"
import type { StoredCredential } from "../store.js"
import { renderIdentity } from "../model.js"
import { tokens as segments } from "../../jsonPointer.js"

const { applyPatch } = fastJsonPatch

const patchDoc = Schema.decodeUnknownEither(JsonPatchDocument)
const patchReason = texts.patchReason

/** Creates missing intermediate objects for add/replace (Kratos' `EnsurePathExistsOnAdd`). */
const ensurePath = (doc: Record<string, unknown>, pointer: string): void => {
  let cur: unknown = doc
  for (const seg of segments(pointer).slice(0, -1)) {
    if (cur === null || typeof cur !== "object") return
    const obj = cur as Record<string, unknown>
    if (obj[seg] === undefined || obj[seg] === null) obj[seg] = {}
    cur = obj[seg]
  }
}

const pointerExists = (doc: unknown, pointer: string): boolean => {
  let cur: unknown = doc
  for (const seg of segments(pointer)) {
    if (cur === null || typeof cur !== "object" || !(seg in (cur as object))) return false
    cur = (cur as Record<string, unknown>)[seg]
  }
  return true
}

const asCredentials = (value: unknown, fallback: Record<string, StoredCredential>): Record<string, StoredCredential> => {
  if (value === undefined || value === null) return {}
  if (typeof value !== "object" || Array.isArray(value)) return fail(400, { reason: patchReason, message: "credentials must be an object" })
  const out: Record<string, StoredCredential> = {}
  for (const [k, v] of Object.entries(value as Record<string, Record<string, unknown>>)) {
    const prev = fallback[k]
    out[k] = {
      type: typeof v?.type === "string" ? v.type : k,
      identifiers: Array.isArray(v?.identifiers) ? (v.identifiers as Array<unknown>).map(String) : prev?.identifiers ?? [],
      config: v?.config && typeof v.config === "object" ? (v.config as Record<string, unknown>) : {},
      version: typeof v?.version === "number" ? v.version : 0,
      created_at: typeof v?.created_at === "string" ? v.created_at : prev?.created_at ?? "",
      updated_at: typeof v?.updated_at === "string" ? v.updated_at : prev?.updated_at ?? ""
    }
  }
  return out
}

/** @internal */
export const patchIdentity: Handler = (r) => {
  const prev = identityOr404(r, r.params.id)
  let raw: unknown
  try {
    raw = parseJson(r.body)
  } catch (e) {
    // jsonpatch decodes the document itself; a syntax error surfaces as its own text.
    if (e instanceof KratosHttpError) return fail(400, { reason: patchReason, message: "invalid state detected" })
    throw e
  }
  if (!Array.isArray(raw)) return fail(400, { reason: patchReason, message: unmarshalValueMessage(raw, "jsonpatch.Patch") })
  const decoded = patchDoc(raw)
  if (Either.isLeft(decoded)) return fail(400, { reason: patchReason, message: decodeMessage(decoded.left, raw) })
  Option.map(kratosRefusal(decoded.right), (message) => fail(400, { reason: patchReason, message }))
  // Deep pointers could build a document JavaScript cannot serialize; refuse up front.
  if (decoded.right.some((op) => op.path.split("/").length > maxDepth)) {
    return fail(400, { reason: patchReason, message: maxDepthExceeded })
  }
  const doc = adminForm(r.ctx.publicUrl, prev)
  const ops = decoded.right.map((op) => {
    if (op.op === "replace" && !pointerExists(doc, op.path) && !/\/\d+$|\/-$/.test(op.path)) return { ...op, op: "add" as const }
    return op
  })
  try {
    for (const op of ops) {
      if (op.op === "add" || op.op === "replace") ensurePath(doc, op.path)
      applyPatch(doc, [op as fastJsonPatch.Operation], true, true)
    }
  } catch (e) {
    const missing = ops.find((op) => op.op === "remove" && !pointerExists(doc, op.path))
    if (missing) {
      return fail(400, { reason: patchReason, message: `remove operation does not apply: doc is missing path: ${JSON.stringify(missing.path)}: missing value` })
    }
    return fail(400, { reason: patchReason, message: e instanceof Error ? e.message.split("\n")[0] : String(e) })
  }
  // Patches can nest documents across requests; keep every stored identity serializable.
  if (depthOf(doc) > maxDepth) return fail(400, { reason: patchReason, message: maxDepthExceeded })
  const now = iso(r.ctx.now)
  const state = doc.state
  if (state !== prev.state) {
    if (typeof state !== "string" || !validStates.has(state)) fail(400, { reason: texts.patchedState(String(state)), message: texts.invalidState })
  }
  const entry = lookupSchema(r.ctx, typeof doc.schema_id === "string" ? doc.schema_id : undefined)
  const addresses = <A>(v: unknown, fallback: Array<A>): Array<A> => (Array.isArray(v) ? (v as Array<A>) : v === undefined ? [] : fallback)
  const next = applySchema(entry, {
    ...prev,
    external_id: typeof doc.external_id === "string" && doc.external_id.length > 0 ? doc.external_id : undefined,
    credentials: asCredentials(doc.credentials, prev.credentials),
    schema_id: entry.id,
    state: state as string,
    state_changed_at: state !== prev.state ? now : prev.state_changed_at,
    traits: doc.traits ?? {},
    verifiable_addresses: addresses(doc.verifiable_addresses, prev.verifiable_addresses),
    recovery_addresses: addresses(doc.recovery_addresses, prev.recovery_addresses),
    metadata_public: doc.metadata_public ?? null,
    metadata_admin: doc.metadata_admin ?? null,
    organization_id: typeof doc.organization_id === "string" ? doc.organization_id : null,
    updated_at: now
  }, now)
  if (!next.external_id) delete next.external_id
  // The persister normalises addresses on update too: verifying one stamps verified_at.
  next.verifiable_addresses = next.verifiable_addresses.map((a) => normalizeVerifiable(a, now))
  r.store.replace(next)
  return json(200, renderIdentity(r.ctx.publicUrl, next, { _tag: "noConfig" }, "always"))
}
