/**
 * The 19 operations (plus the sandbox-only routes) as Kratos answers them. Each handler gets the
 * parsed request and the store, and returns a response or throws a `KratosHttpError`.
 */
import { randomInt } from "node:crypto"
import { newId } from "./ids.js"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import fastJsonPatch from "fast-json-patch"
import { limitViolation, PatchIdentitiesBody } from "../../BatchPatch.js"
import { CreateIdentityBody, type CreateIdentityBodyEncoded, UpdateIdentityBody } from "../../Identity.js"
import { JsonPatchDocument, kratosRefusal } from "../../JsonPatch.js"
import type { OperationName } from "../../Operations.js"
import { formatLinkHeader, nilUuid } from "../../Pagination.js"
import { parseGoDuration } from "../../Recovery.js"
import { wireCheck } from "../wireCheck.js"
import { checkImportedHash, hashPassword } from "./hashing.js"
import type { Ctx, ImportedCredentials, PasswordConfig } from "./model.js"
import {
  adminForm,
  applySchema,
  buildIdentity,
  iso,
  lookupSchema,
  mergeCredentials,
  newSession,
  renderIdentity,
  renderSession,
  sessionLifespanMs,
  uuidPattern
} from "./model.js"
import {
  firstSessionToken,
  offsetLinkHeader,
  pageSize,
  parseIntParam,
  parseOffsetPaging,
  parseSessionToken,
  queryRecord,
  sessionToken
} from "./pagination.js"
import type { SandboxResponse } from "./response.js"
import { errorObject, fail, json, KratosHttpError, noContent, notFoundRow } from "./response.js"
import type { StoredIdentity, StoredSession, StoredCredential } from "./store.js"
import { compareSessions, lowerBound, Store } from "./store.js"

const { applyPatch } = fastJsonPatch

/** Everything a handler needs. @internal */
export interface HandlerInput {
  readonly method: string
  /** The request path as sent (used for `Link`). */
  readonly path: string
  readonly query: URLSearchParams
  readonly params: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Uint8Array
  readonly ctx: Ctx
  readonly store: Store
  readonly settings: HandlerSettings
}

/** @internal */
export interface HandlerSettings {
  readonly hashCost: number
  readonly adminUrl: string
  readonly batchAllFailStatus: boolean
  readonly fasterSessionExtend: boolean
}

type Handler = (r: HandlerInput) => SandboxResponse | Effect.Effect<SandboxResponse>

// ---------------------------------------------------------------------------------------------
// Body decoding

const goJsonError = (text: string): string => {
  const trimmed = text.trim()
  if (trimmed.length === 0) return "unexpected end of JSON input"
  const c = trimmed[0]
  if (!"{[\"tfn-0123456789".includes(c)) return `invalid character '${c}' looking for beginning of value`
  return "unexpected end of JSON input"
}

const decoder = new TextDecoder("utf-8", { fatal: false })

/**
 * Nesting limit. Go's decoder stops at 10000 levels; JavaScript's recursive stringify/clone/
 * validation would overflow the stack well before that and poison every later read of the
 * identity, so the sandbox refuses deep documents up front.
 */
const maxDepth = 512

const tooDeep = (body: Uint8Array): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped byte
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** Nesting depth of a value, without recursion. */
const depthOf = (root: unknown): number => {
  let max = 0
  const stack: Array<[unknown, number]> = [[root, 1]]
  while (stack.length > 0) {
    const [value, d] = stack.pop()!
    if (value === null || typeof value !== "object") continue
    if (d > max) max = d
    if (max > maxDepth) return max
    for (const child of Object.values(value)) stack.push([child, d + 1])
  }
  return max
}

/** JSON body as Go's `json.Decoder` sees it: a syntax error is a 400 with the decoder's message. */
const parseJson = (body: Uint8Array): unknown => {
  if (tooDeep(body)) return fail(400, { message: "json: exceeded max depth" })
  const text = decoder.decode(body)
  try {
    return JSON.parse(text)
  } catch {
    return fail(400, { message: goJsonError(text) })
  }
}

/** `decoderx`: PUT and the recovery endpoints need a JSON content type and a non-empty body. */
const decoderxJson = (r: HandlerInput): unknown => {
  const ct = r.headers["content-type"] ?? ""
  if (!/^application\/(.+\+)?json\b/i.test(ct.trim())) {
    fail(400, { reason: `HTTP ${r.method} Request used unknown HTTP Header "Content-Type: ${ct}"` })
  }
  if (r.body.length === 0) {
    fail(400, { reason: `Unable to decode HTTP ${r.method} request body because its HTTP Header "Content-Length" is zero.` })
  }
  return parseJson(r.body)
}

