/**
 * Helpers for response schemas. A JSON body has no `undefined`, so a field a response may omit is
 * an exact optional: absent or of its type. That also skips the `| undefined` union a plain
 * `Schema.optional` parses on every field, a third of the cost of decoding an identity.
 */
import * as Schema from "effect/Schema"

export const wireOptional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })
