/**
 * Compact bookkeeping for millions of records: a set of 64-bit key hashes remembering the line
 * that claimed each key (in-input duplicates), a bitset of lines, and deterministic patch ids.
 */
import { createHash } from "node:crypto"

/** Two independent 32-bit FNV-1a variants: a 64-bit fingerprint without allocating. */
const hash64 = (s: string): [number, number] => {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  return [h1 >>> 0 || 1, h2 >>> 0]
}

/**
 * Open-addressing table of key fingerprints to the first line that used them: 12 bytes per slot,
 * at most 3/4 full, so 2M keys (a million records with external_id and email) take 32 MB where a
 * `Set<string>` would take several times more.
 * A 64-bit collision (≈1e-8 for a million keys) would report a false duplicate, never lose one.
 */
export class KeyTable {
  private h1: Uint32Array
  private h2: Uint32Array
  private lines: Uint32Array
  private size = 0

  constructor(capacity = 1 << 14) {
    this.h1 = new Uint32Array(capacity)
    this.h2 = new Uint32Array(capacity)
    this.lines = new Uint32Array(capacity)
  }

  /** The line that already holds `key`, or `undefined` after claiming it for `line`. */
  claim(key: string, line: number): number | undefined {
    const [a, b] = hash64(key)
    const found = this.lookup(a, b)
    if (found >= 0) return this.lines[found]
    // Linear probing stays short up to 3/4 full; a lower load would double the memory at 1M+ keys.
    if ((this.size + 1) * 4 > this.h1.length * 3) this.grow()
    this.insert(a, b, line)
    return undefined
  }

  /** The line holding `key`, if any. */
  get(key: string): number | undefined {
    const [a, b] = hash64(key)
    const found = this.lookup(a, b)
    return found >= 0 ? this.lines[found] : undefined
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
    this.h1 = new Uint32Array(capacity)
    this.h2 = new Uint32Array(capacity)
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
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/** RFC 9562 UUIDv5 (SHA-1 of namespace + name). Hot: once per imported record. */
export const uuidV5 = (namespace: string, name: string): string => {
  const d = createHash("sha1").update(namespaceBytes(namespace)).update(name, "utf8").digest()
  return hex[d[0]] + hex[d[1]] + hex[d[2]] + hex[d[3]] + "-" + hex[d[4]] + hex[d[5]] + "-" +
    hex[(d[6] & 0x0f) | 0x50] + hex[d[7]] + "-" + hex[(d[8] & 0x3f) | 0x80] + hex[d[9]] + "-" +
    hex[d[10]] + hex[d[11]] + hex[d[12]] + hex[d[13]] + hex[d[14]] + hex[d[15]]
}

/** The default namespace of import patch ids (UUIDv5 of the URL namespace and "effect-kratos/import"). */
export const defaultNamespace = uuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "effect-kratos/import")
