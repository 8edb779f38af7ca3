/**
 * Wire schemas of identities, as the admin Identity API sends and receives them.
 *
 * Response schemas are lenient (fields Kratos adds later are tolerated, enums Kratos may grow are
 * plain strings); request bodies are exact, because Kratos decodes `POST /admin/identities` and the
 * batch strictly. Secrets (passwords, hashes, OIDC tokens) are `Redacted` in the decoded type and
 * plain strings on the wire.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { wireOptional } from "./internal/wire.js"

/**
 * @since 0.1.0
 * @category ids
 */
export const IdentityId = Schema.UUID.pipe(Schema.brand("IdentityId"))
/**
 * @since 0.1.0
 * @category ids
 */
export type IdentityId = typeof IdentityId.Type

/**
 * @since 0.1.0
 * @category models
 */
export const IdentityState = Schema.Literal("active", "inactive")
/**
 * @since 0.1.0
 * @category models
 */
export type IdentityState = typeof IdentityState.Type

/**
 * Credential types Kratos v26.2 knows; `include_credential` and `deleteIdentityCredentials` take these.
 *
 * @since 0.1.0
 * @category models
 */
export const CredentialsType = Schema.Literal(
  "password",
  "oidc",
  "totp",
  "lookup_secret",
  "webauthn",
  "code",
  "passkey",
  "profile",
  "saml",
  "link_recovery",
  "code_recovery"
)
/**
 * @since 0.1.0
 * @category models
 */
export type CredentialsType = typeof CredentialsType.Type

/**
 * Opaque JSON objects: traits, metadata, credential config.
 *
 * @since 0.1.0
 * @category models
 */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })
/**
 * @since 0.1.0
 * @category models
 */
export type JsonObject = typeof JsonObject.Type

/**
 * @since 0.1.0
 * @category models
 */
