/**
 * The texts Kratos v26.2.0 answers with, in the words of the Go code that produces them
 * (encoding/json, gofrs/uuid, strconv, decoderx, herodot, the identity and recovery handlers).
 * Clients match on these strings, so they live in one place.
 */
import * as ParseResult from "effect/ParseResult"

/** encoding/json's name of a JSON value's kind. @internal */
export const goTypeName = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "object" ? "object" : typeof v

/** encoding/json's syntax error for a body JSON.parse refused. @internal */
export const goJsonError = (text: string): string => {
  const trimmed = text.trim()
  // json.Decoder reads a stream: nothing at all is EOF, a cut-off value an unexpected EOF.
  if (trimmed.length === 0) return "EOF"
  const c = trimmed[0]
  if (!"{[\"tfn-0123456789".includes(c)) return `invalid character '${c}' looking for beginning of value`
  return "unexpected EOF"
}

/** @internal */
export const maxDepthExceeded = "json: exceeded max depth"

/** encoding/json's text for a schema decode failure of a strictly decoded body. @internal */
export const decodeMessage = (error: ParseResult.ParseError, input: unknown): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (!issue) return "json: invalid body"
  const path = issue.path.map(String)
  if (issue._tag === "Unexpected") return `json: unknown field "${path[path.length - 1]}"`
  let cur: unknown = input
  for (const p of path) cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[p] : undefined
  if (issue._tag === "Missing") return `json: missing required field "${path.join(".")}"`
  return `json: cannot unmarshal ${goTypeName(cur)} into Go struct field ${path.join(".")}: ${issue.message}`
}

/** @internal */
export const stateTypeMessage = (state: unknown): string =>
  `json: cannot unmarshal ${goTypeName(state)} into Go struct field CreateIdentityBody.state of type identity.State`

/** encoding/json's text for a body of the wrong kind at its top. @internal */
export const unmarshalValueMessage = (v: unknown, goType: string): string =>
  `json: cannot unmarshal ${goTypeName(v)} into Go value of type ${goType}`


/** decoderx's refusals of PUT and the recovery bodies. @internal */
export const decoderx = {
  contentType: (method: string, ct: string) =>
    `HTTP ${method} Request used unknown HTTP Header "Content-Type: ${ct}", only [application/json] are supported.`,
  emptyBody: (_method: string) => `Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.`
} as const

/** Go's `*http.MaxBytesError`: a handler read past the server's 5 MiB body limit. @internal */
export const bodyTooLarge = "http: request body too large"

/** decoderx's refusal of a body it could not read whole (PUT and the recovery endpoints). */
const decoderxTooLarge = { status: 400, reason: `Unable to read HTTP POST body: ${bodyTooLarge}`, decoderx: true }

/**
 * How each handler that reads a body reports a body over the limit (Kratos v26.2.0, recorded): the
 * strict decoders pass Go's text as the message (the batch's body `code` is herodot's 500 for a bare
 * error), decoderx wraps it in a reason that says POST whatever the method, and the JSON Patch
 * handler writes the bare error, a 500. Handlers that read no body answer as usual.
 * @internal
 */
export const bodyLimitAnswers: Readonly<
  Record<string, {
    readonly status: number
    readonly message?: string
    readonly reason?: string
    readonly bodyCode?: number
    /** Read through decoderx, which checks the Content-Type first. */
    readonly decoderx?: boolean
  }>
> = {
  createIdentity: { status: 400, message: bodyTooLarge },
  batchPatchIdentities: { status: 400, message: bodyTooLarge, bodyCode: 500 },
  updateIdentity: decoderxTooLarge,
  createRecoveryLinkForIdentity: decoderxTooLarge,
  createRecoveryCodeForIdentity: decoderxTooLarge,
  patchIdentity: { status: 500, message: bodyTooLarge }
}

/** gofrs/uuid's parse errors. @internal */
export const uuidError = (s: string): string =>
  s.length !== 36 && s.length !== 32
    ? `uuid: incorrect UUID length ${s.length} in string ${JSON.stringify(s)}`
    : `uuid: incorrect UUID format in string ${JSON.stringify(s)}`

/** strconv.ParseInt's error, which Kratos puts in `reason`. @internal */
export const parseIntError = (raw: string): string => `strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`

