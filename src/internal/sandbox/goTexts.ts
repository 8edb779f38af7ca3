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
  if (trimmed.length === 0) return "unexpected end of JSON input"
  const c = trimmed[0]
  if (!"{[\"tfn-0123456789".includes(c)) return `invalid character '${c}' looking for beginning of value`
  return "unexpected end of JSON input"
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
  `json: cannot unmarshal ${goTypeName(state)} into Go struct field .state of type identity.State`

/** @internal */
export const unmarshalStructMessage = (v: unknown): string => `json: cannot unmarshal ${goTypeName(v)} into Go value of type struct`

/** decoderx's refusals of PUT and the recovery bodies. @internal */
export const decoderx = {
  contentType: (method: string, ct: string) => `HTTP ${method} Request used unknown HTTP Header "Content-Type: ${ct}"`,
  emptyBody: (method: string) => `Unable to decode HTTP ${method} request body because its HTTP Header "Content-Length" is zero.`
} as const

/** gofrs/uuid's parse errors. @internal */
export const uuidError = (s: string): string =>
  s.length !== 36 && s.length !== 32
    ? `uuid: incorrect UUID length ${s.length} in string ${JSON.stringify(s)}`
    : `uuid: incorrect UUID format in string ${JSON.stringify(s)}`

/** strconv.ParseInt's error, which Kratos puts in `reason`. @internal */
export const parseIntError = (raw: string): string => `strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`

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
  includeCredential: (v: string) => `Invalid value \`${v}\` for parameter \`include_credential\`.`,
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
  unparsableExpiresIn: (s: string) =>
    `Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): ${s}`,
  pastExpiresIn: (s: string) => `Value from "expires_in" must result to a future time: ${s}`,
  returnTo: (url: string) => `Requested return_to URL "${url}" is not allowed.`,
  linkUnknownIdentity: "The requested identity id does not exist.",
  codeUnknownIdentity: "could not find identity",
  flowType: (t: string) => `The flow type "${t}" is not supported, use "browser" or "api".`
} as const
