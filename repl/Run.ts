/**
 * Runs one command line through the tree and turns every outcome into printed lines and an exit
 * code (see `ExitCode`). It never fails and never lets a defect escape, so the REPL survives
 * anything typed at it.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as KratosError from "../src/KratosError.js"
import { UsageError } from "./Errors.js"
import { Io } from "./Io.js"
import * as Help from "./Help.js"
import * as Render from "./Render.js"
import * as Tree from "./Tree.js"
import { normalizeOptionalValueFlags } from "./commands/workflowOptions.js"

// What @effect/cli asks of its platform (CliApp.Environment), and no more: NodeContext.layer would
// also build a worker pool manager and a process executor that no command uses, and load their
// modules at every start-up.
const cliEnvironment = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

/**
 * Exit codes, as the README's table documents them: 0 success; 1 the API or the network failed
 * (some of several ids included); 2 a usage error (bad flag or input, configuration, no command
 * without a terminal); 3 a confirmation was declined (nothing done); 130 interrupted (Ctrl-C).
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2, cancelled: 3, interrupted: 130 } as const

/** A console whose log/error go through `Io` (ANSI stripped without colour), for @effect/cli's own output. */
const ioConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Io> =>
  Effect.flatMap(Io, (io) =>
    Console.consoleWith((base) => {
      const text = (args: ReadonlyArray<unknown>) => {
        const s = args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")
        return io.color ? s : Render.stripAnsi(s)
      }
      const console: Console.Console = Object.assign(Object.create(base) as Console.Console, {
        log: (...args: ReadonlyArray<unknown>) => io.out(text(args)),
        info: (...args: ReadonlyArray<unknown>) => io.out(text(args)),
        error: (...args: ReadonlyArray<unknown>) => io.err(text(args)),
        warn: (...args: ReadonlyArray<unknown>) => io.err(text(args))
      })
      return Console.withConsole(effect, console)
    }))

/** A short overview of the commands (the generated root help is too wide to read). */
export const overview = (tree: Tree.Node, repl: boolean): string =>
  [
    repl ? "Commands:" : "Usage: kratos-admin [--url URL] [--api-key KEY] <command> [flags]   (no command on a terminal: the REPL)",
    ...(repl ? [] : ["", "Commands:"]),
    ...Array.from(tree.children.values())
      .filter((n) => n.children.size > 0)
      .map((n) => `  ${n.name.padEnd(11)}${Array.from(n.children.keys()).join(", ")}`),
    "  status     endpoint, auth (yes/no), rate limit and retry state",
    "  sandbox    serve an in-memory Kratos admin API (sandbox --help)",
    ...(repl
      ? [
        "  connect    connect --url URL [--api-key KEY] | connect <context> | connect sandbox",
        "  clear      clear the screen (or Ctrl-L)",
        "  help       help [command...]: usage of a command (or: <command> --help)",
        "  exit       leave (or Ctrl-D)"
      ]
      : [
        "  completion completion bash|zsh|fish: the shell completion script",
        "  repl       the interactive shell (embedded sandbox when no server is configured)",
        "",
        "Server: --url/--api-key or --context NAME, else ORY_SDK_URL + ORY_API_KEY (Ory Network) or KRATOS_ADMIN_URL (self-hosted).",
        "Global: --timeout D, --deadline D, --debug (every HTTP exchange on stderr)."
      ]),
    "Output: -o table|wide|json|jsonl|yaml (json when piped), --jq EXPR, -q (ids only), --columns a,b. Lists: --page-size N, --all.",
    "Bulk: --all | --ids-from F | --organization-id ID, narrowed by --where EXPR (jq); --dry-run first.",
    "Destructive commands ask for confirmation unless --yes. `<command> --help` for its flags and examples."
  ].join("\n")

/** What a run of one line needs. */
export interface Runner<R> {
  readonly tree: Tree.Node
  readonly run: (tokens: ReadonlyArray<string>) => Effect.Effect<number, never, R | Io>
}

