/**
 * The 19 operations of the admin Identity API (tag `identity` of Kratos v26.2.0), each declared
 * once. Error lists are the documented statuses plus those Kratos is known to answer although the
 * spec omits them (getSession and disableSession: 404; the list endpoints: 400 on a bad token).
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { BatchPatchIdentitiesResponse, limitViolation, PatchIdentitiesBody } from "./BatchPatch.js"
import { IdentitySchemaContainer, IdentitySchemaDocument } from "./IdentitySchema.js"
import { CreateIdentityBody, CredentialsType, Identity, IdentityId, UpdateIdentityBody } from "./Identity.js"
import { KratosJsonPatchDocument } from "./JsonPatch.js"
import { BadRequest, Conflict, NotFound } from "./KratosError.js"
import * as Operation from "./Operation.js"
import {
  CreateRecoveryCodeForIdentityBody,
  CreateRecoveryLinkForIdentityBody,
  RecoveryCodeForIdentity,
  RecoveryLinkForIdentity
} from "./Recovery.js"
import { Session, SessionExpand, SessionId } from "./Session.js"

const PageSize = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)).annotations({ identifier: "PageSize" })
const PageNumber = Schema.Int.pipe(Schema.greaterThanOrEqualTo(0))
const NonEmpty = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))

const keysetPage = {
  page_size: Schema.optional(PageSize),
  page_token: Schema.optional(NonEmpty)
}
/** The deprecated page/per_page pair, kept because the spec still lists it. */
const legacyPage = {
  page: Schema.optional(PageNumber),
  per_page: Schema.optional(PageSize)
}
const includeCredential = { include_credential: Schema.optional(Schema.Array(CredentialsType)) }

const identityFilters = [
  "ids",
  "credentials_identifier",
  "preview_credentials_identifier_similar",
  "organization_id"
] as const

const ListIdentitiesInput = Schema.Struct({
  ...keysetPage,
  ...legacyPage,
  consistency: Schema.optional(Schema.Literal("strong", "eventual")),
  ids: Schema.optional(Schema.Array(IdentityId).pipe(Schema.maxItems(500, {
    message: () => "The number of ids to filter must not exceed 500."
  }))),
  credentials_identifier: Schema.optional(NonEmpty),
  preview_credentials_identifier_similar: Schema.optional(NonEmpty),
  ...includeCredential,
  organization_id: Schema.optional(Schema.UUID)
}).pipe(
  Schema.filter((input) =>
    identityFilters.filter((f) => input[f] !== undefined).length > 1
      ? "You cannot combine multiple filters in this API"
      : undefined
  )
)

const DeleteIdentityCredentialsInput = Schema.Struct({
  id: IdentityId,
  type: CredentialsType,
  identifier: Schema.optional(NonEmpty)
}).pipe(
  Schema.filter((input) =>
    (input.type === "oidc" || input.type === "saml") && input.identifier === undefined
      ? `You must provide an identifier to delete this credential (for ${input.type}: "provider:subject").`
      : undefined
  )
)

const sessionExpand = { expand: Schema.optional(Schema.Array(SessionExpand)) }

/**
 * @since 0.1.0
 * @category operations
 */
export const listIdentities = Operation.make({
  name: "listIdentities",
  summary: "List identities",
  method: "GET",
  path: "/admin/identities",
  input: ListIdentitiesInput,
  params: {
    path: [],
    query: [
      "page_size",
      "page_token",
      "page",
      "per_page",
      "consistency",
      "ids",
      "credentials_identifier",
      "preview_credentials_identifier_similar",
      "include_credential",
      "organization_id"
    ]
  },
  success: { 200: Schema.Array(Identity) },
  errors: [BadRequest],
  safety: "safe",
  bucket: "kratos-admin-medium",
  auth: true,
  pagination: { style: "keyset", item: Identity, defaultPageSize: 250, maxPageSize: 500 }
})

/**
 * @since 0.1.0
 * @category operations
 */
