/**
 * Migrations in: other systems' documented user exports mapped to Kratos create bodies, which
 * `Import` then imports (batches, retries, journal). Each mapping is described on its function.
 *
 * ```ts
 * const users = Migrate.firebaseUsers(JSON.parse(exportText))
 * const bodies = users.map((u) => Migrate.fromFirebase(u, hashConfig))
 * Import.runWith(api, Import.fromValues(bodies.filter((b) => typeof b !== "string")))
 * ```
 *
 * @since 0.1.0
 */
import * as Engine from "./internal/workflows/migrate.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  FirebaseHashConfig
} from "./internal/workflows/migrate.js"

/**
 * An Auth0 user (user export job or bulk-import format) as a create body, or why it cannot be:
 * `user_id` → external_id, email (verified when `email_verified`), given/family name (else `name`
 * split), `blocked` → inactive, social identities → OIDC providers (`google-oauth2` → google),
 * the bcrypt hash as it is (`passwordHash` or `custom_password_hash.hash.value`).
 *
 * @since 0.1.0
 * @category mappings
 */
export const fromAuth0 = Engine.fromAuth0

/**
 * A Firebase user (`firebase auth:export --format=json`) as a create body, or why it cannot be:
 * `localId` → external_id, email (verified when `emailVerified`), `displayName` split, `disabled`
 * → inactive, linked providers → OIDC providers (`google.com` → google, subject `rawId`), the scrypt
 * hash as `$firescrypt$` with the project's hash config.
 *
 * @since 0.1.0
 * @category mappings
 */
export const fromFirebase = Engine.fromFirebase

/**
 * Kratos' `$firescrypt$` form of a Firebase scrypt hash.
 *
 * @since 0.1.0
 * @category mappings
 */
export const firescrypt = Engine.firescrypt

/**
 * Firebase's hash config, as JSON or as the console prints it.
 *
 * @since 0.1.0
 * @category mappings
 */
export const parseFirebaseHashConfig = Engine.parseFirebaseHashConfig

/**
 * The users of a Firebase export document.
 *
 * @since 0.1.0
 * @category mappings
 */
export const firebaseUsers = Engine.firebaseUsers