/** Prints a failure and gives its exit code. */
export const report = (error: unknown, tree: Tree.Node, tokens: ReadonlyArray<string>): Effect.Effect<number, never, Io> =>
  Effect.gen(function*() {
    const io = yield* Io
    const verbose = tokens.includes("--verbose")
    const usageLine = () => {
      const { node } = Tree.resolve(tree, tokens)
      return node === tree ? undefined : Tree.usageOf(tree, node)
    }
    if (ValidationError.isValidationError(error)) {
      // @effect/cli has printed the message already
      if (ValidationError.isHelpRequested(error)) return ExitCode.ok
      const usage = usageLine()
      if (usage !== undefined) yield* io.err(`usage: ${usage}`)
      return ExitCode.usage
    }
    const tagged = error !== null && typeof error === "object" && "_tag" in error ? String(error._tag) : undefined
    switch (tagged) {
      case "UsageError": {
        const e = error as { message: string; usage?: string }
        yield* io.err(`error: ${e.message}`)
        const usage = e.usage ?? usageLine()
        if (usage !== undefined) yield* io.err(`usage: ${usage}`)
        return ExitCode.usage
      }
      case "Declined":
        yield* io.err("cancelled: nothing was done")
        return ExitCode.cancelled
      case "Reported":
        yield* io.err(`error: ${(error as { message: string }).message}`)
        return ExitCode.failure
      case "InvalidInput":
        yield* io.err(Render.errorLine(error, verbose))
        return ExitCode.usage
    }
    if (KratosError.isKratosError(error)) {
      yield* io.err(Render.errorLine(error, verbose))
      return ExitCode.failure
    }
    yield* io.err(Render.errorLine(error, verbose))
    return ExitCode.failure
  })

/** Builds the runner of a root command. */
export const make = <Name extends string, R, E, A>(
  root: Command.Command<Name, R, E, A>,
  options: { readonly name: string; readonly version: string; readonly extraCommands?: ReadonlyArray<string> }
): Runner<Exclude<R, never>> => {
  const cli = Command.run(root, { name: options.name, version: options.version })
  const tree = Tree.withExtraCommands(Tree.fromCommand(root, options.name), options.extraCommands ?? [])
  const config = CliConfig.make({ showBuiltIns: false })
  const run = (line: ReadonlyArray<string>): Effect.Effect<number, never, R | Io> =>
    Effect.gen(function*() {
      // `help [command...]` is `[command...] --help` (where `help` is not a command of the tree)
      const tokens = line[0] === "help" && !tree.children.has("help")
        ? (line.length === 1 ? ["--help"] : [...line.slice(1), "--help"])
        : line
      // no command (and, from the shell, no terminal for the REPL): a usage error, with the overview
      if (tokens.length === 0) {
        yield* Effect.flatMap(Io, (io) => io.err(overview(tree, false)))
        return ExitCode.usage
      }
      if (tokens.length === 1 && (tokens[0] === "--help" || tokens[0] === "-h")) {
        yield* Effect.flatMap(Io, (io) => io.out(overview(tree, false)))
        return ExitCode.ok
      }
      // a group alone (or with --help): its commands and what they do, instead of the wide generated help
      const group = Tree.resolve(tree, tokens)
      if (
        group.node !== tree && group.node.children.size > 0 &&
        (group.consumed === tokens.length || (group.consumed === tokens.length - 1 && ["--help", "-h"].includes(tokens[tokens.length - 1])))
      ) {
        yield* Effect.flatMap(Io, (io) => io.out(Help.groupPage(tree, group.node)))
        return ExitCode.ok
      }
      // a command's own help page (full usage, flags, global flags, examples)
      if (group.node !== tree && group.node.children.size === 0 && tokens.some((t) => t === "--help" || t === "-h")) {
        yield* Effect.flatMap(Io, (io) => io.out(Help.page(tree, group.node)))
        return ExitCode.ok
      }
      const typo = Tree.check(tree, tokens)
      if (Option.isSome(typo)) return yield* report(typo.value, tree, tokens)
      const io = yield* Io
      if (!io.canConfirm && tokens.includes("--wizard")) {
        return yield* report(new UsageError({ message: "--wizard asks questions: it needs a terminal" }), tree, tokens)
      }
      const exit = yield* cli(["node", options.name, ...Tree.flagsFirst(tree, normalizeOptionalValueFlags(tokens))]).pipe(
        ioConsole,
        Effect.provideService(CliConfig.CliConfig, config),
        Effect.provide(cliEnvironment),
        Effect.exit
      )
      if (Exit.isSuccess(exit)) return ExitCode.ok
      if (Cause.isInterruptedOnly(exit.cause)) return ExitCode.interrupted
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure)) return yield* report(failure.value, tree, tokens)
      const defect = Cause.squash(exit.cause)
      yield* io.err(`error: unexpected failure: ${defect instanceof Error ? defect.message : String(defect)}`)
      return ExitCode.failure
    }).pipe(
      // last line of defence: nothing escapes a line
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.succeed(ExitCode.interrupted)
          : Effect.flatMap(Io, (io) => io.err(`error: unexpected failure: ${Cause.pretty(cause).split("\n")[0]}`)).pipe(
            Effect.as(ExitCode.failure),
            Effect.catchAllCause(() => Effect.succeed(ExitCode.failure))
          )
      )
    )
  return { tree, run } as Runner<Exclude<R, never>>
}
