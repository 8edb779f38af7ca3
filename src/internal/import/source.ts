/**
 * Incremental reader of import sources: JSON Lines, one JSON array, or JSON values written one
 * after the other (pretty-printed objects). Bytes go in, `(line, text | error)` come out, one
 * record at a time, so memory stays flat however large the input is.
 */
import { isUtf8 } from "node:buffer"
import { keepHiddenClass } from "../hiddenClass.js"

/**
 * One record of the source: a value given in memory, a value's JSON text as read (parsed when it
 * is validated: reading a large chunk is only a scan for where values end), or why a value's text
 * could not be delimited.
 */
export type SourceItem =
  | { readonly _tag: "Value"; readonly line: number; readonly value: unknown; readonly bytes: number; readonly offset?: number }
  | { readonly _tag: "Text"; readonly line: number; readonly text: string; readonly bytes: number; readonly offset?: number }
  | { readonly _tag: "Malformed"; readonly line: number; readonly reason: string; readonly bytes: number; readonly offset?: number }

type Mode = "detect" | "lines" | "array" | "values"

const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const NEWLINE = 10

// A value this large without an end is a broken file, not a record: report it and move on.
const maxValueChars = 8 * 1024 * 1024

/**
 * The parser state machine. Mode is picked from the first value: `[` → array elements; a value
 * complete on its first line → JSON Lines (every line parsed on its own, so one broken line never
 * swallows the next); otherwise concatenated values found by bracket matching.
 */
