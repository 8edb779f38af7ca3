/**
 * Output shaping: `--jq EXPR` (jq itself, compiled to WebAssembly), `-o yaml`, `-o wide`,
 * `-q/--quiet` (ids only) and `--columns a,b,c`; and the jq predicate behind `--where`.
 *
 * jq and the YAML printer are loaded on first use only, so a command that shapes nothing starts
 * as fast as before. A jq error (a syntax error, or one raised while evaluating) is a usage error
 * carrying jq's own message.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { Jq } from "jq-wasm/inline"
import { UsageError } from "./Errors.js"
import * as Render from "./Render.js"

/** How a command's result is to be shaped (flags of the command line). */
export interface Shaping {
  /** A jq program run over what `-o json` would print. */
  readonly jq: string | undefined
  /** Ids only, one a line. */
  readonly quiet: boolean
  /** Table columns (headers or dotted paths); fields kept in JSON/YAML. */
  readonly columns: ReadonlyArray<string> | undefined
}

/** @category tags */
export class Shape extends Context.Tag("kratos-admin/Shape")<Shape, Shaping>() {}

/** No shaping. */
export const none: Shaping = { jq: undefined, quiet: false, columns: undefined }

/** `a,b c` → ["a", "b", "c"] (undefined when nothing is given). */
export const parseColumns = (given: ReadonlyArray<string>): ReadonlyArray<string> | undefined => {
  const names = given.flatMap((g) => g.split(/[\s,]+/)).filter((n) => n !== "")
  return names.length === 0 ? undefined : names
}

// ---------------------------------------------------------------------------------------------
// jq

let jqInstance: Promise<Jq> | undefined

const loadJq: Effect.Effect<Jq, UsageError> = Effect.tryPromise({
  try: () => (jqInstance ??= import("jq-wasm/inline").then((m) => m.loadJq())),
  catch: (e) => new UsageError({ message: `cannot load jq: ${e instanceof Error ? e.message : String(e)}` })
})

const jqError = (flag: string, stderr: string) =>
  new UsageError({ message: `${flag}: ${stderr.trim().replace(/\njq: \d+ compile errors?$/, "")}` })

/**
 * Compiles `expr` without running it (jq is given no input), so a syntax error is reported
 * before any request is made.
 */
export const checkJq = (expr: string, flag = "--jq"): Effect.Effect<void, UsageError> =>
  Effect.flatMap(loadJq, (jq) =>
    Effect.suspend(() => {
      const r = jq.raw("", expr, [])
      return r.exitCode === 0 ? Effect.void : Effect.fail(jqError(flag, r.stderr))
    }))

/**
 * Runs `expr` over `value` (its plain JSON, secrets redacted unless `reveal`): each result on its
 * own line, strings raw (as `jq -r`), other values pretty or compact.
 */
export const runJq = (value: unknown, expr: string, pretty: boolean, reveal = false): Effect.Effect<string, UsageError> =>
  Effect.flatMap(loadJq, (jq) =>
    Effect.suspend(() => {
      const r = jq.raw(JSON.stringify(Render.toPlain(value, reveal)), expr, pretty ? ["-r"] : ["-r", "-c"])
      return r.exitCode === 0 ? Effect.succeed(r.stdout) : Effect.fail(jqError("--jq", r.stderr))
    }))

/** What a predicate answers for a value that made jq fail (the error's message follows it). */
const errorMark = "\u0000"

/**
 * The predicate of `--where EXPR`: a value is selected when `select(EXPR)` keeps it (some
 * result of EXPR is neither false nor null), as jq's `select` decides. Evaluated a batch at a
 * time (one jq run per batch); a jq error on any value fails the batch with jq's message.
 */
