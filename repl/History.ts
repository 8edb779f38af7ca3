/**
 * REPL history persisted across sessions. Lines are scrubbed before they are stored: API keys,
 * passwords and password hashes never reach the file (nor the in-memory history). A scrubbed line
 * keeps its shape (`--password ***`), so it can be recalled and the secret typed again; a line
 * that still holds the mask where a secret goes is refused rather than sent (`refusal`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { quote, tokenize } from "./Tokenizer.js"

/** The mask written in place of a secret. */
export const mask = "***"

/** Secret flags known without a command tree; the REPL adds every flag its tree marks secret. */
export const defaultSecretFlags: ReadonlySet<string> = new Set([
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

/** A JSON Patch path whose value may hold a secret: anything under /credentials, or password-like. */
const sensitivePath = (p: string): boolean => /^\/?credentials(\/|$)/.test(p) || passwordish.test(p)

/** Where a secret sits in a tokenized line. */
interface SecretAt {
  /** The token holding it. */
  readonly index: number
  /** The flag it belongs to (for messages). */
  readonly flag: string
  /** The token with the secret replaced by `value`. */
  readonly replace: (value: string) => string
  /** The secret as typed. */
  readonly value: string
}

const flagOf = (tok: string): { readonly flag: string; readonly inline: string | undefined } => {
  const eq = tok.indexOf("=")
  return tok.startsWith("-") && eq > 0 ? { flag: tok.slice(0, eq), inline: tok.slice(eq + 1) } : { flag: tok, inline: undefined }
}

/**
 * The secrets of a line: the values of secret flags (`--api-key K`, `--api-key=K`), every `--value`
 * of a patch with a sensitive `--path` (values pair with paths by order, not position, so all of
 * them), `password`-ish `--trait k=v`, and the key of `connect <url> <key>`.
 */
const secretsOf = (tokens: ReadonlyArray<string>, secrets: ReadonlySet<string>): Array<SecretAt> => {
  const out: Array<SecretAt> = []
  const sensitivePatch = tokens.some((tok, i) => {
    const { flag, inline } = flagOf(tok)
    return flag === "--path" && sensitivePath(inline ?? tokens[i + 1] ?? "")
  })
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]
    if (tok === "--") break
    const { flag, inline } = flagOf(tok)
    const isSecret = secrets.has(flag) || (flag === "--value" && sensitivePatch)
    if (isSecret) {
      if (inline !== undefined) out.push({ index: i, flag, value: inline, replace: (v) => `${flag}=${v}` })
      else if (i + 1 < tokens.length) out.push({ index: ++i, flag, value: tokens[i], replace: (v) => v })
      continue
    }
    if (flag === "--trait" || flag === "--trait-json") {
      const at = inline !== undefined ? i : i + 1
      const kv = inline ?? tokens[at]
      if (inline === undefined) i++
      if (kv === undefined) continue
      const eq = kv.indexOf("=")
      const k = eq > 0 ? kv.slice(0, eq) : ""
      if (passwordish.test(k)) {
        const prefix = inline !== undefined ? `${flag}=` : ""
        out.push({ index: at, flag: `${flag} ${k}`, value: kv.slice(eq + 1), replace: (v) => `${prefix}${k}=${v}` })
      }
    }
  }
  // `connect <url> <key>` positional form: the second positional is a key
  if (tokens[0] === "connect") {
    const positionals = tokens.map((t, i) => [t, i] as const).slice(1).filter(([t]) => !t.startsWith("-"))
    const flagValues = new Set(tokens.flatMap((t, i) => (t === "--url" || secrets.has(t) ? [i + 1] : [])))
    const plain = positionals.filter(([, i]) => !flagValues.has(i))
    if (plain.length >= 2) out.push({ index: plain[1][1], flag: "the key of connect", value: plain[1][0], replace: (v) => v })
  }
  return out
}

/**
 * Scrubs one line: every secret (see `secretsOf`) becomes the mask, and anything shaped like an
 * Ory key is masked wherever it appears, also in lines that do not tokenize.
 */
export const scrub = (line: string, secrets: ReadonlySet<string> = defaultSecretFlags): string => {
  const t = tokenize(line)
  if (t._tag === "Incomplete") return line.replace(keyPattern, `$1${mask}`)
  const found = secretsOf(t.tokens, secrets)
  if (found.length === 0) return line.replace(keyPattern, `$1${mask}`)
  const tokens = t.tokens.map(quote)
  for (const s of found) tokens[s.index] = s.replace(mask)
  return tokens.join(" ").replace(keyPattern, `$1${mask}`)
}

/**
 * Why a line must not run: it holds the history mask where a secret goes (a recalled line whose
 * secret was not typed again). `undefined` when it may run.
 */
export const refusal = (tokens: ReadonlyArray<string>, secrets: ReadonlySet<string> = defaultSecretFlags): string | undefined => {
  const hit = secretsOf(tokens, secrets).find((s) => s.value === mask || s.value.includes(`_${mask}`))
  return hit === undefined
    ? undefined
    : `${hit.flag} holds '${mask}', the mask history keeps in place of a secret: type the secret itself (secrets are never kept in history)`
}

/**
 * The in-memory history readline navigates (newest first). readline is told to keep none itself,
 * so only what `remember` puts here exists: scrubbed, complete entries.
 */
export const remember = (history: Array<string>, entry: string, max = 1000): void => {
  const line = entry.replace(/\n/g, " ")
  if (line.trim() === "") return
  const at = history.indexOf(line)
  if (at >= 0) history.splice(at, 1)
  history.unshift(line)
  if (history.length > max) history.length = max
}

/**
 * Reads the history file, newest first (readline's order), each line scrubbed again (a file
 * written by an older version may hold what is masked today); missing or unreadable → empty.
 */
export const load = (file: string, max = 1000, secrets: ReadonlySet<string> = defaultSecretFlags): Array<string> => {
  try {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "")
    return lines.slice(-max).reverse().map((l) => scrub(l, secrets))
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