const goTypeName = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "object" ? "object" : typeof v

/** Go json error text for a schema decode failure. */
const decodeMessage = (error: ParseResult.ParseError, input: unknown): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (!issue) return "json: invalid body"
  const path = issue.path.map(String)
  if (issue._tag === "Unexpected") return `json: unknown field "${path[path.length - 1]}"`
  let cur: unknown = input
  for (const p of path) cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[p] : undefined
  if (issue._tag === "Missing") return `json: missing required field "${path.join(".")}"`
  return `json: cannot unmarshal ${goTypeName(cur)} into Go struct field ${path.join(".")}: ${issue.message}`
}

const strictCreateDecode = Schema.decodeUnknownEither(CreateIdentityBody, { onExcessProperty: "error" })
const strictBatchDecode = Schema.decodeUnknownEither(PatchIdentitiesBody, { onExcessProperty: "error" })
const createWire = wireCheck(CreateIdentityBody)
const batchWire = wireCheck(PatchIdentitiesBody)

/** A create body (decoded, or its wire form: passwords as plain strings). */
type CreateBody = CreateIdentityBody | CreateIdentityBodyEncoded

/** Strict decoding; a body the wire check accepts is used as it is (the common case, and cheap). */
const strictCreate = (u: unknown): Either.Either<CreateBody, ParseResult.ParseError> =>
  createWire(u) ? Either.right(u) : strictCreateDecode(u)
const strictBatch = (
  u: unknown
): Either.Either<PatchIdentitiesBody | typeof PatchIdentitiesBody.Encoded, ParseResult.ParseError> =>
  batchWire(u) ? Either.right(u) : strictBatchDecode(u)
const lenientUpdate = Schema.decodeUnknownEither(UpdateIdentityBody)
const patchDoc = Schema.decodeUnknownEither(JsonPatchDocument)

const validStates = new Set(["active", "inactive"])

/** Kratos decodes `state` as a string and checks it afterwards; let the schema see a valid one. */
const withoutState = (raw: unknown): { body: unknown; state: unknown } => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || !("state" in raw)) return { body: raw, state: undefined }
  const { state, ...rest } = raw as Record<string, unknown>
  return { body: rest, state }
}

const checkState = (state: unknown, reason = "identity state is not valid"): string | undefined => {
  if (state === undefined || state === null || state === "") return undefined
  if (typeof state !== "string") return fail(400, { message: `json: cannot unmarshal ${goTypeName(state)} into Go struct field .state of type identity.State` })
  if (!validStates.has(state)) fail(400, { reason })
  return state
}

/** A body's traits default to `{}` (Kratos: empty traits become an empty object). */
const withDefaultTraits = (raw: unknown): unknown =>
  raw !== null && typeof raw === "object" && !Array.isArray(raw) && ((raw as Record<string, unknown>).traits === undefined || (raw as Record<string, unknown>).traits === null)
    ? { ...(raw as Record<string, unknown>), traits: {} }
    : raw

// ---------------------------------------------------------------------------------------------
// Credentials import

type PasswordPlan = { readonly plaintext: string } | { readonly config: PasswordConfig } | undefined

const reveal = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : Redacted.isRedacted(v) ? String(Redacted.value(v)) : String(v)

/** Pre-DB password checks (whole-request 400 in the batch). */
const planPassword = (credentials: CreateBody["credentials"] | UpdateIdentityBody["credentials"]): PasswordPlan => {
  const password = credentials?.password
  if (!password) return undefined
  const config = password.config
  if (!config) return undefined
  if (config.use_password_migration_hook) return { config: { use_password_migration_hook: true } }
  const plaintext = reveal(config.password)
  if (plaintext !== undefined && plaintext.length > 0) return { plaintext }
  const hashed = reveal(config.hashed_password) ?? ""
  checkImportedHash(hashed)
  return { config: { hashed_password: hashed } }
}

const providersOf = (
  c: { readonly config?: { readonly providers?: ReadonlyArray<Record<string, unknown>> | undefined } | undefined } | undefined
) => c?.config?.providers?.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)))

