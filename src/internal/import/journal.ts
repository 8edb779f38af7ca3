/**
 * The import journal: append-only JSON Lines next to the input, never holding passwords, bound to
 * the input's content by a digest of each record sent.
 *
 *   {"t":"begin","v":2,"source":…,"namespace":…,"at":…,"pid":…,"host":…}   every run
 *   {"t":"sent","b":"<run>-<n>","lines":[…],"d":[a,b,…],"k":[a,b,…]}   fsynced before the batch goes out
 *   {"t":"done","c":[line,…],"items":[[line,outcome,idOrStatus,reason?],…]}
 *   {"t":"end","at":…,"input":"<digest>","records":n,"complete":bool}     a run that ran to its end
 *
 * `d` holds each sent record's 64-bit text digest as two int32s, in the order of `lines`; `k` the
 * digest of its key (external_id, else first password identifier; 0,0 for none), by which an
 * edited record finds the version an earlier run sent. `c` lists the lines created (the common
 * outcome, kept short); `items` the others. Line numbers refer to the
 * input as that run read it: a later run matches its records to journaled ones by digest, so
 * lines that moved keep their outcome and lines that changed are new records.
 * Outcomes: c created, p present (created by an earlier attempt), r updated (an earlier version of the
 * record was on the server and was replaced by this one), f failed, x conflict, u unknown.
 * A record sent but never done is ambiguous: resume reconciles it instead of resending blindly.
 *
 * Two users, two keys: the importer journals digests and matches its input's records by them
 * (`records`); bulk changes journal positions in a fixed plan without digests and read the state
 * by position (`doneLines`, `done`, `pending`), which holds across runs when positions do not move.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as readline from "node:readline"
import { keepHiddenClass } from "../hiddenClass.js"
import { ByteWriter } from "./bytes.js"
import type { Digest } from "./digest.js"
import { LineSet } from "./keys.js"

export type Outcome = "c" | "p" | "r" | "f" | "x" | "u"

/** One final result. `value` is the identity id (c, p, r) or the HTTP status (f, x). */
export type DoneItem = readonly [line: number, outcome: Outcome, value?: string | number, reason?: string]

/** The journal format this version writes; older journals lack digests and cannot be resumed. */
export const version = 2

/**
 * The file operations the journal and failures file use: node's by default, replaced in tests to
 * inject short writes and full disks.
 */
export interface Files {
  readonly openSync: (path: string, flags: string, mode?: number) => number
  readonly writeSync: (fd: number, data: Uint8Array, offset: number, length: number) => number
  readonly fsync: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void
  readonly fsyncSync: (fd: number) => void
  readonly closeSync: (fd: number) => void
  readonly fchmodSync: (fd: number, mode: number) => void
}

export const nodeFiles: Files = {
  openSync: (path, flags, mode) => fs.openSync(path, flags, mode),
  writeSync: (fd, data, offset, length) => fs.writeSync(fd, data, offset, length),
  fsync: (fd, callback) => fs.fsync(fd, callback),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  fchmodSync: (fd, mode) => fs.fchmodSync(fd, mode)
}

/** The files the importer writes through (a `Context.Reference`: node's unless a test provides others). */
export class ImportFiles extends Context.Reference<ImportFiles>()("effect-kratos/import/ImportFiles", {
  defaultValue: (): Files => nodeFiles
}) {}