/** strconv.Atoi's error (the identity list's page_size). @internal */
export const atoiError = (raw: string): string => `strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax`

/** @internal */
export const couldNotParseParameter = (name: string): string => `could not parse parameter ${name}`

/** sqlcon's unique-violation message (batch items and PUT/PATCH conflicts). @internal */
export const conflictMessage = "Unable to insert or update resource because a resource with that value exists already"

/** The create handler's reason for a unique violation. @internal */
export const conflictReason = "This identity conflicts with another identity that already exists."

/** @internal */
export const texts = {
  invalidState: "identity state is not valid",
  patchedState: (state: string) => `The supplied state ('${state}') was not valid. Valid states are ('active', 'inactive').`,
  patchReason: "An error occured when applying the JSON patch",
  /** get and get-by-external-id format the (empty) parsed list, the list handler the value it refused. */
  includeCredential: (v: string, echo: boolean) => `Invalid value \`${echo ? v : "[]"}\` for parameter \`include_credential\`.`,
  emptyExternalId: "The external ID must not be empty.",
  combinedFilters: "You cannot combine multiple filters in this API",
  tooManyIds: "The number of ids to filter must not exceed 500.",
  invalidUuidParam: (name: string, v: string) => `Invalid UUID value \`${v}\` for parameter \`${name}\`.`,
  legacyPaginationLimit:
    "Legacy pagination is not supported for enumerating over 1000 items. Please switch to using page_token and page_size.",
  invalidPageToken: "The page token is invalid, do not craft your own page tokens",
  expand: (v: string) => `Could not parse expand option: ${v}`,
  noCredential: (type: string) => `You tried to remove a ${type} but this user have no ${type} set up.`,
  lastFirstFactor: "You cannot remove the last first factor credential.",
  identifierRequired: "You must provide an identifier to delete this credential.",
  identifierNotFound: (identifier: string, type: string) =>
    `The identifier \`${identifier}\` was not found among ${type.toUpperCase()} credentials.`,
  credentialNotDeletable: (type: string) => `Credentials type ${type} cannot be deleted.`,
  unknownSchema: (id: string) => `Unable to find JSON Schema ID: ${id}`,
  schemaNotFound: (id: string) => `Identity schema \`${id}\` could not be found.`
} as const

/** The recovery handlers' texts. @internal */
export const recoveryTexts = {
  unparsableExpiresIn: (s: string) => `Unable to parse "expires_in" whose format should match "[0-9]+(ns|us|ms|s|m|h)" but did not: ${s}`,
  /** The link handler quotes the value as sent. */
  linkPastExpiresIn: (s: string) => `Value from "expires_in" must be result to a future time: ${s}`,
  /** The code handler prints the parsed duration (`time.Duration.String`). */
  codePastExpiresIn: (ms: number) => `Value from "expires_in" must result to a future time: ${goDuration(ms)}`,
  returnTo: (url: string) => `Requested return_to URL "${url}" is not allowed.`,
  returnToId: "self_service_flow_return_to_forbidden",
  linkUnknownIdentity: "The requested identity id does not exist.",
  codeUnknownIdentity: "could not find identity",
  flowType: (t: string) => `Value from "flow_type" is not valid: "${t}"`,
  /** decoderx wraps JSON errors of these bodies. */
  payload: (message: string) => `Unable to decode JSON payload: ${message}`,
  bodyType: { link: "link.createRecoveryLinkForIdentityBody", code: "code.createRecoveryCodeForIdentityBody" }
} as const

/** Go's `time.Duration.String` of whole milliseconds: `1h0m0s`, `-5m0s`, `500ms`, `0s`. @internal */
export const goDuration = (ms: number): string => {
  if (ms === 0) return "0s"
  const sign = ms < 0 ? "-" : ""
  let rest = Math.abs(ms)
  if (rest < 1000) return `${sign}${rest}ms`
  const h = Math.floor(rest / 3_600_000)
  rest -= h * 3_600_000
  const m = Math.floor(rest / 60_000)
  rest -= m * 60_000
  const s = rest / 1000
  const sec = `${Number.isInteger(s) ? s : String(s)}s`
  return h > 0 ? `${sign}${h}h${m}m${sec}` : m > 0 ? `${sign}${m}m${sec}` : `${sign}${sec}`
}
