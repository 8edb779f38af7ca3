/**
 * Identity JSON schemas (the `/schemas` endpoints, served on Kratos' public port).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export const IdentitySchemaContainer = Schema.Struct({
  id: Schema.String,
  schema: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}).annotations({ identifier: "IdentitySchemaContainer" })
/**
 * @since 0.1.0
 * @category models
 */
export type IdentitySchemaContainer = typeof IdentitySchemaContainer.Type

/**
 * The raw JSON Schema document `getIdentitySchema` returns.
 *
 * @since 0.1.0
 * @category models
 */
export const IdentitySchemaDocument = Schema.Record({ key: Schema.String, value: Schema.Unknown })
/**
 * @since 0.1.0
 * @category models
 */
export type IdentitySchemaDocument = typeof IdentitySchemaDocument.Type

/**
 * Kratos' `schema_url` path: `/schemas/{base64url-raw(schema_id)}`.
 *
 * @since 0.1.0
 */
export const schemaUrlPath = (schemaId: string): string =>
  `/schemas/${Buffer.from(schemaId, "utf8").toString("base64url")}`
