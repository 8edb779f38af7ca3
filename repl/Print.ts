/**
 * Printing results through `Io` in the chosen format: tables (people), JSON (scripts, the default
 * when stdout is not a terminal), JSONL (lists). Also remembers the ids it prints, for completion.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { UsageError } from "./Errors.js"
import { Io, type IdKind } from "./Io.js"
import * as Render from "./Render.js"
import * as Shape from "./Shape.js"

/** What is being printed; picks the table columns and the ids to remember. */
export type Kind = "identity" | "session" | "schema" | "value"

/** The explicit `--output`, else table on a terminal and JSON otherwise. */
export const resolveFormat = (explicit: Option.Option<Render.Format>): Effect.Effect<Render.Format, never, Io> =>
  Effect.map(Io, (io) => Option.getOrElse(explicit, () => (io.stdoutIsTTY ? "table" as const : "json" as const)))

const columnsOf = (kind: Kind, items: ReadonlyArray<unknown>, wide: boolean): ReadonlyArray<Render.Column> => {
  switch (kind) {
    case "identity":
      return wide ? Render.identityWideColumns(items) : Render.identityColumns(items)
    case "session":
      return wide ? Render.sessionWideColumns(items) : Render.sessionColumns(items)
    case "schema":
      return Render.schemaColumns(items)
    case "value":
      return [{ header: "value", cells: items.map((i) => JSON.stringify(Render.toPlain(i))), flexible: true }]
  }
}

const idOf = (u: unknown): string | undefined =>
  u !== null && typeof u === "object" && "id" in u && typeof u.id === "string" ? u.id : undefined

/** Remembers the ids of printed items (and identities inside sessions) for tab completion. */
export const remember = (kind: Kind, items: ReadonlyArray<unknown>): Effect.Effect<void, never, Io> =>
  Effect.flatMap(Io, (io) => {
    if (kind === "value") return Effect.void
    const ids = items.map(idOf).filter((x): x is string => x !== undefined)
    const nested = kind === "session"
      ? items.map((s) => (s !== null && typeof s === "object" && "identity" in s ? idOf(s.identity) : undefined))
        .filter((x): x is string => x !== undefined)
      : []
    return Effect.zipRight(io.remember(kind as IdKind, ids), nested.length > 0 ? io.remember("identity", nested) : Effect.void)
  })

const shaping = Effect.map(Effect.serviceOption(Shape.Shape), Option.getOrElse(() => Shape.none))

/** Shaped output of a whole value (`--jq`, `-q`, `--columns`, yaml): undefined when none applies. */
const shaped = (
  kind: Kind,
  value: unknown,
  many: boolean,
  format: Render.Format,
  reveal: boolean
): Effect.Effect<string | undefined, UsageError, Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    const shape = yield* shaping
    const list = many ? (value as ReadonlyArray<unknown>) : [value]
    if (shape.quiet) return list.map(idOf).filter((x): x is string => x !== undefined).join("\n")
    if (shape.jq !== undefined) return yield* Shape.runJq(value, shape.jq, io.stdoutIsTTY, reveal)
    const cols = shape.columns
    if (format === "yaml") {
      return yield* Shape.yaml(cols === undefined ? value : many ? list.map((i) => Shape.pick(i, cols, reveal)) : Shape.pick(value, cols, reveal), reveal)
    }
    if (cols !== undefined && (format === "json" || format === "jsonl")) {
      const picked = list.map((i) => Shape.pick(i, cols, reveal))
      if (format === "jsonl") return picked.map((p) => Render.jsonLine(p)).join("\n")
      return Render.json(many ? picked : picked[0], reveal, io.stdoutIsTTY)
    }
    if (format === "table" || format === "wide") {
      if (cols !== undefined) {
        return Render.table(Shape.selectColumns(columnsOf(kind, list, true), cols, list), {
          width: format === "wide" ? Infinity : io.width(),
          color: io.color
        })
      }
      if (format === "wide" && many) {
        return Render.table(columnsOf(kind, list, true), { width: Infinity, color: io.color })
      }
    }
    return undefined
  })

