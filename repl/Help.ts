/**
 * The help page of a command: its full usage line (`kratos-admin identities create [flags]`), the
 * description, arguments, its own flags (optional and repeatable ones marked as such), the global
 * flags, and real examples. Replaces @effect/cli's generated page for the commands of the tree.
 */
import { globalFlagHelp } from "./Config.js"
import { examples } from "./commands/examples.js"
import type { FlagInfo } from "./FlagInfo.js"
import type * as Tree from "./Tree.js"

const placeholder = (f: FlagInfo): string => {
  switch (f.kind) {
    case "boolean":
      return ""
    case "integer":
      return f.limits?.max !== undefined ? ` ${f.limits.min}-${f.limits.max}` : " N"
    case "float":
      return " NUMBER"
    case "choice":
      return f.choices.length <= 4 ? ` ${f.choices.join("|")}` : " TYPE"
    case "secret":
      return " SECRET"
    case "path":
      return " PATH"
    default:
      return " " + (f.names[0] === "--trait" || f.names[0] === "--trait-json" ? "KEY=VALUE" : "VALUE")
  }
}

const flagLabel = (f: FlagInfo): string => {
  const long = f.names[0]
  const short = f.names.slice(1)
  return `${short.length > 0 ? `${short.join(", ")}, ` : "    "}${long}${placeholder(f)}`
}

const flagNote = (f: FlagInfo): string => {
  const notes = [
    f.kind === "choice" && f.choices.length > 4 ? `one of: ${f.choices.join(", ")}` : "",
    f.repeatable ? "repeatable" : "",
    !f.optional ? "required" : ""
  ].filter((n) => n !== "")
  return notes.length > 0 ? ` (${notes.join("; ")})` : ""
}

const columns = (rows: ReadonlyArray<readonly [string, string]>): ReadonlyArray<string> => {
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)))
  return rows.map(([l, r]) => (l.length > width ? `  ${l}\n  ${" ".repeat(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`))
}

/** The usage line: `kratos-admin identities get [flags] <id>...`. */
export const usageLine = (root: Tree.Node, node: Tree.Node): string => {
  const args = (node.argInfo ?? []).map((a) => {
    const base = `<${a.name.replace(/^<|>$/g, "")}>${a.repeatable ? "..." : ""}`
    return a.optional ? `[${base}]` : base
  })
  const required = (node.flagInfo ?? []).filter((f) => !f.optional).map((f) => `${f.names[0]}${placeholder(f)}`)
  return [root.name, ...node.path, ...required, ...((node.flagInfo ?? []).some((f) => f.optional) ? ["[flags]"] : []), ...args].join(" ")
}

/** The whole page. */
export const page = (root: Tree.Node, node: Tree.Node): string => {
  const lines: Array<string> = [`Usage: ${usageLine(root, node)}`, ""]
  if (node.description !== "") lines.push(node.description, "")
  const args = node.argInfo ?? []
  if (args.length > 0) {
    lines.push("Arguments:")
    lines.push(...columns(args.map((a) => [`<${a.name.replace(/^<|>$/g, "")}>`, `${a.description}${a.repeatable ? " (one or more)" : ""}`])))
    lines.push("")
  }
  const flags = node.flagInfo ?? []
  if (flags.length > 0) {
    lines.push("Flags:")
    lines.push(...columns(flags.map((f) => [flagLabel(f), `${f.description}${flagNote(f)}`])))
    lines.push("")
  }
  lines.push("Global flags:")
  lines.push(...columns(globalFlagHelp))
  const ex = examples[node.path.join(" ")] ?? []
  if (ex.length > 0) lines.push("", "Examples:", ...ex.map((e) => `  ${e}`))
  return lines.join("\n")
}

/**
 * A description's first clause, for a one-line listing: `List identities (GET /admin/identities)`
 * → `List identities`; what follows `; ` or `: `, and a closing aside, are left to the command's
 * own page.
 */
export const summary = (description: string): string => {
  const first = description.split(/; |: | \((?:GET|POST|PUT|PATCH|DELETE) /)[0].trim()
  // a closing aside, "(batches of 1000, resumable, …)", is for the command's own page
  return first.replace(/\.$/, "").replace(/ \([^()]*\)$/, "")
}

/** The page of a group (`kratos-admin identities --help`): its commands a line each, examples. */
export const groupPage = (root: Tree.Node, node: Tree.Node): string => {
  const name = [root.name, ...node.path].join(" ")
  const children = Array.from(node.children.values())
  const width = Math.max(...children.map((c) => c.name.length))
  const lines: Array<string> = [`Usage: ${name} <command> [flags]`, ""]
  if (node.description !== "") lines.push(node.description, "")
  lines.push("Commands:", ...children.map((c) => `  ${c.name.padEnd(width)}  ${summary(c.description)}`))
  const ex = examples[node.path.join(" ")] ?? []
  if (ex.length > 0) lines.push("", "Examples:", ...ex.map((e) => `  ${e}`))
  lines.push("", `Run '${name} <command> --help' for a command's flags and examples.`)
  return lines.join("\n")
}
