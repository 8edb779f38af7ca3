import { keepHiddenClass } from "../hiddenClass.js"
const empty = Buffer.alloc(0)

/** "00" to "99", two bytes each. */
const digitPairs = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""), "latin1")

/**
 * A growing buffer that text and bytes are appended to as UTF-8: records waiting for a batch, and
 * the batch bodies built from them, live here rather than as strings on the JS heap.
 */
export class ByteWriter {
  // allocated by the first write (a dry run writes nothing)
  private buf: Buffer = empty
  /** Bytes written so far. */
  at = 0

  /** `capacity`: what the first write allocates room for (it grows when more is written). */
  constructor(private readonly capacity: number) {}

  /** What was written (a view: the buffer is not copied). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.at)
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.at + bytes, Math.ceil(this.buf.length * 1.5), this.capacity, 64))
    this.buf.copy(bigger, 0, 0, this.at)
    this.buf = bigger
  }

  text(s: string): void {
    const room = this.buf.length - this.at
    // `write` stops short rather than overflow, before a character it cannot fit (at most 4 bytes):
    // with more room left than that, the text is all in, and its UTF-8 length was never counted.
    if (room >= s.length) {
      const n = this.buf.write(s, this.at, "utf8")
      if (room - n >= 4 || Buffer.byteLength(s, "utf8") === n) {
        this.at += n
        return
      }
    }
    this.ensure(Buffer.byteLength(s, "utf8"))
    this.at += this.buf.write(s, this.at, "utf8")
  }

  /** Starts over (the buffer is kept: a writer reused for each entry allocates nothing). */
  reset(): void {
    this.at = 0
  }

  /** A constant (bytes made once, e.g. with `Buffer.from`). */
  constant(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    const buf = this.buf
    const at = this.at
    // The importer's constants are a few bytes (`,`, `{"create":`) written several times a record:
    // copied by hand, as `set` costs a native call each, more than the copy itself.
    if (bytes.length <= 16) for (let i = 0; i < bytes.length; i++) buf[at + i] = bytes[i]
    else buf.set(bytes, at)
    this.at = at + bytes.length
  }

  /**
   * `n` as `String(n)` writes it. Integers are written digit by digit: the journal writes thousands
   * of them a batch (digests, line numbers), and `String` or `join` allocates a string for each.
   */
  decimal(n: number): void {
    if (!Number.isSafeInteger(n)) return this.text(String(n))
    this.ensure(17)
    const buf = this.buf
    let at = this.at
    if (n < 0) {
      buf[at++] = 45
      n = -n
    }
    let digits = 1
    for (let p = 10; p <= n; p *= 10) digits++
    const end = at + digits
    let i = end
    // two digits a step while they fit in int32 arithmetic (digests, line numbers), one otherwise
    while (n >= 0x80000000) {
      const q = Math.floor(n / 10)
      buf[--i] = 48 + (n - q * 10)
      n = q
    }
    while (n >= 100) {
      const q = (n / 100) | 0
      const r = (n - q * 100) << 1
      buf[--i] = digitPairs[r + 1]
      buf[--i] = digitPairs[r]
      n = q
    }
    if (n >= 10) {
      buf[--i] = digitPairs[(n << 1) + 1]
      buf[--i] = digitPairs[n << 1]
    } else {
      buf[--i] = 48 + n
    }
    this.at = end
  }

  /** `n` in lowercase hex, zero-padded to `digits`. */
  hex(n: number, digits: number): void {
    this.ensure(digits)
    const buf = this.buf
    const end = this.at + digits
    for (let i = end - 1; i >= this.at; i--) {
      const d = n < 0x100000000 ? n & 15 : n % 16
      buf[i] = d < 10 ? 48 + d : 87 + d
      n = n < 0x100000000 ? n >>> 4 : Math.floor(n / 16)
    }
    this.at = end
  }

  copy(from: Buffer, start = 0, end = from.length): void {
    this.ensure(end - start)
    this.at += from.copy(this.buf, this.at, start, end)
  }
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new ByteWriter(0))