export const jqPredicate = (
  expr: string,
  flag = "--where"
): Effect.Effect<(values: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<boolean>, UsageError>, UsageError> =>
  Effect.gen(function*() {
    yield* checkJq(expr, flag)
    const jq = yield* loadJq
    // the expression on a line of its own: jq's messages then quote only it
    const program = `try ([select(\n${expr}\n)] | length > 0) catch ("\\u0000" + (. | tostring))`
    return (values) =>
      Effect.suspend(() => {
        if (values.length === 0) return Effect.succeed([])
        const input = values.map((v) => JSON.stringify(Render.toPlain(v))).join("\n")
        const r = jq.raw(input, program, ["-c"])
        if (r.exitCode !== 0) return Effect.fail(jqError(flag, r.stderr))
        const lines = r.stdout === "" ? [] : r.stdout.split("\n")
        const out: Array<boolean> = []
        for (const [i, line] of lines.entries()) {
          if (line === "true" || line === "false") {
            out.push(line === "true")
            continue
          }
          const message = JSON.parse(line) as string
          const id = (values[i] as { id?: unknown } | null)?.id
          return Effect.fail(
            new UsageError({
              message: `${flag}: jq: error${typeof id === "string" ? ` (identity ${id})` : ""}: ${message.slice(errorMark.length)}`
            })
          )
        }
        if (out.length !== values.length) {
          return Effect.fail(new UsageError({ message: `${flag}: jq gave ${out.length} answers for ${values.length} values` }))
        }
        return Effect.succeed(out)
      })
  })

// ---------------------------------------------------------------------------------------------
// YAML

type Yaml = typeof import("yaml")
let yamlModule: Promise<Yaml> | undefined

/** YAML of a value's plain JSON (secrets redacted unless `reveal`). */
export const yaml = (value: unknown, reveal = false): Effect.Effect<string> =>
  Effect.map(
    // a CommonJS module once bundled: its functions may sit on `default`
    Effect.promise(() => (yamlModule ??= import("yaml").then((m) => ((m as { default?: Yaml }).default ?? m)))),
    (Y) => Y.stringify(Render.toPlain(value, reveal), { lineWidth: 0 }).replace(/\n$/, "")
  )

// ---------------------------------------------------------------------------------------------
// Field selection

const normal = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, "")

/** The value at a dotted path (`traits.email`, `verifiable_addresses.0.value`). */
export const at = (value: unknown, path: string): unknown => {
  let cur: unknown = value
  for (const key of path.split(".").filter((k) => k !== "")) {
    if (cur === null || typeof cur !== "object") return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

const cell = (v: unknown): string =>
  v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(Render.toPlain(v))

/**
 * Table columns by name: a column of the default (or wide) table by its header (`external id`,
 * `external_id`, `EXTERNAL-ID` alike), else a dotted path into each item's JSON.
 */
export const selectColumns = (
  available: ReadonlyArray<Render.Column>,
  names: ReadonlyArray<string>,
  items: ReadonlyArray<unknown>
): ReadonlyArray<Render.Column> =>
  names.map((name) => {
    const known = available.find((c) => normal(c.header) === normal(name))
    const plain = items.map((i) => Render.toPlain(i))
    // chosen columns are all shown: none is dropped to fit (an id among them is never cut)
    return known !== undefined
      ? { ...known, priority: 100 }
      : { header: name, cells: plain.map((p) => cell(at(p, name))), flexible: true, priority: 100 }
  })

/** Only the chosen fields of an item (dotted paths nest as in the item). */
export const pick = (item: unknown, names: ReadonlyArray<string>, reveal = false): Record<string, unknown> => {
  const plain = Render.toPlain(item, reveal)
  const out: Record<string, unknown> = {}
  for (const name of names) {
    const v = at(plain, name) ?? at(plain, name.replace(/[\s-]+/g, "_"))
    if (v === undefined) continue
    const keys = name.split(".").filter((k) => k !== "")
    let cur = out
    keys.forEach((k, i) => {
      if (i === keys.length - 1) cur[k] = v
      else cur = (cur[k] ??= {}) as Record<string, unknown>
    })
  }
  return out
}
