/**
 * The interactive loop: node:readline for line editing, history and completion, the same command
 * tree as the shell for execution. One client per session (swapped by `connect`), each line run in
 * its own fiber so Ctrl-C interrupts just that command (aborting its HTTP requests).
 */
import type * as Command from "@effect/cli/Command"
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as readline from "node:readline"
import type { IdentityApi } from "../src/IdentityApi.js"
import { SeenIds, complete } from "./Completion.js"
import { type Target, targetLabel } from "./Config.js"
import * as Connection from "./Connection.js"
import * as History from "./History.js"
import { Io, type IoService, colorEnabled } from "./Io.js"
import { type ConnectTo, ReplControl } from "./ReplControl.js"
import * as Run from "./Run.js"
import { continueInput, tokenize } from "./Tokenizer.js"
import type * as Tree from "./Tree.js"

/** What evaluating one complete input gave. */
export type LineResult =
  | { readonly _tag: "Exit" }
  | { readonly _tag: "Incomplete" }
  | { readonly _tag: "Done"; readonly code: number }

/** A REPL session: the current client, the ids seen, and line evaluation. */
export interface Session {
  readonly tree: Tree.Node
  readonly seen: SeenIds
  readonly label: () => string
  readonly target: () => Target | undefined
  /** Evaluates one complete input (possibly multi-line). Never fails. */
  readonly evalLine: (input: string) => Effect.Effect<LineResult>
}

/**
 * Makes a session: builds the client of `initial` (starting the embedded sandbox when asked), and
 * returns the evaluator. `io` is where output goes; `makeIo` lets the REPL wire confirmations.
 */
export const makeSession = <Name extends string, R, E, A>(options: {
  readonly initial: Target | "sandbox"
  readonly io: IoService
  readonly root: Command.Command<Name, R, E, A>
  /** Services the extra commands (sandbox, import) need besides the client. */
  readonly provide?: <A, E>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, IdentityApi | Io | ReplControl>
  readonly sandboxLatency?: string | undefined
}): Effect.Effect<Session, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const sessionScope = yield* Effect.scope
    const seen = new SeenIds()
    const io: IoService = {
      ...options.io,
      remember: (kind, ids) => Effect.zipRight(Effect.sync(() => seen.add(kind, ids)), options.io.remember(kind, ids))
    }
    let sandboxTarget: Target | undefined
    const sandbox = Effect.suspend(() =>
      sandboxTarget !== undefined
        ? Effect.succeed(sandboxTarget)
        : Effect.tap(
          Scope.extend(Connection.embeddedSandbox({ latency: options.sandboxLatency }), sessionScope),
          (t) => Effect.sync(() => void (sandboxTarget = t))
        )
    )
    let current = yield* Connection.build(options.initial === "sandbox" ? yield* sandbox : options.initial)
    yield* Effect.addFinalizer(() => Connection.release(current))

    const control = ReplControl.of({
      label: Effect.sync(() => targetLabel(current.target)),
      connect: (to: ConnectTo) =>
        Effect.gen(function*() {
          const target: Target = to._tag === "Sandbox"
            ? yield* sandbox
            : { url: to.url.replace(/\/+$/, ""), apiKey: to.apiKey, kind: "remote" }
          if (target.kind === "remote") {
            try {
              const u = new URL(target.url)
              if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)")
            } catch {
              return yield* Effect.fail(`not a URL: ${target.url}`)
            }
          }
          const next = yield* Connection.build(target)
          const previous = current
          current = next
          yield* Connection.release(previous)
          return targetLabel(target) + (target.apiKey !== undefined ? " (with API key)" : "")
        }).pipe(Effect.mapError((e) => (typeof e === "string" ? e : `cannot connect: ${String(e)}`)))
    })

    const runner = Run.make(options.root, { name: "kratos-admin", version: "0.1.0", extraCommands: ["help", "exit", "quit"] })
    const provide = options.provide ?? ((e) => e as Effect.Effect<any, any, never>)

    const evalLine = (input: string): Effect.Effect<LineResult> =>
      Effect.suspend((): Effect.Effect<LineResult> => {
        const t = tokenize(input)
        if (t._tag === "Incomplete") return Effect.succeed({ _tag: "Incomplete" })
        const tokens = t.tokens
        if (tokens.length === 0) return Effect.succeed({ _tag: "Done", code: 0 })
        const [head, ...rest] = tokens
        if (head === "exit" || head === "quit" || head === ".exit") return Effect.succeed({ _tag: "Exit" })
        if (head === "help" || head === "?") {
          if (rest.length === 0) return Effect.as(io.out(Run.overview(runner.tree, true)), { _tag: "Done", code: 0 })
        }
        const argv = head === "help" || head === "?" ? [...rest, "--help"] : tokens
        const ctx = current.context as Context.Context<IdentityApi>
        return runner.run(argv).pipe(
          (e) => provide(e as Effect.Effect<number, never, R>),
          Effect.provideService(Io, io),
          Effect.provideService(ReplControl, control),
          Effect.provide(ctx),
          Effect.map((code): LineResult => ({ _tag: "Done", code })),
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.succeed<LineResult>({ _tag: "Done", code: 130 })
              : Effect.as(io.err(`error: ${Cause.pretty(cause).split("\n")[0]}`), { _tag: "Done", code: 1 } as LineResult)
          )
        ) as Effect.Effect<LineResult>
      }).pipe(
        Effect.catchAllDefect((d) =>
          Effect.as(io.err(`error: unexpected failure: ${d instanceof Error ? d.message : String(d)}`), { _tag: "Done", code: 1 } as LineResult)
        )
      )

    return {
      tree: runner.tree,
      seen,
      label: () => targetLabel(current.target),
      target: () => current.target,
      evalLine
    }
  })

