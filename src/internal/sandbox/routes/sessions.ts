/** Sessions: the global keyset list, one identity's offset list, get, disable, extend, delete all. */
import { formatLinkHeader } from "../../../Pagination.js"
import { renderSession, sessionLifespanMs } from "../model.js"
import {
  firstSessionToken,
  offsetLinkHeader,
  pageSize,
  parseIntParam,
  parseOffsetPaging,
  parseSessionToken,
  queryRecord,
  sessionToken
} from "../pagination.js"
import type { Expand, Handler, HandlerInput } from "../request.js"
import { parseBoolParam, parseExpand, parseUuid400 } from "../request.js"
import { json, noContent, notFoundRow } from "../response.js"
import type { StoredSession } from "../store.js"
import { compareSessions, lowerBound } from "../store.js"

const isActive = (s: StoredSession, now: number) => s.active && s.expires_at >= now

const sessionJson = (
  r: HandlerInput,
  s: StoredSession,
  expand: Expand & { readonly bareIdentity?: boolean; readonly unexpandedDevices?: null; readonly noSchemaUrl?: boolean }
) =>
  renderSession(r.ctx.publicUrl, s, r.store.identities.get(s.identity_id), expand)

/** @internal */
export const listIdentitySessions: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  const active = parseBoolParam("active", r.query.get("active"))
  const { limit, offset } = parseOffsetPaging(r.query, 250, 1000)
  const all = [...(r.store.sessionsByIdentity.get(id) ?? [])]
    .map((sid) => r.store.sessions.get(sid)!)
    .filter((s) => active === undefined || isActive(s, r.ctx.now) === active)
    .sort(compareSessions)
  const items = all.slice(offset, offset + limit).map((s) =>
    sessionJson(r, s, { identity: true, devices: true, bareIdentity: true, noSchemaUrl: true })
  )
  return json(200, items, {
    "x-total-count": String(all.length),
    link: offsetLinkHeader(r.path, r.query, offset, limit, all.length)
  })
}

/** @internal */
export const deleteIdentitySessions: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  return r.store.deleteSessionsOf(id) > 0 ? noContent() : notFoundRow()
}

/** @internal */
export const listSessions: Handler = (r) => {
  const q = r.query
  const size = pageSize(parseIntParam("page_size", q.get("page_size"), false), 250, 1000)
  const token = q.get("page_token")
  const after = token ? parseSessionToken(token) : undefined
  const active = parseBoolParam("active", q.get("active"))
  const expand = parseExpand(q)
  const sorted = r.store.sessionsSorted()
  const start = after ? lowerBound(sorted, { created_at: after.createdAt, id: after.id }, compareSessions) : 0
  const page: Array<StoredSession> = []
  for (let n = start; n < sorted.length && page.length <= size; n++) {
    const s = sorted[n]
    if (active === undefined || isActive(s, r.ctx.now) === active) page.push(s)
  }
  const more = page.length > size
  const items = (more ? page.slice(0, size) : page).map((s) =>
    sessionJson(r, s, { ...expand, bareIdentity: true, unexpandedDevices: null })
  )
  const base = queryRecord(q, ["page_token", "page_size"])
  const links = [{ rel: "first", params: { ...base, page_size: String(size), page_token: firstSessionToken } }]
  if (more) {
    const last = page[size - 1]
    links.push({ rel: "next", params: { ...base, page_size: String(size), page_token: sessionToken(last.id, last.created_at) } })
  }
  return json(200, items, { link: formatLinkHeader(r.path, links) })
}

/** @internal */
export const getSession: Handler = (r) => {
  if (r.params.id === "whoami") return { status: 307, headers: { location: `${r.ctx.publicUrl}/sessions/whoami` } }
  const id = parseUuid400(r.params.id)
  const expand = parseExpand(r.query)
  const s = r.store.sessions.get(id) ?? notFoundRow()
  return json(200, sessionJson(r, s, expand))
}

/** @internal */
export const disableSession: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  const s = r.store.sessions.get(id) ?? notFoundRow()
  s.active = false
  return noContent({ "content-type": "application/json; charset=utf-8" })
}

/** @internal */
export const extendSession: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  const s = r.store.sessions.get(id) ?? notFoundRow()
  // The default extension window equals the lifespan, so a session is always extendable.
  s.expires_at = r.ctx.now + sessionLifespanMs
  if (r.settings.fasterSessionExtend) return noContent()
  return json(200, sessionJson(r, s, { identity: true, devices: false }))
}
