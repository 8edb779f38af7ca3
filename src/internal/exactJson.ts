/**
 * JSON whose numbers keep every digit. `JSON.parse` turns every number into a double:
 * `12345678901234567890` comes back as `12345678901234567000`, while Kratos stores traits and
 * metadata as the JSON it was sent and keeps every digit. The importer parses a record with
 * lossless-json (numbers kept as their source text) where it must send the record other than as it
 * read it (a plaintext password hashed, a failures-file line unwrapped, an edited record's update);
 * the CLI refuses JSON it would otherwise send rounded. Texts without such a number, nearly all,
 * keep the plain (faster) path.
 */
import { isLosslessNumber, isSafeNumber, parse, stringify } from "lossless-json"

/** Whether `text` (JSON) holds a number `JSON.parse` would not give back digit for digit. */
export const hasInexactNumber = (text: string): boolean => {
  // a cheap pass first: a number that rounds has at least 16 significant digits or an exponent
  if (!/\d{16}|\d[eE]/.test(text)) return false
  let inexact = false
  try {
    parse(text, undefined, (digits) => {
      if (!isSafeNumber(digits)) inexact = true
      return 0
    })
  } catch {
    return false
  }
  return inexact
}

/**
 * Where the first number `JSON.parse` would round sits in `text` (JSON), as a path such as
 * `metadata_public.ids[2]` (`""` for the value itself); `undefined` when there is none.
 */
export const inexactNumberPath = (text: string): string | undefined => {
  if (!hasInexactNumber(text)) return undefined
  const find = (node: unknown, path: string): string | undefined => {
    if (isLosslessNumber(node)) return isSafeNumber(node.value) ? undefined : path
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const found = find(node[i], `${path}[${i}]`)
        if (found !== undefined) return found
      }
      return undefined
    }
    if (node === null || typeof node !== "object") return undefined
    for (const [key, value] of Object.entries(node)) {
      const found = find(value, path === "" ? key : `${path}.${key}`)
      if (found !== undefined) return found
    }
    return undefined
  }
  return find(parseExact(text), "")
}

/**
 * Why `text` (JSON) cannot be sent on as parsed, naming where its first number `JSON.parse` would
 * round sits (never the number: it may be a secret); `undefined` when it has none.
 */
export const inexactNumberReason = (text: string): string | undefined => {
  const path = inexactNumberPath(text)
  return path === undefined ? undefined : `the number at ${path === "" ? "the top level" : path} has more digits than this ` +
    `tool keeps (past 2^53, or more than 17 significant digits)`
}

/** `text` parsed with each number kept as its source text (a `LosslessNumber`). */
export const parseExact = (text: string): unknown => parse(text)

/** Serializes a value from `parseExact` (changed or not): its numbers as they were written. */
export const stringifyExact = (value: unknown): string => stringify(value) ?? "null"

/** A JSON object as a record (`undefined` for anything else, a number included). */
export const exactObject = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) && !isLosslessNumber(value)
    ? value as Record<string, unknown>
    : undefined
