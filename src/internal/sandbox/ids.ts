/** Random (version 4) UUIDs for stored rows, as flat strings (see `formatUuid`). */
import { randomFillSync } from "node:crypto"
import { formatUuid } from "../uuid.js"

const pool = Buffer.alloc(16 * 256)
let poolAt = pool.length

/** @internal */
export const newId = (): string => {
  if (poolAt === pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  poolAt += 16
  return formatUuid(pool.toString("hex", poolAt - 16, poolAt), 4)
}
