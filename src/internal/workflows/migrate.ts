/**
 * Records of other identity systems' user exports mapped to Kratos create bodies.
 *
 * Auth0 (a user export job's JSON Lines, or the bulk-import format): `user_id` → external_id,
 * `email` → traits.email, `email_verified` → a verified address, `given_name`/`family_name` (else
 * `name` split at its first space) → traits.name, `blocked` → inactive, `identities` of other
 * connections → OIDC providers (`google-oauth2` → google, others by name, subject `user_id`), the
 * bcrypt hash as it is (`passwordHash` from Auth0's export, or `custom_password_hash.hash.value`).
 *
 * Firebase (`firebase auth:export --format=json`: `{"users":[…]}`): `localId` → external_id,
 * `email`, `emailVerified`, `displayName` split into first and last name, `disabled` → inactive,
 * `providerUserInfo` → OIDC providers (`google.com` → google, `apple.com` → apple, …, subject
 * `rawId`; `password` and `phone` entries skipped), and the scrypt hash with the project's hash
 * parameters as Kratos' `$firescrypt$ln=<mem_cost>,r=<rounds>,p=1$<salt>$<hash>$<salt separator>$<signer key>`.
 */
import type { CreateIdentityBodyEncoded } from "../../Identity.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Body = Mutable<CreateIdentityBodyEncoded>
type Provider = { provider: string; subject: string }

/** Firebase's `hash_config` as `firebase auth:export` / the console prints it. @since 0.1.0 @category models */
export interface FirebaseHashConfig {
  readonly algorithm?: string
  readonly base64_signer_key: string
  readonly base64_salt_separator: string
  readonly rounds: number
  readonly mem_cost: number
}

const isObject = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === "object" && !Array.isArray(u)
const str = (u: unknown): string | undefined => (typeof u === "string" && u !== "" ? u : undefined)

const splitName = (full: string | undefined): { first?: string; last?: string } => {
  if (full === undefined) return {}
  const trimmed = full.trim()
  const at = trimmed.indexOf(" ")
  return at < 0 ? { first: trimmed } : { first: trimmed.slice(0, at), last: trimmed.slice(at + 1).trim() }
}

const withEmail = (body: Body, email: string | undefined, verified: boolean) => {
  if (email === undefined) return
  ;(body.traits as Record<string, unknown>).email = email
  if (verified) body.verifiable_addresses = [{ value: email, verified: true, via: "email", status: "completed" }]
}

const withName = (body: Body, first: string | undefined, last: string | undefined) => {
  if (first === undefined && last === undefined) return
  ;(body.traits as Record<string, unknown>).name = { ...(first !== undefined ? { first } : {}), ...(last !== undefined ? { last } : {}) }
}

const withCredentials = (body: Body, hash: string | undefined, providers: ReadonlyArray<Provider>) => {
  if (hash === undefined && providers.length === 0) return
  body.credentials = {
    ...(hash !== undefined ? { password: { config: { hashed_password: hash } } } : {}),
    ...(providers.length > 0 ? { oidc: { config: { providers } } } : {})
  }
}

const auth0Providers: Readonly<Record<string, string>> = {
  "google-oauth2": "google",
  "windowslive": "microsoft",
  "apple": "apple",
  "facebook": "facebook",
  "github": "github",
  "linkedin": "linkedin",
  "twitter": "twitter"
}

/** Maps one Auth0 user; a string says why it cannot be. */
export const fromAuth0 = (record: unknown, schemaId = "default"): CreateIdentityBodyEncoded | string => {
  if (!isObject(record)) return "not an Auth0 user object"
  const email = str(record.email)
  const body: Body = { schema_id: schemaId, traits: {} }
  const id = str(record.user_id) ?? (isObject(record._id) ? str(record._id.$oid) : str(record._id))
  if (id !== undefined) body.external_id = id
  withEmail(body, email, record.email_verified === true)
  const split = splitName(str(record.name))
  withName(body, str(record.given_name) ?? split.first, str(record.family_name) ?? split.last)
  if (record.blocked === true) body.state = "inactive"
  const custom = isObject(record.custom_password_hash) && isObject(record.custom_password_hash.hash)
    ? str(record.custom_password_hash.hash.value)
    : undefined
  const hash = str(record.passwordHash) ?? str(record.password_hash) ?? custom
  if (hash !== undefined && !/^\$2[abyz]?\$/.test(hash)) return "the password hash is not bcrypt (Auth0 exports bcrypt)"
  const providers: Array<Provider> = []
  if (Array.isArray(record.identities)) {
    for (const i of record.identities) {
      if (!isObject(i) || i.isSocial !== true) continue
      const provider = str(i.provider)
      const subject = i.user_id === undefined || i.user_id === null ? undefined : String(i.user_id)
      if (provider !== undefined && subject !== undefined) providers.push({ provider: auth0Providers[provider] ?? provider, subject })
    }
  }
  withCredentials(body, hash, providers)
  if (email === undefined && providers.length === 0) return "no email and no social identity: nothing to sign in with"
  return body
}

