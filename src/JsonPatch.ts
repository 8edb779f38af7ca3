/**
 * RFC 6902 JSON Patch documents and the subset Kratos accepts for `patchIdentity`.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export const JsonPatchOpName = Schema.Literal("add", "remove", "replace", "move", "copy", "test")

/**
 * @since 0.1.0
 * @category models
 */
export const JsonPatchOp = Schema.Struct({
  op: JsonPatchOpName,
  path: Schema.String,
  from: Schema.optional(Schema.String),
  value: Schema.optional(Schema.Unknown)
})
/**
 * @since 0.1.0
 * @category models
 */
export type JsonPatchOp = typeof JsonPatchOp.Type

/**
 * A patch document as the spec describes it (all six operations).
 *
 * @since 0.1.0
 * @category models
 */
export const JsonPatchDocument = Schema.Array(JsonPatchOp).annotations({ identifier: "JsonPatchDocument" })
/**
 * @since 0.1.0
 * @category models
 */
export type JsonPatchDocument = typeof JsonPatchDocument.Type

/**
 * Kratos applies only these; the spec still advertises move/copy/test (ory/kratos#4032).
 *
 * @since 0.1.0
 */
export const allowedOps: ReadonlySet<string> = new Set(["add", "remove", "replace"])

/**
 * Denied path globs of Kratos v26.2 (`**` any suffix); matched case-insensitively.
 *
 * @since 0.1.0
 */
export const deniedPaths: ReadonlyArray<string> = ["/id", "/stateChangedAt", "/credentials", "/credentials/oidc/**"]

const globMatches = (glob: string, path: string): boolean => {
  const g = glob.toLowerCase()
  const p = path.toLowerCase()
  return g.endsWith("/**") ? p.startsWith(g.slice(0, -2)) : p === g
}

/**
 * The denied glob a path hits, if any.
 *
 * @since 0.1.0
 */
export const deniedPathOf = (path: string): Option.Option<string> =>
  Option.fromNullable(deniedPaths.find((glob) => globMatches(glob, path)))

/**
 * Why Kratos would refuse this patch, in Kratos' own words (the underlying error of its 400), or
 * `None` when it would apply it.
 *
 * @since 0.1.0
 */
export const kratosRefusal = (doc: JsonPatchDocument): Option.Option<string> => {
  for (const op of doc) {
    if (!allowedOps.has(op.op)) return Option.some(`unsupported operation: ${op.op}`)
    if (Option.isSome(deniedPathOf(op.path))) return Option.some(`patch includes denied path: ${op.path}`)
    if (op.path !== "" && !op.path.startsWith("/")) return Option.some(`invalid JSON pointer: ${op.path}`)
    if ((op.op === "add" || op.op === "replace") && !("value" in op)) {
      return Option.some(`missing value for ${op.op} at ${op.path}`)
    }
  }
  return Option.none()
}

/**
 * A patch document that Kratos will accept: checked before any request is sent.
 *
 * @since 0.1.0
 * @category models
 */
export const KratosJsonPatchDocument = JsonPatchDocument.pipe(
  Schema.filter((doc) => Option.getOrUndefined(kratosRefusal(doc)))
).annotations({ identifier: "KratosJsonPatchDocument" })
