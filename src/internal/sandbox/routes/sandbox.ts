/** The sandbox's own routes (no Kratos counterpart): seeding a session over HTTP. */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import { parseGoDuration } from "../../../Recovery.js"
import { newSession, renderSession } from "../model.js"
import type { Handler } from "../request.js"
import { parseJson } from "../request.js"
import { fail, json, notFoundRow } from "../response.js"

/** `POST /sandbox/sessions`: `{identity_id, active?, expires_in?, aal?}` → 201 session. @internal */
export const sandboxCreateSession: Handler = (r) => {
  const raw = parseJson(r.body)
  const body = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>
  const id = typeof body.identity_id === "string" ? body.identity_id.toLowerCase() : ""
  const identity = r.store.identities.get(id) ?? notFoundRow()
  let expiresInMs: number | undefined
  if (typeof body.expires_in === "string") {
    const d = parseGoDuration(body.expires_in)
    if (Option.isNone(d)) return fail(400, { reason: `Unable to parse "expires_in": ${body.expires_in}` })
    expiresInMs = Duration.toMillis(d.value)
  }
  const s = newSession(id, r.ctx.now, {
    active: typeof body.active === "boolean" ? body.active : undefined,
    expiresInMs,
    aal: typeof body.aal === "string" ? body.aal : undefined
  })
  r.store.addSession(s)
  return json(201, renderSession(r.ctx.publicUrl, s, identity, { identity: true, devices: true }))
}
