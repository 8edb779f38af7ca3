/**
 * A plain view of a command tree (names, flags, usage lines), read from @effect/cli's descriptors.
 * Tab completion, "did you mean" suggestions and usage lines of failed commands all use it.
 */
import type * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Usage from "@effect/cli/Usage"
import * as Option from "effect/Option"
import { UsageError } from "./Errors.js"
import { usageLine } from "./Help.js"
import { type ArgInfo, argsOf, checkValue, type FlagInfo, flagsOf } from "./FlagInfo.js"
import { stripAnsi } from "./Render.js"

/** A flag of a command. */
export interface Flag {
  readonly names: ReadonlyArray<string>
  readonly takesValue: boolean
  /** The accepted values of a choice flag. */
  readonly choices: ReadonlyArray<string>
  /** Its value is confidential (`Options.redacted`/`secret`): never echoed, never kept in history. */
  readonly secret: boolean
  /** Its value names a file (completed with paths). */
  readonly path: boolean
}

/** A command of the tree. */
export interface Node {
  readonly name: string
  readonly path: ReadonlyArray<string>
  readonly children: ReadonlyMap<string, Node>
  readonly flags: ReadonlyArray<Flag>
  /** Positional argument names, e.g. `<id>`. */
  readonly args: ReadonlyArray<string>
  /** Which positional arguments name files (completed with paths). */
  readonly pathArgs: ReadonlyArray<boolean>
  /** The accepted values of each positional argument (empty when free). */
  readonly argChoices: ReadonlyArray<ReadonlyArray<string>>
  readonly usage: string
  /** One-line description (empty when none). */
  readonly description: string
  /** Flags and arguments in detail (kinds, limits, descriptions); empty for groups. */
  readonly flagInfo?: ReadonlyArray<FlagInfo> | undefined
  readonly argInfo?: ReadonlyArray<ArgInfo> | undefined
}

/** Flags every command accepts (@effect/cli built-ins). */
export const builtInFlags: ReadonlyArray<string> = ["--help", "-h", "--wizard", "--version", "--completions", "--log-level"]

const typeWords = new Set(["text", "integer", "float", "date", "boolean", "file", "directory", "path", "value", "choice"])

/** What the primitive of a flag or argument says about its value. */
interface ValueKind {
  readonly secret: boolean
  readonly path: boolean
  readonly choices: ReadonlyArray<string>
}

/**
 * The value kinds of a command's options (by every name) and positional arguments (in order), read
 * off the primitives of @effect/cli's option and argument structures (their usage only shows
 * placeholders, which help pages may rename).
 */
const valueKinds = (
  node: unknown,
  byName: Map<string, ValueKind>,
  positional: Array<ValueKind>,
  seen = new Set<unknown>()
): void => {
  if (node === null || typeof node !== "object" || seen.has(node)) return
  seen.add(node)
  const o = node as Record<string, unknown>
  if (o._tag === "Single" && typeof o.primitiveType === "object" && o.primitiveType !== null) {
    const primitive = o.primitiveType as { readonly _tag: string; readonly alternatives?: ReadonlyArray<readonly [string, unknown]> }
    const name = typeof o.name === "string" ? o.name : ""
    const kind: ValueKind = {
      secret: primitive._tag === "Redacted" || primitive._tag === "Secret",
      path: primitive._tag === "Path" || /^<?file>?$/.test(name),
      choices: primitive._tag === "Choice" ? (primitive.alternatives ?? []).map(([n]) => n) : []
    }
    if (typeof o.fullName === "string") {
      byName.set(o.fullName, kind)
      for (const alias of Array.isArray(o.aliases) ? o.aliases as Array<string> : []) {
        byName.set(alias.length === 1 ? `-${alias}` : `--${alias}`, kind)
      }
    } else positional.push(kind)
    return
  }
  for (const key of ["left", "right", "options", "args", "argumentOption"]) valueKinds(o[key], byName, positional, seen)
}

const collect = (usage: Usage.Usage, flags: Array<Flag>, args: Array<string>, kinds: ReadonlyMap<string, ValueKind>): void => {
  switch (usage._tag) {
    case "Named": {
      if (usage.names.some((n) => n.startsWith("-"))) {
        const accepted = Option.getOrUndefined(usage.acceptedValues)
        const choices = accepted && accepted.includes(" | ") ? accepted.split(" | ").map((s) => s.trim()) : []
        const kind = usage.names.map((n) => kinds.get(n)).find((k) => k !== undefined)
        flags.push({
          names: usage.names,
          takesValue: accepted !== undefined,
          choices: choices.filter((c) => !typeWords.has(c)),
          secret: kind?.secret ?? false,
          path: kind?.path ?? false
        })
      } else args.push(...usage.names)
      return
    }
    case "Optional":
    case "Repeated":
      return collect(usage.usage, flags, args, kinds)
    case "Alternation":
    case "Concat":
      collect(usage.left, flags, args, kinds)
      collect(usage.right, flags, args, kinds)
      return
    default:
      return
  }
}

