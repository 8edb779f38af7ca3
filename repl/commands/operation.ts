/**
 * One builder for the commands that call an operation of the table (`src/Operations.ts`): the
 * command gets the common flags and the operation's query flags, its description from the table,
 * and its handler receives the client, the output format and the operation's input decoder.
 * Also the steps several handlers share: confirmation, per-id fan-out, list printing.
 */
import * as Command from "@effect/cli/Command"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type * as Types from "effect/Types"
import { IdentityApi } from "../../src/IdentityApi.js"
import type * as Operation from "../../src/Operation.js"
import type { Page } from "../../src/Pagination.js"
import { Declined, Reported, UsageError } from "../Errors.js"
import * as Input from "../Input.js"
import { Io } from "../Io.js"
import * as Print from "../Print.js"
import * as Render from "../Render.js"
import * as Shape from "../Shape.js"
import { common, queryOptions } from "./flags.js"

/** What an operation's handler is given besides its flags. */
export interface OperationContext<Op extends Operation.Operation> {
  readonly api: Context.Tag.Service<IdentityApi>
  readonly format: Render.Format
  /** Decodes raw input with the operation's own schema (a usage error when it does not fit). */
  readonly decode: (raw: Record<string, unknown>) => Effect.Effect<Operation.Input<Op>, UsageError>
}

type BaseConfig = typeof common & { readonly query: ReturnType<typeof queryOptions> }

/** The parsed flags of an operation command: its own, the common ones and `query`. */
export type Flags<Config extends Command.Command.Config> = Types.Simplify<Command.Command.ParseConfig<BaseConfig & Config>>

/** Describes an operation: its summary, method and path. */
export const describe = (op: Operation.Operation, extra = ""): string => `${op.summary} (${op.method} ${op.path})${extra}`

/**
 * The command `name` calling `op`. `flags` are the command's own (arguments included); the common
 * flags and the operation's query flags (as `query`) are added here.
 */
export const fromOperation = <Name extends string, Op extends Operation.Operation, const Config extends Command.Command.Config, E, R>(
  name: Name,
  op: Op,
  spec: {
    readonly flags: Config
    /** Appended to the table's description. */
    readonly describe?: string
    readonly run: (flags: Flags<Config>, ctx: OperationContext<Op>) => Effect.Effect<void, E, R>
  }
) => {
  const config = { ...common, query: queryOptions(op), ...spec.flags } as BaseConfig & Config
  // a command with its own --quiet (a bulk change: no progress) keeps it; -q prints ids elsewhere
  const ownQuiet = "quiet" in spec.flags
  return Command.make(name, config, (parsed) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const flags = parsed as unknown as Flags<Config>
      const format = yield* Print.resolveFormat((parsed as unknown as { readonly output: Option.Option<Render.Format> }).output)
      yield* withShaping(parsed as unknown as ShapingFlags, ownQuiet, spec.run(flags, { api, format, decode: (raw) => Input.decodeInput(op, raw) }))
    })).pipe(Command.withDescription(describe(op, spec.describe)))
}

/** The parsed shaping flags (`flags.ts`' `shaping`), with `-o`. */
export interface ShapingFlags {
  readonly output: Option.Option<Render.Format>
  readonly jq: Option.Option<string>
  readonly quiet: boolean
  readonly columns: ReadonlyArray<string>
}

/**
 * Runs a command's effect with its output shaping: `--jq` compiled first (a syntax error is a
 * usage error before any request), combinations that mean nothing refused.
 */
export const withShaping = <A, E, R>(
  flags: ShapingFlags,
  ownQuiet: boolean,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | UsageError, Exclude<R, Shape.Shape>> =>
  Effect.gen(function*() {
    const jq = Option.getOrUndefined(flags.jq)
    const quiet = !ownQuiet && flags.quiet
    const columns = Shape.parseColumns(flags.columns)
    if (jq !== undefined) {
      if (Option.isSome(flags.output) && flags.output.value !== "json") {
        return yield* new UsageError({ message: `--jq works on the JSON output: drop -o ${flags.output.value}` })
      }
      if (quiet || columns !== undefined) return yield* new UsageError({ message: "--jq already shapes the output: drop -q/--columns" })
      yield* Shape.checkJq(jq)
    }
    if (quiet && columns !== undefined) return yield* new UsageError({ message: "-q prints ids only: drop --columns" })
    return yield* Effect.provideService(effect, Shape.Shape, { jq, quiet, columns })
  })

/** Asks before a destructive action; refuses (usage error) when nobody can answer. */
export const confirm = (question: string, assumeYes: boolean): Effect.Effect<void, UsageError | Declined, Io> =>
  Effect.gen(function*() {
    if (assumeYes) return
    const io = yield* Io
    if (!io.canConfirm) {
      return yield* new UsageError({ message: `refusing to ${question.replace(/\?$/, "")} without confirmation: pass --yes` })
    }
    const ok = yield* io.confirm(`${question} [y/N] `)
    if (!ok) return yield* new Declined({ message: "cancelled" })
  })

/**
 * Runs `f` for each id, then `done` with the successes. With several ids, a failure is printed as
 * one line and the others go on; the whole fails with `Reported` if any failed.
 */
export const forEachId = <A, E, R, E2, R2>(
  ids: ReadonlyArray<string>,
  verboseErrors: boolean,
  f: (id: string, index: number) => Effect.Effect<A, E, R>,
  done: (results: ReadonlyArray<A>) => Effect.Effect<void, E2, R2>
): Effect.Effect<void, E | E2 | Reported, R | R2 | Io> =>
  ids.length === 1
    ? Effect.flatMap(f(ids[0], 0), (a) => done([a]))
    : Effect.gen(function*() {
      const io = yield* Io
      const results: Array<A> = []
      let failed = 0
      for (const [i, id] of ids.entries()) {
        const r = yield* Effect.either(f(id, i))
        if (r._tag === "Right") results.push(r.right)
        else {
          failed++
          yield* io.err(`${id}: ${Render.errorLine(r.left, verboseErrors)}`)
        }
      }
      yield* done(results)
      if (failed > 0) return yield* new Reported({ message: `${failed} of ${ids.length} failed` })
    })

const nextPageHint = (token: Option.Option<string>, format: Render.Format) =>
  Option.match(token, {
    onNone: () => Effect.void,
    onSome: (t) =>
      Effect.flatMap(Io, (io) =>
        format === "table" || format === "wide" ? io.err(`more: --page-token ${t} (or --all)`) : io.err(`next page token: ${t}`))
  })

/** One page (with the next-page hint), or with `--all` every page, of a list operation. */
export const printList = <A, E>(
  kind: Print.Kind,
  noun: string,
  all: boolean,
  format: Render.Format,
  page: Effect.Effect<Page<A>, E>,
  stream: Stream.Stream<A, E>
) =>
  all
    ? Print.stream(kind, stream, format, noun)
    : Effect.flatMap(page, (p) => Effect.zipRight(Print.items(kind, p.items, format), nextPageHint(p.nextPageToken, format)))