/** The REPL's `Io`: the process' terminal, confirmations answered through the REPL's readline. */
export const replIo = (ask: (question: string) => Effect.Effect<boolean>): IoService => {
  const stdoutIsTTY = process.stdout.isTTY === true
  return {
    stdoutIsTTY: true,
    canConfirm: process.stdin.isTTY === true,
    color: colorEnabled(stdoutIsTTY),
    width: () => process.stdout.columns || 100,
    out: (text) => Effect.sync(() => void process.stdout.write(text.endsWith("\n") ? text : text + "\n")),
    err: (text) => Effect.sync(() => void process.stderr.write(text.endsWith("\n") ? text : text + "\n")),
    progress: (text) =>
      Effect.sync(() => {
        if (!process.stderr.isTTY) return
        process.stderr.write("\r\x1b[2K" + (text ?? ""))
      }),
    confirm: ask,
    readStdin: Effect.succeed(""),
    remember: () => Effect.void
  }
}

/**
 * Runs the interactive loop on the process' terminal until `exit` or Ctrl-D.
 */
export const run = <Name extends string, R, E, A>(options: {
  readonly initial: Target | "sandbox"
  readonly root: Command.Command<Name, R, E, A>
  readonly provide?: <A, E>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, IdentityApi | Io | ReplControl>
  readonly historyFile: string
  readonly sandboxLatency?: string | undefined
}): Effect.Effect<void, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    let pendingAnswer: ((answer: string) => void) | undefined
    let rl: readline.Interface | undefined
    const ask = (question: string) =>
      Effect.async<boolean>((resume) => {
        process.stdout.write(question)
        pendingAnswer = (answer) => {
          pendingAnswer = undefined
          resume(Effect.succeed(/^y(es)?$/i.test(answer.trim())))
        }
        return Effect.sync(() => void (pendingAnswer = undefined))
      })
    const io = replIo(ask)
    if (options.initial === "sandbox") io.err("starting the embedded sandbox…")
    const session = yield* makeSession({ ...options, io })

    const banner = session.target()?.kind === "sandbox"
      ? [
        `kratos-admin 0.1.0 — connected to the embedded sandbox (demo data) at ${session.target()?.url}`,
        "Nothing is configured, so this is a throwaway in-process Kratos look-alike. For a real project:",
        "  connect --url https://<slug>.projects.oryapis.com --api-key ory_pat_...",
        "  (or start with ORY_SDK_URL / ORY_API_KEY, or KRATOS_ADMIN_URL for a self-hosted Kratos)"
      ]
      : [`kratos-admin 0.1.0 — connected to ${session.target()?.url}${session.target()?.apiKey ? " (with API key)" : ""}`]
    process.stdout.write(
      [...banner, "Type help for commands, Tab to complete, Ctrl-C to cancel a command, Ctrl-D or exit to leave.", ""].join("\n")
    )

    const terminal = process.stdin.isTTY === true
    rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal,
      history: History.load(options.historyFile),
      historySize: 1000,
      removeHistoryDuplicates: true,
      completer: (line: string) => complete(session.tree, line, session.seen)
    })
    const theRl = rl
    yield* Effect.addFinalizer(() => Effect.sync(() => theRl.close()))
    const history = (theRl as unknown as { history: Array<string> }).history

    const promptText = () => `kratos(${session.label()})> `
    let buffer: string | undefined
    let running: Fiber.RuntimeFiber<LineResult> | undefined
    let closed = false
    const queue: Array<string> = []
    let wake: (() => void) | undefined

    theRl.on("line", (line) => {
      if (pendingAnswer) return pendingAnswer(line)
      // typed into a running command: dropped (a shell would not feed it either); piped input is queued
      if (running && terminal) return
      queue.push(line)
      wake?.()
    })
    theRl.on("close", () => {
      closed = true
      if (pendingAnswer) pendingAnswer("n")
      wake?.()
    })
    theRl.on("SIGINT", () => {
      if (pendingAnswer) {
        process.stdout.write("\n")
        return pendingAnswer("n")
      }
      if (running) {
        Effect.runFork(Fiber.interrupt(running))
        return
      }
      const typed = (theRl as unknown as { line: string }).line
      if (buffer !== undefined || typed.length > 0) {
        buffer = undefined
        theRl.write(null, { ctrl: true, name: "u" })
        process.stdout.write("^C\n")
      } else {
        process.stdout.write("\n(To exit, press Ctrl-D or type exit)\n")
      }
      theRl.setPrompt(promptText())
      theRl.prompt()
    })

    const nextLine = Effect.async<Option.Option<string>>((resume) => {
      const check = () => {
        if (queue.length > 0) {
          wake = undefined
          resume(Effect.succeed(Option.some(queue.shift()!)))
        } else if (closed) {
          wake = undefined
          resume(Effect.succeed(Option.none()))
        }
      }
      wake = check
      check()
    })

    const historyEntry = (entry: string, physicalLines: Array<string>) => {
      const clean = History.scrub(entry)
      // readline stored the raw physical lines (not empty ones): replace them with the one scrubbed entry
      for (const raw of physicalLines.reverse()) if (history[0] === raw) history.shift()
      if (clean.trim() !== "") {
        if (history[0] !== clean) history.unshift(clean)
        History.append(options.historyFile, clean)
      }
    }

    for (;;) {
      theRl.setPrompt(buffer === undefined ? promptText() : "... ")
      theRl.prompt()
      const line = yield* nextLine
      if (Option.isNone(line)) break
      const input = buffer === undefined ? line.value : continueInput(buffer, line.value)
      const physical = input.split("\n")
      const result = yield* Effect.suspend(() => {
        const t = tokenize(input)
        if (t._tag === "Incomplete") return Effect.succeed<LineResult>({ _tag: "Incomplete" })
        return Effect.gen(function*() {
          historyEntry(input, physical)
          const fiber = yield* Effect.fork(session.evalLine(input))
          running = fiber
          const exit = yield* Fiber.await(fiber)
          running = undefined
          // restore the terminal in case something (a prompt) left it cooked and paused
          if (terminal && process.stdin.isTTY) process.stdin.setRawMode(true)
          process.stdin.resume()
          if (Exit.isSuccess(exit)) return exit.value
          process.stdout.write("\n^C (cancelled)\n")
          return { _tag: "Done", code: 130 } as LineResult
        })
      })
      if (result._tag === "Incomplete") {
        buffer = input
        continue
      }
      buffer = undefined
      if (result._tag === "Exit") break
    }
    if (closed) process.stdout.write("\n")
  }))

