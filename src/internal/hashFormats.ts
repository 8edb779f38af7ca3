/**
 * The password hash formats Kratos v26.2.0 imports, recognised by their prefix alone
 * (`hash.IsValidHashFormat`), and which hash of a password config it checks. Shared by the sandbox,
 * which answers as v26.2.0 does, and the importer's dry run, which predicts that answer. A malformed
 * hash with a known prefix passes (v26.2.0 imports it; a later login fails).
 */

const knownFormats: ReadonlyArray<RegExp> = [
  /^\$md5-crypt\$/,
  /^\$2[abzy]?\$/,
  /^\$sha256-crypt\$/,
  /^\$sha512-crypt\$/,
  /^\$argon2id\$/,
  /^\$argon2i\$/,
  /^\$pbkdf2-sha[0-9]{1,3}\$/,
  /^\$scrypt\$/,
  /^\{SSHA(256|512)?\}/,
  /^\$sha(1|256|512)\$/,
  /^\$firescrypt\$/,
  /^\$md5\$/,
  /^\$hmac-(md4|md5|sha1|sha224|sha256|sha384|sha512)\$/
]

export const isKnownHashFormat = (hash: string): boolean => knownFormats.some((f) => f.test(hash))

/**
 * The hash v26.2.0 checks for a password config with plain string values: none for no config, the
 * migration hook or a non-empty plaintext password; else `hashed_password` (empty when absent, which
 * no format matches).
 */
export const hashChecked = (
  config: { readonly hashed_password?: unknown; readonly password?: unknown; readonly use_password_migration_hook?: unknown } | null | undefined
): string | undefined => {
  if (!config || config.use_password_migration_hook === true) return undefined
  if (typeof config.password === "string" && config.password.length > 0) return undefined
  return typeof config.hashed_password === "string" ? config.hashed_password : ""
}