export const IdentityCredentials = Schema.Struct({
  // A string, not the enum: newer Kratos versions add types (deviceauthn) and old clients must still decode.
  type: wireOptional(Schema.String),
  identifiers: wireOptional(Schema.Array(Schema.String)),
  config: wireOptional(Schema.Unknown),
  version: wireOptional(Schema.Number),
  created_at: wireOptional(Schema.String),
  updated_at: wireOptional(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type IdentityCredentials = typeof IdentityCredentials.Type

/**
 * @since 0.1.0
 * @category models
 */
export const VerifiableAddress = Schema.Struct({
  id: wireOptional(Schema.String),
  value: Schema.String,
  verified: Schema.Boolean,
  via: Schema.String,
  status: Schema.String,
  verified_at: wireOptional(Schema.NullOr(Schema.String)),
  created_at: wireOptional(Schema.String),
  updated_at: wireOptional(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type VerifiableAddress = typeof VerifiableAddress.Type

/**
 * @since 0.1.0
 * @category models
 */
export const RecoveryAddress = Schema.Struct({
  id: wireOptional(Schema.String),
  value: Schema.String,
  via: Schema.String,
  created_at: wireOptional(Schema.String),
  updated_at: wireOptional(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type RecoveryAddress = typeof RecoveryAddress.Type

/**
 * An identity as the admin API returns it. `credentials` is present on get and on lists filtered
 * by identifier; `config` is blanked unless `include_credential` names the type.
 *
 * @since 0.1.0
 * @category models
 */
export const Identity = Schema.Struct({
  id: IdentityId,
  external_id: wireOptional(Schema.String),
  credentials: wireOptional(Schema.Record({ key: Schema.String, value: IdentityCredentials })),
  schema_id: Schema.String,
  schema_url: Schema.String,
  state: wireOptional(Schema.String),
  state_changed_at: wireOptional(Schema.NullOr(Schema.String)),
  traits: Schema.Unknown,
  verifiable_addresses: wireOptional(Schema.Array(VerifiableAddress)),
  recovery_addresses: wireOptional(Schema.Array(RecoveryAddress)),
  metadata_public: wireOptional(Schema.Unknown),
  metadata_admin: wireOptional(Schema.Unknown),
  created_at: wireOptional(Schema.String),
  updated_at: wireOptional(Schema.String),
  organization_id: wireOptional(Schema.NullOr(Schema.String))
}).annotations({ identifier: "Identity" })
/**
 * @since 0.1.0
 * @category models
 */
export type Identity = typeof Identity.Type

// ---------------------------------------------------------------------------------------------
// Request bodies

/**
 * @since 0.1.0
 * @category credentials import
 */
export const PasswordImportConfig = Schema.Struct({
  hashed_password: Schema.optional(Schema.Redacted(Schema.String)),
  password: Schema.optional(Schema.Redacted(Schema.String)),
  use_password_migration_hook: Schema.optional(Schema.Boolean)
})
/**
 * @since 0.1.0
 * @category credentials import
 */
export type PasswordImportConfig = typeof PasswordImportConfig.Type

/**
 * @since 0.1.0
 * @category credentials import
 */
export const OidcImportProvider = Schema.Struct({
  provider: Schema.String,
  subject: Schema.String,
  use_auto_link: Schema.optional(Schema.Boolean),
  organization: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * @since 0.1.0
 * @category credentials import
 */
export const SamlImportProvider = Schema.Struct({
  provider: Schema.String,
  subject: Schema.String,
  organization: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * Credentials importable on create and update (K26: password, oidc, saml).
 *
 * @since 0.1.0
 * @category credentials import
 */
export const IdentityWithCredentials = Schema.Struct({
  password: Schema.optional(Schema.Struct({ config: Schema.optional(PasswordImportConfig) })),
  oidc: Schema.optional(
    Schema.Struct({ config: Schema.optional(Schema.Struct({ providers: Schema.optional(Schema.Array(OidcImportProvider)) })) })
  ),
  saml: Schema.optional(
    Schema.Struct({ config: Schema.optional(Schema.Struct({ providers: Schema.optional(Schema.Array(SamlImportProvider)) })) })
  )
})
/**
 * @since 0.1.0
 * @category credentials import
 */
export type IdentityWithCredentials = typeof IdentityWithCredentials.Type

/**
 * @since 0.1.0
 * @category request bodies
 */
export const VerifiableAddressInput = Schema.Struct({
  id: Schema.optional(Schema.String),
  value: Schema.String,
  verified: Schema.Boolean,
  via: Schema.Literal("email", "sms"),
  status: Schema.String,
  verified_at: Schema.optional(Schema.NullOr(Schema.String)),
  created_at: Schema.optional(Schema.String),
  updated_at: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category request bodies
 */
export const RecoveryAddressInput = Schema.Struct({
  id: Schema.optional(Schema.String),
  value: Schema.String,
  via: Schema.String,
  created_at: Schema.optional(Schema.String),
  updated_at: Schema.optional(Schema.String)
})

/**
 * The body of `createIdentity` and of each batch item. Kratos decodes it strictly: an unknown
 * field is a 400, so decode it with `onExcessProperty: "error"` on the server side.
 * An empty or missing `schema_id` means the project's default schema.
 *
 * @since 0.1.0
 * @category request bodies
 */
export const CreateIdentityBody = Schema.Struct({
  schema_id: Schema.optional(Schema.String),
  traits: JsonObject,
  credentials: Schema.optional(IdentityWithCredentials),
  external_id: Schema.optional(Schema.String),
  metadata_public: Schema.optional(Schema.Unknown),
  metadata_admin: Schema.optional(Schema.Unknown),
  organization_id: Schema.optional(Schema.NullOr(Schema.String)),
  recovery_addresses: Schema.optional(Schema.Array(RecoveryAddressInput)),
  verifiable_addresses: Schema.optional(Schema.Array(VerifiableAddressInput)),
  state: Schema.optional(IdentityState)
}).annotations({ identifier: "CreateIdentityBody" })
/**
 * @since 0.1.0
 * @category request bodies
 */
export type CreateIdentityBody = typeof CreateIdentityBody.Type
/**
 * @since 0.1.0
 * @category request bodies
 */
export type CreateIdentityBodyEncoded = typeof CreateIdentityBody.Encoded

/**
 * The body of `updateIdentity` (PUT). Kratos overwrites `traits`, `metadata_public`,
 * `metadata_admin` and `external_id` even when they are omitted: send the whole identity.
 * `credentials`, when present, are merged (password replaced, oidc/saml providers appended).
 *
 * @since 0.1.0
 * @category request bodies
 */
export const UpdateIdentityBody = Schema.Struct({
  schema_id: Schema.optional(Schema.String),
  traits: Schema.optional(JsonObject),
  state: Schema.optional(IdentityState),
  credentials: Schema.optional(IdentityWithCredentials),
  external_id: Schema.optional(Schema.String),
  metadata_public: Schema.optional(Schema.Unknown),
  metadata_admin: Schema.optional(Schema.Unknown)
}).annotations({ identifier: "UpdateIdentityBody" })
/**
 * @since 0.1.0
 * @category request bodies
 */
export type UpdateIdentityBody = typeof UpdateIdentityBody.Type

/**
 * True when the body imports a non-empty plaintext password (what the 200-per-batch limit counts).
 *
 * @since 0.1.0
 */
export const hasPlaintextPassword = (body: {
  readonly credentials?: { readonly password?: { readonly config?: { readonly password?: unknown } } }
}): boolean => {
  const pw = body.credentials?.password?.config?.password
  if (Redacted.isRedacted(pw)) return String(Redacted.value(pw)).length > 0
  return typeof pw === "string" && pw.length > 0
}
