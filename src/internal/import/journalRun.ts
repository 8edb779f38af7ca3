/**
 * The journal's side of a run: the lock that makes it one run per journal, what an earlier run left
 * in it (continued only with `resume`, replaced only with `restart`), and the synchronous writes that
 * stop the run before the batch they precede is sent when they cannot be made whole.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as Journal from "./journal.js"
import * as Lock from "./lock.js"
import { ImportError, type ImportOptions } from "./model.js"

const nonEmpty = (path: string): boolean => {
  try {
    return fs.statSync(path).size > 0
  } catch {
    return false
  }
}


export const writeError = (e: Journal.WriteFailed): ImportError =>
  new ImportError({ message: `${e.message}; the import stopped before sending more`, cause: e })

/** A synchronous journal write: a `WriteFailed` stops the import (before the batch it precedes is sent). */
export const journalStep = (write: () => void): Effect.Effect<void, ImportError> =>
  Effect.try({
    try: write,
    catch: (e) => writeError(e instanceof Journal.WriteFailed ? e : new Journal.WriteFailed("the journal", Journal.errorText(e)))
  })

export interface OpenedJournal {
  readonly previous: Journal.JournalState | undefined
  readonly warnings: ReadonlyArray<string>
}

/**
 * Locks the journal for this run and reads what an earlier run left in it.
 * A journal with an earlier import in it is continued only with `resume`, replaced only with
 * `restart`; otherwise nothing is sent and the error says what the journal holds.
 */
export const openJournal = (
  path: string,
  options: ImportOptions,
  source: string,
  startedAt: Date
): Effect.Effect<OpenedJournal, ImportError, Scope.Scope> =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const lock = yield* Effect.acquireRelease(
      Effect.try({
        try: () => Lock.acquire(path, startedAt),
        catch: (e) => new ImportError({ message: `cannot lock journal ${path}: ${Journal.errorText(e)}`, cause: e })
      }),
      (l) => Effect.sync(() => l._tag === "Acquired" && l.release())
    )
    if (lock._tag === "Held") {
      return yield* new ImportError({
        message: `journal ${path} is in use by ${Lock.describeHolder(lock.holder)} (lock file ${lock.lockPath}): ` +
          `one import per journal. Wait for that run to end, or remove ${lock.lockPath} if that process is gone.`
      })
    }
    if (lock.tookOver !== undefined) {
      warnings.push(`took over the lock of ${Lock.describeHolder(lock.tookOver)}, which is no longer running`)
    }
    const existing = nonEmpty(path)
    let previous: Journal.JournalState | undefined
    if (existing && options.restart !== true) {
      previous = yield* Effect.tryPromise({
        try: () => Journal.load(path),
        catch: (cause) => new ImportError({ message: `cannot read journal ${path}: ${Journal.errorText(cause)}`, cause })
      })
      if (options.resume !== true) {
        const end = previous.lastEnd
        return yield* new ImportError({
          message: end !== undefined
            ? `${previous.source ?? source} was imported by an earlier run (journal ${path}, finished ${end.at}, ` +
              `${end.complete ? "every record imported" : "not every record imported"}): nothing sent. ` +
              `Resume (--resume) to check the input against the journal and send only records new or changed since ` +
              `(--retry-failed: and those that failed), or restart (--restart) to start over.`
            : `journal ${path} holds an unfinished import (its last run began ${previous.lastRun?.at ?? "at an unknown time"}): ` +
              `nothing sent. Resume it (--resume), or start over (--restart).`
        })
      }
      if (previous.legacy) {
        return yield* new ImportError({
          message: `journal ${path} was written by an older version without record digests: it cannot tell whether the ` +
            `input changed since. Restart (--restart) to import again (records already on the server come back as conflicts).`
        })
      }
      if (previous.source !== undefined && previous.source !== source) {
        warnings.push(`the journal was written for ${previous.source}, not ${source}`)
      }
    } else if (existing) {
      warnings.push(`starting over: the earlier import in ${path} is replaced (restart)`)
    }
    return { previous, warnings }
  })
