/**
 * Tab completion for the REPL: command and subcommand names, flags of the command being typed,
 * values of choice flags, and identity / session / schema ids seen in this session's output.
 */
import type { IdKind } from "./Io.js"
import { completePath } from "./PathCompletion.js"
import { tokenize } from "./Tokenizer.js"
import * as Tree from "./Tree.js"

/** Ids seen in output, most recent last. */
export class SeenIds {
  private readonly byKind = new Map<IdKind, Set<string>>()
  constructor(private readonly max = 2000) {}
  add(kind: IdKind, ids: ReadonlyArray<string>): void {
    let set = this.byKind.get(kind)
    if (set === undefined) this.byKind.set(kind, set = new Set())
    for (const id of ids) {
      set.delete(id)
      set.add(id)
    }
    while (set.size > this.max) set.delete(set.values().next().value!)
  }
  get(kind: IdKind): ReadonlyArray<string> {
    return Array.from(this.byKind.get(kind) ?? [])
  }
}

/** What a positional argument of a command holds. */
const idKindOf = (node: Tree.Node, position: number): IdKind | undefined => {
  const [group, sub] = node.path
  if (group === "sessions" && position === 0) return "session"
  if (group === "schemas" && position === 0) return "schema"
  if (group === "identities" && sub !== "get-by-external-id" && sub !== "create" && sub !== "import") {
    return sub === "delete-credentials" && position > 0 ? undefined : "identity"
  }
  if (group === "recovery") return "identity"
  return undefined
}

const credentialTypes = ["password", "oidc", "totp", "lookup_secret", "webauthn", "code", "passkey", "saml"]

/** What completion knows besides the tree and the ids seen. */
export interface CompletionSources {
  /** Names of the configured contexts (for `connect` and `context use|show|remove`). */
  readonly contexts?: () => ReadonlyArray<string>
  /** Where relative paths start (the process' working directory). */
  readonly cwd?: string
}

/** REPL words that are not commands of the tree. */
const builtIns = new Set(["help", "?", "exit", "quit", "clear"])

/** Commands whose first positional is a context name. */
const takesContext = (path: ReadonlyArray<string>): boolean =>
  path[0] === "connect" || (path[0] === "context" && ["use", "show", "remove"].includes(path[1] ?? ""))

/**
 * Completes the line as readline wants it: `[candidates, the word being completed]`.
 */
export const complete = (
  tree: Tree.Node,
  line: string,
  seen: SeenIds,
  sources: CompletionSources = {}
): [Array<string>, string] => {
  const t = tokenize(line)
  if (t._tag === "Incomplete") return [[], ""]
  const endsWithSpace = line.length === 0 || /\s$/.test(line)
  const tokens = t.tokens
  const word = endsWithSpace ? "" : tokens[tokens.length - 1] ?? ""
  const before = endsWithSpace ? tokens : tokens.slice(0, -1)
  const matching = (xs: Iterable<string>) => Array.from(new Set(xs)).filter((x) => x.startsWith(word)).sort()
  // `help <command...>`: command words only
  if (before[0] === "help" || before[0] === "?") {
    const { consumed, node } = Tree.resolve(tree, before.slice(1))
    if (consumed !== before.length - 1 || node.children.size === 0) return [[], word]
    const names = Array.from(node.children.keys()).filter((n) => node !== tree || !builtIns.has(n))
    return [matching(names).map((x) => x + " "), word]
  }
  const { consumed, node } = Tree.resolve(tree, before)
  // still choosing a (sub)command
  if (consumed === before.length && node.children.size > 0) {
    return [matching(node.children.keys()).map((x) => x + " "), word]
  }
  if (node.children.size > 0) return [[], word]
  // the value of the previous flag?
  const prev = before[before.length - 1]
  if (prev !== undefined && prev.startsWith("-") && before.length > consumed) {
    const flag = node.flags.find((f) => f.names.includes(prev))
    if (flag?.takesValue) {
      if (flag.choices.length > 0) return [matching(flag.choices).map((x) => x + " "), word]
      if (flag.path) return [completePath(word, sources.cwd), word]
      if (flag.names.includes("--ids")) return [matching(seen.get("identity")).map((x) => x + " "), word]
      return [[], word]
    }
  }
  if (word.startsWith("-")) {
    const names = node.flags.flatMap((f) => f.names.filter((n) => n.startsWith("--"))).concat(["--help"])
    return [matching(names).map((x) => x + " "), word]
  }
  // a positional: which one is it?
  let position = 0
  for (let i = consumed; i < before.length; i++) {
    const tok = before[i]
    if (tok.startsWith("-")) {
      const flag = node.flags.find((f) => f.names.includes(tok.split("=")[0]))
      if (flag?.takesValue && !tok.includes("=")) i++
    } else position++
  }
  if (node.path[1] === "delete-credentials" && position === 1) return [matching(credentialTypes).map((x) => x + " "), word]
  if (position === 0 && takesContext(node.path)) {
    const contexts = sources.contexts?.() ?? []
    return [matching(node.path[0] === "connect" ? ["sandbox", ...contexts] : contexts).map((x) => x + " "), word]
  }
  if (node.pathArgs.length > 0 && node.pathArgs[Math.min(position, node.pathArgs.length - 1)]) {
    return [completePath(word, sources.cwd), word]
  }
  const kind = idKindOf(node, position)
  if (kind === undefined) return [[], word]
  // multi-id commands take several ids: offer those not typed yet
  const typed = new Set(before.slice(consumed))
  return [matching(seen.get(kind).filter((id) => !typed.has(id))).map((x) => x + " "), word]
}
