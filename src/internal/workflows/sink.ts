/**
 * Where a workflow writes text: a file created 0600 (it may hold password hashes) or a Node
 * writable such as stdout, written in order and with backpressure.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"

/** A workflow could not go on: a file not writable, a selector or desired-state file unreadable. @since 0.1.0 @category errors */
export class WorkflowError extends Schema.TaggedError<WorkflowError>()("WorkflowError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/** Writes text in order; the next write waits for the previous one. */
export type TextSink = (text: string) => Effect.Effect<void, WorkflowError>

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * A file opened for writing (truncated), mode 0600 even when it existed with another mode, closed
 * (and fsynced) with the scope.
 */
export const fileSink = (path: string): Effect.Effect<TextSink, WorkflowError, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.try({
        try: () => {
          const fd = fs.openSync(path, "w", 0o600)
          fs.fchmodSync(fd, 0o600)
          return fd
        },
        catch: (cause) => new WorkflowError({ message: `cannot write ${path}: ${errorText(cause)}`, cause })
      }),
      (fd) =>
        Effect.sync(() => {
          try {
            fs.fsyncSync(fd)
          } catch {
            // closing anyway
          }
          fs.closeSync(fd)
        })
    ),
    (fd): TextSink => (text) =>
      Effect.async<void, WorkflowError>((resume) => {
        const bytes = Buffer.from(text, "utf8")
        const writeFrom = (offset: number): void => {
          fs.write(fd, bytes, offset, bytes.length - offset, null, (e, n) => {
            if (e !== null) resume(Effect.fail(new WorkflowError({ message: `cannot write ${path}: ${e.message}`, cause: e })))
            else if (offset + n < bytes.length) writeFrom(offset + n)
            else resume(Effect.void)
          })
        }
        writeFrom(0)
      })
  )

/** A Node writable (stdout): each write waits for the stream to drain when its buffer is full. */
export const writableSink = (stream: NodeJS.WritableStream): TextSink => (text) =>
  Effect.async<void, WorkflowError>((resume) => {
    const onError = (e: Error) => resume(Effect.fail(new WorkflowError({ message: `cannot write: ${e.message}`, cause: e })))
    stream.once("error", onError)
    const done = () => {
      stream.off("error", onError)
      resume(Effect.void)
    }
    if (stream.write(text)) done()
    else stream.once("drain", done)
  })