export const batchPatchIdentities = Operation.make({
  name: "batchPatchIdentities",
  summary: "Create multiple identities (up to 1000, or 200 with plaintext passwords)",
  method: "PATCH",
  path: "/admin/identities",
  input: Schema.Struct({ body: PatchIdentitiesBody }),
  check: (input) => Option.getOrUndefined(limitViolation(input.body)),
  params: { path: [], query: [], body: "body" },
  success: { 200: BatchPatchIdentitiesResponse },
  errors: [BadRequest, Conflict],
  safety: "unsafe",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const createIdentity = Operation.make({
  name: "createIdentity",
  summary: "Create an identity",
  method: "POST",
  path: "/admin/identities",
  input: Schema.Struct({ body: CreateIdentityBody }),
  params: { path: [], query: [], body: "body" },
  success: { 201: Identity },
  errors: [BadRequest, Conflict],
  safety: "unsafe",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const getIdentityByExternalID = Operation.make({
  name: "getIdentityByExternalID",
  summary: "Get an identity by its external ID",
  method: "GET",
  path: "/admin/identities/by/external/{externalID}",
  input: Schema.Struct({ externalID: NonEmpty, ...includeCredential }),
  params: { path: ["externalID"], query: ["include_credential"] },
  success: { 200: Identity },
  errors: [BadRequest, NotFound],
  safety: "safe",
  bucket: "kratos-admin-medium",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const deleteIdentity = Operation.make({
  name: "deleteIdentity",
  summary: "Delete an identity, its credentials and sessions",
  method: "DELETE",
  path: "/admin/identities/{id}",
  input: Schema.Struct({ id: IdentityId }),
  params: { path: ["id"], query: [] },
  success: { 204: Operation.NoContent },
  errors: [NotFound],
  safety: "idempotent",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const getIdentity = Operation.make({
  name: "getIdentity",
  summary: "Get an identity",
  method: "GET",
  path: "/admin/identities/{id}",
  input: Schema.Struct({ id: IdentityId, ...includeCredential }),
  params: { path: ["id"], query: ["include_credential"] },
  success: { 200: Identity },
  errors: [NotFound],
  safety: "safe",
  bucket: "kratos-admin-low",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const patchIdentity = Operation.make({
  name: "patchIdentity",
  summary: "Patch an identity with JSON Patch (add, remove, replace)",
  method: "PATCH",
  path: "/admin/identities/{id}",
  input: Schema.Struct({ id: IdentityId, body: KratosJsonPatchDocument }),
  params: { path: ["id"], query: [], body: "body" },
  success: { 200: Identity },
  errors: [BadRequest, NotFound, Conflict],
  safety: "unsafe",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const updateIdentity = Operation.make({
  name: "updateIdentity",
  summary: "Replace an identity (omitted traits, metadata and external_id are cleared)",
  method: "PUT",
  path: "/admin/identities/{id}",
  input: Schema.Struct({ id: IdentityId, body: UpdateIdentityBody }),
  params: { path: ["id"], query: [], body: "body" },
  success: { 200: Identity },
  errors: [BadRequest, NotFound, Conflict],
  safety: "idempotent",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const deleteIdentityCredentials = Operation.make({
  name: "deleteIdentityCredentials",
  summary: "Delete a credential of an identity",
  method: "DELETE",
  path: "/admin/identities/{id}/credentials/{type}",
  input: DeleteIdentityCredentialsInput,
  params: { path: ["id", "type"], query: ["identifier"] },
  success: { 204: Operation.NoContent },
  errors: [BadRequest, NotFound],
  safety: "idempotent",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const deleteIdentitySessions = Operation.make({
  name: "deleteIdentitySessions",
  summary: "Delete all sessions of an identity (404 when it has none)",
  method: "DELETE",
  path: "/admin/identities/{id}/sessions",
  input: Schema.Struct({ id: IdentityId }),
  params: { path: ["id"], query: [] },
  success: { 204: Operation.NoContent },
  errors: [BadRequest, NotFound],
  safety: "idempotent",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const listIdentitySessions = Operation.make({
  name: "listIdentitySessions",
  summary: "List the sessions of an identity",
  method: "GET",
  path: "/admin/identities/{id}/sessions",
  input: Schema.Struct({ id: IdentityId, ...keysetPage, ...legacyPage, active: Schema.optional(Schema.Boolean) }),
  params: { path: ["id"], query: ["page_size", "page_token", "page", "per_page", "active"] },
  success: { 200: Schema.Array(Session) },
  errors: [BadRequest, NotFound],
  safety: "safe",
  bucket: "kratos-admin-medium",
  auth: true,
  pagination: { style: "offset", item: Session, defaultPageSize: 250, maxPageSize: 1000 }
})

/**
 * @since 0.1.0
 * @category operations
 */
export const createRecoveryCodeForIdentity = Operation.make({
  name: "createRecoveryCodeForIdentity",
  summary: "Create a recovery code (and link) for an identity",
  method: "POST",
  path: "/admin/recovery/code",
  input: Schema.Struct({ body: CreateRecoveryCodeForIdentityBody }),
  params: { path: [], query: [], body: "body" },
  success: { 201: RecoveryCodeForIdentity },
  errors: [BadRequest, NotFound],
  safety: "unsafe",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const createRecoveryLinkForIdentity = Operation.make({
  name: "createRecoveryLinkForIdentity",
  summary: "Create a recovery link for an identity",
  method: "POST",
  path: "/admin/recovery/link",
  input: Schema.Struct({ body: CreateRecoveryLinkForIdentityBody, return_to: Schema.optional(NonEmpty) }),
  params: { path: [], query: ["return_to"], body: "body" },
  success: { 200: RecoveryLinkForIdentity },
  errors: [BadRequest, NotFound],
  safety: "unsafe",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const listSessions = Operation.make({
  name: "listSessions",
  summary: "List all sessions",
  method: "GET",
  path: "/admin/sessions",
  input: Schema.Struct({ ...keysetPage, active: Schema.optional(Schema.Boolean), ...sessionExpand }),
  params: { path: [], query: ["page_size", "page_token", "active", "expand"] },
  success: { 200: Schema.Array(Session) },
  errors: [BadRequest],
  safety: "safe",
  bucket: "kratos-admin-medium",
  auth: true,
  pagination: { style: "keyset", item: Session, defaultPageSize: 250, maxPageSize: 1000 }
})

/**
 * @since 0.1.0
 * @category operations
 */
export const disableSession = Operation.make({
  name: "disableSession",
  summary: "Disable (revoke) a session",
  method: "DELETE",
  path: "/admin/sessions/{id}",
  input: Schema.Struct({ id: SessionId }),
  params: { path: ["id"], query: [] },
  success: { 204: Operation.NoContent },
  errors: [BadRequest, NotFound],
  safety: "idempotent",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const getSession = Operation.make({
  name: "getSession",
  summary: "Get a session",
  method: "GET",
  path: "/admin/sessions/{id}",
  input: Schema.Struct({ id: SessionId, ...sessionExpand }),
  params: { path: ["id"], query: ["expand"] },
  success: { 200: Session },
  errors: [BadRequest, NotFound],
  safety: "safe",
  bucket: "kratos-admin-low",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const extendSession = Operation.make({
  name: "extendSession",
  summary: "Extend a session (200 with the session, or 204 on projects with faster_session_extend)",
  method: "PATCH",
  path: "/admin/sessions/{id}/extend",
  input: Schema.Struct({ id: SessionId }),
  params: { path: ["id"], query: [] },
  success: { 200: Session, 204: Operation.NoContent },
  errors: [BadRequest, NotFound],
  safety: "idempotent",
  bucket: "kratos-admin-high",
  auth: true
})

/**
 * @since 0.1.0
 * @category operations
 */
export const listIdentitySchemas = Operation.make({
  name: "listIdentitySchemas",
  summary: "List identity schemas",
  method: "GET",
  path: "/schemas",
  input: Schema.Struct({ ...keysetPage, ...legacyPage }),
  params: { path: [], query: ["page_size", "page_token", "page", "per_page"] },
  success: { 200: Schema.Array(IdentitySchemaContainer) },
  errors: [BadRequest],
  safety: "safe",
  bucket: "kratos-admin-medium",
  auth: false,
  pagination: { style: "offset", item: IdentitySchemaContainer, defaultPageSize: 250, maxPageSize: 1000 }
})

/**
 * @since 0.1.0
 * @category operations
 */
export const getIdentitySchema = Operation.make({
  name: "getIdentitySchema",
  summary: "Get an identity schema",
  method: "GET",
  path: "/schemas/{id}",
  input: Schema.Struct({ id: NonEmpty }),
  params: { path: ["id"], query: [] },
  success: { 200: IdentitySchemaDocument },
  errors: [NotFound],
  safety: "safe",
  bucket: "kratos-admin-medium",
  auth: false
})

/**
 * All 19 operations by operationId, in the spec's order.
 *
 * @since 0.1.0
 * @category operations
 */
export const operations = {
  listIdentities,
  batchPatchIdentities,
  createIdentity,
  getIdentityByExternalID,
  deleteIdentity,
  getIdentity,
  patchIdentity,
  updateIdentity,
  deleteIdentityCredentials,
  deleteIdentitySessions,
  listIdentitySessions,
  createRecoveryCodeForIdentity,
  createRecoveryLinkForIdentity,
  listSessions,
  disableSession,
  getSession,
  extendSession,
  listIdentitySchemas,
  getIdentitySchema
} as const

/**
 * @since 0.1.0
 * @category operations
 */
export type Operations = typeof operations
/**
 * @since 0.1.0
 * @category operations
 */
export type OperationName = keyof Operations

/**
 * The list operations (those with `pagination`).
 *
 * @since 0.1.0
 * @category operations
 */
export type ListOperationName = {
  [K in OperationName]: Operations[K] extends { readonly pagination: Operation.Pagination<any> } ? K : never
}[OperationName]