export class SourceParser {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false })
  private mode: Mode = "detect"
  private pending = ""
  /** 1-based number of the line `pending` starts on. */
  private line = 1
  private bytes = 0
  // scanner state (array / values modes)
  private depth = 0
  private inString = false
  private escaped = false
  private valueStart = -1
  private valueLine = 0
  private scanPos = 0
  private scanLine = 1
  private arrayClosed = false
  private sawArrayComma = true
  /** An over-long line or value is being skipped to its end (none of it becomes a record). */
  private skipping = false
  // UTF-8 validation: newlines in the bytes before this chunk, the bytes of a character a chunk
  // ended in the middle of, and the lines holding invalid UTF-8 (reported, never decoded lossily)
  private newlines = 0
  private carry: Uint8Array = noBytes
  private readonly badLines = new Set<number>()
  // Byte offsets where lines begin, from line `startsLine` on (lines are emitted in order, so the
  // ones before are dropped as the input goes).
  private starts: Array<number> = [0]
  private startsLine = 1

  /** The byte offset in the input where `line` begins (-1: not known). */
  private offsetOf(line: number): number {
    const k = line - this.startsLine
    if (k < 0 || k >= this.starts.length) return -1
    if (k >= 1024) {
      this.starts.splice(0, k)
      this.startsLine = line
      return this.starts[0]
    }
    return this.starts[k]
  }

  /** Notes where the lines after the newlines of `chunk` begin (`base`: the chunk's offset in the input). */
  private countLines(chunk: Uint8Array, base: number): void {
    for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) {
      this.newlines++
      this.starts.push(base + i + 1)
    }
  }

  push(chunk: Uint8Array): Array<SourceItem> {
    this.bytes += chunk.length
    this.validate(chunk)
    return this.take(this.decoder.decode(chunk, { stream: true }), false)
  }

  end(): Array<SourceItem> {
    // a character cut off by the end of the input
    if (this.carry.length > 0) this.badLines.add(this.newlines + 1)
    this.carry = noBytes
    return this.take(this.decoder.decode(), true)
  }

  /** Marks the lines of `chunk` that are not valid UTF-8 (a native check of the whole chunk first). */
  private validate(chunk: Uint8Array): void {
    const firstLine = this.newlines + 1
    let from = 0
    if (this.carry.length > 0) {
      // the rest of the character the last chunk ended in
      const need = Math.min(chunk.length, sequenceLength(this.carry[0]) - this.carry.length)
      const joined = new Uint8Array(this.carry.length + need)
      joined.set(this.carry)
      joined.set(chunk.subarray(0, need), this.carry.length)
      if (need < sequenceLength(this.carry[0]) - this.carry.length) {
        this.carry = joined
        this.countLines(chunk, this.bytes - chunk.length)
        return
      }
      if (!isUtf8(joined)) this.badLines.add(firstLine)
      from = need
    }
    const cut = completeUpTo(chunk, from)
    this.carry = cut < chunk.length ? chunk.slice(cut) : noBytes
    const body = chunk.subarray(from, cut)
    if (!isUtf8(body)) {
      let line = firstLine
      let start = 0
      while (start <= body.length) {
        let nl = body.indexOf(NEWLINE, start)
        if (nl < 0) nl = body.length
        if (!isUtf8(body.subarray(start, nl))) this.badLines.add(line)
        line++
        start = nl + 1
      }
    }
    this.countLines(chunk, this.bytes - chunk.length)
  }

  /** Whether lines `from`..`to` hold invalid UTF-8. */
  private invalid(from: number, to: number): boolean {
    if (this.badLines.size === 0) return false
    for (let l = from; l <= to; l++) if (this.badLines.has(l)) return true
    return false
  }

  private take(text: string, final: boolean): Array<SourceItem> {
    const out: Array<SourceItem> = []
    if (this.mode === "lines") {
      this.drainLines(out, text, final)
      return out
    }
    this.pending += text
    if (this.mode === "detect") this.detect(final)
    // (detect may have picked lines)
    if ((this.mode as Mode) === "lines") {
      const all = this.pending
      this.pending = ""
      this.drainLines(out, all, final)
    } else if (this.mode === "array" || this.mode === "values") {
      this.drainScan(out, final)
    }
    return out
  }

  private detect(final: boolean): void {
    let i = 0
    const text = this.pending
    while (i < text.length && (text.charCodeAt(i) <= 32 || text.charCodeAt(i) === 0xfeff)) i++
    if (i === text.length) {
      if (final) this.mode = "lines"
      return
    }
    if (text.charCodeAt(i) === OPEN_BRACKET) {
      this.mode = "array"
      return
    }
    // Look at the first non-blank line: complete by itself → JSON Lines.
    const nl = text.indexOf("\n", i)
    if (nl < 0 && !final) return
    const first = text.slice(i, nl < 0 ? text.length : nl)
    this.mode = balanced(first) ? "lines" : "values"
  }

  /**
   * The lines of `pending` (the unfinished line) then `text` (just read), scanned without joining
   * the two: a chunk's text is not copied again for the few characters left from the last one.
   */
  private drainLines(out: Array<SourceItem>, text: string, final: boolean): void {
    let start = 0
    let nl: number
    if (this.skipping) {
      // the rest of a line already reported as too long
      nl = text.indexOf("\n")
      if (nl < 0) return
      this.skipping = false
      start = nl + 1
      this.line++
      text = text.slice(start)
      start = 0
    }
    if (this.pending.length > 0) {
      nl = text.indexOf("\n")
      if (nl < 0) {
        text = this.pending + text
      } else {
        this.emitLine(out, this.pending + text.slice(0, nl))
        start = nl + 1
        this.line++
      }
      this.pending = ""
    }
    while ((nl = text.indexOf("\n", start)) >= 0) {
      this.emitLine(out, text.slice(start, nl))
      start = nl + 1
      this.line++
    }
    this.pending = start === 0 ? text : text.slice(start)
    if (final && this.pending.length > 0) {
      this.emitLine(out, this.pending)
      this.pending = ""
    } else if (this.pending.length > maxValueChars) {
      out.push({ _tag: "Malformed", line: this.line, reason: "line longer than 8 MiB", bytes: this.bytes, offset: this.offsetOf(this.line) })
      this.pending = ""
      this.mode = "lines"
      this.skipping = true
    }
  }

  private emitLine(out: Array<SourceItem>, raw: string): void {
    const text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
    if (this.badLines.size > 0 && this.badLines.has(this.line)) {
      out.push({ _tag: "Malformed", line: this.line, reason: "not valid UTF-8", bytes: this.bytes, offset: this.offsetOf(this.line) })
      return
    }
    if (text.trim().length === 0) return
    out.push({ _tag: "Text", line: this.line, text, bytes: this.bytes, offset: this.offsetOf(this.line) })
  }

  /** Bracket matching over `pending`, emitting each top-level value (values) or element (array). */
  private drainScan(out: Array<SourceItem>, final: boolean): void {
    const text = this.pending
    const array = this.mode === "array"
    // In array mode the outer `[` is depth 1; elements live at depth 1.
    const base = array ? 1 : 0
    let i = this.scanPos
    let line = this.scanLine
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (c === BACKSLASH) this.escaped = true
        else if (c === QUOTE) this.inString = false
        else if (c === NEWLINE) line++
        continue
      }
      if (c === NEWLINE) {
        line++
        continue
      }
      if (c <= 32 || c === 0xfeff) continue
      if (array && this.arrayClosed) {
        out.push({ _tag: "Malformed", line, reason: "unexpected text after the closing ]", bytes: this.bytes, offset: this.offsetOf(line) })
        i = skipToLineEnd(text, i)
        continue
      }
      if (array && this.depth === 0) {
        if (c === OPEN_BRACKET) this.depth = 1
        else {
          out.push({ _tag: "Malformed", line, reason: "expected [", bytes: this.bytes, offset: this.offsetOf(line) })
          i = skipToLineEnd(text, i)
        }
        continue
      }
      if (this.depth === base && this.valueStart < 0) {
        if (array && c === CLOSE_BRACKET) {
          this.depth = 0
          this.arrayClosed = true
          continue
        }
        if (array && c === COMMA) {
          if (this.sawArrayComma) {
            out.push({ _tag: "Malformed", line, reason: "unexpected ,", bytes: this.bytes, offset: this.offsetOf(line) })
          }
          this.sawArrayComma = true
          continue
        }
        this.valueStart = i
        this.valueLine = line
        if (array && !this.sawArrayComma) {
          out.push({ _tag: "Malformed", line, reason: "missing , between array elements", bytes: this.bytes, offset: this.offsetOf(line) })
        }
        this.sawArrayComma = false
      }
      if (c === QUOTE) this.inString = true
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === base) {
          // `]` closing the array right after a scalar element, or a stray closer at top level.
          if (array && c === CLOSE_BRACKET) {
            this.emitValue(out, text.slice(this.valueStart, i), line)
            this.valueStart = -1
            this.depth = 0
            this.arrayClosed = true
            continue
          }
          out.push({ _tag: "Malformed", line, reason: `unexpected ${String.fromCharCode(c)}`, bytes: this.bytes, offset: this.offsetOf(line) })
          this.valueStart = -1
          continue
        }
        this.depth--
        if (this.depth === base) {
          this.emitValue(out, text.slice(this.valueStart, i + 1), line)
          this.valueStart = -1
        }
        continue
      }
      // A scalar at the value level ends at the next separator.
      if (this.depth === base && this.valueStart >= 0 && (c !== QUOTE || i !== this.valueStart)) {
        const end = scalarEnd(text, i, array)
        if (end < 0 && !final) break
        const stop = end < 0 ? text.length : end
        this.emitValue(out, text.slice(this.valueStart, stop), line)
        this.valueStart = -1
        i = stop - 1
      }
    }
    if (this.inString && this.depth === base && this.valueStart >= 0 && i >= text.length) {
      // a top-level string still open: wait for more text
    }
    // Keep only the unfinished value (none of one being skipped: its end is all that is looked for).
    const keep = this.valueStart >= 0 && !this.skipping ? this.valueStart : i
    this.pending = text.slice(keep)
    this.scanPos = i - keep
    if (this.valueStart >= 0) this.valueStart = 0
    this.scanLine = line
    if (final) {
      if ((this.valueStart >= 0 || this.depth > base) && !this.skipping) {
        out.push({ _tag: "Malformed", line: this.valueLine, reason: "unexpected end of input", bytes: this.bytes, offset: this.offsetOf(this.valueLine) })
      } else if (array && !this.arrayClosed) {
        out.push({ _tag: "Malformed", line, reason: "missing closing ]", bytes: this.bytes, offset: this.offsetOf(line) })
      }
      this.pending = ""
    } else if (this.pending.length > maxValueChars && !this.skipping) {
      // Reported now; the scan goes on through the value (its text dropped) to where it ends, so
      // no part of it is ever taken for a record of its own.
      out.push({ _tag: "Malformed", line: this.valueLine, reason: "value longer than 8 MiB", bytes: this.bytes, offset: this.offsetOf(this.valueLine) })
      this.skipping = true
      this.pending = ""
      this.scanPos = 0
    }
  }

  private emitValue(out: Array<SourceItem>, text: string, endLine: number): void {
    if (this.skipping) {
      // the end of a value already reported as too long
      this.skipping = false
      return
    }
    if (this.invalid(this.valueLine, endLine)) {
      out.push({ _tag: "Malformed", line: this.valueLine, reason: "not valid UTF-8", bytes: this.bytes, offset: this.offsetOf(this.valueLine) })
      return
    }
    out.push({ _tag: "Text", line: this.valueLine, text, bytes: this.bytes, offset: this.offsetOf(this.valueLine) })
  }
}

