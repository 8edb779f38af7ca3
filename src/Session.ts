/**
 * Wire schemas of sessions as the admin API returns them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Identity } from "./Identity.js"

/** @since 0.1.0 @category ids */
export const SessionId = Schema.UUID.pipe(Schema.brand("SessionId"))
/** @since 0.1.0 @category ids */
export type SessionId = typeof SessionId.Type

/** @since 0.1.0 @category models */
export const AuthenticatorAssuranceLevel = Schema.Literal("aal0", "aal1", "aal2", "aal3")
/** @since 0.1.0 @category models */
export type AuthenticatorAssuranceLevel = typeof AuthenticatorAssuranceLevel.Type

/** @since 0.1.0 @category models */
export const SessionAuthenticationMethod = Schema.Struct({
  aal: Schema.optional(Schema.String),
  completed_at: Schema.optional(Schema.String),
  method: Schema.optional(Schema.String),
  organization: Schema.optional(Schema.String),
  provider: Schema.optional(Schema.String)
})
/** @since 0.1.0 @category models */
export type SessionAuthenticationMethod = typeof SessionAuthenticationMethod.Type

/** @since 0.1.0 @category models */
export const SessionDevice = Schema.Struct({
  id: Schema.String,
  ip_address: Schema.optional(Schema.String),
  location: Schema.optional(Schema.String),
  user_agent: Schema.optional(Schema.String)
})
/** @since 0.1.0 @category models */
export type SessionDevice = typeof SessionDevice.Type

/**
 * A session. `identity` is absent (or `null`) unless `expand=identity` was asked for;
 * `tokenized` is a secret.
 *
 * @since 0.1.0 @category models
 */
export const Session = Schema.Struct({
  id: SessionId,
  active: Schema.optional(Schema.Boolean),
  expires_at: Schema.optional(Schema.String),
  authenticated_at: Schema.optional(Schema.String),
  authenticator_assurance_level: Schema.optional(Schema.String),
  authentication_methods: Schema.optional(Schema.Array(SessionAuthenticationMethod)),
  issued_at: Schema.optional(Schema.String),
  identity: Schema.optional(Schema.NullOr(Identity)),
  devices: Schema.optional(Schema.Array(SessionDevice)),
  tokenized: Schema.optional(Schema.Redacted(Schema.String))
}).annotations({ identifier: "Session" })
/** @since 0.1.0 @category models */
export type Session = typeof Session.Type

/** Values of the repeatable `expand` query parameter. @since 0.1.0 @category models */
export const SessionExpand = Schema.Literal("identity", "devices")
/** @since 0.1.0 @category models */
export type SessionExpand = typeof SessionExpand.Type
