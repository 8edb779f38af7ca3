/**
 * The identity resource: create, read (by id and by external id), PUT, delete and the list with
 * its filters and two paging styles.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { CreateIdentityBody, UpdateIdentityBody } from "../../../Identity.js"
import { formatLinkHeader, nilUuid } from "../../../Pagination.js"
import { wireCheck } from "../../wireCheck.js"
import { finishCredentials, planPassword, resolvePassword } from "../credentialImport.js"
import { GoCreateIdentityBody } from "../goBodies.js"
import { atoiError, decodeMessage, texts, uuidError } from "../goTexts.js"
import { applySchema, buildIdentity, iso, lookupSchema, mergeCredentials, renderIdentity, uuidPattern } from "../model.js"
import { pageLinks, pageSize, queryRecord } from "../pagination.js"
import type { Handler, HandlerInput } from "../request.js"
import { checkState, decoderxJson, identityOr404, parseInclude, parseJson, withDefaultTraits, withoutState } from "../request.js"
import { fail, json, noContent, notFoundRow } from "../response.js"
import { lowerBound } from "../store.js"

const goCreateDecode = Schema.decodeUnknownEither(GoCreateIdentityBody, { onExcessProperty: "error" })
const createWire = wireCheck(CreateIdentityBody)
const lenientUpdate = Schema.decodeUnknownEither(UpdateIdentityBody)

/**
 * Go's strict decoding of a create body; one the client's (stricter) wire check accepts is used as
 * it is (the common case, and cheap).
 * @internal
 */
export const decodeCreate = (u: unknown): Either.Either<GoCreateIdentityBody, ParseResult.ParseError> =>
  createWire(u) ? Either.right(u as GoCreateIdentityBody) : goCreateDecode(u)

/** The UUIDs of a create body, which Go parses while decoding; the first bad one's parse error. @internal */
export const badUuidIn = (b: GoCreateIdentityBody): string | undefined => {
  const ids = [
    b.organization_id,
    ...(b.credentials?.oidc?.config?.providers ?? []).map((p) => p.organization),
    ...(b.credentials?.saml?.config?.providers ?? []).map((p) => p.organization),
    ...(b.verifiable_addresses ?? []).map((a) => a.id),
    ...(b.recovery_addresses ?? []).map((a) => a.id)
  ]
  for (const id of ids) if (typeof id === "string" && id !== "" && !uuidPattern.test(id)) return uuidError(id)
  return undefined
}

/** @internal */
export const createIdentity: Handler = (r) => {
  const raw = withDefaultTraits(parseJson(r.body))
  const { body, state } = withoutState(raw)
  const decoded = decodeCreate(body)
  if (Either.isLeft(decoded)) return fail(400, { message: decodeMessage(decoded.left, body) })
  const badUuid = badUuidIn(decoded.right)
  if (badUuid !== undefined) return fail(400, { message: badUuid })
  const validState = checkState(state)
  const plan = planPassword(decoded.right.credentials)
  return Effect.map(resolvePassword(plan, r.settings.hashCost), (password) => {
    const identity = buildIdentity(r.ctx, decoded.right, finishCredentials(decoded.right.credentials, password), validState)
    r.store.insert(identity)
    return json(201, renderIdentity(r.ctx.publicUrl, identity, { _tag: "created" }), {
      location: `${r.settings.adminUrl}/identities/${identity.id}`
    })
  })
}

/** @internal */
export const getIdentity: Handler = (r) => {
  const identity = identityOr404(r, r.params.id)
  const include = parseInclude(r.query)
  return json(200, renderIdentity(r.ctx.publicUrl, identity, { _tag: "include", types: include }, "always"))
}

/** @internal */
export const getIdentityByExternalID: Handler = (r) => {
  const external = r.params.externalID
  if (!external) return fail(400, { reason: texts.emptyExternalId })
  const include = parseInclude(r.query)
  const id = r.store.ownerOfExternalId(external)
  const identity = id ? r.store.identities.get(id) : undefined
  if (!identity) return notFoundRow()
  return json(200, renderIdentity(r.ctx.publicUrl, identity, { _tag: "include", types: include }, "always"))
}

/** @internal */
export const deleteIdentity: Handler = (r) => (r.store.delete(r.params.id.toLowerCase()) ? noContent() : notFoundRow())

/** @internal */
export const updateIdentity: Handler = (r) => {
  const raw = decoderxJson(r)
  const prev = identityOr404(r, r.params.id)
  const { body, state } = withoutState(raw)
  const decoded = lenientUpdate(body)
  if (Either.isLeft(decoded)) return fail(400, { message: decodeMessage(decoded.left, body) })
  const validState = checkState(state)
  const b = decoded.right
  const plan = planPassword(b.credentials)
  return Effect.map(resolvePassword(plan, r.settings.hashCost), (password) => {
    const now = iso(r.ctx.now)
    const entry = lookupSchema(r.ctx, b.schema_id && b.schema_id.length > 0 ? b.schema_id : prev.schema_id)
    const stateChanged = validState !== undefined && validState !== prev.state
    const next = applySchema(entry, {
      ...prev,
      schema_id: b.schema_id && b.schema_id.length > 0 ? b.schema_id : prev.schema_id,
      schema_ref: entry.id !== (b.schema_id || prev.schema_id) ? entry.id : undefined,
      state: stateChanged ? validState! : prev.state,
      state_changed_at: stateChanged ? now : prev.state_changed_at,
      traits: b.traits ?? {},
      metadata_public: b.metadata_public ?? null,
      metadata_admin: b.metadata_admin ?? null,
      external_id: b.external_id ? b.external_id : undefined,
      credentials: mergeCredentials(prev.credentials, finishCredentials(b.credentials, password), now),
      updated_at: now
    }, now)
    if (!next.external_id) delete next.external_id
    r.store.replace(next)
    return json(200, renderIdentity(r.ctx.publicUrl, next, { _tag: "noConfig" }))
  })
}