const firebaseProviders: Readonly<Record<string, string>> = {
  "google.com": "google",
  "apple.com": "apple",
  "facebook.com": "facebook",
  "github.com": "github",
  "twitter.com": "twitter",
  "microsoft.com": "microsoft",
  "yahoo.com": "yahoo"
}

/** Kratos' firescrypt form of a Firebase scrypt hash (all parts standard base64, as Firebase prints them). */
export const firescrypt = (hash: string, salt: string, config: FirebaseHashConfig): string =>
  `$firescrypt$ln=${config.mem_cost},r=${config.rounds},p=1$${salt}$${hash}$${config.base64_salt_separator}$${config.base64_signer_key}`

/** Maps one Firebase user; a string says why it cannot be. */
export const fromFirebase = (
  record: unknown,
  config: FirebaseHashConfig | undefined,
  schemaId = "default"
): CreateIdentityBodyEncoded | string => {
  if (!isObject(record)) return "not a Firebase user object"
  const email = str(record.email)
  const body: Body = { schema_id: schemaId, traits: {} }
  const id = str(record.localId)
  if (id !== undefined) body.external_id = id
  withEmail(body, email, record.emailVerified === true)
  const split = splitName(str(record.displayName))
  withName(body, split.first, split.last)
  if (record.disabled === true) body.state = "inactive"
  const passwordHash = str(record.passwordHash)
  let hash: string | undefined
  if (passwordHash !== undefined) {
    if (config === undefined) return "a password hash needs the project's hash parameters (--firebase-hash-config)"
    hash = firescrypt(passwordHash, str(record.salt) ?? "", config)
  }
  const providers: Array<Provider> = []
  if (Array.isArray(record.providerUserInfo)) {
    for (const p of record.providerUserInfo) {
      if (!isObject(p)) continue
      const providerId = str(p.providerId)
      const rawId = str(p.rawId)
      if (providerId === undefined || rawId === undefined || providerId === "password" || providerId === "phone") continue
      providers.push({ provider: firebaseProviders[providerId] ?? providerId.replace(/\.com$/, ""), subject: rawId })
    }
  }
  withCredentials(body, hash, providers)
  if (email === undefined && providers.length === 0) return "no email and no linked provider: nothing to sign in with"
  return body
}

/** Reads Firebase's hash config: JSON, or the `hash_config { key: value, … }` block the console shows. */
export const parseFirebaseHashConfig = (text: string): FirebaseHashConfig | string => {
  let fields: Record<string, unknown>
  try {
    const parsed = JSON.parse(text) as unknown
    fields = isObject(parsed) && isObject(parsed.hash_config) ? parsed.hash_config : isObject(parsed) ? parsed : {}
  } catch {
    fields = {}
    for (const m of text.matchAll(/([a-z0-9_]+)\s*:\s*("?)([^,\n"]*)\2/gi)) fields[m[1]] = m[3].trim()
  }
  const signer = str(fields.base64_signer_key)
  const separator = str(fields.base64_salt_separator)
  const rounds = Number(fields.rounds)
  const memCost = Number(fields.mem_cost)
  if (signer === undefined || separator === undefined || !Number.isInteger(rounds) || !Number.isInteger(memCost)) {
    return "a Firebase hash config needs base64_signer_key, base64_salt_separator, rounds and mem_cost"
  }
  if (fields.algorithm !== undefined && String(fields.algorithm).toUpperCase() !== "SCRYPT") return "only Firebase's SCRYPT hashes can be converted"
  return { algorithm: "SCRYPT", base64_signer_key: signer, base64_salt_separator: separator, rounds, mem_cost: memCost }
}

/** The users of a Firebase export document (`{"users":[…]}`), or the value itself when it is one user. */
export const firebaseUsers = (value: unknown): ReadonlyArray<unknown> =>
  isObject(value) && Array.isArray(value.users) ? value.users : [value]
