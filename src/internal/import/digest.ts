import { keepHiddenClass } from "../hiddenClass.js"
/**
 * Digests that bind a journal to the input's content: a 64-bit fingerprint of each record's text
 * (two independent 32-bit FNV-1a variants, no allocation) and one of the whole input, folded from
 * the records' in order. A resumed run matches records to the journal by these, not by line
 * number, so an edited, inserted or removed line is seen as such.
 */

/** A 64-bit digest as two int32 halves (kept in typed arrays and journaled as numbers). */
export interface Digest {
  a: number
  b: number
}

const fnvPrime = 0x01000193
const mixPrime = 0x5bd1e995

/** Folds the characters of `text` into the two halves, then writes them to `out`. */
const fold = (text: string, h1: number, h2: number, out: Digest): void => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, fnvPrime)
    h2 = Math.imul(h2 ^ c, mixPrime)
    h2 ^= h2 >>> 15
  }
  // 0 marks an empty slot in the tables that hold digests
  out.a = h1 | 0 || 1
  out.b = h2 | 0
}

/** The digest of `text`, written into `out` (reused by the caller: nothing allocated). */
export const digestText = (text: string, out: Digest): void =>
  fold(text, 0x811c9dc5 | 0, Math.imul(fnvPrime ^ text.length, mixPrime), out)

/**
 * The digest of a record's key, `digestText(prefix + "\0" + key)`, without building that string
 * (once a record): `prefix` is a character code, `e` for an external_id, `i` for an identifier.
 */
export const digestKey = (prefix: number, key: string, out: Digest): void => {
  let h1 = Math.imul((0x811c9dc5 | 0) ^ prefix, fnvPrime)
  let h2 = Math.imul(Math.imul(fnvPrime ^ (key.length + 2), mixPrime) ^ prefix, mixPrime)
  h2 ^= h2 >>> 15
  h1 = Math.imul(h1, fnvPrime)
  h2 = Math.imul(h2, mixPrime)
  h2 ^= h2 >>> 15
  fold(key, h1, h2, out)
}

/** The digest of a whole input, folded from its records' digests in order. */
export class InputDigest {
  private a = 0x2545f491
  private b = 0x6b43a9b5
  records = 0

  add(d: Digest): void {
    this.a = Math.imul(this.a ^ d.a, 0x01000193)
    this.b = Math.imul(this.b ^ d.b, 0x5bd1e995)
    this.b ^= this.b >>> 13
    this.records++
  }

  /** A line that could not be read as a record counts by its number and why. */
  addMalformed(line: number, reason: string, scratch: Digest): void {
    digestText(`${line}\0${reason}`, scratch)
    this.add(scratch)
  }

  get hex(): string {
    return hex32(this.a) + hex32(this.b) + this.records.toString(16)
  }
}

const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0")

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new InputDigest())
