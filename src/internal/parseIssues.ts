/**
 * Parse errors as reasons that name the path and the expected shape, never the value found: input
 * may carry passwords, hashes and tokens (under `credentials` and elsewhere), and a reason ends up
 * in failures files, summaries, terminals and logs. Effect's formatters quote the actual value.
 *
 * @internal
 */
import * as AST from "effect/SchemaAST"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"

type Path = ReadonlyArray<PropertyKey>

/** What a schema node expects, in words: its identifier or title, else its shape. */
const expected = (ast: AST.AST): string => {
  const named = Option.orElse(AST.getIdentifierAnnotation(ast), () => AST.getTitleAnnotation(ast))
  if (Option.isSome(named)) return named.value
  switch (ast._tag) {
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    case "Union":
      return ast.types.map(expected).join(" | ")
    case "Refinement":
      return Option.getOrElse(AST.getDescriptionAnnotation(ast), () => expected(ast.from))
    case "Transformation":
      return expected(ast.from)
    case "Suspend":
      return "a value"
    default:
      return String(ast)
  }
}

const walk = (issue: ParseResult.ParseIssue, path: Path, out: Array<string>): void => {
  const at = path.length > 0 ? `${path.map(String).join(".")}: ` : ""
  switch (issue._tag) {
    case "Pointer":
      walk(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path as PropertyKey])], out)
      return
    case "Composite": {
      let issues = Array.isArray(issue.issues) ? issue.issues : [issue.issues as ParseResult.ParseIssue]
      // an optional field is `X | undefined`: "expected undefined" beside X's own complaint is noise
      if (issue.ast._tag === "Union") {
        const meaningful = issues.filter((i) => !(i._tag === "Type" && i.ast._tag === "UndefinedKeyword"))
        if (meaningful.length > 0) issues = meaningful
      }
      // a union's members each complain: one "expected A | B" says it shorter
      if (issue.ast._tag === "Union" && issues.every((i) => i._tag === "Type")) {
        out.push(`${at}expected ${expected(issue.ast)}`)
        return
      }
      for (const i of issues) walk(i, path, out)
      return
    }
    case "Refinement":
      if (issue.kind === "From") walk(issue.issue, path, out)
      // a message this library's schema wrote for its own check (values it names are not secrets)
      else if (Option.isSome(AST.getMessageAnnotation(issue.ast))) {
        for (const i of ParseResult.ArrayFormatter.formatIssueSync(issue)) out.push(`${at}${i.message}`)
      } else walk(issue.issue, path, out)
      return
    case "Transformation":
      walk(issue.issue, path, out)
      return
    case "Type":
      // a filter's own words (they say what is wrong, as written by the schema), else the shape
      out.push(issue.message !== undefined ? `${at}${issue.message}` : `${at}expected ${expected(issue.ast)}`)
      return
    case "Missing":
      out.push(`${at}is missing`)
      return
    case "Unexpected":
      out.push(`${at}is not allowed here`)
      return
    case "Forbidden":
      out.push(`${at}cannot be checked here`)
      return
  }
}

/** One reason per issue, `path: expected shape`, joined with "; ". @internal */
export const formatParseError = (error: ParseResult.ParseError): string => {
  const out: Array<string> = []
  walk(error.issue, [], out)
  return [...new Set(out)].join("; ")
}