const filterNames = ["ids", "credentials_identifier", "preview_credentials_identifier_similar", "organization_id"] as const

/** Ids matching the single filter, sorted; `undefined` when there is no filter. */
const filteredIds = (r: HandlerInput): ReadonlyArray<string> | undefined => {
  const q = r.query
  const present = filterNames.filter((f) => q.getAll(f).some((v) => v !== ""))
  if (present.length > 1) fail(400, { reason: texts.combinedFilters })
  if (present.length === 0) return undefined
  const s = r.store
  switch (present[0]) {
    case "ids": {
      const ids = q.getAll("ids").filter((v) => v !== "")
      if (ids.length > 500) fail(400, { reason: texts.tooManyIds })
      for (const id of ids) if (!uuidPattern.test(id)) fail(400, { reason: texts.invalidUuidParam("ids", id) })
      return [...new Set(ids.map((i) => i.toLowerCase()))].filter((i) => s.identities.has(i)).sort()
    }
    case "credentials_identifier": {
      const raw = q.get("credentials_identifier")!
      const wanted = new Set([raw, raw.trim().toLowerCase()])
      const out = new Set<string>()
      for (const type of ["password", "webauthn", "code", "oidc", "saml", "deviceauthn"]) {
        for (const w of wanted) {
          const owner = s.ownerOf("credential", type, w)
          if (owner) out.add(owner)
        }
      }
      return [...out].sort()
    }
    case "preview_credentials_identifier_similar": {
      const prefix = q.get("preview_credentials_identifier_similar")!.toLowerCase()
      return [...s.credentialOwners((value) => value.toLowerCase().startsWith(prefix))].sort()
    }
    case "organization_id": {
      const org = q.get("organization_id")!
      if (!uuidPattern.test(org)) fail(400, { reason: texts.invalidUuidParam("organization_id", org) })
      return s.ids.filter((id) => s.identities.get(id)!.organization_id === org.toLowerCase())
    }
  }
}

/** @internal */
export const listIdentities: Handler = (r) => {
  const q = r.query
  const include = parseInclude(q, true)
  const ids = filteredIds(r)
  const all = ids ?? r.store.ids
  const view = q.has("credentials_identifier") || q.has("preview_credentials_identifier_similar") || include.size > 0
    ? { _tag: "include" as const, types: include }
    : { _tag: "omit" as const }
  const render = (id: string) => renderIdentity(r.ctx.publicUrl, r.store.identities.get(id)!, view, "always")
  const hasKeyset = q.has("page_token") || q.has("page_size")
  if (!hasKeyset && q.has("page")) {
    // pagepagination: unparsable values fall back to the defaults, per_page is at least 1.
    const lenient = (raw: string | null, def: number) => (raw !== null && /^[+-]?\d+$/.test(raw) ? Number(raw) : def)
    const page = Math.max(0, lenient(q.get("page"), 0))
    const perPage = Math.max(1, Math.min(1000, lenient(q.get("per_page"), 250)))
    if (page * perPage > 1000) fail(400, { reason: texts.legacyPaginationLimit })
    const start = page * perPage
    const items = all.slice(start, start + perPage).map(render)
    const total = q.has("credentials_identifier") ? items.length : r.store.identities.size
    const base = queryRecord(q, ["page", "per_page"])
    const links = pageLinks(total, page, perPage).map(({ offset, perPage: n, rel }) => ({
      rel,
      params: { ...base, page: String(Math.trunc(offset / n)), per_page: String(n) }
    }))
    return json(200, items, { "x-total-count": String(total), link: formatLinkHeader(r.path, links) })
  }
  // per_page alone is renamed to page_size; the ids filter pages like any keyset list.
  const sizeRaw = q.get("page_size") ?? q.get("per_page")
  if (sizeRaw !== null && sizeRaw !== "" && !/^[+-]?\d+$/.test(sizeRaw)) fail(400, { reason: atoiError(sizeRaw) })
  const size = pageSize(sizeRaw === null || sizeRaw === "" ? undefined : Number(sizeRaw), 250, 500)
  const token = q.get("page_token")
  if (token !== null && !uuidPattern.test(token)) fail(400, { reason: texts.invalidPageToken })
  const start = token ? lowerBound(all, token.toLowerCase()) : 0
  const pageIds = all.slice(start, start + size + 1)
  const more = pageIds.length > size
  const items = (more ? pageIds.slice(0, size) : pageIds).map(render)
  const base = queryRecord(q, ["page_token", "page_size", "per_page", "page"])
  const links = [{ rel: "first", params: { ...base, page_size: String(size), page_token: nilUuid } }]
  if (more) links.push({ rel: "next", params: { ...base, page_size: String(size), page_token: pageIds[size - 1] } })
  return json(200, items, { link: formatLinkHeader(r.path, links) })
}
