/**
 * An input file's bytes, one chunk read ahead. A read goes through the libuv threadpool; on a busy
 * importer it waits for the thread that runs everything else, and the records it holds cannot be
 * prepared until it is back. So the next chunk is read into a second buffer while this one is
 * decoded: the reader no longer waits for the disk between chunks.
 *
 * Two buffers take turns and are reused, so each chunk is valid until the next pull (`readSource`
 * decodes a chunk as it gets it). A read's fresh buffer per chunk, as a read stream makes, is
 * external memory that piles up between collections.
 *
 * Exactly one read is in flight at a time (reads follow the file position in order), and the file
 * is closed only once that read is done: a descriptor closed under a read could be reopened for
 * another file meanwhile, and the late read would then move that file's position.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { keepHiddenClass } from "../hiddenClass.js"

/** A read through the threadpool: one round trip per chunk, so chunks are large. */
export const fileChunk = 256 * 1024

/** The file operations a reader makes (node's `fs`; tests put slow or failing ones in). */
export interface FileOps {
  readonly read: (fd: number, buffer: Buffer, callback: (error: NodeJS.ErrnoException | null, bytes: number) => void) => void
  readonly close: (fd: number, callback: () => void) => void
}

export const nodeFileOps: FileOps = {
  read: (fd, buffer, callback) => fs.read(fd, buffer, 0, buffer.length, null, callback),
  close: (fd, callback) => fs.close(fd, () => callback())
}

/** One read into a buffer: its outcome once it is back, and who waits for it. */
class Read {
  done = false
  error: NodeJS.ErrnoException | null = null
  bytes = 0
  private readonly waiters: Array<() => void> = []

  constructor(ops: FileOps, fd: number, readonly buffer: Buffer) {
    ops.read(fd, buffer, (error, bytes) => {
      this.done = true
      this.error = error
      this.bytes = bytes
      for (const w of this.waiters.splice(0)) w()
    })
  }

  /** Runs `f` once the read is back (now, if it is). */
  then(f: () => void): void {
    if (this.done) f()
    else this.waiters.push(f)
  }

  /** Forgets `f` (its pull was interrupted); the read itself goes on. */
  forget(f: () => void): void {
    const i = this.waiters.indexOf(f)
    if (i >= 0) this.waiters.splice(i, 1)
  }
}

export class FileReader<E> {
  private readonly buffers: readonly [Buffer, Buffer]
  private turn = 0
  // the read in flight, or the one that ended the file (end or error: nothing is read after it)
  private current: Read | undefined
  private ended = false

  constructor(
    private readonly fd: number,
    private readonly fail: (cause: NodeJS.ErrnoException) => E,
    private readonly ops: FileOps = nodeFileOps,
    chunkSize = fileChunk
  ) {
    this.buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)]
  }

  private start(): void {
    this.current = new Read(this.ops, this.fd, this.buffers[this.turn])
  }

  /**
   * The next chunk, or `None` at the end of the file. The chunk is a view of a reused buffer: valid
   * until the next pull.
   */
  readonly next: Effect.Effect<Uint8Array, Option.Option<E>> = Effect.async((resume) => {
    if (this.current === undefined && !this.ended) this.start()
    const read = this.current
    if (read === undefined) {
      resume(Effect.fail(Option.none()))
      return
    }
    const deliver = () => {
      if (read.error !== null || read.bytes === 0) {
        // the end (or a failure): no further read is started, so `close` need not wait
        this.ended = true
        this.current = undefined
        resume(Effect.fail(read.error !== null ? Option.some(this.fail(read.error)) : Option.none()))
        return
      }
      const chunk = read.buffer.subarray(0, read.bytes)
      this.turn ^= 1
      // The buffer read into next held the chunk before this one, which its consumer is done with
      // (it pulled again).
      this.start()
      resume(Effect.succeed(chunk))
    }
    read.then(deliver)
    return Effect.sync(() => read.forget(deliver))
  })

  /** Closes the file once no read is in flight on it. */
  readonly close: Effect.Effect<void> = Effect.async((resume) => {
    const closeNow = () => this.ops.close(this.fd, () => resume(Effect.void))
    if (this.current === undefined) closeNow()
    else this.current.then(closeNow)
  })
}

/** Opens `path` for a `FileReader`; the failure is `fail`'s. */
export const openFile = <E>(path: string, fail: (cause: unknown) => E): Effect.Effect<number, E> =>
  Effect.async<number, E>((resume) =>
    fs.open(path, "r", (e, fd) => resume(e === null ? Effect.succeed(fd) : Effect.fail(fail(e))))
  )

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new Read({ read: () => undefined, close: () => undefined }, -1, Buffer.alloc(0)))
