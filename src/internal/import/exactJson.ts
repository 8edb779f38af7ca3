/**
 * A record's JSON rewritten without changing its numbers. `JSON.parse` turns every number into a
 * double: `12345678901234567890` comes back as `12345678901234567000`, while Kratos stores traits
 * and metadata as the JSON it was sent and keeps every digit. Where the importer must send a record
 * other than as it read it (a plaintext password hashed, a failures-file line unwrapped, an edited
 * record's update), it parses the text with lossless-json, whose numbers keep their source text.
 * Records without such a number, nearly all, keep the plain (faster) path.
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

/** `text` parsed with each number kept as its source text (a `LosslessNumber`). */
export const parseExact = (text: string): unknown => parse(text)

/** Serializes a value from `parseExact` (changed or not): its numbers as they were written. */
export const stringifyExact = (value: unknown): string => stringify(value) ?? "null"

/** A JSON object as a record (`undefined` for anything else, a number included). */
export const exactObject = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) && !isLosslessNumber(value)
    ? value as Record<string, unknown>
    : undefined
