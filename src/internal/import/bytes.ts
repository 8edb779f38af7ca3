const empty = Buffer.alloc(0)

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

  /** A constant (bytes made once, e.g. with `Buffer.from`). */
  constant(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buf.set(bytes, this.at)
    this.at += bytes.length
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
