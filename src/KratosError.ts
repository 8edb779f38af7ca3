/**
 * The typed failures of the admin Identity API: one tagged error per HTTP status Kratos answers
 * with, plus the failures any request can meet (transport, response decoding, invalid input).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * What every HTTP status error carries: Kratos' error body fields, the request id and how many
 * attempts the client made.
 */
const statusErrorFields = {
  /** The operationId, e.g. `getIdentity`. */
  operation: Schema.String,
  status: Schema.Number,
  /** Kratos' `error.message`. */
  message: Schema.String,
  /** Kratos' `error.reason`: the specific explanation. */
  reason: Schema.optional(Schema.String),
  /** Kratos' `error.id` (set on a few errors, e.g. `session_inactive`). */
  errorId: Schema.optional(Schema.String),
  details: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  /** `error.request` or the `x-request-id` response header. */
  requestId: Schema.optional(Schema.String),
  attempts: Schema.Number,
  /** The server's `Retry-After`, when it sent one. */
  retryAfter: Schema.optional(Schema.DurationFromSelf)
}

/**
 * The constructor arguments of every status error.
 *
 * @since 0.1.0
 * @category models
 */
export interface StatusErrorProps {
  readonly operation: string
  readonly status: number
  readonly message: string
  readonly reason?: string | undefined
  readonly errorId?: string | undefined
  readonly details?: { readonly [key: string]: unknown } | undefined
  readonly requestId?: string | undefined
  readonly attempts: number
  readonly retryAfter?: Duration.Duration | undefined
}

/**
 * 400: malformed request, failed validation, bad page token, batch over the limits.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", statusErrorFields) {
  static readonly status = 400
}
/**
 * 401: missing or invalid API key.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", statusErrorFields) {
  static readonly status = 401
}
/**
 * 403: the key may not do this.
 *
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", statusErrorFields) {
  static readonly status = 403
}
/**
 * 404: no such identity, session, schema or credential.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", statusErrorFields) {
  static readonly status = 404
}
/**
 * 409: a credential identifier, external_id or address already belongs to another identity.
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", statusErrorFields) {
  static readonly status = 409
}
/**
 * 429: rate limited, or a concurrent write to the same path on Ory Network.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", statusErrorFields) {
  static readonly status = 429
}
/**
 * 500.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalServerError
  extends Schema.TaggedError<InternalServerError>()("InternalServerError", statusErrorFields)
{
  static readonly status = 500
}
/**
 * 502.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadGateway extends Schema.TaggedError<BadGateway>()("BadGateway", statusErrorFields) {
  static readonly status = 502
}
/**
 * 503.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceUnavailable
  extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", statusErrorFields)
{
  static readonly status = 503
}
/**
 * 504: the gateway gave up waiting; the server may still have done (part of) the work, so an
 * unsafe write must be reconciled, not resent.
 *
 * @since 0.1.0
 * @category errors
 */
export class GatewayTimeout extends Schema.TaggedError<GatewayTimeout>()("GatewayTimeout", statusErrorFields) {
  static readonly status = 504
}
/**
 * Any status the operation does not declare.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedStatus extends Schema.TaggedError<UnexpectedStatus>()("UnexpectedStatus", statusErrorFields) {}

/**
 * No usable response: connection refused or reset, a per-attempt timeout, the overall deadline.
 * `sent` is false only when no attempt of the call can have reached the server's handler (each
 * was refused, or answered 429), which is what makes an unsafe write safe to send again.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  operation: Schema.String,
  reason: Schema.Literal("ConnectionRefused", "ConnectionReset", "Timeout", "Deadline", "Other"),
  message: Schema.String,
  sent: Schema.Boolean,
  attempts: Schema.Number
}) {}

/**
 * A response whose body does not match the operation's schema (a server that lies).
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseDecodeError extends Schema.TaggedError<ResponseDecodeError>()("ResponseDecodeError", {
  operation: Schema.String,
  status: Schema.Number,
  /** The schema's complaint. */
  message: Schema.String,
  requestId: Schema.optional(Schema.String),
  attempts: Schema.Number
}) {}

/**
 * Input the server would refuse, caught before any request was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  operation: Schema.String,
  message: Schema.String
}) {}

/**
 * The status error classes, by status.
 *
 * @since 0.1.0
 * @category models
 */
export const statusErrors = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  429: TooManyRequests,
  500: InternalServerError,
  502: BadGateway,
  503: ServiceUnavailable,
  504: GatewayTimeout
} as const

/**
 * A class of `statusErrors`.
 *
 * @since 0.1.0
 * @category models
 */
export type StatusErrorClass = (typeof statusErrors)[keyof typeof statusErrors]

/**
 * Every error built from an HTTP status.
 *
 * @since 0.1.0
 * @category models
 */
export type StatusError = InstanceType<StatusErrorClass> | UnexpectedStatus

/**
 * The failures any operation can meet, whatever it documents.
 *
 * @since 0.1.0
 * @category models
 */
export type CommonError =
  | Unauthorized
  | Forbidden
  | TooManyRequests
  | InternalServerError
  | BadGateway
  | ServiceUnavailable
  | GatewayTimeout
  | UnexpectedStatus
  | TransportError
  | ResponseDecodeError
  | InvalidInput

/**
 * The statuses every operation can meet; their classes are added to each operation's failures.
 *
 * @since 0.1.0
 */
export const commonStatuses: ReadonlyArray<number> = [401, 403, 429, 500, 502, 503, 504]

/**
 * Any error of this module.
 *
 * @since 0.1.0
 * @category models
 */
export type KratosError = StatusError | TransportError | ResponseDecodeError | InvalidInput

const tags: ReadonlySet<string> = new Set([
  ...Object.values(statusErrors).map((c) => c._tag),
  "UnexpectedStatus",
  "TransportError",
  "ResponseDecodeError",
  "InvalidInput"
])

/**
 * @since 0.1.0
 * @category guards
 */
export const isKratosError = (u: unknown): u is KratosError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)

/**
 * @since 0.1.0
 * @category guards
 */
export const isStatusError = (u: unknown): u is StatusError =>
  isKratosError(u) && "status" in u && u._tag !== "ResponseDecodeError"

/**
 * Builds the error for a status: the declared class when `declared` lists it, `UnexpectedStatus`
 * otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStatus = (props: StatusErrorProps, declared: ReadonlySet<number>): StatusError => {
  const Class = declared.has(props.status)
    ? (statusErrors as Readonly<Record<number, StatusErrorClass>>)[props.status]
    : undefined
  return Class ? new Class(props) : new UnexpectedStatus(props)
}