const finishCredentials = (
  credentials: CreateBody["credentials"] | UpdateIdentityBody["credentials"],
  password: PasswordConfig | undefined
): ImportedCredentials | undefined =>
  credentials
    ? { password, oidc: providersOf(credentials.oidc), saml: providersOf(credentials.saml) }
    : undefined

const resolvePassword = (plan: PasswordPlan, cost: number): Effect.Effect<PasswordConfig | undefined> =>
  plan === undefined
    ? Effect.succeed(undefined)
    : "plaintext" in plan
      ? Effect.map(hashPassword(plan.plaintext, cost), (hashed_password) => ({ hashed_password }))
      : Effect.succeed(plan.config)

/** A batch's passwords: only plaintext ones need a fiber (hashing runs off-thread). */
const resolvePasswords = (
  plans: ReadonlyArray<PasswordPlan>,
  cost: number
): Effect.Effect<ReadonlyArray<PasswordConfig | undefined>> => {
  const out = plans.map((p) => p !== undefined && "config" in p ? p.config : undefined)
  const plain: Array<number> = []
  plans.forEach((p, n) => {
    if (p !== undefined && "plaintext" in p) plain.push(n)
  })
  if (plain.length === 0) return Effect.succeed(out)
  return Effect.as(
    Effect.forEach(plain, (n) => Effect.map(resolvePassword(plans[n], cost), (c) => {
      out[n] = c
    }), { concurrency: 8, discard: true }),
    out
  )
}

// ---------------------------------------------------------------------------------------------
// Helpers

const includeValues = new Set([
  "password", "oidc", "saml", "totp", "lookup_secret", "webauthn", "code", "link_recovery", "code_recovery", "deviceauthn", "passkey"
])

const parseInclude = (q: URLSearchParams): Set<string> => {
  const out = new Set<string>()
  for (const v of q.getAll("include_credential")) {
    if (!includeValues.has(v)) fail(400, { reason: `Invalid value \`${v}\` for parameter \`include_credential\`.` })
    out.add(v)
  }
  return out
}

/** Identity routes: `uuid.FromStringOrNil`, so a malformed id is just a miss (404). */
const identityOr404 = (r: HandlerInput, id: string): StoredIdentity =>
  r.store.identities.get(id.toLowerCase()) ?? notFoundRow()

/** Session routes: `uuid.FromString`, so a malformed id is a 400 with the parse error. */
const parseUuid400 = (s: string): string => {
  if (uuidPattern.test(s)) return s.toLowerCase()
  const message = s.length !== 36 && s.length !== 32
    ? `uuid: incorrect UUID length ${s.length} in string ${JSON.stringify(s)}`
    : `uuid: incorrect UUID format in string ${JSON.stringify(s)}`
  return fail(400, { message })
}

const parseBoolParam = (name: string, raw: string | null): boolean | undefined => {
  if (raw === null || raw === "") return undefined
  if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return true
  if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return false
  return fail(400, { message: `could not parse parameter ${name}` })
}

const parseExpand = (q: URLSearchParams): { identity: boolean; devices: boolean } => {
  const out = { identity: false, devices: false }
  for (const v of q.getAll("expand")) {
    const l = v.toLowerCase()
    if (l === "identity") out.identity = true
    else if (l === "devices") out.devices = true
    else fail(400, { message: `Could not parse expand option: ${v}` })
  }
  return out
}

const isActive = (s: StoredSession, now: number) => s.active && s.expires_at >= now

const sessionJson = (r: HandlerInput, s: StoredSession, expand: { identity: boolean; devices: boolean }) =>
  renderSession(r.ctx.publicUrl, s, r.store.identities.get(s.identity_id), r.ctx.now, expand)

const conflictMessage = "Unable to insert or update resource because a resource with that value exists already"

// ---------------------------------------------------------------------------------------------
// Identities

const createIdentity: Handler = (r) => {
  const raw = withDefaultTraits(parseJson(r.body))
  const { body, state } = withoutState(raw)
  const decoded = strictCreate(body)
  if (Either.isLeft(decoded)) return fail(400, { message: decodeMessage(decoded.left, body) })
  const validState = checkState(state)
  const plan = planPassword(decoded.right.credentials)
  return Effect.map(resolvePassword(plan, r.settings.hashCost), (password) => {
    const identity = buildIdentity(r.ctx, decoded.right, finishCredentials(decoded.right.credentials, password), validState)
    r.store.insert(identity)
    return json(201, renderIdentity(r.ctx.publicUrl, identity, { _tag: "noConfig" }), {
      location: `${r.settings.adminUrl}/identities/${identity.id}`
    })
  })
}

