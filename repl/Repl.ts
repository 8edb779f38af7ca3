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
import * as Scope from "effect/Scope"
import * as readline from "node:readline"
import type { IdentityApi } from "../src/IdentityApi.js"
import { SeenIds, complete } from "./Completion.js"
import { type Target, targetLabel } from "./Config.js"
import * as Connection from "./Connection.js"
import * as Contexts from "./Contexts.js"
import { echoGate } from "./EchoGate.js"
import * as History from "./History.js"
import * as Output from "./Output.js"
import { interceptKeys } from "./Keys.js"
import { LineSource, type Reader } from "./LineSource.js"
import { type Editor, ReverseSearch } from "./ReverseSearch.js"
import { Io, type IoService, colorEnabled } from "./Io.js"
import { type ConnectTo, ReplControl } from "./ReplControl.js"
import * as Run from "./Run.js"
import { continueInput, tokenize } from "./Tokenizer.js"
import * as Tree from "./Tree.js"

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
  /** The flags whose values are secrets (scrubbed from history, refused when they hold the mask). */
  readonly secrets: ReadonlySet<string>
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
            : { url: to.url.replace(/\/+$/, ""), apiKey: to.apiKey, kind: "remote", context: to.context }
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

    const runner = Run.make(options.root, { name: "kratos-admin", version: "0.1.0", extraCommands: ["help", "exit", "quit", "clear"] })
    const secrets = new Set([...History.defaultSecretFlags, ...Tree.secretFlags(runner.tree)])
    const provide = options.provide ?? ((e) => e as Effect.Effect<any, any, never>)

    const evalLine = (input: string): Effect.Effect<LineResult> =>
      Effect.suspend((): Effect.Effect<LineResult> => {
        const t = tokenize(input)
        if (t._tag === "Incomplete") return Effect.succeed({ _tag: "Incomplete" })
        const tokens = t.tokens
        if (tokens.length === 0) return Effect.succeed({ _tag: "Done", code: 0 })
        const [head, ...rest] = tokens
        if (head === "exit" || head === "quit" || head === ".exit") return Effect.succeed({ _tag: "Exit" })
        if (head === "clear" && rest.length === 0) return Effect.succeed({ _tag: "Done", code: 0 })
        const refused = History.refusal(tokens, secrets)
        if (refused !== undefined) return Effect.as(io.err(`error: ${refused}`), { _tag: "Done", code: 2 })
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
      secrets,
      evalLine
    }
  })

/** Where the REPL reads lines and asks questions, for its `Io`. */
export interface ReplInput {
  readonly ask: (question: string) => Effect.Effect<boolean>
  /** A body pasted for `--file -`: lines up to one holding only `.`, or Ctrl-D / the end of input. */
  readonly readBody: Effect.Effect<string>
}

/** The REPL's `Io`: the process' stdout and stderr, questions and bodies read through the REPL's own input. */
export const replIo = (input: ReplInput): IoService => {
  const stdoutIsTTY = process.stdout.isTTY === true
  return {
    stdoutIsTTY,
    canConfirm: process.stdin.isTTY === true,
    color: colorEnabled(stdoutIsTTY),
    width: () => process.stdout.columns || 100,
    out: (text) => Output.write(process.stdout, text.endsWith("\n") ? text : text + "\n"),
    err: (text) => Output.write(process.stderr, text.endsWith("\n") ? text : text + "\n"),
    progress: (text) =>
      Effect.sync(() => {
        if (!process.stderr.isTTY) return
        process.stderr.write("\r\x1b[2K" + (text ?? ""))
      }),
    confirm: input.ask,
    readStdin: input.readBody,
    remember: () => Effect.void
  }
}

/** The names of the configured contexts (none when the file is missing or broken). */
const contextNames = (): ReadonlyArray<string> =>
  Effect.runSync(Effect.orElseSucceed(Effect.map(Contexts.load(Contexts.configPath()), (c) => Object.keys(c.contexts)), () => []))

/** The banner of an interactive session. */
const banner = (target: Target | undefined): ReadonlyArray<string> => [
  ...(target?.kind === "sandbox"
    ? [
      `kratos-admin 0.1.0 — connected to the embedded sandbox (demo data) at ${target.url}`,
      "Nothing is configured, so this is a throwaway in-process Kratos look-alike. For a real project:",
      "  connect --url https://<slug>.projects.oryapis.com --api-key ory_pat_...",
      "  (or start with ORY_SDK_URL / ORY_API_KEY, or KRATOS_ADMIN_URL for a self-hosted Kratos)"
    ]
    : [`kratos-admin 0.1.0 — connected to ${target?.url}${target?.apiKey ? " (with API key)" : ""}`]),
  "Type help for commands, Tab to complete, Ctrl-R to search history, Ctrl-C to cancel a command, Ctrl-D or exit to leave.",
  ""
]

/**
 * Runs the loop until `exit` or the end of input. On a terminal: prompts, line editing, history
 * (secrets scrubbed), Tab completion, Ctrl-R search; the exit code is 0. With piped input: no
 * prompt or banner, every line runs in order, and the exit code is that of the last line that
 * failed (0 when none did), so `kratos-admin repl < script` fails like a script would.
 */
