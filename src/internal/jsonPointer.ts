/** JSON Pointer (RFC 6901) reference tokens. */

/** The unescaped reference tokens of a pointer (`/a~1b/c~0d` → `a/b`, `c~d`); `""` has none. */
export const tokens = (pointer: string): Array<string> =>
  pointer.split("/").slice(1).map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"))

/** The value a pointer names in a JSON document (`undefined` when it names nothing). */
export const valueAt = (document: unknown, pointer: string): unknown => {
  let node = document
  for (const token of tokens(pointer)) {
    if (node === null || typeof node !== "object") return undefined
    node = (node as Record<string, unknown>)[token]
  }
  return node
}
