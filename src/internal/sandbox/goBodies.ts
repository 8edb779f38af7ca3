/**
 * The create body as Kratos' Go struct reads it (`identity.CreateIdentityBody`): every field is
 * optional (Go has no required fields; a missing or `null` value stays the zero value), unknown
 * fields are refused by the strict decoder, `traits` and the metadata are raw JSON of any kind
 * (checked later by validation, not by decoding). The client's `CreateIdentityBody` is stricter
 * on purpose; the sandbox must accept what Kratos accepts.
 */
import * as Schema from "effect/Schema"

const opt = <A, I, R>(s: Schema.Schema<A, I, R>) => Schema.optional(Schema.NullOr(s))

const PasswordConfig = Schema.Struct({
  hashed_password: opt(Schema.String),
  password: opt(Schema.String),
  use_password_migration_hook: opt(Schema.Boolean)
})

const OidcProvider = Schema.Struct({
  subject: opt(Schema.String),
  provider: opt(Schema.String),
  use_auto_link: opt(Schema.Boolean),
  organization: opt(Schema.String)
})

const SamlProvider = Schema.Struct({
  subject: opt(Schema.String),
  provider: opt(Schema.String),
  organization: opt(Schema.String)
})

const Credentials = Schema.Struct({
  password: opt(Schema.Struct({ config: opt(PasswordConfig) })),
  oidc: opt(Schema.Struct({ config: opt(Schema.Struct({ providers: opt(Schema.Array(OidcProvider)) })) })),
  saml: opt(Schema.Struct({ config: opt(Schema.Struct({ providers: opt(Schema.Array(SamlProvider)) })) }))
})

const VerifiableAddress = Schema.Struct({
  id: opt(Schema.String),
  value: opt(Schema.String),
  verified: opt(Schema.Boolean),
  via: opt(Schema.String),
  status: opt(Schema.String),
  verified_at: opt(Schema.String),
  created_at: opt(Schema.String),
  updated_at: opt(Schema.String)
})

const RecoveryAddress = Schema.Struct({
  id: opt(Schema.String),
  value: opt(Schema.String),
  via: opt(Schema.String),
  created_at: opt(Schema.String),
  updated_at: opt(Schema.String)
})

/** @internal */
export const GoCreateIdentityBody = Schema.Struct({
  schema_id: opt(Schema.String),
  traits: Schema.optional(Schema.Unknown),
  credentials: opt(Credentials),
  verifiable_addresses: opt(Schema.Array(VerifiableAddress)),
  recovery_addresses: opt(Schema.Array(RecoveryAddress)),
  metadata_public: Schema.optional(Schema.Unknown),
  metadata_admin: Schema.optional(Schema.Unknown),
  state: Schema.optional(Schema.Unknown),
  organization_id: opt(Schema.String),
  external_id: opt(Schema.String)
})

/** @internal */
export type GoCreateIdentityBody = typeof GoCreateIdentityBody.Type

/** The batch body: `{"identities": [{"create": ..., "patch_id": ...}]}`, all optional. @internal */
export const GoBatchBody = Schema.Struct({
  identities: opt(Schema.Array(Schema.NullOr(Schema.Struct({
    create: opt(GoCreateIdentityBody),
    patch_id: opt(Schema.String)
  }))))
})

/** @internal */
export type GoBatchBody = typeof GoBatchBody.Type
