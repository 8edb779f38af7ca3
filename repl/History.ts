/**
 * REPL history persisted across sessions. Lines are scrubbed before they are stored: API keys,
 * passwords and password hashes never reach the file (nor the in-memory history).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { quote, tokenize } from "./Tokenizer.js"

/** The mask written in place of a secret. */
export const mask = "***"

const secretFlags: ReadonlySet<string> = new Set([
  "--api-key",
  "--password",
  "--password-hash",
  "--hashed-password",
  "--key",
  "--token"
])

/** Known key shapes, scrubbed wherever they appear (also in lines that do not tokenize). */
const keyPattern = /\b(ory_(?:pat|apikey|at|ak|st|rt)_)[A-Za-z0-9_\-.]+/g

const passwordish = /pass(word)?|secret|hash|token|api[-_]?key/i

/**
 * Scrubs one line: the values of secret flags (`--api-key K`, `--api-key=K`, `--password P`), the
 * `--value` of a patch op whose `--path` looks like a password, values of `password`-ish
 * `--trait k=v`, and anything shaped like an Ory key.
 */
export const scrub = (line: string): string => {
  const t = tokenize(line)
  if (t._tag === "Incomplete") return line.replace(keyPattern, `$1${mask}`)
  const tokens = [...t.tokens]
  let lastPath: string | undefined
  let masked = false
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]
    const eq = tok.indexOf("=")
    const flag = tok.startsWith("--") && eq > 0 ? tok.slice(0, eq) : tok
    const inline = tok.startsWith("--") && eq > 0
    if (flag === "--path") lastPath = inline ? tok.slice(eq + 1) : tokens[i + 1]
    const secret = secretFlags.has(flag) || (flag === "--value" && lastPath !== undefined && passwordish.test(lastPath))
    if (secret) {
      if (inline) tokens[i] = `${flag}=${mask}`
      else if (i + 1 < tokens.length) tokens[++i] = mask
      masked = true
      continue
    }
    if (flag === "--trait" && !inline && i + 1 < tokens.length) {
      const kv = tokens[i + 1]
      const k = kv.slice(0, Math.max(0, kv.indexOf("=")))
      if (passwordish.test(k)) {
        tokens[i + 1] = `${k}=${mask}`
        masked = true
      }
      i++
    }
  }
  // `connect <url> <key>` positional form: the second positional is a key
  if (tokens[0] === "connect") {
    const positionals = tokens.slice(1).filter((x) => !x.startsWith("--"))
    if (positionals.length >= 2 && positionals[1] !== mask) {
      const idx = tokens.lastIndexOf(positionals[1])
      tokens[idx] = mask
      masked = true
    }
  }
  const rebuilt = masked ? tokens.map((x) => (x === mask || x.endsWith(`=${mask}`) ? x : quote(x))).join(" ") : line
  return rebuilt.replace(keyPattern, `$1${mask}`)
}

/** Reads the history file, newest first (readline's order); missing or unreadable → empty. */
export const load = (file: string, max = 1000): Array<string> => {
  try {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "")
    return lines.slice(-max).reverse()
  } catch {
    return []
  }
}

/** Appends one (already scrubbed) entry. Multi-line entries are stored on one line. Never throws. */
export const append = (file: string, entry: string): void => {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    fs.appendFileSync(file, entry.replace(/\n/g, " ") + "\n", { mode: 0o600 })
  } catch {
    // history is a convenience: a read-only home must not break the REPL
  }
}