/** The usage line, long choice lists shortened to `choice` (the full list is in --help). */
const usageText = (usage: Usage.Usage): string =>
  stripAnsi(HelpDoc.toAnsiText(Usage.getHelp(usage))).trim().replace(/(?:[\w-]+ \| ){3,}[\w-]+/g, "choice")

/** The descriptor's internal shape (stable across @effect/cli 0.x); `getSubcommands` only looks one level down. */
type Instruction =
  | {
    readonly _tag: "Standard" | "GetUserInput"
    readonly name: string
    readonly description?: HelpDoc.HelpDoc
    readonly options?: unknown
    readonly args?: unknown
  }
  | { readonly _tag: "Map"; readonly command: Instruction }
  | { readonly _tag: "Subcommands"; readonly parent: Instruction; readonly children: ReadonlyArray<Instruction> }

const descriptionOf = (d: Instruction): string => {
  const base = d._tag === "Map" ? d.command : d._tag === "Subcommands" ? d.parent : d
  if (base._tag === "Map" || base._tag === "Subcommands") return descriptionOf(base)
  return base.description === undefined || HelpDoc.isEmpty(base.description)
    ? ""
    : stripAnsi(HelpDoc.toAnsiText(base.description)).replace(/\s+/g, " ").trim()
}

const nameOf = (d: Instruction): string =>
  d._tag === "Map" ? nameOf(d.command) : d._tag === "Subcommands" ? nameOf(d.parent) : d.name

/** A value computed on first read, then kept. */
const once = <A>(f: () => A): () => A => {
  let value: { readonly a: A } | undefined
  return () => (value ??= { a: f() }).a
}

// Built lazily, field by field: a one-shot command reads the flags of the few nodes on its path,
// while usage lines, descriptions and flag details of every command take as long to render as the
// rest of its start-up.
const fromDescriptor = (d: Instruction, path: ReadonlyArray<string>): Node => {
  if (d._tag === "Map") return fromDescriptor(d.command, path)
  const name = path[path.length - 1] ?? nameOf(d)
  const description = once(() => descriptionOf(d))
  if (d._tag === "Subcommands") {
    const children = once(() => {
      const map = new Map<string, Node>()
      for (const c of d.children) {
        const n = nameOf(c)
        map.set(n, fromDescriptor(c, [...path, n]))
      }
      return map
    })
    return {
      name,
      path,
      get children() {
        return children()
      },
      flags: [],
      args: [],
      pathArgs: [],
      argChoices: [],
      usage: name,
      get description() {
        return description()
      }
    }
  }
  const standard = d as unknown as { readonly options?: unknown; readonly args?: unknown }
  const parsed = once(() => {
    const usage = Descriptor.getUsage(d as unknown as Descriptor.Command<unknown>)
    const flags: Array<Flag> = []
    const args: Array<string> = []
    const byName = new Map<string, ValueKind>()
    const positional: Array<ValueKind> = []
    valueKinds(d.options, byName, [])
    valueKinds(d.args, new Map(), positional)
    collect(usage, flags, args, byName)
    return { usage, flags, args, positional }
  })
  const usage = once(() => usageText(parsed().usage))
  const flagInfo = once(() => (standard.options !== undefined ? flagsOf(standard.options) : []))
  const argInfo = once(() => (standard.args !== undefined ? argsOf(standard.args) : []))
  return {
    name,
    path,
    children: new Map(),
    get flags() {
      return parsed().flags
    },
    get args() {
      return parsed().args
    },
    get pathArgs() {
      return parsed().positional.map((k) => k.path)
    },
    get argChoices() {
      return parsed().positional.map((k) => k.choices)
    },
    get usage() {
      return usage()
    },
    get description() {
      return description()
    },
    get flagInfo() {
      return flagInfo()
    },
    get argInfo() {
      return argInfo()
    }
  }
}

/** A node with some fields replaced, the others still read lazily from `node`. */
const withFields = (node: Node, fields: Partial<Node>): Node => {
  const out = Object.create(node) as Node
  for (const [key, value] of Object.entries(fields)) Object.defineProperty(out, key, { value, enumerable: true })
  return out
}

/** Reads the tree of a command. */
export const fromCommand = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>, rootName: string): Node => {
  const root = fromDescriptor(command.descriptor as unknown as Instruction, [])
  return withFields(root, { name: rootName, path: [], usage: rootName })
}

/** Adds names handled outside the tree (REPL built-ins such as `exit`, `help`). */
export const withExtraCommands = (root: Node, names: ReadonlyArray<string>): Node => {
  const children = new Map(root.children)
  for (const n of names) {
    if (!children.has(n)) {
      children.set(n, { name: n, path: [n], children: new Map(), flags: [], args: [], pathArgs: [], argChoices: [], usage: n, description: "" })
    }
  }
  return withFields(root, { children })
}

/** Levenshtein distance (small strings only). */
export const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]
}