const batchPatchIdentities: Handler = (r) => {
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

const getIdentity: Handler = (r) => {
  const identity = identityOr404(r, r.params.id)
  const include = parseInclude(r.query)
  return json(200, renderIdentity(r.ctx.publicUrl, identity, { _tag: "include", types: include }))
}

const getIdentityByExternalID: Handler = (r) => {
  const external = r.params.externalID
  if (!external) return fail(400, { reason: "The external ID must not be empty." })
  const include = parseInclude(r.query)
  const id = r.store.ownerOfExternalId(external)
  const identity = id ? r.store.identities.get(id) : undefined
  if (!identity) return notFoundRow()
  return json(200, renderIdentity(r.ctx.publicUrl, identity, { _tag: "include", types: include }))
}

const deleteIdentity: Handler = (r) => (r.store.delete(r.params.id.toLowerCase()) ? noContent() : notFoundRow())

const updateIdentity: Handler = (r) => {
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
      schema_id: entry.id,
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

const patchReason = "An error occured when applying the JSON patch"

/** Creates missing intermediate objects for add/replace (Kratos' `EnsurePathExistsOnAdd`). */
const ensurePath = (doc: Record<string, unknown>, pointer: string): void => {
  const segs = pointer.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
  let cur: unknown = doc
  for (const seg of segs.slice(0, -1)) {
    if (cur === null || typeof cur !== "object") return
    const obj = cur as Record<string, unknown>
    if (obj[seg] === undefined || obj[seg] === null) obj[seg] = {}
    cur = obj[seg]
  }
}

const pointerExists = (doc: unknown, pointer: string): boolean => {
  let cur: unknown = doc
  for (const seg of pointer.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))) {
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

const patchIdentity: Handler = (r) => {
  const prev = identityOr404(r, r.params.id)
  const raw = parseJson(r.body)
  const decoded = patchDoc(raw)
  if (Either.isLeft(decoded)) return fail(400, { reason: patchReason, message: decodeMessage(decoded.left, raw) })
  Option.map(kratosRefusal(decoded.right), (message) => fail(400, { reason: patchReason, message }))
  // Deep pointers could build a document JavaScript cannot serialize; refuse up front.
  if (decoded.right.some((op) => op.path.split("/").length > maxDepth)) {
    return fail(400, { reason: patchReason, message: "json: exceeded max depth" })
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
    return fail(400, { reason: patchReason, message: e instanceof Error ? e.message.split("\n")[0] : String(e) })
  }
  // Patches can nest documents across requests; keep every stored identity serializable.
  if (depthOf(doc) > maxDepth) return fail(400, { reason: patchReason, message: "json: exceeded max depth" })
  const now = iso(r.ctx.now)
  const state = doc.state
  if (state !== prev.state) {
    if (typeof state !== "string" || !validStates.has(state)) {
      fail(400, { reason: `The supplied state ('${String(state)}') was not valid. Valid states are ('active', 'inactive').` })
    }
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
  r.store.replace(next)
  return json(200, renderIdentity(r.ctx.publicUrl, next, { _tag: "noConfig" }))
}

const firstFactorCount = (i: StoredIdentity): number => {
  let n = 0
  const pw = i.credentials.password?.config
  if (pw && (typeof pw.hashed_password === "string" && pw.hashed_password.length > 0 || pw.use_password_migration_hook === true)) n++
  for (const t of ["oidc", "saml"]) {
    const providers = i.credentials[t]?.config.providers
    if (Array.isArray(providers)) n += providers.length
  }
  return n
}

const deleteIdentityCredentials: Handler = (r) => {
  const identity = identityOr404(r, r.params.id)
  const type = r.params.type
  const cred = identity.credentials[type]
  if (!cred) return fail(404, { reason: `You tried to remove a ${type} but this user have no ${type} set up.` })
  const now = iso(r.ctx.now)
  const credentials = { ...identity.credentials }
  switch (type) {
    case "totp":
    case "lookup_secret":
    case "webauthn":
      delete credentials[type]
      break
    case "password":
      if (firstFactorCount(identity) < 2) fail(400, { reason: "You cannot remove the last first factor credential." })
      credentials.password = { ...cred, config: {}, updated_at: now }
      break
    case "oidc":
    case "saml": {
      const identifier = r.query.get("identifier") ?? ""
      if (identifier === "") fail(400, { reason: "You must provide an identifier to delete this credential." })
      const providers = (cred.config.providers as Array<Record<string, unknown>> | undefined) ?? []
      const keep = providers.filter((p) => `${String(p.provider)}:${String(p.subject)}` !== identifier)
      if (keep.length === providers.length) {
        fail(404, { reason: `The identifier \`${identifier}\` was not found among ${type.toUpperCase()} credentials.` })
      }
      if (firstFactorCount(identity) < 2) fail(400, { reason: "You cannot remove the last first factor credential." })
      if (keep.length === 0) delete credentials[type]
      else {
        credentials[type] = {
          ...cred,
          identifiers: cred.identifiers.filter((i) => i !== identifier),
          config: { ...cred.config, providers: keep },
          updated_at: now
        }
      }
      break
    }
    default:
      return fail(400, { reason: `Credentials type ${type} cannot be deleted.` })
  }
  r.store.replace({ ...identity, credentials, updated_at: now })
  return noContent()
}

const filterNames = ["ids", "credentials_identifier", "preview_credentials_identifier_similar", "organization_id"] as const

/** Ids matching the single filter, sorted; `undefined` when there is no filter. */
const filteredIds = (r: HandlerInput): Array<string> | undefined => {
  const q = r.query
  const present = filterNames.filter((f) => q.getAll(f).some((v) => v !== ""))
  if (present.length > 1) fail(400, { reason: "You cannot combine multiple filters in this API" })
  if (present.length === 0) return undefined
  const s = r.store
  switch (present[0]) {
    case "ids": {
      const ids = q.getAll("ids").filter((v) => v !== "")
      if (ids.length > 500) fail(400, { reason: "The number of ids to filter must not exceed 500." })
      for (const id of ids) if (!uuidPattern.test(id)) fail(400, { reason: `Invalid UUID value \`${id}\` for parameter \`ids\`.` })
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
      if (!uuidPattern.test(org)) fail(400, { reason: `Invalid UUID value \`${org}\` for parameter \`organization_id\`.` })
      return s.ids.filter((id) => s.identities.get(id)!.organization_id === org.toLowerCase())
    }
  }
}

const listIdentities: Handler = (r) => {
  const q = r.query
  const include = parseInclude(q)
  const ids = filteredIds(r)
  const all = ids ?? r.store.ids
  const view = q.has("credentials_identifier") || q.has("preview_credentials_identifier_similar") || include.size > 0
    ? { _tag: "include" as const, types: include }
    : { _tag: "omit" as const }
  const render = (id: string) => renderIdentity(r.ctx.publicUrl, r.store.identities.get(id)!, view)
  const hasKeyset = q.has("page_token") || q.has("page_size")
  if (!hasKeyset && q.has("page")) {
    const page = parseIntParam("page", q.get("page")) ?? 0
    const perPage = pageSize(parseIntParam("per_page", q.get("per_page")), 250, 500)
    if (page * perPage > 1000) {
      fail(400, { reason: "Legacy pagination is not supported for enumerating over 1000 items. Please switch to using page_token and page_size." })
    }
    const start = Math.max(0, page) * perPage
    const items = all.slice(start, start + perPage).map(render)
    const total = q.has("credentials_identifier") ? items.length : r.store.identities.size
    const base = queryRecord(q, ["page", "per_page"])
    const link = (rel: string, p: number) => ({ rel, params: { ...base, page: String(p), per_page: String(perPage) } })
    const lastPage = Math.max(0, Math.ceil(total / perPage) - 1)
    const links = [link("first", 0)]
    if ((page + 1) * perPage < total) links.push(link("next", page + 1))
    if (page > 0) links.push(link("prev", page - 1))
    links.push(link("last", lastPage))
    return json(200, items, { "x-total-count": String(total), link: formatLinkHeader(r.path, links) })
  }
  // per_page alone is renamed to page_size. The ids filter (≤ 500) is answered in one page.
  const requested = pageSize(parseIntParam("page_size", q.get("page_size") ?? q.get("per_page")), 250, 500)
  const size = q.getAll("ids").some((v) => v !== "") ? 500 : requested
  const token = q.get("page_token")
  if (token !== null && !uuidPattern.test(token)) fail(400, { reason: "The page token is invalid, do not craft your own page tokens" })
  const start = token ? lowerBound(all, token.toLowerCase()) : 0
  const pageIds = all.slice(start, start + size + 1)
  const more = pageIds.length > size
  const items = (more ? pageIds.slice(0, size) : pageIds).map(render)
  const base = queryRecord(q, ["page_token", "page_size", "per_page", "page"])
  const links = [{ rel: "first", params: { ...base, page_size: String(requested), page_token: nilUuid } }]
  if (more) links.push({ rel: "next", params: { ...base, page_size: String(size), page_token: pageIds[size - 1] } })
  return json(200, items, { link: formatLinkHeader(r.path, links) })
}

// ---------------------------------------------------------------------------------------------
// Sessions

const listIdentitySessions: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  const active = parseBoolParam("active", r.query.get("active"))
  const { limit, offset } = parseOffsetPaging(r.query, 250, 1000)
  const all = [...(r.store.sessionsByIdentity.get(id) ?? [])]
    .map((sid) => r.store.sessions.get(sid)!)
    .filter((s) => active === undefined || isActive(s, r.ctx.now) === active)
    .sort(compareSessions)
  const items = all.slice(offset, offset + limit).map((s) => sessionJson(r, s, { identity: true, devices: true }))
  return json(200, items, {
    "x-total-count": String(all.length),
    link: offsetLinkHeader(r.path, r.query, offset, limit, all.length)
  })
}

const deleteIdentitySessions: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  return r.store.deleteSessionsOf(id) > 0 ? noContent() : notFoundRow()
}

const listSessions: Handler = (r) => {
  const q = r.query
  const size = pageSize(parseIntParam("page_size", q.get("page_size")), 250, 1000)
  const token = q.get("page_token")
  const after = token ? parseSessionToken(token) : undefined
  const active = parseBoolParam("active", q.get("active"))
  const expand = parseExpand(q)
  const sorted = r.store.sessionsSorted()
  // Binary search the keyset position in (created_at DESC, id ASC) order.
  let lo = 0
  if (after) {
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareSessions(sorted[mid], { created_at: after.createdAt, id: after.id }) <= 0) lo = mid + 1
      else hi = mid
    }
  }
  const page: Array<StoredSession> = []
  for (let n = lo; n < sorted.length && page.length <= size; n++) {
    const s = sorted[n]
    if (active === undefined || isActive(s, r.ctx.now) === active) page.push(s)
  }
  const more = page.length > size
  const items = (more ? page.slice(0, size) : page).map((s) => sessionJson(r, s, expand))
  const base = queryRecord(q, ["page_token", "page_size"])
  const links = [{ rel: "first", params: { ...base, page_size: String(size), page_token: firstSessionToken } }]
  if (more) {
    const last = page[size - 1]
    links.push({ rel: "next", params: { ...base, page_size: String(size), page_token: sessionToken(last.id, last.created_at) } })
  }
  return json(200, items, { link: formatLinkHeader(r.path, links) })
}

