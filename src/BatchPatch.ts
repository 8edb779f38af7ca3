/**
 * The batch endpoint (`PATCH /admin/identities`): bodies, per-item results and Kratos' limits.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { GenericError } from "./GenericError.js"
import { CreateIdentityBody, hasPlaintextPassword, IdentityId } from "./Identity.js"
import { wireOptional } from "./internal/wire.js"

/**
 * Items per request.
 *
 * @since 0.1.0
 * @category limits
 */
export const maxItems = 1000
/**
 * Items per request when any item carries a plaintext password (the server hashes them).
 *
 * @since 0.1.0
 * @category limits
 */
export const maxPlaintextItems = 200

/**
 * Bytes per request body: Kratos serves its ports behind Go's `http.MaxBytesHandler` at 5 MiB, and a
 * batch over it is refused whole (400, "http: request body too large").
 *
 * @since 0.1.0
 * @category limits
 */
export const maxBodyBytes = 5 * 1024 * 1024

/**
 * Kratos' 400 reasons for the two limits.
 *
 * @since 0.1.0
 * @category limits
 */
export const limitReasons = {
  items: "The maximum number of identities per request that can be created or deleted at once is 1000.",
  plaintext: "The maximum number of identities per request that can be created with a plaintext password is 200."
} as const

/**
 * @since 0.1.0
 * @category models
 */
export const PatchId = Schema.UUID
/**
 * @since 0.1.0
 * @category models
 */
export const IdentityPatch = Schema.Struct({
  create: Schema.optional(Schema.NullOr(CreateIdentityBody)),
  patch_id: Schema.optional(PatchId)
})
/**
 * @since 0.1.0
 * @category models
 */
export type IdentityPatch = typeof IdentityPatch.Type

/**
 * The wire body, without the limits (the server checks those itself).
 *
 * @since 0.1.0
 * @category models
 */
export const PatchIdentitiesBody = Schema.Struct({
  identities: Schema.Array(IdentityPatch)
}).annotations({ identifier: "PatchIdentitiesBody" })
/**
 * @since 0.1.0
 * @category models
 */
export type PatchIdentitiesBody = typeof PatchIdentitiesBody.Type

/**
 * The limit reason a body (decoded or in its wire form) breaks, if any.
 *
 * @since 0.1.0
 * @category limits
 */
export const limitViolation = (body: {
  readonly identities: ReadonlyArray<{ readonly create?: Parameters<typeof hasPlaintextPassword>[0] | null | undefined }>
}): Option.Option<string> => {
  if (body.identities.length > maxItems) return Option.some(limitReasons.items)
  let plaintext = 0
  for (const item of body.identities) if (item.create && hasPlaintextPassword(item.create)) plaintext++
  return plaintext > maxPlaintextItems ? Option.some(limitReasons.plaintext) : Option.none()
}

/**
 * An item's error. The spec types it as `DefaultError`, an empty schema, so a conforming server may
 * send `{}`: Kratos' fields are all optional here (Kratos itself always sends `message`).
 *
 * @since 0.1.0
 * @category models
 */
export const PatchError = Schema.Struct({ ...GenericError.fields, message: wireOptional(Schema.String) })

/**
 * @since 0.1.0
 * @category models
 */
export const IdentityPatchResponse = Schema.Struct({
  action: Schema.Literal("create", "error"),
  identity: wireOptional(IdentityId),
  patch_id: wireOptional(Schema.String),
  error: wireOptional(PatchError)
})
/**
 * @since 0.1.0
 * @category models
 */
export type IdentityPatchResponse = typeof IdentityPatchResponse.Type

/**
 * Results in input order; `null` for an item whose `create` was null.
 *
 * @since 0.1.0
 * @category models
 */
export const BatchPatchIdentitiesResponse = Schema.Struct({
  identities: Schema.Array(Schema.NullOr(IdentityPatchResponse))
}).annotations({ identifier: "BatchPatchIdentitiesResponse" })
/**
 * @since 0.1.0
 * @category models
 */
export type BatchPatchIdentitiesResponse = typeof BatchPatchIdentitiesResponse.Type
