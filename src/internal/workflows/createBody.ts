/**
 * An identity as the admin API lists it, turned into the create body `createIdentity` and the batch
 * import accept: server fields (id, schema_url, timestamps, address ids, state_changed_at) dropped,
 * everything an operator set kept, credentials only of the types asked for.
 */
import type { CreateIdentityBodyEncoded, Identity } from "../../Identity.js"

/** The credential types a create body can carry (Kratos v26: password, oidc, saml). */
export type ExportableCredential = "password" | "oidc" | "saml"

export const exportableCredentials: ReadonlyArray<ExportableCredential> = ["password", "oidc", "saml"]

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type WireCredentials = NonNullable<CreateIdentityBodyEncoded["credentials"]>
type Provider = { provider: string; subject: string; use_auto_link?: boolean; organization?: string | null }

const isObject = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === "object" && !Array.isArray(u)

/** Only the fields a provider import takes: the tokens Kratos decrypts for `include_credential=oidc` stay behind. */
const providersOf = (config: unknown): Array<Provider> | undefined => {
  if (!isObject(config) || !Array.isArray(config.providers)) return undefined
  const out: Array<Provider> = []
  for (const p of config.providers) {
    if (!isObject(p) || typeof p.provider !== "string" || typeof p.subject !== "string") continue
    const provider: Provider = { provider: p.provider, subject: p.subject }
    if (typeof p.use_auto_link === "boolean") provider.use_auto_link = p.use_auto_link
    if (typeof p.organization === "string" && p.organization !== "") provider.organization = p.organization
    out.push(provider)
  }
  return out.length > 0 ? out : undefined
}

const credentialsOf = (
  identity: Identity,
  include: ReadonlySet<ExportableCredential>
): WireCredentials | undefined => {
  const all = identity.credentials
  if (all === undefined || include.size === 0) return undefined
  const out: Mutable<WireCredentials> = {}
  if (include.has("password")) {
    const config = all.password?.config
    if (isObject(config)) {
      if (config.use_password_migration_hook === true) out.password = { config: { use_password_migration_hook: true } }
      else if (typeof config.hashed_password === "string" && config.hashed_password !== "") {
        out.password = { config: { hashed_password: config.hashed_password } }
      }
    }
  }
  for (const type of ["oidc", "saml"] as const) {
    if (!include.has(type)) continue
    const providers = providersOf(all[type]?.config)
    if (providers !== undefined) out[type] = { config: { providers } }
  }
  return out.password !== undefined || out.oidc !== undefined || out.saml !== undefined ? out : undefined
}

/**
 * The create body of a listed identity. Password hashes are in it as plain strings (the wire form):
 * callers keep it out of logs and write it only where the user asked.
 */
export const toCreateBody = (
  identity: Identity,
  include: ReadonlySet<ExportableCredential>
): CreateIdentityBodyEncoded => {
  const body: Mutable<CreateIdentityBodyEncoded> = {
    schema_id: identity.schema_id,
    traits: isObject(identity.traits) ? identity.traits : {}
  }
  if (identity.state === "active" || identity.state === "inactive") body.state = identity.state
  if (identity.external_id !== undefined && identity.external_id !== "") body.external_id = identity.external_id
  if (typeof identity.organization_id === "string" && identity.organization_id !== "") {
    body.organization_id = identity.organization_id
  }
  if (identity.metadata_public !== undefined && identity.metadata_public !== null) body.metadata_public = identity.metadata_public
  if (identity.metadata_admin !== undefined && identity.metadata_admin !== null) body.metadata_admin = identity.metadata_admin
  const verifiable = identity.verifiable_addresses
  if (verifiable !== undefined && verifiable.length > 0) {
    body.verifiable_addresses = verifiable.map((a) => ({
      value: a.value,
      verified: a.verified,
      via: a.via === "sms" ? "sms" : "email",
      status: a.status,
      ...(typeof a.verified_at === "string" ? { verified_at: a.verified_at } : {})
    }))
  }
  const recovery = identity.recovery_addresses
  if (recovery !== undefined && recovery.length > 0) {
    body.recovery_addresses = recovery.map((a) => ({ value: a.value, via: a.via }))
  }
  const credentials = credentialsOf(identity, include)
  if (credentials !== undefined) body.credentials = credentials
  return body
}

/**
 * A number `JSON.parse` cannot have kept exactly: an integer beyond ±2^53 (rounded to the nearest
 * double) or a value out of a double's range (read as ±Infinity, written back as `null`).
 */
const inexact = (n: number): boolean => !Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))

const holdsInexact = (v: unknown): boolean => {
  if (typeof v === "number") return inexact(v)
  if (v === null || typeof v !== "object") return false
  if (Array.isArray(v)) return v.some(holdsInexact)
  for (const k in v) if (holdsInexact((v as Record<string, unknown>)[k])) return true
  return false
}

const pathsOf = (v: unknown, path: string, out: Array<string>): void => {
  if (typeof v === "number") {
    if (inexact(v)) out.push(path)
  } else if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, `${path}[${i}]`, out))
  else if (v !== null && typeof v === "object") for (const k in v) pathsOf((v as Record<string, unknown>)[k], `${path}.${k}`, out)
}

const noPaths: ReadonlyArray<string> = []

/**
 * Where the values an operator set (traits, both metadata) hold a number that was rounded when the
 * listing was read (JavaScript's JSON has doubles only): what is exported there may differ from
 * what the server stores. Empty for nearly every body: then one shared empty list, and no path
 * built (the export asks for every identity).
 */
export const inexactNumberPaths = (body: CreateIdentityBodyEncoded): ReadonlyArray<string> => {
  if (!holdsInexact(body.traits) && !holdsInexact(body.metadata_public) && !holdsInexact(body.metadata_admin)) return noPaths
  const out: Array<string> = []
  pathsOf(body.traits, "traits", out)
  pathsOf(body.metadata_public, "metadata_public", out)
  pathsOf(body.metadata_admin, "metadata_admin", out)
  return out
}
