/**
 * Printing results through `Io` in the chosen format: tables (people), JSON (scripts, the default
 * when stdout is not a terminal), JSONL (lists). Also remembers the ids it prints, for completion.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Io, type IdKind } from "./Io.js"
import * as Render from "./Render.js"

/** What is being printed; picks the table columns and the ids to remember. */
export type Kind = "identity" | "session" | "schema" | "value"

/** The explicit `--output`, else table on a terminal and JSON otherwise. */
export const resolveFormat = (explicit: Option.Option<Render.Format>): Effect.Effect<Render.Format, never, Io> =>
  Effect.map(Io, (io) => Option.getOrElse(explicit, () => (io.stdoutIsTTY ? "table" as const : "json" as const)))

const columnsOf = (kind: Kind, items: ReadonlyArray<unknown>): ReadonlyArray<Render.Column> => {
  switch (kind) {
    case "identity":
      return Render.identityColumns(items)
    case "session":
      return Render.sessionColumns(items)
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

/** Prints a list of items. */
export const items = (kind: Kind, list: ReadonlyArray<unknown>, format: Render.Format): Effect.Effect<void, never, Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    yield* remember(kind, list)
    switch (format) {
      case "table":
        if (list.length === 0) return yield* io.out("(none)")
        return yield* io.out(Render.table(columnsOf(kind, list), { width: io.width(), color: io.color }))
      case "json":
        return yield* io.out(Render.json(list))
      case "jsonl":
        if (list.length === 0) return
        return yield* io.out(list.map((i) => Render.jsonLine(i)).join("\n"))
    }
  })

/** Prints one item (a `key value` view in table format). `reveal` shows secrets (recovery commands only). */
export const one = (kind: Kind, item: unknown, format: Render.Format, reveal = false): Effect.Effect<void, never, Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    yield* remember(kind, [item])
    switch (format) {
      case "table":
        return yield* io.out(Render.record(item, { width: io.width(), color: io.color, reveal }))
      case "json":
        return yield* io.out(Render.json(item, reveal))
      case "jsonl":
        return yield* io.out(Render.jsonLine(item, reveal))
    }
  })

/** A status message: stdout for people, stderr when stdout is data (JSON). */
export const notice = (text: string, format: Render.Format): Effect.Effect<void, never, Io> =>
  Effect.flatMap(Io, (io) => (format === "table" ? io.out(text) : io.err(text)))

/**
 * Prints every item of a stream: JSONL line by line as they arrive, tables and JSON once all are
 * in. A progress line counts items on a terminal.
 */
export const stream = <E, R>(
  kind: Kind,
  items$: Stream.Stream<unknown, E, R>,
  format: Render.Format,
  noun: string
): Effect.Effect<void, E, R | Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    let count = 0
    const counted = items$.pipe(
      Stream.tap(() => {
        count++
        return count % 25 === 0 ? io.progress(`fetched ${count} ${noun}…`) : Effect.void
      })
    )
    if (format === "jsonl") {
      yield* counted.pipe(
        Stream.tap((item) => Effect.zipRight(remember(kind, [item]), io.out(Render.jsonLine(item)))),
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
          items(kind, fetched, format),
          io.err(`interrupted: printed the ${fetched.length} ${noun} fetched so far`)
        )
      )
    )
    yield* items(kind, fetched, format)
  })
