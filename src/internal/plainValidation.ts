/**
 * Which schemas `wireCheck` may stand in for: a walk over the AST, apart from `wireCheck` itself
 * so that asking loads no ajv.
 *
 * @internal
 */
import * as Option from "effect/Option"
import * as AST from "effect/SchemaAST"

/**
 * True when decoding with the schema only validates: no transformation or declaration anywhere
 * (the decoded value is the JSON value itself), and every refinement stated in its JSON Schema
 * by a pattern or a non-format constraint (so ajv checks exactly what the predicate checks).
 * For such a schema an input `wireCheck` accepts decodes to itself.
 *
 * @internal
 */
export const isPlainValidation = (ast: AST.AST): boolean => plain(ast, new Set())

const plain = (ast: AST.AST, seen: Set<AST.AST>): boolean => {
  switch (ast._tag) {
    case "Literal":
    case "Enums":
    case "StringKeyword":
    case "NumberKeyword":
    case "BooleanKeyword":
    case "UnknownKeyword":
    case "AnyKeyword":
    case "UndefinedKeyword":
      return true
    case "TupleType":
      return ast.elements.every((e) => plain(e.type, seen)) && ast.rest.every((r) => plain(r.type, seen))
    case "TypeLiteral":
      return ast.propertySignatures.every((p) => plain(p.type, seen)) &&
        ast.indexSignatures.every((i) => plain(i.parameter, seen) && plain(i.type, seen))
    case "Union":
      return ast.types.every((t) => plain(t, seen))
    case "Suspend": {
      if (seen.has(ast)) return true
      seen.add(ast)
      return plain(ast.f(), seen)
    }
    case "Refinement": {
      const stated = Option.match(AST.getJSONSchemaAnnotation(ast), {
        onNone: () => false,
        onSome: (js) => !("format" in js) || "pattern" in js
      })
      return stated && plain(ast.from, seen)
    }
    default:
      return false
  }
}
