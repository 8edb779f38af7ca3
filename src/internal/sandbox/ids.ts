/**
 * Random (version 4) UUIDs for stored rows. Node's `randomUUID` returns a rope of about ten
 * concatenated pieces (~480 bytes of heap for every id kept); three ids per identity made them
 * the largest part of the store and of its garbage-collection work. These are flat strings.
 */
import { randomFillSync } from "node:crypto"

const pool = Buffer.alloc(16 * 256)
let poolAt = pool.length
const text = Buffer.alloc(36)
const hex = Buffer.from("0123456789abcdef", "latin1")

/** @internal */
export const newId = (): string => {
  if (poolAt === pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const at = poolAt
  poolAt += 16
  let o = 0
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 0x2d
    let byte = pool[at + i]
    if (i === 6) byte = (byte & 0x0f) | 0x40 // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80 // RFC 9562 variant
    text[o++] = hex[byte >> 4]
    text[o++] = hex[byte & 15]
  }
  return text.toString("latin1", 0, 36)
}