const getSession: Handler = (r) => {
  if (r.params.id === "whoami") return { status: 307, headers: { location: `${r.ctx.publicUrl}/sessions/whoami` } }
  const id = parseUuid400(r.params.id)
  const expand = parseExpand(r.query)
  const s = r.store.sessions.get(id) ?? notFoundRow()
  return json(200, sessionJson(r, s, expand))
}

const disableSession: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  const s = r.store.sessions.get(id) ?? notFoundRow()
  s.active = false
  return noContent()
}

const extendSession: Handler = (r) => {
  const id = parseUuid400(r.params.id)
  const s = r.store.sessions.get(id) ?? notFoundRow()
  // The default extension window equals the lifespan, so a session is always extendable.
  s.expires_at = r.ctx.now + sessionLifespanMs
  if (r.settings.fasterSessionExtend) return noContent()
  return json(200, sessionJson(r, s, { identity: true, devices: false }))
}

// ---------------------------------------------------------------------------------------------
// Recovery

const recoveryBody = (r: HandlerInput): { identityId: string; expiresInMs: number; raw: Record<string, unknown> } => {
  const raw = decoderxJson(r)
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return fail(400, { message: `json: cannot unmarshal ${goTypeName(raw)} into Go value of type struct` })
  }
  const body = raw as Record<string, unknown>
  const idRaw = body.identity_id
  if (idRaw !== undefined && (typeof idRaw !== "string" || !uuidPattern.test(idRaw))) {
    fail(400, { message: `uuid: incorrect UUID length ${typeof idRaw === "string" ? idRaw.length : 0} in string ${JSON.stringify(String(idRaw))}` })
  }
  let expiresInMs = 3600_000
  if (body.expires_in !== undefined && body.expires_in !== "") {
    const s = String(body.expires_in)
    const d = parseGoDuration(s)
    if (Option.isNone(d)) {
      fail(400, { reason: `Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): ${s}` })
    }
    expiresInMs = Duration.toMillis(Option.getOrThrow(d))
    if (expiresInMs <= 0) fail(400, { reason: `Value from "expires_in" must result to a future time: ${s}` })
  }
  return { identityId: typeof idRaw === "string" ? idRaw.toLowerCase() : nilUuid, expiresInMs, raw: body }
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const randomToken = (n: number) => Array.from({ length: n }, () => alnum[randomInt(alnum.length)]).join("")

