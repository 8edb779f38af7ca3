/**
 * Compact bookkeeping for millions of records: a set of 64-bit key hashes remembering the line
 * that claimed each key (in-input duplicates), a bitset of lines, and deterministic patch ids.
 */
import { hash } from "node:crypto"
import { type Digest, digestKey } from "./digest.js"
import { formatUuid } from "../uuid.js"
import { keepHiddenClass } from "../hiddenClass.js"

/**
 * What a key is: the character its digest starts with (`e` external_id, `i` identifier), as the
 * journal's key digests (`digest.ts`' `digestKey`), so one table holds both kinds.
 */
export const KeyKind = { externalId: 101, identifier: 105 } as const
export type KeyKind = typeof KeyKind[keyof typeof KeyKind]

/**
 * Open-addressing table of key fingerprints to the first line that used them: 12 bytes per slot,
 * at most 3/4 full, so 2M keys (a million records with external_id and email) take 32 MB where a
 * `Set<string>` would take several times more.
 * A 64-bit collision (≈1e-8 for a million keys) would report a false duplicate, never lose one.
 */
export class KeyTable {
  private h1: Int32Array
  private h2: Int32Array
  private lines: Uint32Array
  private size = 0
  // hashes of the keys `probe` did not find, until `commit` or `forget`
  private readonly probedA: Array<number> = []
  private readonly probedB: Array<number> = []
  private probed = 0
  // the digest of the key being probed (reused: nothing allocated per key)
  private readonly digest: Digest = { a: 0, b: 0 }

  constructor(capacity = 1 << 14) {
    this.h1 = new Int32Array(capacity)
    this.h2 = new Int32Array(capacity)
    this.lines = new Uint32Array(capacity)
  }

  /**
   * The line holding `key`, if any. A key not held is remembered: `commit` claims every key probed
   * since the last `commit` or `forget` (a record's keys are all checked before any is claimed).
   * The key's digest (`digestKey`) is left in `digest` when one is given.
   */
  probe(kind: KeyKind, key: string, digest: Digest = this.digest): number | undefined {
    digestKey(kind, key, digest)
    const { a, b } = digest
    const found = this.lookup(a, b)
    if (found >= 0) return this.lines[found]
    this.probedA[this.probed] = a
    this.probedB[this.probed] = b
    this.probed++
    return undefined
  }

  commit(line: number): void {
    for (let i = 0; i < this.probed; i++) {
      const a = this.probedA[i]
      const b = this.probedB[i]
      if (this.lookup(a, b) >= 0) continue
      // Linear probing stays short up to 3/4 full; a lower load would double the memory at 1M+ keys.
      if ((this.size + 1) * 4 > this.h1.length * 3) this.grow()
      this.insert(a, b, line)
    }
    this.probed = 0
  }

  forget(): void {
    this.probed = 0
  }

  /** Grows once to hold `keys` (when the input size predicts it), instead of doubling repeatedly. */
  reserve(keys: number): void {
    const capacity = Math.ceil((keys * 4) / 3) + 1
    if (capacity > this.h1.length) this.resize(capacity)
  }

  // Any capacity (not only powers of two), so a reserved table is no bigger than it needs to be.
  private home(a: number, b: number): number {
    return ((a ^ Math.imul(b, 0x9e3779b1)) >>> 0) % this.h1.length
  }

  private lookup(a: number, b: number): number {
    const n = this.h1.length
    let i = this.home(a, b)
    while (this.h1[i] !== 0) {
      if (this.h1[i] === a && this.h2[i] === b) return i
      i = i + 1 === n ? 0 : i + 1
    }
    return -1
  }

  private insert(a: number, b: number, line: number): void {
    const n = this.h1.length
    let i = this.home(a, b)
    while (this.h1[i] !== 0) i = i + 1 === n ? 0 : i + 1
    this.h1[i] = a
    this.h2[i] = b
    this.lines[i] = line
    this.size++
  }

