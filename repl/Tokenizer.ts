/**
 * Splits a REPL line into argv the way a POSIX shell would, minus expansion: `'...'` is literal,
 * `"..."` honours `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes escapes the next
 * character, and a trailing backslash continues the line.
 *
 * A word that *starts* with `{` or `[` is taken verbatim (quotes kept) until its brackets balance,
 * so JSON can be typed unquoted: `--value {"first": "Ann"}`.
 *
 * Unclosed quotes or brackets are not errors: they make the line `Incomplete`, which the REPL
 * answers with a continuation prompt.
 */
import { shellWord } from "../src/internal/shellWord.js"

/** The result of tokenizing. */
export type Tokenized =
  | { readonly _tag: "Tokens"; readonly tokens: ReadonlyArray<string> }
  | { readonly _tag: "Incomplete"; readonly reason: "quote" | "bracket" | "backslash" }

const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r"

/** Reads a JSON-ish word starting at `start` (on `{` or `[`); returns its end or -1 when unbalanced. */
const readJsonWord = (input: string, start: number): number => {
  let depth = 0
  let inString = false
  for (let i = start; i < input.length; i++) {
    const c = input[i]
    if (inString) {
      if (c === "\\") i++
      else if (c === "\"") inString = false
      continue
    }
    if (c === "\"") inString = true
    else if (c === "{" || c === "[") depth++
    else if (c === "}" || c === "]") {
      depth--
      if (depth === 0) {
        // The word goes on until whitespace (e.g. `{...}x` stays one word).
        let j = i + 1
        while (j < input.length && !isSpace(input[j])) j++
        return j
      }
    }
  }
  return -1
}

/** Tokenizes one (possibly multi-line) input. Never throws. */
export const tokenize = (input: string): Tokenized => {
  const tokens: Array<string> = []
  let i = 0
  const n = input.length
  while (i < n) {
    while (i < n && isSpace(input[i])) i++
    if (i >= n) break
    if (input[i] === "{" || input[i] === "[") {
      const end = readJsonWord(input, i)
      if (end < 0) return { _tag: "Incomplete", reason: "bracket" }
      tokens.push(input.slice(i, end))
      i = end
      continue
    }
    let word = ""
    let started = false
    while (i < n && !isSpace(input[i])) {
      const c = input[i]
      started = true
      if (c === "'") {
        const close = input.indexOf("'", i + 1)
        if (close < 0) return { _tag: "Incomplete", reason: "quote" }
        word += input.slice(i + 1, close)
        i = close + 1
      } else if (c === "\"") {
        i++
        let closed = false
        while (i < n) {
          const d = input[i]
          if (d === "\\" && i + 1 < n && "\"\\$`\n".includes(input[i + 1])) {
            if (input[i + 1] !== "\n") word += input[i + 1]
            i += 2
          } else if (d === "\\" && i + 1 >= n) {
            return { _tag: "Incomplete", reason: "quote" }
          } else if (d === "\"") {
            closed = true
            i++
            break
          } else {
            word += d
            i++
          }
        }
        if (!closed) return { _tag: "Incomplete", reason: "quote" }
      } else if (c === "\\") {
        if (i + 1 >= n) return { _tag: "Incomplete", reason: "backslash" }
        if (input[i + 1] !== "\n") word += input[i + 1]
        i += 2
      } else {
        word += c
        i++
      }
    }
    if (started) tokens.push(word)
  }
  return { _tag: "Tokens", tokens }
}

/** Joins a continued line to the buffer: a trailing backslash-newline is a line splice. */
export const continueInput = (buffer: string, line: string): string =>
  buffer.endsWith("\\") && !tokenizeEndsInQuote(buffer) ? buffer.slice(0, -1) + line : buffer + "\n" + line

const tokenizeEndsInQuote = (buffer: string): boolean => {
  const t = tokenize(buffer)
  return t._tag === "Incomplete" && t.reason === "quote"
}

/** Quotes a word so that `tokenize` gives it back unchanged. */
export const quote = shellWord
