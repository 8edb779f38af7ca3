import * as Effect from "effect/Effect"
import type { IoService } from "../../repl/Io.js"

/** An `Io` that records what commands print. */
export const testIo = (overrides: Partial<IoService> = {}) => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  const io: IoService = {
    stdoutIsTTY: false,
    canConfirm: false,
    color: false,
    width: () => 120,
    out: (t) => Effect.sync(() => void stdout.push(t)),
    err: (t) => Effect.sync(() => void stderr.push(t)),
    progress: () => Effect.void,
    confirm: () => Effect.succeed(false),
    readStdin: Effect.succeed(""),
    remember: () => Effect.void,
    ...overrides
  }
  return {
    io,
    stdout,
    stderr,
    out: () => stdout.join("\n"),
    err: () => stderr.join("\n"),
    clear: () => {
      stdout.length = 0
      stderr.length = 0
    }
  }
}
