/**
 * Admin recovery links and codes, and the Go duration strings their `expires_in` takes.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { IdentityId } from "./Identity.js"

const unitNanos: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  "μs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9
}

// the micro signs written as escapes: the CLI's bundle is ASCII only (see scripts/build.mjs)
const goDuration = /^(?:[0-9]*\.?[0-9]*(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/
const goDurationPart = /([0-9]*\.?[0-9]*)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g

/**
 * Parses a Go `time.ParseDuration` string ("1h", "1m30s", "1.5h", "500ms"). A negative duration
 * parses to zero, which callers refuse as Kratos does.
 *
 * @since 0.1.0
 */
export const parseGoDuration = (input: string): Option.Option<Duration.Duration> => {
  const negative = input.startsWith("-")
  const body = input.replace(/^[-+]/, "")
  if (body === "0") return Option.some(Duration.zero)
  if (!goDuration.test(body)) return Option.none()
  let nanos = 0
  for (const [, num, unit] of body.matchAll(goDurationPart)) {
    if (num === "" || num === ".") return Option.none()
    nanos += Number(num) * unitNanos[unit]
  }
  return Option.some(negative ? Duration.zero : Duration.nanos(BigInt(Math.round(nanos))))
}

/**
 * A positive Go duration string; checked before any request.
 *
 * @since 0.1.0
 * @category models
 */
export const GoDuration = Schema.String.pipe(
  Schema.filter((s) =>
    Option.match(parseGoDuration(s), {
      onNone: () => `Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): ${s}`,
      onSome: (d) => Duration.greaterThan(d, Duration.zero) || `"expires_in" must be a positive duration: ${s}`
    })
  )
).annotations({ identifier: "GoDuration" })

/**
 * @since 0.1.0
 * @category models
 */
export const RecoveryFlowType = Schema.Literal("browser", "api")

/**
 * @since 0.1.0
 * @category request bodies
 */
export const CreateRecoveryLinkForIdentityBody = Schema.Struct({
  identity_id: IdentityId,
  expires_in: Schema.optional(GoDuration)
}).annotations({ identifier: "CreateRecoveryLinkForIdentityBody" })
/**
 * @since 0.1.0
 * @category request bodies
 */
export type CreateRecoveryLinkForIdentityBody = typeof CreateRecoveryLinkForIdentityBody.Type

/**
 * @since 0.1.0
 * @category request bodies
 */
export const CreateRecoveryCodeForIdentityBody = Schema.Struct({
  identity_id: IdentityId,
  expires_in: Schema.optional(GoDuration),
  flow_type: Schema.optional(RecoveryFlowType)
}).annotations({ identifier: "CreateRecoveryCodeForIdentityBody" })
/**
 * @since 0.1.0
 * @category request bodies
 */
export type CreateRecoveryCodeForIdentityBody = typeof CreateRecoveryCodeForIdentityBody.Type

/**
 * The link carries a one-time token: it is a secret.
 *
 * @since 0.1.0
 * @category models
 */
export const RecoveryLinkForIdentity = Schema.Struct({
  recovery_link: Schema.Redacted(Schema.String),
  expires_at: Schema.optional(Schema.String)
}).annotations({ identifier: "RecoveryLinkForIdentity" })
/**
 * @since 0.1.0
 * @category models
 */
export type RecoveryLinkForIdentity = typeof RecoveryLinkForIdentity.Type

/**
 * @since 0.1.0
 * @category models
 */
export const RecoveryCodeForIdentity = Schema.Struct({
  recovery_link: Schema.String,
  recovery_code: Schema.Redacted(Schema.String),
  expires_at: Schema.optional(Schema.String)
}).annotations({ identifier: "RecoveryCodeForIdentity" })
/**
 * @since 0.1.0
 * @category models
 */
export type RecoveryCodeForIdentity = typeof RecoveryCodeForIdentity.Type
