/**
 * What a command's flags and arguments are, read from @effect/cli's option and argument trees:
 * names, value kind (integer, choice, text...), whether optional or repeatable, the description,
 * and integer limits registered here by the code that declares the flag (the page-size limits
 * come from the operation table). Help pages and the value checks before parsing use it.
 */
import type * as Options from "@effect/cli/Options"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Option from "effect/Option"
import { stripAnsi } from "./Render.js"

/** Integer limits of a flag, inclusive. */
export interface Limits {
  readonly min: number
  readonly max?: number | undefined
}

const limitsOf = new WeakMap<object, Limits>()

/** Declares the limits of an integer flag (before `optional`/`repeated` wrap it). */
export const withLimits = <A>(options: Options.Options<A>, limits: Limits): Options.Options<A> => {
  limitsOf.set(options, limits)
  return options
}

/** A flag of a command. */
export interface FlagInfo {
  /** `--page-size` first, then aliases (`-o`). */
  readonly names: ReadonlyArray<string>
  readonly kind: "boolean" | "integer" | "float" | "choice" | "text" | "secret" | "path" | "date"
  readonly choices: ReadonlyArray<string>
  readonly optional: boolean
  readonly repeatable: boolean
  readonly description: string
  readonly limits?: Limits | undefined
}

/** A positional argument. */
export interface ArgInfo {
  readonly name: string
  readonly optional: boolean
  readonly repeatable: boolean
  readonly description: string
}

interface Node {
  readonly _tag: string
  readonly [key: string]: unknown
}

const text = (doc: unknown): string =>
  doc === undefined || HelpDoc.isEmpty(doc as HelpDoc.HelpDoc)
    ? ""
    : stripAnsi(HelpDoc.toAnsiText(doc as HelpDoc.HelpDoc)).replace(/\s+/g, " ").trim()

const kindOf = (primitive: Node): FlagInfo["kind"] => {
  switch (primitive._tag) {
    case "Bool":
      return "boolean"
    case "Integer":
      return "integer"
    case "Float":
      return "float"
    case "Choice":
      return "choice"
    case "Redacted":
    case "Secret":
      return "secret"
    case "Path":
      return "path"
    case "DateTime":
      return "date"
    default:
      return "text"
  }
}

/** A variadic's minimum count (an `Option` of a number in @effect/cli's options, a number in its args). */
const minOf = (min: unknown): number =>
  typeof min === "number" ? min : Option.isOption(min) ? Option.getOrElse(min as Option.Option<number>, () => 0) : 0

/** The flags of an options tree, in declaration order. */
export const flagsOf = (options: unknown): ReadonlyArray<FlagInfo> => {
  const out: Array<FlagInfo> = []
  const walk = (o: Node, optional: boolean, repeatable: boolean, limits: Limits | undefined): void => {
    const own = limitsOf.get(o) ?? limits
    switch (o._tag) {
      case "Single": {
        const primitive = o.primitiveType as Node
        const choices = primitive._tag === "Choice"
          ? (primitive.alternatives as ReadonlyArray<readonly [string, unknown]>).map(([name]) => name)
          : []
        const kind = kindOf(primitive)
        out.push({
          names: [o.fullName as string, ...(o.aliases as ReadonlyArray<string>).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))],
          kind,
          choices,
          // a boolean flag is off unless given
          optional: optional || kind === "boolean",
          repeatable,
          description: text(o.description),
          limits: own
        })
        return
      }
      case "Map":
        return walk(o.options as Node, optional, repeatable, own)
      case "WithDefault":
      case "WithFallback":
        return walk(o.options as Node, true, repeatable, own)
      case "Variadic":
        return walk(o.argumentOption as Node, optional || minOf(o.min) === 0, true, own)
      case "Both":
      case "OrElse":
        walk(o.left as Node, optional, repeatable, own)
        walk(o.right as Node, optional, repeatable, own)
        return
      case "KeyValueMap":
        return walk(o.argumentOption as Node, optional, true, own)
      default:
        return
    }
  }
  walk(options as Node, false, false, undefined)
  return out
}

/** The positional arguments of an args tree. */
export const argsOf = (args: unknown): ReadonlyArray<ArgInfo> => {
  const out: Array<ArgInfo> = []
  const walk = (a: Node, optional: boolean, repeatable: boolean): void => {
    switch (a._tag) {
      case "Single":
        out.push({ name: a.name as string, optional, repeatable, description: text(a.description) })
        return
      case "Map":
        return walk(a.args as Node, optional, repeatable)
      case "WithDefault":
      case "WithFallbackConfig":
        return walk(a.args as Node, true, repeatable)
      case "Variadic":
        return walk(a.args as Node, optional || minOf(a.min) === 0, true)
      case "Both":
        walk(a.left as Node, optional, repeatable)
        walk(a.right as Node, optional, repeatable)
        return
      default:
        return
    }
  }
  walk(args as Node, false, false)
  return out
}

/** The rule a flag's value breaks, or `undefined` when it is fine. */
export const checkValue = (flag: FlagInfo, value: string): string | undefined => {
  switch (flag.kind) {
    case "integer": {
      const range = flag.limits === undefined
        ? ""
        : flag.limits.max === undefined
        ? ` of at least ${flag.limits.min}`
        : ` from ${flag.limits.min} to ${flag.limits.max}`
      if (!/^-?\d+$/.test(value.trim())) return `must be an integer${range}`
      const n = Number(value)
      if (flag.limits !== undefined && (n < flag.limits.min || (flag.limits.max !== undefined && n > flag.limits.max))) {
        return `must be an integer${range}`
      }
      return undefined
    }
    case "float":
      return Number.isFinite(Number(value)) && value.trim() !== "" ? undefined : "must be a number"
    case "choice":
      return flag.choices.includes(value) ? undefined : `must be one of ${flag.choices.join(", ")}`
    default:
      return undefined
  }
}
