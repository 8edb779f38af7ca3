/**
 * Entry point of `kratos-admin`: a one-shot command (`kratos-admin identities list`), or the REPL
 * (`kratos-admin repl`, or no arguments on a terminal).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { extractGlobalFlags, historyPath, parseDuration } from "./Config.js"
import * as Contexts from "./Contexts.js"
import * as Connection from "./Connection.js"
import { Io, node as nodeIo } from "./Io.js"
import * as Output from "./Output.js"
import * as Render from "./Render.js"
import * as Run from "./Run.js"
import * as ShellRoot from "./ShellRoot.js"
import * as Telemetry from "./TelemetryConfig.js"
import * as Tree from "./Tree.js"

Output.install()

const argv = process.argv.slice(2)
// the command's words decide which commands load; a command's own flag named like a global one
// (`--url`) is known only once they have
const words = extractGlobalFlags(argv).rest
const wantsRepl = (words[0] === "repl" && !words.includes("--help") && !words.includes("-h")) ||
  (words.length === 0 && process.stdin.isTTY === true && process.stdout.isTTY === true)

/** The command's words only (never a value): `kratos-admin identities list`, wherever flags stand. */
const commandName = (tree: Tree.Node, rest: ReadonlyArray<string>): string => {
  const candidates = rest.filter((t) => !t.startsWith("-"))
  for (let i = 0; i < candidates.length; i++) {
    const { node } = Tree.resolve(tree, candidates.slice(i))
    if (node !== tree) return ["kratos-admin", ...node.path].join(" ")
  }
  return "kratos-admin"
}

const repl: Effect.Effect<number, unknown> = Effect.gen(function*() {
  const flags = extractGlobalFlags(argv)
  const target = yield* Contexts.resolveTarget(flags)
  const [Repl, { replRoot }] = yield* Effect.promise(() => Promise.all([import("./Repl.js"), import("./Commands.js")]))
  return yield* Repl.run({
    initial: Option.getOrElse(target, () => "sandbox" as const),
    root: replRoot,
    historyFile: historyPath(),
    sandboxLatency: process.env.KRATOS_ADMIN_SANDBOX_LATENCY
  })
}).pipe(
  Effect.catchAll((e) => Effect.as(Output.write(process.stderr, `${Render.errorLine(e)}\n`), Run.ExitCode.usage))
)

const oneShot = (
  shellRoot: ShellRoot.ShellRoot,
  flags: ReturnType<typeof extractGlobalFlags>
): Effect.Effect<number, unknown> =>
  Effect.gen(function*() {
    // commands that talk to no server never fetch a key (nor fail because it cannot be fetched)
    const serverless = ["context", "completion", "sandbox"].includes(flags.rest[0] ?? "") || flags.rest.includes("--help") ||
      flags.rest.includes("-h")
    const target = serverless ? Effect.succeed(Option.none()) : Contexts.resolveTarget(flags)
    const runner = Run.make(shellRoot, { name: "kratos-admin", version: "0.1.0" })
    const io = nodeIo()
    const resolved = yield* Effect.either(target)
    if (resolved._tag === "Left") return yield* Effect.as(io.err(`error: ${resolved.left.message}`), Run.ExitCode.usage)
    const durations: Record<"timeout" | "deadline", Duration.Duration | undefined> = { timeout: undefined, deadline: undefined }
    for (const name of ["timeout", "deadline"] as const) {
      const text = flags[name]
      if (text === undefined) continue
      durations[name] = parseDuration(text)
      if (durations[name] === undefined) {
        yield* io.err(`error: --${name}: must be a duration such as 30s, 500ms or 2m, got '${text}'`)
        return Run.ExitCode.usage
      }
    }
    const settings: Connection.ClientSettings = {
      ...durations,
      waiting: io.progress,
      ...(flags.debug === true ? { debug: io.err } : {})
    }
    const client = Option.match(resolved.right, {
      onNone: () => Connection.unconfigured,
      onSome: (t) => Connection.clientLayer(t, settings)
    })
    return yield* runner.run(flags.rest).pipe(
      Effect.provide(client),
      Effect.provideService(Io, io),
      Effect.catchTag("ClientConfigError", (e) => Effect.as(io.err(`error: ${e.message}`), Run.ExitCode.usage))
    )
  })

const warn = (line: string) => Output.write(process.stderr, `${line}\n`)

const traced: Effect.Effect<number, unknown> = wantsRepl
  ? Telemetry.provide(repl, "kratos-admin repl", process.env, warn)
  : Effect.flatMap(Effect.promise(() => ShellRoot.load(words)), (shellRoot) => {
    const tree = Tree.fromCommand(shellRoot, "kratos-admin")
    const flags = extractGlobalFlags(argv, undefined, (words, flag) =>
      Tree.resolve(tree, words).node.flags.some((f) => f.names.includes(flag)))
    return Telemetry.provide(oneShot(shellRoot, flags), commandName(tree, flags.rest), process.env, warn)
  })

NodeRuntime.runMain(traced, {
  disableErrorReporting: false,
  // not `onExit`: it exits at once on a non-zero code or a signal, before the output has drained
  teardown: (exit) => {
    const code = Exit.isSuccess(exit)
      ? (exit.value as number)
      : Cause.isInterruptedOnly(exit.cause)
      ? Run.ExitCode.interrupted
      : Run.ExitCode.failure
    Output.exitAfterDrain(code)
  }
})
