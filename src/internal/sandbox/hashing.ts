/**
 * Password import as Kratos does it (`identity/handler_import.go`, `hash/*`): plaintext is hashed
 * with bcrypt, hashes must carry a known prefix and stay within Ory's cost bounds.
 * Passwords are never logged.
 */
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import { fail } from "./response.js"

const knownPrefixes = [
  "$2a$", "$2b$", "$2y$", "$2z$", "$2$",
  "$argon2id$", "$argon2i$",
  "$pbkdf2-sha1$", "$pbkdf2-sha256$", "$pbkdf2-sha512$",
  "$scrypt$", "$firescrypt$", "$md5-crypt$", "$sha256-crypt$", "$sha512-crypt$",
  "{SSHA}", "{SSHA256}", "{SSHA512}",
  "$sha1$", "$sha256$", "$sha512$", "$md5$",
  "$hmac-md4$", "$hmac-md5$", "$hmac-sha1$", "$hmac-sha224$", "$hmac-sha256$", "$hmac-sha384$", "$hmac-sha512$"
]

/** @internal */
export const reasons = {
  unknownFormat: "The imported password does not match any known hash format.",
  unparseable: "The imported password hash could not be parsed.",
  bounds: "The imported password hash has cost parameters that exceed the bounds enforced by Ory."
} as const

const bcryptPattern = /^\$(2[abyz]?)\$(\d{2})\$[./A-Za-z0-9]{53}$/

/** Checks an imported hash; throws Kratos' 400 when it would be refused. @internal */
export const checkImportedHash = (hash: string): void => {
  const prefix = knownPrefixes.find((p) => hash.startsWith(p))
  if (!prefix) fail(400, { reason: reasons.unknownFormat })
  if (prefix!.startsWith("$2")) {
    const m = bcryptPattern.exec(hash)
    if (!m) fail(400, { reason: reasons.unparseable })
    if (Number(m![2]) > 15) fail(400, { reason: reasons.bounds })
  } else if (prefix === "$argon2id$" || prefix === "$argon2i$") {
    const m = /\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hash)
    if (!m) fail(400, { reason: reasons.unparseable })
    if (Number(m![1]) > 1024 * 1024 || Number(m![2]) > 10 || Number(m![3]) > 16) fail(400, { reason: reasons.bounds })
  }
}

/** bcrypt-hashes a plaintext password off the main thread. @internal */
export const hashPassword = (password: string, cost: number): Effect.Effect<string> =>
  Effect.promise((signal) => bcrypt.hash(password, { cost, signal }))

/** Synchronous variant for bulk seeding (cost 4 only: ~1 ms). @internal */
export const hashPasswordSync = (password: string, cost: number): string => bcrypt.hashSync(password, { cost })