/** The closest candidates to a typo (distance ≤ 2, or a prefix match). */
export const suggest = (typo: string, candidates: Iterable<string>): ReadonlyArray<string> => {
  const scored = Array.from(candidates)
    .map((c) => ({ c, d: c.startsWith(typo) && typo.length >= 2 ? 0.5 : distance(typo.toLowerCase(), c.toLowerCase()) }))
    .filter(({ c, d }) => d <= Math.min(2, Math.max(1, Math.floor(c.length / 3))) || d === 0.5)
    .sort((x, y) => x.d - y.d)
  return scored.slice(0, 3).map(({ c }) => c)
}

const didYouMean = (s: ReadonlyArray<string>): string =>
  s.length === 0 ? "" : `. Did you mean ${s.map((x) => `'${x}'`).join(" or ")}?`

/** The deepest command the tokens name, and how many tokens that took. */
export const resolve = (root: Node, tokens: ReadonlyArray<string>): { readonly node: Node; readonly consumed: number } => {
  let node = root
  let i = 0
  while (i < tokens.length && node.children.has(tokens[i])) node = node.children.get(tokens[i])!, i++
  return { node, consumed: i }
}

/** The full usage line of a command path (`kratos-admin identities get ...`). */
export const usageOf = (root: Node, node: Node): string =>
  node.children.size > 0
    ? `${[root.name, ...node.path].join(" ")} <${Array.from(node.children.keys()).join("|")}>`
    : usageLine(root, node)

/**
 * Checks the command words and flag names before @effect/cli parses them, so typos get a
 * suggestion ("did you mean") instead of a bare "invalid subcommand".
 */
export const check = (root: Node, tokens: ReadonlyArray<string>): Option.Option<UsageError> => {
  const { consumed, node } = resolve(root, tokens)
  if (node.children.size > 0) {
    const next = tokens[consumed]
    if (next === undefined || next.startsWith("-")) return Option.none()
    const where = node === root ? "" : ` for '${node.path.join(" ")}'`
    return Option.some(
      new UsageError({
        message: `unknown command '${next}'${where}${didYouMean(suggest(next, node.children.keys()))}`,
        usage: usageOf(root, node)
      })
    )
  }
  const known = new Map<string, Flag>()
  for (const f of node.flags) for (const n of f.names) known.set(n, f)
  for (let i = consumed; i < tokens.length; i++) {
    const t = tokens[i]
    if (t === "--") break
    if (!t.startsWith("--")) continue
    const name = t.includes("=") ? t.slice(0, t.indexOf("=")) : t
    if (builtInFlags.includes(name)) continue
    const flag = known.get(name)
    if (flag === undefined) {
      const names = node.flags.flatMap((f) => f.names.filter((n) => n.startsWith("--")))
      return Option.some(
        new UsageError({
          message: `unknown flag '${name}' for '${node.path.join(" ")}'${didYouMean(suggest(name, names))}`,
          usage: usageOf(root, node)
        })
      )
    }
    if (flag.takesValue) {
      const value = t.includes("=") ? t.slice(t.indexOf("=") + 1) : tokens[++i]
      const info = node.flagInfo?.find((f) => f.names.includes(name))
      const broken = value === undefined || info === undefined ? undefined : checkValue(info, value)
      if (broken !== undefined) {
        return Option.some(new UsageError({ message: `${info!.names[0]}: ${broken}`, usage: usageOf(root, node) }))
      }
    }
  }
  return Option.none()
}

/**
 * Puts a command's flags before its positional arguments when one of those is `-` (stdin).
 * @effect/cli only looks past a positional for flags when that positional does not start with a
 * dash, so after a bare `-` every flag would be taken as one more argument (`import - --dry-run`
 * importing for real from a file named `--dry-run`). The order of the positionals is kept, and
 * everything after `--` stays as it is.
 */
export const flagsFirst = (root: Node, tokens: ReadonlyArray<string>): ReadonlyArray<string> => {
  const { consumed, node } = resolve(root, tokens)
  if (node.children.size > 0) return tokens
  const known = new Map<string, Flag>()
  for (const f of node.flags) for (const n of f.names) known.set(n, f)
  const flags: Array<string> = []
  const positionals: Array<string> = []
  let i = consumed
  for (; i < tokens.length; i++) {
    const t = tokens[i]
    if (t === "--") break
    if (t === "-" || !t.startsWith("-")) {
      positionals.push(t)
      continue
    }
    flags.push(t)
    const flag = known.get(t)
    if (flag !== undefined && flag.takesValue && i + 1 < tokens.length) flags.push(tokens[++i])
  }
  if (!positionals.includes("-")) return tokens
  return [...tokens.slice(0, consumed), ...flags, ...positionals, ...tokens.slice(i)]
}

/** Every flag name marked secret anywhere in the tree. */
export const secretFlags = (root: Node): ReadonlySet<string> => {
  const out = new Set<string>()
  const walk = (n: Node): void => {
    for (const f of n.flags) if (f.secret) for (const name of f.names) out.add(name)
    for (const c of n.children.values()) walk(c)
  }
  walk(root)
  return out
}