  private grow(): void {
    this.resize(this.h1.length * 2)
  }

  private resize(capacity: number): void {
    const { h1, h2, lines } = this
    this.h1 = new Int32Array(capacity)
    this.h2 = new Int32Array(capacity)
    this.lines = new Uint32Array(capacity)
    this.size = 0
    for (let i = 0; i < h1.length; i++) if (h1[i] !== 0) this.insert(h1[i], h2[i], lines[i])
  }
}

/** A growable bitset of line numbers (one bit per line: 125 KB per million lines). */
export class LineSet {
  private bits = new Uint8Array(1 << 12)
  count = 0

  add(line: number): void {
    const byte = line >>> 3
    if (byte >= this.bits.length) {
      let n = this.bits.length
      while (n <= byte) n *= 2
      const next = new Uint8Array(n)
      next.set(this.bits)
      this.bits = next
    }
    const mask = 1 << (line & 7)
    if ((this.bits[byte] & mask) === 0) {
      this.bits[byte] |= mask
      this.count++
    }
  }

  delete(line: number): void {
    const byte = line >>> 3
    if (byte >= this.bits.length) return
    const mask = 1 << (line & 7)
    if ((this.bits[byte] & mask) !== 0) {
      this.bits[byte] &= ~mask
      this.count--
    }
  }

  has(line: number): boolean {
    const byte = line >>> 3
    return byte < this.bits.length && (this.bits[byte] & (1 << (line & 7))) !== 0
  }
}

const namespaces = new Map<string, Buffer>()
const namespaceBytes = (uuid: string): Buffer => {
  let bytes = namespaces.get(uuid)
  if (bytes === undefined) {
    bytes = Buffer.from(uuid.replace(/-/g, ""), "hex")
    namespaces.set(uuid, bytes)
  }
  return bytes
}
// namespace + name, hashed in one call: no Hash object per id
let scratch = Buffer.alloc(256)

/** RFC 9562 UUIDv5 (SHA-1 of namespace + name). */
export const uuidV5 = (namespace: string, name: string): string => {
  const size = 16 + Buffer.byteLength(name, "utf8")
  if (size > scratch.length) scratch = Buffer.alloc(2 * size)
  namespaceBytes(namespace).copy(scratch, 0)
  scratch.write(name, 16, "utf8")
  return formatUuid(hash("sha1", scratch.subarray(0, size), "hex"), 5)
}

/**
 * Patch ids of one source: a UUIDv8 whose first 80 bits hash the namespace and the source name
 * and whose last 48 are the line number. Deterministic (a resumed run sends the same ids), read
 * back to the line, and no hash per record.
 */
export class PatchIds {
  readonly prefix: string
  constructor(namespace: string, source: string) {
    const base = uuidV5(namespace, source)
    this.prefix = `${base.slice(0, 14)}8${base.slice(15, 24)}`
  }

  of(line: number): string {
    return this.prefix + line.toString(16).padStart(12, "0")
  }

  /** Whether `id` is the patch id of `line` (hot: once a result, so nothing is built to compare). */
  is(id: string | undefined, line: number): boolean {
    if (id === undefined || id.length !== 36 || !id.startsWith(this.prefix)) return false
    for (let i = 35; i >= 24; i--) {
      const d = line % 16
      if (id.charCodeAt(i) !== (d < 10 ? 48 + d : 87 + d)) return false
      line = Math.floor(line / 16)
    }
    return true
  }
}

/**
 * The default namespace of import patch ids: the UUIDv5 of the URL namespace and
 * "effect-kratos/import", written out rather than computed when this module loads, which would
 * load `node:crypto` for every command whose modules import this one (a test checks the value).
 */
export const defaultNamespace = "ce173416-f541-55dc-bf5d-6eeadada12b5"

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new KeyTable(8))
keepHiddenClass(new LineSet())
