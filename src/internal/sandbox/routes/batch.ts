/** `PATCH /admin/identities`: the batch create, item by item, with its whole-request refusals. */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { limitViolation, PatchIdentitiesBody } from "../../../BatchPatch.js"
import { wireCheck } from "../../wireCheck.js"
import { finishCredentials, planPassword, resolvePasswords } from "../credentialImport.js"
import { conflictMessage, decodeMessage } from "../goTexts.js"
import { buildIdentity } from "../model.js"
import type { Handler } from "../request.js"
import { checkState, parseJson, withDefaultTraits, withoutState } from "../request.js"
import { errorObject, fail, json, KratosHttpError } from "../response.js"

const strictBatchDecode = Schema.decodeUnknownEither(PatchIdentitiesBody, { onExcessProperty: "error" })
const batchWire = wireCheck(PatchIdentitiesBody)

const strictBatch = (
  u: unknown
): Either.Either<PatchIdentitiesBody | typeof PatchIdentitiesBody.Encoded, ParseResult.ParseError> =>
  batchWire(u) ? Either.right(u) : strictBatchDecode(u)

/** @internal */
export const batchPatchIdentities: Handler = (r) => {
  const raw = parseJson(r.body)
  // Item states are checked after decoding, like Kratos' pre-DB conversion.
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
  const decoded = strictBatch(stripped)
  if (Either.isLeft(decoded)) return fail(400, { message: decodeMessage(decoded.left, stripped) })
  const items = decoded.right.identities
  Option.map(limitViolation(decoded.right), (reason) => fail(400, { reason }))
  const plans = items.map((item, n) => {
    if (!item.create) return { state: undefined, plan: undefined }
    return { state: checkState(states[n]), plan: planPassword(item.create.credentials) }
  })
  return Effect.map(
    resolvePasswords(plans.map((p) => p.plan), r.settings.hashCost),
    (passwords) => {
      const results = items.map((item, n) => {
        const create = item.create
        if (!create) return null
        const patchId = item.patch_id !== undefined ? { patch_id: item.patch_id } : {}
        try {
          const identity = buildIdentity(r.ctx, create, finishCredentials(create.credentials, passwords[n]), plans[n].state)
          r.store.insert(identity, { message: conflictMessage })
          return { action: "create" as const, identity: identity.id, ...patchId }
        } catch (e) {
          if (!(e instanceof KratosHttpError)) throw e
          return { action: "error" as const, error: errorObject(e.status, e.fields), ...patchId }
        }
      })
      const attempted = results.filter((x) => x !== null)
      if (r.settings.batchAllFailStatus && attempted.length > 0 && attempted.every((x) => x.action === "error")) {
        const errors = attempted.map((x) => x.error as { code: number; reason?: string; message: string })
        const status = errors.some((e) => e.code === 400) ? 400 : 409
        const first = errors.find((e) => e.code === status)!
        // Ory Network answers an error here; the per-item results ride along for clients.
        return json(status, { error: errorObject(status, { reason: first.reason, message: first.message }), identities: results })
      }
      return json(200, { identities: results })
    }
  )
}
