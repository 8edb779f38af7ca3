/**
 * A hook in front of node:readline's key handling: readline reads `keypress` events off its input,
 * and offers no way to take a key before it does. The hook moves readline's listeners behind one
 * that gives each key to `handle` first; readline sees only the keys `handle` declines.
 */
import type { Key } from "./ReverseSearch.js"

export const interceptKeys = (
  input: NodeJS.ReadableStream,
  handle: (s: string | undefined, key: Key | undefined) => boolean
): () => void => {
  const behind = input.listeners("keypress") as Array<(s: string | undefined, key: Key | undefined) => void>
  for (const l of behind) input.off("keypress", l)
  const front = (s: string | undefined, key: Key | undefined) => {
    if (handle(s, key)) return
    for (const l of behind) l.call(input, s, key)
  }
  input.on("keypress", front)
  return () => {
    input.off("keypress", front)
    for (const l of behind) input.on("keypress", l)
  }
}
