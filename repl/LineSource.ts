/**
 * The REPL's input lines, in the order they were typed or pasted, whoever reads them next: the
 * command loop, a confirmation, or a body pasted for `--file -`. Lines that arrive while nobody
 * waits (typed or pasted while a command runs) are queued, never dropped; Ctrl-C discards the
 * queue as a shell discards type-ahead.
 */
import * as Effect from "effect/Effect"

/** Who is waiting for a line. */
export type Reader = "command" | "answer" | "body"

/** One line taken, or the end of input (Ctrl-D; for a body, the end of that body only). */
export type Taken =
  | {
    readonly _tag: "Line"
    readonly text: string
    /** It was typed at a visible prompt (the terminal showed it); otherwise it was queued unseen. */
    readonly echoed: boolean
  }
  | { readonly _tag: "End" }

interface Queued {
  readonly text: string
  readonly echoed: boolean
  /** Ctrl-D typed ahead: ends the body being (or about to be) read; other readers skip it. */
  readonly endOfBody?: true
}

export class LineSource {
  private readonly queue: Array<Queued> = []
  private head = 0
  private waiter: ((taken: Taken) => void) | undefined
  private waiterKind: Reader | undefined
  private closed = false
  /** A prompt is on screen and waits for this line: what is typed shows. */
  prompting = false

  /** Lines queued and not yet read. */
  get size(): number {
    return this.queue.length - this.head
  }

  /** Who waits now, if anyone. */
  get waiting(): Reader | undefined {
    return this.waiterKind
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** A complete line arrived. */
  push(text: string): void {
    const line = { text, echoed: this.prompting }
    this.prompting = false
    if (this.waiter !== undefined && this.size === 0) return this.deliver({ _tag: "Line", ...line })
    this.queue.push(line)
  }

  /** The input ended (Ctrl-D at the prompt, or the end of piped input). */
  close(): void {
    this.closed = true
    if (this.waiter !== undefined && this.size === 0) this.deliver({ _tag: "End" })
  }

  /** Ctrl-D while a command runs: the body it reads (or is about to read) ends, the REPL goes on. */
  endBody(): void {
    if (this.waiterKind === "body" && this.size === 0) this.deliver({ _tag: "End" })
    else this.queue.push({ text: "", echoed: false, endOfBody: true })
  }

  /** Drops the queued lines (Ctrl-C); how many there were. */
  discard(): number {
    let n = 0
    for (let i = this.head; i < this.queue.length; i++) if (this.queue[i].endOfBody === undefined) n++
    this.queue.length = 0
    this.head = 0
    return n
  }

  /** The next line for `reader`; waits when none is queued. */
  take(reader: Reader): Effect.Effect<Taken> {
    return Effect.async<Taken>((resume) => {
      for (let queued = this.shift(); queued !== undefined; queued = this.shift()) {
        if (queued.endOfBody === undefined) return resume(Effect.succeed({ _tag: "Line", text: queued.text, echoed: queued.echoed }))
        if (reader !== "command") return resume(Effect.succeed({ _tag: "End" }))
      }
      if (this.closed) return resume(Effect.succeed({ _tag: "End" }))
      this.waiter = (taken) => resume(Effect.succeed(taken))
      this.waiterKind = reader
      return Effect.sync(() => {
        this.waiter = undefined
        this.waiterKind = undefined
        this.prompting = false
      })
    })
  }

  private shift(): Queued | undefined {
    if (this.size === 0) return undefined
    const q = this.queue[this.head++]
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    return q
  }

  private deliver(taken: Taken): void {
    const w = this.waiter
    this.waiter = undefined
    this.waiterKind = undefined
    this.prompting = false
    w?.(taken)
  }
}
