/**
 * A growing buffer that text and bytes are appended to as UTF-8: records waiting for a batch, and
 * the batch bodies built from them, live here rather than as strings on the JS heap.
 */
export class ByteWriter {
  private buf: Buffer
  /** Bytes written so far. */
  at = 0

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity))
  }

  /** What was written (a view: the buffer is not copied). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.at)
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.at + bytes, Math.ceil(this.buf.length * 1.5)))
    this.buf.copy(bigger, 0, 0, this.at)
    this.buf = bigger
  }

  text(s: string): void {
    // `write` stops short rather than overflow: count UTF-8 bytes only when they might not fit
    if (this.buf.length - this.at < s.length * 3) this.ensure(Buffer.byteLength(s, "utf8"))
    this.at += this.buf.write(s, this.at, "utf8")
  }

  /** ASCII text (hex digits, constants): one byte a character. */
  ascii(s: string): void {
    this.ensure(s.length)
    if (s.length > 32) {
      this.at += this.buf.write(s, this.at, "latin1")
      return
    }
    // short constants, several a record: a loop costs less than a call into the binding
    for (let i = 0; i < s.length; i++) this.buf[this.at + i] = s.charCodeAt(i)
    this.at += s.length
  }

  /** `n` in lowercase hex, zero-padded to `digits`. */
  hex(n: number, digits: number): void {
    this.ensure(digits)
    for (let i = digits - 1; i >= 0; i--) {
      const d = n % 16
      this.buf[this.at + i] = d < 10 ? 48 + d : 87 + d
      n = Math.floor(n / 16)
    }
    this.at += digits
  }

  copy(from: Buffer, start = 0, end = from.length): void {
    this.ensure(end - start)
    this.at += from.copy(this.buf, this.at, start, end)
  }
}
