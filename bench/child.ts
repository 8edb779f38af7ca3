/** A benchmark's server child: its messages, awaited by type. */
import type { ChildProcess } from "node:child_process"

/** Resolves with the child's next message of `type`. */
export const nextMessage = <M extends { readonly type: string }>(child: ChildProcess) =>
<T extends M["type"]>(type: T): Promise<Extract<M, { type: T }>> =>
  new Promise((resolve) => {
    const on = (m: M) => {
      if (m.type === type) {
        child.off("message", on)
        resolve(m as Extract<M, { type: T }>)
      }
    }
    child.on("message", on)
  })
