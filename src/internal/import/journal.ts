/**
 * The import journal: append-only JSON Lines next to the input, never holding passwords.
 *
 *   {"t":"begin","v":1,"source":…,"namespace":…,"at":…}       every run
 *   {"t":"sent","b":"<run>-<n>","lines":[…]}                  fsynced before the batch goes out (`sync`)
 *   {"t":"done","c":[line,…],"items":[[line,outcome,idOrStatus,reason?],…]}
 *                                                            fsynced when results are final
 *
 * `c` lists the lines created (the common outcome, kept short); `items` the others.
 * Outcomes: c created, p present (created by an earlier attempt), f failed, x conflict, u unknown.
 * A line sent but never done is ambiguous: resume reconciles it instead of resending blindly.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as readline from "node:readline"
import { LineSet } from "./keys.js"

export type Outcome = "c" | "p" | "f" | "x" | "u"

/** One final result. `value` is the identity id (c, p) or the HTTP status (f, x). */
export type DoneItem = readonly [line: number, outcome: Outcome, value?: string | number, reason?: string]

export interface JournalState {
  /** Final outcomes other than "created" (a line in `doneLines` but not here was created). */
  readonly done: Map<number, DoneItem>
  readonly doneLines: LineSet
  /** Lines sent without a final outcome. */
  readonly pending: LineSet
  readonly source: string | undefined
  readonly runs: number
}

/** Reads a journal (missing file → empty state). A torn last line (kill -9 mid-write) is ignored. */
export const load = async (path: string): Promise<JournalState> => {
  const doneLines = new LineSet()
  const pending = new LineSet()
  // Outcomes other than "created" are kept to rebuild the report and failures file on resume.
  const done = new Map<number, DoneItem>()
  let source: string | undefined
  let runs = 0
  if (!fs.existsSync(path)) return { done, doneLines, pending, source, runs }
  const rl = readline.createInterface({ input: fs.createReadStream(path), crlfDelay: Infinity })
  for await (const text of rl) {
    if (text.length === 0) continue
    let entry: { t?: string; lines?: Array<number>; c?: Array<number>; items?: Array<DoneItem>; source?: string }
    try {
      entry = JSON.parse(text)
    } catch {
      continue
    }
    if (entry.t === "begin") {
      runs++
      source ??= entry.source
    } else if (entry.t === "sent" && Array.isArray(entry.lines)) {
      for (const line of entry.lines) if (!doneLines.has(line)) pending.add(line)
    } else if (entry.t === "done") {
      if (Array.isArray(entry.c)) {
        for (const line of entry.c) {
          doneLines.add(line)
          pending.delete(line)
          done.delete(line)
        }
      }
      if (Array.isArray(entry.items)) {
        for (const item of entry.items) {
          doneLines.add(item[0])
          pending.delete(item[0])
          if (item[1] === "c") done.delete(item[0])
          else done.set(item[0], item)
        }
      }
    }
  }
  return { done, doneLines, pending, source, runs }
}

/** An open journal. Writes are synchronous appends: small, and they must hit the disk in order. */
export class JournalWriter {
  private constructor(private readonly fd: number) {}

  static open(path: string): JournalWriter {
    return new JournalWriter(fs.openSync(path, "a"))
  }

  begin(source: string, namespace: string): void {
    this.append({ t: "begin", v: 1, source, namespace, at: new Date().toISOString() }, true)
  }

  /** Appended at once; `sync` makes it durable, which the batch waits for before it goes out. */
  sent(batch: string, lines: ReadonlyArray<number>): void {
    this.append({ t: "sent", b: batch, lines }, false)
  }

  /**
   * fsync on the threadpool: the thread goes on reading and validating meanwhile, and with a batch
   * encoded ahead the wait ends while the previous batch is still on the server.
   */
  readonly sync: Effect.Effect<void, Error> = Effect.async<void, Error>((resume) => {
    fs.fsync(this.fd, (error) => resume(error === null ? Effect.void : Effect.fail(error)))
  })

  /**
   * Not fsynced by itself: the `sync` of the next batch or `close` makes it durable. A `done` lost
   * to a power cut only means a resume looks those lines up again.
   */
  done(created: ReadonlyArray<number>, items: ReadonlyArray<DoneItem>): void {
    if (created.length > 0 || items.length > 0) this.append({ t: "done", c: created, items }, false)
  }

  close(): void {
    try {
      fs.fsyncSync(this.fd)
    } catch {
      // closing anyway
    }
    fs.closeSync(this.fd)
  }

  private append(entry: unknown, sync: boolean): void {
    fs.writeSync(this.fd, JSON.stringify(entry) + "\n")
    if (sync) fs.fsyncSync(this.fd)
  }
}