const noBytes = new Uint8Array(0)

/** Bytes in a UTF-8 sequence starting with `lead` (1 for a byte that cannot start one: it is invalid by itself). */
const sequenceLength = (lead: number): number => (lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? (lead >= 0xf0 ? 1 : 3) : lead >= 0xc2 ? 2 : 1)

/** Where a trailing, incomplete UTF-8 sequence of `bytes` starts (its length if there is none). */
const completeUpTo = (bytes: Uint8Array, from: number): number => {
  for (let back = 1; back <= 3 && bytes.length - back >= from; back++) {
    const b = bytes[bytes.length - back]
    if (b < 0x80) return bytes.length
    if (b >= 0xc0) return sequenceLength(b) > back ? bytes.length - back : bytes.length
  }
  return bytes.length
}

const skipToLineEnd = (text: string, i: number): number => {
  const nl = text.indexOf("\n", i)
  return nl < 0 ? text.length - 1 : nl - 1
}

/** End of a scalar (number, literal, string) starting before `i`, or -1 when the text runs out. */
const scalarEnd = (text: string, i: number, array: boolean): number => {
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (c <= 32 || (array && (c === COMMA || c === CLOSE_BRACKET)) || c === OPEN_BRACE || c === OPEN_BRACKET) return j
  }
  return -1
}

/** True when brackets outside strings balance on this text (a complete one-line value). */
const balanced = (text: string): boolean => {
  let depth = 0
  let inString = false
  let escaped = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (escaped) escaped = false
      else if (c === BACKSLASH) escaped = true
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) inString = true
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return depth <= 0
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new SourceParser())
