/**
 * Building request inputs from flags: `key=value` traits with dotted paths, JSON Patch triples,
 * JSON-or-string values, and decoding the result with the operation's own input schema (so a bad
 * UUID or page size is a usage error before any request).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { inexactNumberReason } from "../src/internal/exactJson.js"
import { formatParseError } from "../src/internal/parseIssues.js"
import type * as Operation from "../src/Operation.js"
import { UsageError } from "./Errors.js"
import { readFileOrStdin } from "./Io.js"

/** A value as JSON when it parses, else the string itself. */
export const jsonOrString = (raw: string): unknown => {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** Sets `a.b.c` in a plain object, creating intermediate objects. */
export const setPath = (target: Record<string, unknown>, dotted: string, value: unknown): void => {
  const keys = dotted.split(".").filter((k) => k !== "")
  let cur: Record<string, unknown> = target
  keys.forEach((k, i) => {
    if (k === "__proto__" || k === "constructor" || k === "prototype") return
    if (i === keys.length - 1) cur[k] = value
    else {
      const next = cur[k]
      if (next === null || typeof next !== "object" || Array.isArray(next)) cur[k] = {}
      cur = cur[k] as Record<string, unknown>
    }
  })
}

/**
 * `name.first=Ann` pairs → an object. Values are strings (`username=12345` stays "12345"), unless
 * `json`: then each value must be JSON (`--trait-json age=42`, `--trait-json tags='["a"]'`).
 */
export const parseAssignments = (
  pairs: ReadonlyArray<string>,
  flag = "--trait",
  json = false,
  out: Record<string, unknown> = {}
): Effect.Effect<Record<string, unknown>, UsageError> =>
  Effect.gen(function*() {
    for (const pair of pairs) {
      const eq = pair.indexOf("=")
      if (eq <= 0) return yield* new UsageError({ message: `${flag}: expects key=value, got '${pair}'` })
      const raw = pair.slice(eq + 1)
      setPath(out, pair.slice(0, eq), json ? yield* parseJson(raw, `${flag} ${pair.slice(0, eq)}`) : raw)
    }
    return out
  })

/**
 * Parses JSON text, failing with a usage error naming where it came from. A number `JSON.parse`
 * would round is refused (by its path, never its value: it may sit under `credentials`): sent on,
 * the server would store the rounded number, which nobody asked for.
 */
export const parseJson = (text: string, source: string): Effect.Effect<unknown, UsageError> =>
  Effect.flatMap(
    Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (e) => new UsageError({ message: `${source} is not valid JSON: ${e instanceof Error ? e.message : String(e)}` })
    }),
    (value) => {
      const inexact = inexactNumberReason(text)
      return inexact === undefined ? Effect.succeed(value) : Effect.fail(
        new UsageError({
          message: `${source}: ${inexact}: the server would store it rounded. Write it as a string, ` +
            `or create such identities with \`identities import\`, which sends numbers as they are written`
        })
      )
    }
  )

/** Reads and parses a JSON file (`-` = stdin). */
export const readJson = (file: string) =>
  Effect.flatMap(readFileOrStdin(file), (text) => parseJson(text, file === "-" ? "stdin" : file))

/** A JSON object flag value (e.g. `--metadata-public '{"a":1}'`). */
export const jsonObject = (raw: string, flag: string): Effect.Effect<Record<string, unknown>, UsageError> =>
  Effect.flatMap(parseJson(raw, flag), (v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Effect.succeed(v as Record<string, unknown>)
      : Effect.fail(new UsageError({ message: `${flag} must be a JSON object` })))

/**
 * JSON Patch operations from `--op/--path/--value` flags. Paths give the number of operations;
 * ops default to `replace`; values are taken in order by the operations that need one (all but
 * `remove`).
 */
export const patchFromFlags = (
  ops: ReadonlyArray<string>,
  paths: ReadonlyArray<string>,
  values: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<Record<string, unknown>>, UsageError> =>
  Effect.suspend(() => {
    if (paths.length === 0) return Effect.fail(new UsageError({ message: "give at least one --path (with --op and --value), or --file" }))
    if (ops.length !== 0 && ops.length !== paths.length) {
      return Effect.fail(new UsageError({ message: `${ops.length} --op for ${paths.length} --path: give one --op per --path (or none: replace)` }))
    }
    const out: Array<Record<string, unknown>> = []
    let v = 0
    for (let i = 0; i < paths.length; i++) {
      const op = ops[i] ?? "replace"
      if (op === "remove") out.push({ op, path: paths[i] })
      else {
        if (v >= values.length) return Effect.fail(new UsageError({ message: `missing --value for '${op} ${paths[i]}'` }))
        out.push({ op, path: paths[i], value: jsonOrString(values[v++]) })
      }
    }
    if (v < values.length) return Effect.fail(new UsageError({ message: `${values.length - v} --value left over (remove takes none)` }))
    return Effect.succeed(out)
  })

/** Decodes raw input with the operation's input schema; failures are usage errors (exit 2). */
export const decodeInput = <Op extends Operation.Operation>(
  op: Op,
  raw: Record<string, unknown>
): Effect.Effect<Operation.Input<Op>, UsageError> =>
  Schema.decodeUnknown(op.input as Schema.Schema<Operation.Input<Op>, unknown>, { onExcessProperty: "error" })(raw).pipe(
    Effect.mapError((e) =>
      new UsageError({
        message: `invalid input for ${op.name}: ${formatParseError(e)}`
      })
    ),
    Effect.flatMap((input) => {
      // `raw` decoded, so it is the input's wire form, which the check reads
      const refused = op.check?.(raw as Operation.InputEncoded<Op>)
      return refused === undefined
        ? Effect.succeed(input)
        : Effect.fail(new UsageError({ message: `invalid input for ${op.name}: ${refused}` }))
    })
  )

/** Drops `undefined` fields (absent options). */
export const defined = (r: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))
