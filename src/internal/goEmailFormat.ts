/**
 * JSON Schema's `format: "email"` as Kratos checks it: the `isEmail` of ory/jsonschema/v3 (the
 * version Kratos v26.2.0 pins), which bounds the lengths, requires the domain to be a hostname,
 * then parses the address with Go's `net/mail.ParseAddress`. ajv-formats' email regex is
 * stricter (it wants a dot in the domain, so `ann@localhost` fails), which made the importer and
 * the sandbox refuse addresses Kratos stores.
 *
 * @internal
 */

const encoder = new TextEncoder()
// Go measures strings in UTF-8 bytes
const byteLength = (s: string): number => encoder.encode(s).length

/** ory/jsonschema's `isHostname`: labels of 1..63 letters, digits and hyphens, 253 bytes in all. */
const isHostname = (host: string): boolean => {
  const s = host.endsWith(".") ? host.slice(0, -1) : host
  if (byteLength(s) > 253) return false
  // it looks at the first character of the whole name, not of each label
  if (s.startsWith("-")) return false
  for (const label of s.split(".")) {
    if (label.length < 1 || label.length > 63) return false
    if (label.endsWith("-")) return false
    if (!/^[A-Za-z0-9-]+$/.test(label)) return false
  }
  return true
}

// net/mail: RFC 5322 specials are not atext; every other visible ASCII character and every
// non-ASCII character is
const isAtext = (c: string): boolean =>
  !"()<>[]:;@\\,\".".includes(c) && (c >= "!" && c <= "~" || c.codePointAt(0)! >= 0x80)
const isVchar = (c: string): boolean => c >= "!" && c <= "~" || c.codePointAt(0)! >= 0x80
const isWsp = (c: string): boolean => c === " " || c === "\t"

/** net/mail's local-part: a dot-atom, or a non-empty quoted-string, after optional spaces. */
const isLocalPart = (raw: string): boolean => {
  const local = raw.replace(/^[ \t]+/, "")
  if (local.startsWith("\"")) {
    const chars = [...local]
    if (chars.length < 3 || chars[chars.length - 1] !== "\"") return false
    let escaped = false
    for (const c of chars.slice(1, -1)) {
      if (escaped) {
        if (!(isVchar(c) || isWsp(c))) return false
        escaped = false
      } else if (c === "\\") {
        escaped = true
      } else if (c === "\"" || !(isVchar(c) || isWsp(c))) {
        return false
      }
    }
    return !escaped
  }
  if (local === "" || local.startsWith(".") || local.endsWith(".") || local.includes("..")) return false
  for (const c of local) if (c !== "." && !isAtext(c)) return false
  return true
}

/** True when Kratos v26.2.0 takes `s` for an email address: the rules above, one by one. @internal */
export const isGoEmailPlain = (s: string): boolean => {
  if (byteLength(s) > 254) return false
  const at = s.lastIndexOf("@")
  if (at === -1) return false
  const local = s.slice(0, at)
  const domain = s.slice(at + 1)
  if (byteLength(local) > 64) return false
  if (!isHostname(domain)) return false
  // net/mail parses the domain as a dot-atom: a trailing dot, which isHostname allows, fails there
  if (domain.endsWith(".")) return false
  return isLocalPart(local)
}

/**
 * The common address in one regular expression: ASCII, a dot-atom local part, a hostname of
 * labels that end in a letter or digit, within the length bounds (ASCII: characters are bytes).
 * Every address it takes, the plain check takes too; anything else is decided by the plain check.
 * It exists because the importer checks every record's email: the plain check (UTF-8 lengths,
 * a character at a time) cost more than the rest of a record's validation.
 */
const commonAscii = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?!-)(?:[A-Za-z0-9-]{0,62}[A-Za-z0-9]\.)*[A-Za-z0-9-]{0,62}[A-Za-z0-9]$/

/** True when Kratos v26.2.0 takes `s` for an email address. @internal */
export const isGoEmail = (s: string): boolean => {
  if (s.length <= 254 && commonAscii.test(s)) {
    const at = s.indexOf("@")
    if (at <= 64 && s.length - at - 1 <= 253) return true
  }
  return isGoEmailPlain(s)
}
