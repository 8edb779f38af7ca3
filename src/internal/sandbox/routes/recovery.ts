/** Recovery links and codes for an identity, with Kratos' `expires_in` and `return_to` rules. */
import { randomInt } from "node:crypto"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { nilUuid } from "../../../Pagination.js"
import { parseGoDuration } from "../../../Recovery.js"
import { recoveryTexts, unmarshalValueMessage, uuidError } from "../goTexts.js"
import { newId } from "../ids.js"
import { iso, uuidPattern } from "../model.js"
import type { Handler, HandlerInput } from "../request.js"
import { decoderxJson } from "../request.js"
import { fail, json } from "../response.js"

const recoveryBody = (
  r: HandlerInput,
  kind: "link" | "code"
): { identityId: string; expiresInMs: number; raw: Record<string, unknown> } => {
  const raw = decoderxJson(r)
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return fail(400, { reason: recoveryTexts.payload(unmarshalValueMessage(raw, recoveryTexts.bodyType[kind])) })
  }
  const body = raw as Record<string, unknown>
  const idRaw = body.identity_id
  if (idRaw !== undefined && (typeof idRaw !== "string" || !uuidPattern.test(idRaw))) {
    fail(400, { reason: recoveryTexts.payload(uuidError(typeof idRaw === "string" ? idRaw : String(idRaw))) })
  }
  let expiresInMs = 3600_000
  if (body.expires_in !== undefined && body.expires_in !== "") {
    const s = String(body.expires_in)
    // Go durations may be negative; Effect's would clamp them to zero.
    const negative = s.startsWith("-")
    const d = parseGoDuration(negative ? s.slice(1) : s)
    if (Option.isNone(d)) fail(400, { reason: recoveryTexts.unparsableExpiresIn(s) })
    expiresInMs = (negative ? -1 : 1) * Duration.toMillis(Option.getOrThrow(d))
    if (expiresInMs <= 0) {
      fail(400, { reason: kind === "link" ? recoveryTexts.linkPastExpiresIn(s) : recoveryTexts.codePastExpiresIn(expiresInMs) })
    }
  }
  return { identityId: typeof idRaw === "string" ? idRaw.toLowerCase() : nilUuid, expiresInMs, raw: body }
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const randomToken = (n: number) => Array.from({ length: n }, () => alnum[randomInt(alnum.length)]).join("")

/** @internal */
export const createRecoveryLinkForIdentity: Handler = (r) => {
  const { expiresInMs, identityId } = recoveryBody(r, "link")
  const returnTo = r.query.get("return_to")
  if (returnTo && !returnTo.startsWith(r.ctx.publicUrl)) {
    fail(400, { id: recoveryTexts.returnToId, reason: recoveryTexts.returnTo(returnTo) })
  }
  if (!r.store.identities.has(identityId)) fail(400, { reason: recoveryTexts.linkUnknownIdentity })
  return json(200, {
    recovery_link: `${r.ctx.publicUrl}/self-service/recovery?flow=${newId()}&token=${randomToken(32)}`,
    expires_at: iso(r.ctx.now + expiresInMs)
  })
}

/** @internal */
export const createRecoveryCodeForIdentity: Handler = (r) => {
  const { expiresInMs, identityId, raw } = recoveryBody(r, "code")
  const flowType = raw.flow_type
  if (flowType !== undefined && flowType !== "" && flowType !== "browser" && flowType !== "api") {
    fail(400, { reason: recoveryTexts.flowType(String(flowType)) })
  }
  if (!r.store.identities.has(identityId)) fail(404, { reason: recoveryTexts.codeUnknownIdentity, message: "Unable to locate the resource" })
  return json(201, {
    recovery_link: `${r.ctx.publicUrl}/ui/recovery?flow=${newId()}`,
    recovery_code: String(randomInt(1_000_000)).padStart(6, "0"),
    expires_at: iso(r.ctx.now + expiresInMs)
  })
}