const createRecoveryLinkForIdentity: Handler = (r) => {
  const { expiresInMs, identityId } = recoveryBody(r)
  const returnTo = r.query.get("return_to")
  if (returnTo && !returnTo.startsWith(r.ctx.publicUrl)) {
    fail(400, { reason: `Requested return_to URL "${returnTo}" is not allowed.` })
  }
  if (!r.store.identities.has(identityId)) fail(400, { reason: "The requested identity id does not exist." })
  return json(200, {
    recovery_link: `${r.ctx.publicUrl}/self-service/recovery?flow=${newId()}&token=${randomToken(32)}`,
    expires_at: iso(r.ctx.now + expiresInMs)
  })
}

const createRecoveryCodeForIdentity: Handler = (r) => {
  const { expiresInMs, identityId, raw } = recoveryBody(r)
  const flowType = raw.flow_type
  if (flowType !== undefined && flowType !== "" && flowType !== "browser" && flowType !== "api") {
    fail(400, { reason: `The flow type "${String(flowType)}" is not supported, use "browser" or "api".` })
  }
  if (!r.store.identities.has(identityId)) fail(404, { reason: "could not find identity" })
  return json(201, {
    recovery_link: `${r.ctx.publicUrl}/ui/recovery?flow=${newId()}`,
    recovery_code: String(randomInt(1_000_000)).padStart(6, "0"),
    expires_at: iso(r.ctx.now + expiresInMs)
  })
}

