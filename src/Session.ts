/**
 * Wire schemas of sessions as the admin API returns them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { wireOptional } from "./internal/wire.js"
import { Identity } from "./Identity.js"

/**
 * @since 0.1.0
 * @category ids
 */
export const SessionId = Schema.UUID.pipe(Schema.brand("SessionId"))
/**
 * @since 0.1.0
 * @category ids
 */
export type SessionId = typeof SessionId.Type

/**
 * @since 0.1.0
 * @category models
 */
export const AuthenticatorAssuranceLevel = Schema.Literal("aal0", "aal1", "aal2", "aal3")
/**
 * @since 0.1.0
 * @category models
 */
export type AuthenticatorAssuranceLevel = typeof AuthenticatorAssuranceLevel.Type

/**
 * @since 0.1.0
 * @category models
 */
export const SessionAuthenticationMethod = Schema.Struct({
  aal: wireOptional(Schema.String),
  completed_at: wireOptional(Schema.String),
  method: wireOptional(Schema.String),
  organization: wireOptional(Schema.String),
  provider: wireOptional(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type SessionAuthenticationMethod = typeof SessionAuthenticationMethod.Type

/**
 * @since 0.1.0
 * @category models
 */
export const SessionDevice = Schema.Struct({
  id: Schema.String,
  ip_address: wireOptional(Schema.String),
  location: wireOptional(Schema.String),
  user_agent: wireOptional(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type SessionDevice = typeof SessionDevice.Type

/**
 * A session. `identity` is absent (or `null`) unless `expand=identity` was asked for;
 * `devices` is `null` in Kratos v26.2.0's session list unless `expand=devices`; `tokenized` is a
 * secret.
 *
 * @since 0.1.0
 * @category models
 */
export const Session = Schema.Struct({
  id: SessionId,
  active: wireOptional(Schema.Boolean),
  expires_at: wireOptional(Schema.String),
  authenticated_at: wireOptional(Schema.String),
  authenticator_assurance_level: wireOptional(Schema.String),
  authentication_methods: wireOptional(Schema.Array(SessionAuthenticationMethod)),
  issued_at: wireOptional(Schema.String),
  identity: wireOptional(Schema.NullOr(Identity)),
  devices: wireOptional(Schema.NullOr(Schema.Array(SessionDevice))),
  tokenized: wireOptional(Schema.Redacted(Schema.String))
}).annotations({ identifier: "Session" })
/**
 * @since 0.1.0
 * @category models
 */
export type Session = typeof Session.Type

/**
 * Values of the repeatable `expand` query parameter.
 *
 * @since 0.1.0
 * @category models
 */
export const SessionExpand = Schema.Literal("identity", "devices")
/**
 * @since 0.1.0
 * @category models
 */
export type SessionExpand = typeof SessionExpand.Type