/** A write that did not reach the file whole (disk full, I/O error). */
export class WriteFailed extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot write ${path}: ${reason}`)
  }
}

/** Appends `text` whole or throws `WriteFailed` (a short write is retried from where it stopped). */
export const writeWhole = (files: Files, fd: number, path: string, text: string): void =>
  writeWholeBytes(files, fd, path, Buffer.from(text, "utf8"))

/** Appends `bytes` whole or throws `WriteFailed`, as `writeWhole`. */
export const writeWholeBytes = (files: Files, fd: number, path: string, bytes: Uint8Array): void => {
  let at = 0
  while (at < bytes.length) {
    let n: number
    try {
      n = files.writeSync(fd, bytes, at, bytes.length - at)
    } catch (e) {
      throw new WriteFailed(path, errorText(e))
    }
    if (n <= 0) throw new WriteFailed(path, `short write (${at} of ${bytes.length} bytes)`)
    at += n
  }
}

export const errorText = (e: unknown): string =>
  e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) + (e.message.includes(" ") ? `: ${e.message}` : "") : String(e)

/** Files holding PII and password hashes are readable by their owner only. */
export const privateMode = 0o600

export const Code = { pending: 0, created: 1, present: 2, failed: 3, conflict: 4, unknown: 5, updated: 6 } as const
export type Code = typeof Code[keyof typeof Code]
const codeOf = (o: Outcome): Code =>
  o === "c" ? Code.created : o === "p" ? Code.present : o === "r" ? Code.updated : o === "f" ? Code.failed : o === "x" ? Code.conflict : Code.unknown

/** On the server as the record was then (created, found, or updated to it). */
export const succeeded = (c: Code): boolean => c === Code.created || c === Code.present || c === Code.updated

/**
 * Journaled records by digest. Several records may share a digest (identical lines): each is its
 * own entry, and a resumed run takes one entry per matching record.
 */
export class Records {
  private a = new Int32Array(1024)
  private b = new Int32Array(1024)
  private outcomes = new Uint8Array(1024)
  private run = new Uint32Array(1024)
  private taken = new Uint8Array(1024)
  private ka = new Int32Array(1024)
  private kb = new Int32Array(1024)
  /** By key digest, built at the first `takeByKey` (entries are all loaded by then). */
  private keySlots: Uint32Array | undefined
  /** Details of outcomes other than created/pending, by entry. */
  readonly details = new Map<number, DoneItem>()
  size = 0
  private slots = new Uint32Array(4096)

  code(entry: number): Code {
    return this.outcomes[entry] as Code
  }

  setOutcome(entry: number, code: Code, item?: DoneItem): void {
    this.outcomes[entry] = code
    if (item === undefined || code === Code.created || code === Code.pending) this.details.delete(entry)
    else this.details.set(entry, item)
  }

  add(a: number, b: number, run: number): number {
    if (this.size === this.a.length) this.growEntries()
    const e = this.size++
    this.a[e] = a
    this.b[e] = b
    this.run[e] = run
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2)
    else this.index(e)
    return e
  }

  /** An entry of this digest another run left without a success (a record resent now). */
  findOpen(a: number, b: number, run: number): number {
    for (let i = this.home(a, b); this.slots[i] !== 0; i = this.next(i)) {
      const e = this.slots[i] - 1
      if (this.a[e] === a && this.b[e] === b && this.run[e] !== run) {
        if (!succeeded(this.outcomes[e] as Code)) return e
      }
    }
    return -1
  }

  /** Claims an entry of this digest for a record of the input (-1: none journaled, or all claimed). */
  take(d: Digest): number {
    for (let i = this.home(d.a, d.b); this.slots[i] !== 0; i = this.next(i)) {
      const e = this.slots[i] - 1
      if (this.a[e] === d.a && this.b[e] === d.b && this.taken[e] === 0) {
        this.taken[e] = 1
        return e
      }
    }
    return -1
  }

  /** The key digest of an entry (0, 0: the record had no key). */
  setKey(entry: number, a: number, b: number): void {
    this.ka[entry] = a
    this.kb[entry] = b
  }

  /**
   * Claims every entry no record claimed yet whose record had this key: the earlier versions of an
   * edited record. Returns one of them (-1: none). Called after `take` found no entry of the
   * record's own digest; a later record with the same key is a duplicate in the input, so it never
   * needed these.
   */
  takeByKey(a: number, b: number): number {
    if (a === 0 && b === 0) return -1
    const slots = this.keySlots ?? this.indexKeys()
    const mask = slots.length - 1
    let found = -1
    for (let i = this.keyHome(a, b) & mask; slots[i] !== 0; i = (i + 1) & mask) {
      const e = slots[i] - 1
      if (this.ka[e] === a && this.kb[e] === b && this.taken[e] === 0) {
        this.taken[e] = 1
        found = e
      }
    }
    return found
  }

  private keyHome(a: number, b: number): number {
    return (Math.imul(a, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35)) >>> 0
  }

  private indexKeys(): Uint32Array {
    let n = 16
    while (n < this.size * 2) n *= 2
    const slots = new Uint32Array(n)
    for (let e = 0; e < this.size; e++) {
      if (this.ka[e] === 0 && this.kb[e] === 0) continue
      let i = this.keyHome(this.ka[e], this.kb[e]) & (n - 1)
      while (slots[i] !== 0) i = (i + 1) & (n - 1)
      slots[i] = e + 1
    }
    this.keySlots = slots
    return slots
  }

  /** Entries with a final outcome. */
  finished(): number {
    let n = 0
    for (let e = 0; e < this.size; e++) if (this.outcomes[e] !== Code.pending) n++
    return n
  }

  /** Entries no record of the input claimed (edited or removed since). */
  unclaimed(): number {
    let n = 0
    for (let e = 0; e < this.size; e++) if (this.taken[e] === 0) n++
    return n
  }

  private home(a: number, b: number): number {
    return ((a ^ Math.imul(b, 0x9e3779b1)) >>> 0) & (this.slots.length - 1)
  }

  private next(i: number): number {
    return (i + 1) & (this.slots.length - 1)
  }

  private index(e: number): void {
    let i = this.home(this.a[e], this.b[e])
    while (this.slots[i] !== 0) i = this.next(i)
    this.slots[i] = e + 1
  }

  private rehash(capacity: number): void {
    this.slots = new Uint32Array(capacity)
    for (let e = 0; e < this.size; e++) this.index(e)
  }

  private growEntries(): void {
    const n = this.a.length * 2
    const grow = <T extends Int32Array | Uint32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(n)
      next.set(old)
      return next
    }
    this.a = grow(this.a, (k) => new Int32Array(k))
    this.b = grow(this.b, (k) => new Int32Array(k))
    this.outcomes = grow(this.outcomes, (k) => new Uint8Array(k))
    this.run = grow(this.run, (k) => new Uint32Array(k))
    this.taken = grow(this.taken, (k) => new Uint8Array(k))
    this.ka = grow(this.ka, (k) => new Int32Array(k))
    this.kb = grow(this.kb, (k) => new Int32Array(k))
  }
}

export interface RunInfo {
  readonly at: string
  readonly pid?: number
  readonly host?: string
}

export interface EndInfo {
  readonly at: string
  readonly input: string
  readonly records: number
  readonly complete: boolean
}

export interface JournalState {
  /** By digest (entries journaled with one): the importer's view. */
  readonly records: Records
  /** By line, across runs (for journals whose lines keep their meaning: a fixed plan). */
  readonly doneLines: LineSet
  /** Final outcomes other than "created", by line. */
  readonly done: Map<number, DoneItem>
  /** Lines sent without a final outcome. */
  readonly pending: LineSet
  readonly source: string | undefined
  readonly runs: number
  /** When the first run began: identities created before it are not this import's. */
  readonly firstRun: RunInfo | undefined
  readonly lastRun: RunInfo | undefined
  /** How the last run ended, if it ran to its end. */
  readonly lastEnd: EndInfo | undefined
  /** Written by a version without digests: its records cannot be matched to the input. */
  readonly legacy: boolean
}

/** Reads a journal (missing file → empty state). A torn line (kill -9 or a full disk mid-write) is ignored. */
export const load = async (path: string): Promise<JournalState> => {
  const records = new Records()
  let source: string | undefined
  let runs = 0
  let firstRun: RunInfo | undefined
  let lastRun: RunInfo | undefined
  let lastEnd: EndInfo | undefined
  let legacy = false
  const doneLines = new LineSet()
  const pending = new LineSet()
  const done = new Map<number, DoneItem>()
  // line → entry + 1, for the run being read (line numbers mean something within their run only)
  let lineEntry = new Int32Array(1024)
  const entryOf = (line: number): number => (line >= 0 && line < lineEntry.length ? lineEntry[line] - 1 : -1)
  const state = () => ({ records, doneLines, done, pending, source, runs, firstRun, lastRun, lastEnd, legacy })
  if (!fs.existsSync(path)) return state()
  const rl = readline.createInterface({ input: fs.createReadStream(path), crlfDelay: Infinity })
  for await (const text of rl) {
    if (text.length === 0) continue
    let entry: {
      t?: string
      v?: number
      lines?: Array<number>
      d?: Array<number>
      k?: Array<number>
      c?: Array<number>
      items?: Array<DoneItem>
      source?: string
      at?: string
      pid?: number
      host?: string
      input?: string
      records?: number
      complete?: boolean
    }
    try {
      entry = JSON.parse(text)
    } catch {
      continue
    }
    if (entry === null || typeof entry !== "object") continue
    if (entry.t === "begin") {
      runs++
      if (entry.v !== version) legacy = true
      source ??= entry.source
      lastRun = { at: String(entry.at), ...(entry.pid !== undefined ? { pid: entry.pid } : {}), ...(entry.host !== undefined ? { host: entry.host } : {}) }
      firstRun ??= lastRun
      lastEnd = undefined
      lineEntry.fill(0)
    } else if (entry.t === "sent" && Array.isArray(entry.lines)) {
      for (const line of entry.lines) if (!doneLines.has(line)) pending.add(line)
      const d = entry.d
      if (!Array.isArray(d) || d.length !== entry.lines.length * 2) {
        legacy = true
        continue
      }
      const keys = Array.isArray(entry.k) && entry.k.length === d.length ? entry.k : undefined
      for (let k = 0; k < entry.lines.length; k++) {
        const line = entry.lines[k]
        const a = d[2 * k] | 0
        const b = d[2 * k + 1] | 0
        if (!Number.isInteger(line) || line < 0) continue
        const known = entryOf(line)
        let e = known >= 0 ? known : records.findOpen(a, b, runs)
        if (e < 0) e = records.add(a, b, runs)
        records.setOutcome(e, Code.pending)
        if (keys !== undefined) records.setKey(e, keys[2 * k] | 0, keys[2 * k + 1] | 0)
        if (line >= lineEntry.length) {
          let n = lineEntry.length
          while (n <= line) n *= 2
          const next = new Int32Array(n)
          next.set(lineEntry)
          lineEntry = next
        }
        lineEntry[line] = e + 1
      }
    } else if (entry.t === "done") {
      if (Array.isArray(entry.c)) {
        for (const line of entry.c) {
          doneLines.add(line)
          pending.delete(line)
          done.delete(line)
          const e = entryOf(line)
          if (e >= 0) records.setOutcome(e, Code.created)
        }
      }
      if (Array.isArray(entry.items)) {
        for (const item of entry.items) {
          if (!Array.isArray(item)) continue
          doneLines.add(item[0])
          pending.delete(item[0])
          if (item[1] === "c") done.delete(item[0])
          else done.set(item[0], item)
          const e = entryOf(item[0])
          if (e >= 0) records.setOutcome(e, codeOf(item[1]), item)
        }
      }
    } else if (entry.t === "end") {
      lastEnd = {
        at: String(entry.at),
        input: String(entry.input),
        records: Number(entry.records),
        complete: entry.complete === true
      }
    }
  }
  return state()
}

const sentOpen = Buffer.from("{\"t\":\"sent\",\"b\":\"")
const sentLines = Buffer.from("\",\"lines\":[")
const sentDigests = Buffer.from("],\"d\":[")
const sentKeys = Buffer.from("],\"k\":[")
const sentClose = Buffer.from("]}\n")
const commaByte = Buffer.from(",")

const numbers = (w: ByteWriter, xs: ArrayLike<number>): void => {
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) w.constant(commaByte)
    w.decimal(xs[i])
  }
}

/** A `sent` entry as `JournalWriter.sent` writes it, built as text: the plain form its bytes equal. */
export const sentEntryText = (
  batch: string,
  lines: ArrayLike<number>,
  digests?: ArrayLike<number>,
  keys?: ArrayLike<number>
): string => {
  const join = (xs: ArrayLike<number>) => Array.from(xs).join(",")
  const d = digests === undefined ? "" : `,"d":[${join(digests)}]`
  const k = keys === undefined ? "" : `,"k":[${join(keys)}]`
  return `{"t":"sent","b":"${batch}","lines":[${join(lines)}]${d}${k}}\n`
}

/** Whether a file ends with a newline (an entry torn by a crash or a full disk does not). */
const endsTorn = (path: string): boolean => {
  let fd: number | undefined
  try {
    fd = fs.openSync(path, "r")
    const size = fs.fstatSync(fd).size
    if (size === 0) return false
    const last = Buffer.alloc(1)
    fs.readSync(fd, last, 0, 1, size - 1)
    return last[0] !== 10
  } catch {
    return false
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * An open journal. Writes are synchronous appends, each entry whole or a `WriteFailed`: small, and
 * they must reach the disk in order.
 */
export class JournalWriter {
  private constructor(private readonly files: Files, private readonly fd: number, readonly path: string) {}

  // `sent` entries are written here (see `sent`), the buffer kept from one batch to the next
  private readonly entry = new ByteWriter(16 * 1024)

  /** Opens for appending (`truncate`: a fresh journal), owner-only; a torn last entry is closed off first. */
  static open(path: string, options: { readonly files?: Files; readonly truncate?: boolean } = {}): JournalWriter {
    const files = options.files ?? nodeFiles
    const truncate = options.truncate === true
    const torn = !truncate && endsTorn(path)
    let fd: number
    try {
      fd = files.openSync(path, truncate ? "w" : "a", privateMode)
      files.fchmodSync(fd, privateMode)
    } catch (e) {
      throw new WriteFailed(path, errorText(e))
    }
    const w = new JournalWriter(files, fd, path)
    if (torn) w.write("\n")
    return w
  }

  begin(source: string, namespace: string, at: Date = new Date()): void {
    this.append({ t: "begin", v: version, source, namespace, at: at.toISOString(), pid: process.pid, host: os.hostname() })
    this.fsyncNow()
  }

  /**
   * Appended at once; `sync` makes it durable, which the batch waits for before it goes out.
   * `digests`: two int32s per line (the importer's records); without them the entry is by line only.
   * `keys`: two int32s per line, the digests of the records' keys.
   */
  sent(batch: string, lines: ArrayLike<number>, digests?: ArrayLike<number>, keys?: ArrayLike<number>): void {
    // Written as bytes, number by number (`sentEntryText` is the same entry as text): a batch's
    // entry holds five numbers a record, and as strings each would be one more allocation.
    const w = this.entry
    w.reset()
    w.constant(sentOpen)
    // batch ids are the importer's own (run and counter), nothing JSON escapes
    w.text(batch)
    w.constant(sentLines)
    numbers(w, lines)
    if (digests !== undefined) {
      w.constant(sentDigests)
      numbers(w, digests)
    }
    if (keys !== undefined) {
      w.constant(sentKeys)
      numbers(w, keys)
    }
    w.constant(sentClose)
    writeWholeBytes(this.files, this.fd, this.path, w.bytes)
  }

  /**
   * fsync on the threadpool: the thread goes on reading and validating meanwhile, and with a batch
   * encoded ahead the wait ends while the previous batch is still on the server.
   */
  readonly sync: Effect.Effect<void, WriteFailed> = Effect.async<void, WriteFailed>((resume) => {
    this.files.fsync(this.fd, (error) => resume(error === null ? Effect.void : Effect.fail(new WriteFailed(this.path, errorText(error)))))
  })

  /**
   * Not fsynced by itself: the `sync` of the next batch or `close` makes it durable. A `done` lost
   * to a power cut only means a resume looks those records up again.
   */
  done(created: ReadonlyArray<number>, items: ReadonlyArray<DoneItem>): void {
    if (created.length > 0 || items.length > 0) this.append({ t: "done", c: created, items })
  }

  end(info: EndInfo): void {
    this.append({ t: "end", ...info })
    this.fsyncNow()
  }

  close(): void {
    try {
      this.files.fsyncSync(this.fd)
    } catch {
      // closing anyway
    }
    try {
      this.files.closeSync(this.fd)
    } catch {
      // already unusable
    }
  }

  private fsyncNow(): void {
    try {
      this.files.fsyncSync(this.fd)
    } catch (e) {
      throw new WriteFailed(this.path, errorText(e))
    }
  }

  private append(entry: unknown): void {
    this.write(JSON.stringify(entry) + "\n")
  }

  private write(text: string): void {
    writeWhole(this.files, this.fd, this.path, text)
  }
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new Records())