// ---------------------------------------------------------------------------------------------
// Schemas

const listIdentitySchemas: Handler = (r) => {
  const { limit, offset } = parseOffsetPaging(r.query, 250, 1000)
  const all = [...r.ctx.schemas.values()]
  const items = all.slice(offset, offset + limit).map((s) => ({ id: s.id, schema: s.schema }))
  return json(200, items, {
    "x-total-count": String(all.length),
    link: offsetLinkHeader(r.path, r.query, offset, limit, all.length)
  })
}

const getIdentitySchema: Handler = (r) => {
  const id = r.params.id
  const direct = r.ctx.schemas.get(id)
  const decoded = direct ? undefined : r.ctx.schemas.get(Buffer.from(id, "base64url").toString("utf8"))
  const entry = direct ?? decoded
  if (!entry) return fail(404, { reason: `Identity schema \`${id}\` could not be found.` })
  return json(200, entry.schema)
}

/** @internal */
export const handlers: Record<OperationName, Handler> = {
  listIdentities,
  batchPatchIdentities,
  createIdentity,
  getIdentityByExternalID,
  deleteIdentity,
  getIdentity,
  patchIdentity,
  updateIdentity,
  deleteIdentityCredentials,
  deleteIdentitySessions,
  listIdentitySessions,
  createRecoveryCodeForIdentity,
  createRecoveryLinkForIdentity,
  listSessions,
  disableSession,
  getSession,
  extendSession,
  listIdentitySchemas,
  getIdentitySchema
}

/** `POST /sandbox/sessions`: `{identity_id, active?, expires_in?, aal?}` → 201 session. @internal */
export const sandboxCreateSession: Handler = (r) => {
  const raw = parseJson(r.body)
  const body = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>
  const id = typeof body.identity_id === "string" ? body.identity_id.toLowerCase() : ""
  if (!r.store.identities.has(id)) return notFoundRow()
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
  return json(201, sessionJson(r, s, { identity: true, devices: true }))
}
