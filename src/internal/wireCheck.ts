/**
 * A fast check of a JSON value against a schema's wire form: ajv, compiled (once, on first use)
 * from the JSON Schema Effect derives from the same schema, so the two cannot drift. It describes
 * the encoded side with the refinements stated there (`Schema.encodedSchema` would drop those, a
 * UUID's pattern among them). Structs become `additionalProperties: false`, as strict as decoding
 * with `onExcessProperty: "error"`.
 * Valid input, the common case, skips the Effect decoder, which allocates several kilobytes per
 * create body; invalid input still goes through it, for its messages.
 *
 * @internal
 */
import { Ajv, type ValidateFunction } from "ajv"
import * as JSONSchema from "effect/JSONSchema"
import type * as Schema from "effect/Schema"

// `$schema` would make ajv look up the meta-schema, and Effect marks `Unknown` and friends with
// `$id`s that repeat (ajv refuses an id that resolves twice)
const withoutIds = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(withoutIds)
  if (node === null || typeof node !== "object") return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) if (key !== "$schema" && key !== "$id") out[key] = withoutIds(value)
  return out
}

// A validator called without a context destructures a fresh `{}` (about 56 bytes a call, per record
// on the import's hot path): one context for top-level calls instead.
type DataValidationCxt = NonNullable<Parameters<ValidateFunction>[1]>
const context: DataValidationCxt = { instancePath: "", parentData: {}, parentDataProperty: "", rootData: {}, dynamicAnchors: {} }

/** The context of a top-level validation of `data`. @internal */
export const topLevel = (data: unknown): DataValidationCxt => {
  context.rootData = data as DataValidationCxt["rootData"]
  return context
}

/** @internal */
export const wireCheck = <A, I>(schema: Schema.Schema<A, I, never>): (u: unknown) => u is I => {
  let validate: ValidateFunction | undefined
  return (u): u is I => {
    // formats are not checked: every refinement this is used for carries its pattern (`isPlainValidation`)
    validate ??= new Ajv({ allErrors: false, strict: false, validateSchema: false, validateFormats: false })
      .compile(withoutIds(JSONSchema.make(schema)) as object)
    return validate(u, topLevel(u)) === true
  }
}

export { isPlainValidation } from "./plainValidation.js"
