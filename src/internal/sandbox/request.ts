/**
 * What a route handler gets, and reading it as Kratos does: JSON bodies through Go's decoders
 * (strict, or `decoderx` with its content-type checks), query parameters through `strconv` and
 * `uuid`, ids of the identity and session routes.
 */
import type * as Effect from "effect/Effect"
import {
  couldNotParseParameter,
  decoderx,
  goJsonError,
  maxDepthExceeded,
  stateTypeMessage,
  texts,
  uuidError
} from "./goTexts.js"
import type { Ctx } from "./model.js"
import { uuidPattern } from "./model.js"
import type { SandboxResponse } from "./response.js"
import { fail, notFoundRow } from "./response.js"
import type { Store, StoredIdentity } from "./store.js"

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

/** A route: the response, or an Effect of it when it waits (password hashing); throws `KratosHttpError`. @internal */
export type Handler = (r: HandlerInput) => SandboxResponse | Effect.Effect<SandboxResponse>

const decoder = new TextDecoder("utf-8", { fatal: false })

/**
 * Nesting limit. Go's decoder stops at 10000 levels; JavaScript's recursive stringify/clone/
 * validation would overflow the stack well before that and poison every later read of the
 * identity, so the sandbox refuses deep documents up front.
 * @internal
 */
export const maxDepth = 512

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

/** Nesting depth of a value, without recursion. @internal */
export const depthOf = (root: unknown): number => {
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

/** JSON body as Go's `json.Decoder` sees it: a syntax error is a 400 with the decoder's message. @internal */
export const parseJson = (body: Uint8Array): unknown => {
  if (tooDeep(body)) return fail(400, { message: maxDepthExceeded })
  const text = decoder.decode(body)
  try {
    return JSON.parse(text)
  } catch {
    return fail(400, { message: goJsonError(text) })
  }
}

/** Whether decoderx takes a body of this Content-Type (JSON, or a `+json` type). @internal */
export const decoderxAccepts = (contentType: string | undefined): boolean =>
  /^application\/(.+\+)?json\b/i.test((contentType ?? "").trim())

/** `decoderx`: PUT and the recovery endpoints need a JSON content type and a non-empty body. @internal */
export const decoderxJson = (r: HandlerInput): unknown => {
  const ct = r.headers["content-type"] ?? ""
  if (!decoderxAccepts(ct)) fail(400, { reason: decoderx.contentType(r.method, ct) })
  if (r.body.length === 0) fail(400, { reason: decoderx.emptyBody(r.method) })
  return parseJson(r.body)
}

/** @internal */
export const validStates: ReadonlySet<string> = new Set(["active", "inactive"])

/** Kratos decodes `state` as a string and checks it afterwards; let the schema see a valid one. @internal */
export const withoutState = (raw: unknown): { body: unknown; state: unknown } => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || !("state" in raw)) return { body: raw, state: undefined }
  const { state, ...rest } = raw as Record<string, unknown>
  return { body: rest, state }
}

/** @internal */
export const checkState = (state: unknown, reason: string = texts.invalidState): string | undefined => {
  if (state === undefined || state === null || state === "") return undefined
  if (typeof state !== "string") return fail(400, { message: stateTypeMessage(state) })
  if (!validStates.has(state)) fail(400, { reason })
  return state
}

/** A body's traits default to `{}` (Kratos: empty traits become an empty object). @internal */
export const withDefaultTraits = (raw: unknown): unknown =>
  raw !== null && typeof raw === "object" && !Array.isArray(raw) &&
    ((raw as Record<string, unknown>).traits === undefined || (raw as Record<string, unknown>).traits === null)
    ? { ...(raw as Record<string, unknown>), traits: {} }
    : raw

// ---------------------------------------------------------------------------------------------
// Query parameters and path ids

const includeValues = new Set([
  "password", "oidc", "saml", "totp", "lookup_secret", "webauthn", "code", "link_recovery", "code_recovery", "deviceauthn", "passkey"
])

/** @internal */
export const parseInclude = (q: URLSearchParams, echo = false): Set<string> => {
  const out = new Set<string>()
  for (const v of q.getAll("include_credential")) {
    if (!includeValues.has(v)) fail(400, { reason: texts.includeCredential(v, echo) })
    out.add(v)
  }
  return out
}

/** Identity routes: `uuid.FromStringOrNil`, so a malformed id is just a miss (404). @internal */
export const identityOr404 = (r: HandlerInput, id: string): StoredIdentity =>
  r.store.identities.get(id.toLowerCase()) ?? notFoundRow()

/** Session routes: `uuid.FromString`, so a malformed id is a 400 with the parse error. @internal */
export const parseUuid400 = (s: string): string => {
  if (uuidPattern.test(s)) return s.toLowerCase()
  return fail(400, { message: uuidError(s) })
}

/** @internal */
export const parseBoolParam = (name: string, raw: string | null): boolean | undefined => {
  if (raw === null || raw === "") return undefined
  if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return true
  if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return false
  return fail(400, { message: couldNotParseParameter(name) })
}

/** @internal */
export interface Expand {
  readonly identity: boolean
  readonly devices: boolean
}

/** @internal */
export const parseExpand = (q: URLSearchParams): Expand => {
  const out = { identity: false, devices: false }
  for (const v of q.getAll("expand")) {
    const l = v.toLowerCase()
    if (l === "identity") out.identity = true
    else if (l === "devices") out.devices = true
    else fail(400, { reason: texts.expand(v) })
  }
  return out
}
