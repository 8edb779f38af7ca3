/**
 * The process' stdout and stderr as a command writes them: every byte reaches the reader, however
 * late it starts reading. Writes wait while a pipe is full (a long `--all` does not pile up in
 * memory), the process exits only once both streams have drained, a closed pipe (`| head`) ends
 * the program quietly, and any other write failure (a full disk, a vanished file) is an error exit.
 */
import * as Effect from "effect/Effect"

/** Set when a write failed for another reason than a closed pipe: the exit code becomes 1. */
let writeFailed = false

const isClosedPipe = (e: NodeJS.ErrnoException): boolean => e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED"

/** Installs the error handlers of stdout and stderr (once, at start). */
export const install = (): void => {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      // the reader is gone: nothing more to deliver, as other tools do
      if (isClosedPipe(e)) process.exit(0)
      if (writeFailed) return
      writeFailed = true
      if (stream === process.stdout) {
        try {
          process.stderr.write(`error: cannot write the output: ${e.code ?? e.message}\n`)
        } catch {
          // stderr is gone too: the exit code says it
        }
      }
      process.exitCode = 1
    })
  }
}

/**
 * Writes `text` and waits while the stream's buffer is over its high-water mark, so a producer runs
 * no further ahead of a slow reader than that.
 */
export const write = (stream: NodeJS.WriteStream, text: string): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (stream.destroyed) return resume(Effect.void)
    if (stream.write(text)) return resume(Effect.void)
    const done = () => {
      stream.off("drain", done).off("close", done).off("error", done)
      resume(Effect.void)
    }
    stream.on("drain", done).on("close", done).on("error", done)
    return Effect.sync(() => void stream.off("drain", done).off("close", done).off("error", done))
  })

/** Waits until everything written to `stream` has been handed to the reader (or the stream failed). */
const drained = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => {
    if (stream.destroyed || stream.writableLength === 0) return resolve()
    stream.once("close", () => resolve())
    // callbacks run in order: this one runs when every earlier write has been flushed
    stream.write("", () => resolve())
  })

/** Exits with `code` (1 if a write failed) once stdout and stderr have drained. */
export const exitAfterDrain = (code: number): void => {
  void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() =>
    process.exit(writeFailed && code === 0 ? 1 : code)
  )
}
