/** `PATCH /admin/identities`: the batch create, item by item, with its whole-request refusals. */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { limitReasons, PatchIdentitiesBody } from "../../../BatchPatch.js"
import { wireCheck } from "../../wireCheck.js"
import { finishCredentials, planPassword, resolvePasswords } from "../credentialImport.js"
import { GoBatchBody } from "../goBodies.js"
import { conflictMessage, decodeMessage, unmarshalValueMessage, uuidError } from "../goTexts.js"
import { buildIdentity, uuidPattern } from "../model.js"
import type { Handler } from "../request.js"
import { checkState, parseJson, withDefaultTraits, withoutState } from "../request.js"
import { errorObject, fail, json, KratosHttpError } from "../response.js"
import type { StoredIdentity } from "../store.js"
import { badUuidIn } from "./identities.js"

/**
 * The handler writes decoding errors with `WriteErrorCode(400, err)`: status 400, but the body of
 * a plain error, whose code says 500.
 */
const parseBatchJson = (body: Uint8Array): unknown => {
  try {
    return parseJson(body)
  } catch (e) {
    if (e instanceof KratosHttpError) return fail(400, { ...e.fields, bodyCode: 500 })
    throw e
  }
}

const maxItems = 1000
const maxPlaintextItems = 200

const goBatchDecode = Schema.decodeUnknownEither(GoBatchBody, { onExcessProperty: "error" })
const batchWire = wireCheck(PatchIdentitiesBody)

const decodeBatch = (u: unknown): Either.Either<GoBatchBody, ParseResult.ParseError> =>
  batchWire(u) ? Either.right(u as GoBatchBody) : goBatchDecode(u)

/**
 * As Kratos v26.2.0: decode, refuse more than 1000 items, convert each item (state, password
 * import and hashing: the first bad item refuses the whole request), refuse more than 200
 * plaintext passwords, then validate each item (a failure is that item's error) and insert the
 * valid ones. Several valid items are inserted one by one (a conflict is that item's error); a
 * single one is inserted alone, so its conflict is the whole request's 409.
 * @internal
 */
export const batchPatchIdentities: Handler = (r) => {
  const raw = parseBatchJson(r.body)
  // Item states are checked during conversion, after decoding.
  const states: Array<unknown> = []
  let stripped: unknown = raw
  if (raw && typeof raw === "object" && Array.isArray((raw as { identities?: unknown }).identities)) {
    stripped = {
      ...(raw as Record<string, unknown>),
      identities: ((raw as { identities: Array<unknown> }).identities).map((item) => {
        const create = item && typeof item === "object" ? (item as { create?: unknown }).create : undefined
        if (create) {
          const { body, state } = withoutState(withDefaultTraits(create))
          states.push(state)
          // most items carry traits and no state: kept as they came
          return body === create ? item : { ...(item as Record<string, unknown>), create: body }
        }
        states.push(undefined)
        return item
      })
    }
  }
  const decoded = decodeBatch(stripped)
  if (Either.isLeft(decoded)) {
    const message = stripped === null || typeof stripped !== "object" || Array.isArray(stripped)
      ? unmarshalValueMessage(stripped, "identity.BatchPatchIdentitiesBody")
      : decodeMessage(decoded.left, stripped)
    return fail(400, { message, bodyCode: 500 })
  }
  const items = decoded.right.identities ?? []
  for (const item of items) {
    if (item?.patch_id && !uuidPattern.test(item.patch_id)) return fail(400, { message: uuidError(item.patch_id), bodyCode: 500 })
    const badUuid = item?.create ? badUuidIn(item.create) : undefined
    if (badUuid !== undefined) return fail(400, { message: badUuid, bodyCode: 500 })
  }
  if (items.length > maxItems) return fail(400, { reason: limitReasons.items })
  let plaintext = 0
  const plans = items.map((item, n) => {
    if (!item?.create) return { state: undefined, plan: undefined }
    const state = checkState(states[n])
    const plan = planPassword(item.create.credentials)
    if (plan !== undefined && "plaintext" in plan) plaintext++
    return { state, plan }
  })
  if (plaintext > maxPlaintextItems) return fail(400, { reason: limitReasons.plaintext })
  return Effect.map(
    resolvePasswords(plans.map((p) => p.plan), r.settings.hashCost),
    (passwords) => {
      type Result = { action: "create"; identity: string } | { action: "error"; error: Record<string, unknown> }
      const results: Array<(Result & { patch_id?: string }) | null> = items.map(() => null)
      const valid: Array<{ n: number; identity: StoredIdentity }> = []
      items.forEach((item, n) => {
        const create = item?.create
        if (!create) return
        const patchId = item.patch_id ? { patch_id: item.patch_id } : {}
        try {
          const identity = buildIdentity(r.ctx, create, finishCredentials(create.credentials, passwords[n]), plans[n].state)
          valid.push({ n, identity })
          results[n] = { action: "create", identity: identity.id, ...patchId }
        } catch (e) {
          if (!(e instanceof KratosHttpError)) throw e
          results[n] = { action: "error", error: errorObject(e.status, e.fields), ...patchId }
        }
      })
      if (valid.length === 1) r.store.insert(valid[0].identity, { message: conflictMessage })
      else {
        for (const { identity, n } of valid) {
          try {
            r.store.insert(identity, { message: conflictMessage })
          } catch (e) {
            if (!(e instanceof KratosHttpError)) throw e
            const patchId = items[n]?.patch_id ? { patch_id: items[n]!.patch_id! } : {}
            results[n] = { action: "error", error: errorObject(e.status, e.fields), ...patchId }
          }
        }
      }
      const attempted = results.filter((x) => x !== null)
      if (r.settings.batchAllFailStatus && attempted.length > 0 && attempted.every((x) => x.action === "error")) {
        const errors = attempted.map((x) => (x as unknown as { error: { code: number; reason?: string; message: string } }).error)
        const status = errors.some((e) => e.code === 400) ? 400 : 409
        const first = errors.find((e) => e.code === status)!
        // Ory Network answers an error here; the per-item results ride along for clients.
        return json(status, { error: errorObject(status, { reason: first.reason, message: first.message }), identities: results })
      }
      return json(200, { identities: results })
    }
  )
}