/** Prints a list of items. */
export const items = (kind: Kind, list: ReadonlyArray<unknown>, format: Render.Format): Effect.Effect<void, UsageError, Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    yield* remember(kind, list)
    const text = yield* shaped(kind, list, true, format, false)
    if (text !== undefined) return text === "" ? undefined : yield* io.out(text)
    switch (format) {
      case "table":
      case "wide":
        if (list.length === 0) return yield* io.out("(none)")
        return yield* io.out(Render.table(columnsOf(kind, list, false), { width: io.width(), color: io.color }))
      case "json":
      case "yaml":
        return yield* io.out(Render.json(list, false, io.stdoutIsTTY))
      case "jsonl":
        if (list.length === 0) return
        return yield* io.out(list.map((i) => Render.jsonLine(i)).join("\n"))
    }
  })

/** Prints one item (a `key value` view in table format). `reveal` shows secrets (recovery commands only). */
export const one = (kind: Kind, item: unknown, format: Render.Format, reveal = false): Effect.Effect<void, UsageError, Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    yield* remember(kind, [item])
    const text = yield* shaped(kind, item, false, format, reveal)
    if (text !== undefined) return text === "" ? undefined : yield* io.out(text)
    switch (format) {
      case "table":
        return yield* io.out(Render.record(item, { width: io.width(), color: io.color, reveal }))
      case "wide":
        return yield* io.out(Render.record(item, { width: Infinity, color: io.color, reveal }))
      case "json":
      case "yaml":
        return yield* io.out(Render.json(item, reveal, io.stdoutIsTTY))
      case "jsonl":
        return yield* io.out(Render.jsonLine(item, reveal))
    }
  })

/** A status message: stdout for people, stderr when stdout is data (JSON). */
export const notice = (text: string, format: Render.Format): Effect.Effect<void, never, Io> =>
  Effect.flatMap(Io, (io) => (format === "table" || format === "wide" ? io.out(text) : io.err(text)))

/**
 * Prints every item of a stream: JSONL line by line as they arrive, tables and JSON once all are
 * in. A progress line counts items on a terminal.
 */
export const stream = <E, R>(
  kind: Kind,
  items$: Stream.Stream<unknown, E, R>,
  format: Render.Format,
  noun: string
): Effect.Effect<void, E | UsageError, R | Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    let count = 0
    const counted = items$.pipe(
      Stream.tap(() => {
        count++
        return count % 25 === 0 ? io.progress(`fetched ${count} ${noun}…`) : Effect.void
      })
    )
    const shape = yield* shaping
    // line by line as they arrive: JSONL, and ids (-q); a jq program sees the whole list
    if (shape.jq === undefined && (format === "jsonl" || shape.quiet)) {
      const line = (item: unknown) =>
        shape.quiet ? idOf(item) : Render.jsonLine(shape.columns === undefined ? item : Shape.pick(item, shape.columns))
      yield* counted.pipe(
        Stream.tap((item) => {
          const text = line(item)
          return Effect.zipRight(remember(kind, [item]), text === undefined ? Effect.void : io.out(text))
        }),
        Stream.runDrain,
        Effect.ensuring(io.progress(undefined))
      )
      return
    }
    // rows fetched before a Ctrl-C are still printed (then the exit code says interrupted)
    const fetched: Array<unknown> = []
    yield* Stream.runForEach(counted, (item) => Effect.sync(() => void fetched.push(item))).pipe(
      Effect.ensuring(io.progress(undefined)),
      Effect.onInterrupt(() =>
        Effect.zipRight(
          Effect.catchAll(items(kind, fetched, format), (e) => io.err(`error: ${e.message}`)),
          io.err(`interrupted: printed the ${fetched.length} ${noun} fetched so far`)
        )
      )
    )
    yield* items(kind, fetched, format)
  })
