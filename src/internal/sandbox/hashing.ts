/**
 * Password import as Kratos v26.2.0 does it (`identity/handler_import.go`, `hash/*`): plaintext is
 * hashed with bcrypt ($2a$, as Go's bcrypt writes it), hashes must carry a known prefix.
 * Passwords are never logged.
 */
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import { isKnownHashFormat } from "../hashFormats.js"
import { fail } from "./response.js"

/** @internal */
export const reasons = {
  unknownFormat: "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2"
} as const

/**
 * Checks an imported hash; throws Kratos' 400 when its format is unknown. v26.2.0 checks the
 * prefix only: a malformed hash or one beyond cost bounds is imported (later Kratos refuses them).
 * @internal
 */
export const checkImportedHash = (hash: string): void => {
  if (!isKnownHashFormat(hash)) fail(400, { reason: reasons.unknownFormat })
}

/** bcrypt-hashes a plaintext password off the main thread. @internal */
export const hashPassword = (password: string, cost: number): Effect.Effect<string> =>
  Effect.promise((signal) => bcrypt.hash(password, { cost, signal, version: "2a" }))

/** Synchronous variant for bulk seeding (cost 4 only: ~1 ms). @internal */
export const hashPasswordSync = (password: string, cost: number): string => bcrypt.hashSync(password, { cost, version: "2a" })
