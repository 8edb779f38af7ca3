/**
 * Where a command's output goes and how it talks to the person at the keyboard. The shell CLI and
 * the REPL provide different implementations (the REPL answers confirmations through its own
 * readline); tests provide a capturing one.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as readline from "node:readline"
import { UsageError } from "./Errors.js"
import * as Output from "./Output.js"

/** Kinds of ids remembered for tab completion. */
export type IdKind = "identity" | "session" | "schema"

/** @category models */
export interface IoService {
  /** stdout is a terminal: tables by default, progress lines. */
  readonly stdoutIsTTY: boolean
  /** A person can answer a question (stdin and stderr are terminals). */
  readonly canConfirm: boolean
  readonly color: boolean
  readonly width: () => number
  readonly out: (text: string) => Effect.Effect<void>
  readonly err: (text: string) => Effect.Effect<void>
  /** A transient status line on a terminal's stderr; `undefined` clears it. No-op when not a terminal. */
  readonly progress: (text: string | undefined) => Effect.Effect<void>
  readonly confirm: (question: string) => Effect.Effect<boolean>
  /** All of stdin, for `--file -`. */
  readonly readStdin: Effect.Effect<string, UsageError>
  /** Ids seen in output, offered by tab completion. */
  readonly remember: (kind: IdKind, ids: ReadonlyArray<string>) => Effect.Effect<void>
}

/** @category tags */
export class Io extends Context.Tag("kratos-admin/Io")<Io, IoService>() {}

/** Colour unless `NO_COLOR` is set (to anything) or the stream is not a terminal. */
export const colorEnabled = (isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean =>
  isTTY && env.NO_COLOR === undefined && env.TERM !== "dumb"

const readAllStdin: Effect.Effect<string, UsageError> = Effect.async<string, UsageError>((resume) => {
  const chunks: Array<Buffer> = []
  const onData = (c: Buffer) => chunks.push(c)
  const onEnd = () => {
    cleanup()
    resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
  }
  const onError = (e: Error) => {
    cleanup()
    resume(Effect.fail(new UsageError({ message: `cannot read stdin: ${e.message}` })))
  }
  const cleanup = () => {
    process.stdin.off("data", onData).off("end", onEnd).off("error", onError)
  }
  process.stdin.on("data", onData).on("end", onEnd).on("error", onError)
  process.stdin.resume()
  return Effect.sync(cleanup)
})

/** Asks on stderr, reads the answer from stdin (one-shot CLI). */
const askOnce = (question: string): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true })
    rl.question(question, (answer) => {
      rl.close()
      resume(Effect.succeed(/^y(es)?$/i.test(answer.trim())))
    })
    rl.on("SIGINT", () => {
      rl.close()
      resume(Effect.succeed(false))
    })
    return Effect.sync(() => rl.close())
  })

/** The process' own terminal, for the one-shot CLI. */
export const node = (overrides: Partial<IoService> = {}): IoService => {
  const stdoutIsTTY = process.stdout.isTTY === true
  const stderrIsTTY = process.stderr.isTTY === true
  let progressShown = false
  return {
    stdoutIsTTY,
    canConfirm: process.stdin.isTTY === true && stderrIsTTY,
    color: colorEnabled(stdoutIsTTY),
    width: () => (stdoutIsTTY ? process.stdout.columns || 100 : 160),
    out: (text) => Output.write(process.stdout, text.endsWith("\n") ? text : text + "\n"),
    err: (text) => Output.write(process.stderr, text.endsWith("\n") ? text : text + "\n"),
    progress: (text) =>
      Effect.sync(() => {
        if (!stderrIsTTY) return
        if (text === undefined) {
          if (progressShown) process.stderr.write("\r\x1b[2K")
          progressShown = false
        } else {
          process.stderr.write("\r\x1b[2K" + text)
          progressShown = true
        }
      }),
    confirm: askOnce,
    readStdin: readAllStdin,
    remember: () => Effect.void,
    ...overrides
  }
}

/** Reads a file, or stdin for `-`. */
export const readFileOrStdin = (path: string): Effect.Effect<string, UsageError, Io> =>
  path === "-"
    ? Effect.flatMap(Io, (io) => io.readStdin)
    : Effect.try({
      try: () => fs.readFileSync(path, "utf8"),
      catch: (e) => new UsageError({ message: `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}` })
    })