export const run = <Name extends string, R, E, A>(options: {
  readonly initial: Target | "sandbox"
  readonly root: Command.Command<Name, R, E, A>
  readonly provide?: <A, E>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, IdentityApi | Io | ReplControl>
  readonly historyFile: string
  readonly sandboxLatency?: string | undefined
}): Effect.Effect<number, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    const interactive = process.stdin.isTTY === true
    // prompts and echo go to the terminal: stdout, or stderr when stdout is redirected
    const screen = process.stdout.isTTY === true || process.stderr.isTTY !== true ? process.stdout : process.stderr
    const source = new LineSource()
    let rl: readline.Interface | undefined

    /** Waits for a line for `reader`, showing `prompt` when nothing is queued. */
    const waitLine = (reader: Reader, prompt: string) =>
      Effect.suspend(() => {
        if (interactive && rl !== undefined && source.size === 0 && !source.isClosed) {
          const editor = rl as unknown as Editor
          editor.setPrompt(prompt)
          source.prompting = true
          editor.cursor = editor.line.length
          editor.prompt(true)
        }
        return source.take(reader)
      })

    const input: ReplInput = {
      ask: (question) =>
        Effect.map(waitLine("answer", question), (t) => {
          if (t._tag === "End") return false
          if (!t.echoed) screen.write(`${question}${t.text}\n`)
          return /^y(es)?$/i.test(t.text.trim())
        }),
      readBody: Effect.gen(function*() {
        if (interactive) screen.write("(paste the body, then a line holding only '.', or Ctrl-D)\n")
        const lines: Array<string> = []
        for (;;) {
          const t = yield* waitLine("body", "")
          if (t._tag === "End" || t.text === ".") break
          lines.push(t.text)
        }
        return lines.join("\n")
      })
    }
    const io = replIo(input)
    if (options.initial === "sandbox" && interactive) io.err("starting the embedded sandbox…")
    const session = yield* makeSession({ ...options, io })
    if (interactive) screen.write(banner(session.target()).join("\n"))

    const history = interactive ? History.load(options.historyFile, 1000, session.secrets) : []
    rl = interactive
      ? readline.createInterface({
        input: process.stdin,
        output: echoGate(screen, () => source.prompting),
        terminal: true,
        // readline keeps no history of its own: only scrubbed, complete entries go in (History.remember)
        history,
        historySize: 0,
        completer: (line: string) => complete(session.tree, line, session.seen, { contexts: contextNames })
      })
      : readline.createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity })
    const theRl = rl
    const editor = rl as unknown as Editor
    yield* Effect.addFinalizer(() => Effect.sync(() => theRl.close()))

    const promptText = () => `kratos(${session.label()})> `
    let buffer: string | undefined
    let running: Fiber.RuntimeFiber<LineResult> | undefined
    let discarded = 0

    theRl.on("line", (line) => {
      // readline resets its place in the history only when it keeps the history itself
      editor.historyIndex = -1
      source.push(line)
    })
    theRl.on("close", () => source.close())

    if (interactive) {
      const search = new ReverseSearch(editor, () => history)
      interceptKeys(process.stdin, (s, key) => {
        if (search.key(s, key)) return true
        if (key?.ctrl && key.name === "d") {
          // Ctrl-D ends a pasted body (not the REPL); typed ahead of a running command it is ignored
          if (running !== undefined) {
            if (editor.line !== "") source.push(editor.line)
            editor.line = ""
            editor.cursor = 0
            if (source.waiting === "body") screen.write("\n")
            source.endBody()
            return true
          }
        }
        return false
      })
      theRl.on("SIGINT", () => {
        if (running !== undefined) {
          // as a shell drops type-ahead: what was pasted after the cancelled command does not run
          discarded += source.discard()
          editor.line = ""
          editor.cursor = 0
          Effect.runFork(Fiber.interrupt(running))
          return
        }
        const typed = editor.line
        if (buffer !== undefined || typed.length > 0) {
          buffer = undefined
          editor.line = ""
          editor.cursor = 0
          screen.write("^C\n")
        } else {
          screen.write("\n(To exit, press Ctrl-D or type exit)\n")
        }
        theRl.setPrompt(promptText())
        theRl.prompt()
      })
    }

    let lastFailure = 0
    for (;;) {
      const prompt = buffer === undefined ? promptText() : "... "
      const taken = yield* waitLine("command", prompt)
      if (taken._tag === "End") break
      if (interactive && !taken.echoed) screen.write(`${prompt}${taken.text}\n`)
      const input = buffer === undefined ? taken.text : continueInput(buffer, taken.text)
      const t = tokenize(input)
      if (t._tag === "Incomplete") {
        buffer = input
        continue
      }
      buffer = undefined
      if (interactive) {
        const clean = History.scrub(input, session.secrets)
        if (clean.trim() !== "") {
          History.remember(history, clean)
          History.append(options.historyFile, clean)
        }
      }
      if (t.tokens.length === 1 && t.tokens[0] === "clear") {
        if (interactive) screen.write("\x1b[H\x1b[2J\x1b[3J")
        continue
      }
      const fiber = yield* Effect.fork(session.evalLine(input))
      running = fiber
      const exit = yield* Fiber.await(fiber)
      running = undefined
      if (interactive) {
        // restore the terminal in case something (a prompt) left it cooked and paused
        if (process.stdin.isTTY) process.stdin.setRawMode(true)
        process.stdin.resume()
      }
      const result: LineResult = Exit.isSuccess(exit) ? exit.value : { _tag: "Done", code: 130 }
      if (Exit.isFailure(exit)) screen.write("\n^C (cancelled)\n")
      if (discarded > 0) {
        yield* io.err(`(${discarded} line${discarded === 1 ? "" : "s"} typed or pasted after it discarded)`)
        discarded = 0
      }
      if (result._tag === "Exit") break
      if (result._tag === "Done" && result.code !== 0) lastFailure = result.code
    }
    if (interactive && source.isClosed) screen.write("\n")
    return interactive ? 0 : lastFailure
  }))
