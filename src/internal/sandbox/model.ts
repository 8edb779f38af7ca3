/**
 * Identities and sessions: building them from request bodies the way Kratos' handlers do, running
 * the `ory.sh/kratos` extension over traits, and rendering the JSON each endpoint shows.
 */
import { newId } from "./ids.js"
import type { SchemaEntry } from "./schemas.js"
import { derive, validateTraits } from "./schemas.js"
import { fail } from "./response.js"
import type { StoredCredential, StoredIdentity, StoredRecoveryAddress, StoredSession, StoredVerifiableAddress } from "./store.js"

/** @internal */
export interface Ctx {
  /** Base of `schema_url` and recovery links, no trailing slash. */
  readonly publicUrl: string
  /** The request's time, from the Effect clock. */
  readonly now: number
  readonly schemas: ReadonlyMap<string, SchemaEntry>
}

/** @internal */
export const iso = (ms: number): string => {
  // a batch stamps a thousand identities with the same instant: one string for all of them
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}
let lastMs = NaN
let lastIso = ""

/** @internal */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Finds a schema by id or by its base64url form; throws Kratos' 400 when unknown. @internal */
export const lookupSchema = (ctx: Ctx, id: string | null | undefined): SchemaEntry => {
  const wanted = id && id.length > 0 ? id : "default"
  const direct = ctx.schemas.get(wanted)
  if (direct) return direct
  const decoded = Buffer.from(wanted, "base64url").toString("utf8")
  const viaB64 = ctx.schemas.get(decoded)
  if (viaB64 && Buffer.from(decoded, "utf8").toString("base64url") === wanted) return viaB64
  return fail(400, { reason: `Unable to find JSON Schema ID: ${wanted}` })
}

/** A password credential config after import (hashing already done). @internal */
export type PasswordConfig =
  | { readonly hashed_password: string }
  | { readonly hashed_password: string; readonly use_password_migration_hook: true }

/** Credentials of a create/update body, already checked and hashed. @internal */
export interface ImportedCredentials {
  readonly password?: PasswordConfig | undefined
  readonly oidc?: ReadonlyArray<Record<string, unknown>> | undefined
  readonly saml?: ReadonlyArray<Record<string, unknown>> | undefined
}

const credential = (type: string, identifiers: Array<string>, config: Record<string, unknown>, now: string): StoredCredential => ({
  type,
  identifiers,
  config,
  version: 0,
  created_at: now,
  updated_at: now
})

const providerIds = (providers: ReadonlyArray<Record<string, unknown>>) =>
  providers.map((p) => `${String(p.provider)}:${String(p.subject)}`)

/** Merges imported credentials into existing ones as PUT does (password replaced, providers appended). @internal */
export const mergeCredentials = (
  existing: Record<string, StoredCredential>,
  imported: ImportedCredentials | undefined,
  now: string
): Record<string, StoredCredential> => {
  const out: Record<string, StoredCredential> = { ...existing }
  if (!imported) return out
  if (imported.password) {
    const prev = out.password
    out.password = prev
      ? { ...prev, config: { ...imported.password }, updated_at: now }
      : credential("password", [], { ...imported.password }, now)
  }
  for (const type of ["oidc", "saml"] as const) {
    const providers = imported[type]
    if (!providers || providers.length === 0) continue
    const prev = out[type]
    const prevProviders = ((prev?.config.providers as Array<Record<string, unknown>> | undefined) ?? [])
    const all = [...prevProviders, ...providers.map((p) => ({ ...p }))]
    out[type] = prev
      // Kept even when repeated: a provider the identity already has is the store's 409, as in Kratos.
      ? { ...prev, identifiers: [...[...prev.identifiers].sort(), ...providerIds(providers)], config: { ...prev.config, providers: all }, updated_at: now }
      : credential(type, providerIds(providers), { providers: all }, now)
  }
  return out
}

/**
 * Validates traits and runs the extension: credential identifiers are re-derived, addresses are
 * the ones backed by traits (keeping the state of existing ones), plus imports on create. Fills
 * them into `i`, a fresh object its caller built, and returns it (no copy per identity written).
 * @internal
 */
export const applySchema = (
  entry: SchemaEntry,
  i: StoredIdentity,
  nowIso: string,
  imported?: {
    readonly verifiable: ReadonlyArray<StoredVerifiableAddress>
    readonly recovery: ReadonlyArray<StoredRecoveryAddress>
  }
): StoredIdentity => {
  validateTraits(entry, i.traits)
  const d = derive(entry, i.traits)
  const credentials = { ...i.credentials }
  const setIds = (type: string, ids: ReadonlyArray<string>, config?: Record<string, unknown>) => {
    if (ids.length === 0) return
    const prev = credentials[type]
    credentials[type] = prev
      ? { ...prev, identifiers: [...ids], ...(config ? { config } : {}) }
      : credential(type, [...ids], config ?? {}, nowIso)
  }
  setIds("password", d.password)
  setIds("webauthn", d.webauthn)
  if (d.code.length > 0) {
    setIds("code", d.code.map((c) => c.value), { addresses: d.code.map((c) => ({ channel: c.via, address: c.value })) })
  }
  // Only trait-backed addresses survive (the extensions' Finish); an imported or existing one with
  // the same channel and value keeps its id and verification state.
  const prevVerifiable = [...(imported?.verifiable ?? []), ...i.verifiable_addresses]
  const verifiable: Array<StoredVerifiableAddress> = d.verification.map((a) =>
    prevVerifiable.find((p) => p.via === a.via && p.value === a.value) ?? {
      id: newId(),
      value: a.value,
      verified: false,
      via: a.via,
      status: "pending",
      created_at: nowIso,
      updated_at: nowIso
    }
  )
  const prevRecovery = [...(imported?.recovery ?? []), ...i.recovery_addresses]
  const recovery: Array<StoredRecoveryAddress> = d.recovery.map((a) =>
    prevRecovery.find((p) => p.via === a.via && p.value === a.value) ?? {
      id: newId(),
      value: a.value,
      via: a.via,
      created_at: nowIso,
      updated_at: nowIso
    }
  )
  i.credentials = credentials
  i.verifiable_addresses = verifiable
  i.recovery_addresses = recovery
  return i
}

/**
 * An address as the persister stores it (`normalizeVerifiableAddresses`): value lowercased and
 * trimmed, channel `email` when none, status from `verified` when none, `verified_at` set when
 * verified (now, unless given) and dropped when not.
 * @internal
 */
export const normalizeVerifiable = (a: StoredVerifiableAddress, nowIso: string): StoredVerifiableAddress => {
  const out: StoredVerifiableAddress = {
    ...a,
    value: a.value.trim().toLowerCase(),
    via: a.via === "" ? "email" : a.via,
    status: a.status === "" ? (a.verified ? "completed" : "pending") : a.status
  }
  if (a.verified) out.verified_at = a.verified_at ? a.verified_at : nowIso
  else delete out.verified_at
  return out
}

/** The body fields `createIdentity` and batch items carry (already strictly decoded). @internal */
export interface CreateInput {
  readonly schema_id?: string | null | undefined
  readonly traits?: unknown
  readonly external_id?: string | null | undefined
  readonly metadata_public?: unknown
  readonly metadata_admin?: unknown
  readonly organization_id?: string | null | undefined
  readonly state?: unknown
  readonly verifiable_addresses?: ReadonlyArray<{
    readonly value?: string | null | undefined
    readonly verified?: boolean | null | undefined
    readonly via?: string | null | undefined
    readonly status?: string | null | undefined
    readonly verified_at?: string | null | undefined
  }> | null | undefined
  readonly recovery_addresses?: ReadonlyArray<{ readonly value?: string | null | undefined; readonly via?: string | null | undefined }> | null | undefined
}

/** Builds (does not store) a new identity, validating schema and traits. @internal */
export const buildIdentity = (
  ctx: Ctx,
  body: CreateInput,
  creds: ImportedCredentials | undefined,
  state: string | undefined = typeof body.state === "string" ? body.state : undefined
): StoredIdentity => {
  const entry = lookupSchema(ctx, body.schema_id)
  const now = iso(ctx.now)
  const base: StoredIdentity = {
    id: newId(),
    credentials: mergeCredentials({}, creds, now),
    // Kept as given (a base64url id stays base64url), the default's id when none.
    schema_id: body.schema_id ? body.schema_id : entry.id,
    state: state && state.length > 0 ? state : "active",
    state_changed_at: now,
    traits: body.traits ?? {},
    verifiable_addresses: [],
    recovery_addresses: [],
    metadata_public: body.metadata_public ?? null,
    metadata_admin: body.metadata_admin ?? null,
    created_at: now,
    updated_at: now,
    organization_id: body.organization_id ?? null
  }
  if (body.external_id) base.external_id = body.external_id
  if (base.schema_id !== entry.id) base.schema_ref = entry.id
  const built = applySchema(entry, base, now, {
    verifiable: (body.verifiable_addresses ?? []).map((a) => ({
      id: newId(),
      value: (a.value ?? "").toLowerCase(),
      verified: a.verified ?? false,
      via: a.via ?? "",
      status: a.status ?? "",
      ...(a.verified_at ? { verified_at: a.verified_at } : {}),
      created_at: now,
      updated_at: now
    })),
    recovery: (body.recovery_addresses ?? []).map((a) => ({
      id: newId(),
      value: (a.value ?? "").toLowerCase(),
      via: a.via ?? "",
      created_at: now,
      updated_at: now
    }))
  })
  built.verifiable_addresses = built.verifiable_addresses.map((a) => normalizeVerifiable(a, now))
  return built
}

/** How much of the credentials an endpoint shows (§0 of the semantics notes). @internal */
export type CredentialView =
  | { readonly _tag: "omit" }
  | { readonly _tag: "noConfig" }
  /** Configs shown only for these types (get / include_credential); "all" for the admin patch form. */
  | { readonly _tag: "include"; readonly types: ReadonlySet<string> | "all" }
  /** The create answer: the object before it was stored (identifiers as given, zero credential times). */
  | { readonly _tag: "created" }

const zeroTime = "0001-01-01T00:00:00Z"

/** OIDC providers as `include_credential=oidc` shows them: the (decrypted, here empty) initial tokens. */
const withTokens = (config: Record<string, unknown>): Record<string, unknown> => {
  const providers = config.providers
  if (!Array.isArray(providers)) return config
  return {
    ...config,
    providers: providers.map((p) => ({ initial_id_token: "", initial_access_token: "", initial_refresh_token: "", ...p }))
  }
}

const renderCredentials = (i: StoredIdentity, view: CredentialView): Record<string, unknown> | undefined => {
  if (view._tag === "omit") return undefined
  const keys = Object.keys(i.credentials)
  if (keys.length === 0) return undefined
  const out: Record<string, unknown> = {}
  for (const k of keys) {
    const c = i.credentials[k]
    const showConfig = view._tag === "include" && (view.types === "all" || view.types.has(k))
    if (view._tag === "created") {
      out[k] = { type: c.type, identifiers: c.identifiers, version: c.version, created_at: zeroTime, updated_at: zeroTime }
      continue
    }
    // Stored identifiers come back from the database in order.
    const identifiers = c.identifiers.length > 1 && view._tag !== "noConfig" ? [...c.identifiers].sort() : c.identifiers
    const config = showConfig && view._tag === "include" && view.types !== "all" && k === "oidc" ? withTokens(c.config) : c.config
    out[k] = showConfig
      ? { type: c.type, identifiers, config, version: c.version, created_at: c.created_at, updated_at: c.updated_at }
      : { type: c.type, identifiers, version: c.version, created_at: c.created_at, updated_at: c.updated_at }
  }
  return out
}

const schemaIds = new Map<string, string>()
const schemaPathId = (id: string): string => {
  let b64 = schemaIds.get(id)
  if (b64 === undefined) {
    b64 = Buffer.from(id, "utf8").toString("base64url")
    if (schemaIds.size < 1000) schemaIds.set(id, b64)
  }
  return b64
}

/** The identity JSON in Kratos' field order. @internal */
export const renderIdentity = (
  publicUrl: string,
  i: StoredIdentity,
  view: CredentialView,
  /** get and list show it always (null when unset), writes only when set, sessions never. */
  metadataAdmin: "always" | "omitempty" | "never" = "omitempty",
  addresses = true,
  /** An identity session list embeds identities without their schema URL. */
  schemaUrl = true
): Record<string, unknown> => {
  const out: Record<string, unknown> = { id: i.id }
  if (i.external_id) out.external_id = i.external_id
  const creds = renderCredentials(i, view)
  if (creds) out.credentials = creds
  out.schema_id = i.schema_id
  out.schema_url = schemaUrl ? `${publicUrl}/schemas/${schemaPathId(i.schema_ref ?? i.schema_id)}` : ""
  out.state = i.state
  out.state_changed_at = i.state_changed_at
  out.traits = i.traits
  if (addresses && i.verifiable_addresses.length > 0) out.verifiable_addresses = i.verifiable_addresses
  if (addresses && i.recovery_addresses.length > 0) out.recovery_addresses = i.recovery_addresses
  out.metadata_public = i.metadata_public
  if (metadataAdmin === "always") out.metadata_admin = i.metadata_admin ?? null
  else if (metadataAdmin === "omitempty" && i.metadata_admin !== null && i.metadata_admin !== undefined) out.metadata_admin = i.metadata_admin
  out.created_at = i.created_at
  out.updated_at = i.updated_at
  out.organization_id = i.organization_id
  return out
}

/** The admin JSON form JSON Patch applies to (credentials with config, metadata_admin always). @internal */
export const adminForm = (publicUrl: string, i: StoredIdentity): Record<string, unknown> => {
  const out = renderIdentity(publicUrl, i, { _tag: "include", types: "all" })
  out.metadata_admin = i.metadata_admin
  return structuredClone(out)
}

/** @internal */
export const sessionLifespanMs = 24 * 3600 * 1000

/** Session JSON; `expand` decides whether identity and devices are embedded. @internal */
export const renderSession = (
  publicUrl: string,
  s: StoredSession,
  identity: StoredIdentity | undefined,
  expand: {
    readonly identity: boolean
    readonly devices: boolean
    /** The list loads identities without their addresses. */
    readonly bareIdentity?: boolean | undefined
    /** The list shows `null`, a single session `[]`. */
    readonly unexpandedDevices?: null | undefined
    readonly noSchemaUrl?: boolean | undefined
  }
): Record<string, unknown> => {
  // `active` is the stored flag (not recomputed from expiry or the identity's state); identity and
  // devices are always present, null and empty unless expanded.
  return {
    id: s.id,
    active: s.active,
    expires_at: iso(s.expires_at),
    authenticated_at: iso(s.authenticated_at),
    authenticator_assurance_level: s.aal,
    authentication_methods: s.methods,
    issued_at: iso(s.issued_at),
    identity: expand.identity && identity
      ? renderIdentity(publicUrl, identity, { _tag: "omit" }, "never", !expand.bareIdentity, !expand.noSchemaUrl)
      : null,
    devices: expand.devices ? s.devices : "unexpandedDevices" in expand ? expand.unexpandedDevices : []
  }
}

/** A new session for an identity. @internal */
export const newSession = (
  identityId: string,
  now: number,
  options: { readonly active?: boolean | undefined; readonly expiresInMs?: number | undefined; readonly aal?: string | undefined; readonly method?: string | undefined }
): StoredSession => ({
  id: newId(),
  identity_id: identityId,
  active: options.active ?? true,
  expires_at: now + (options.expiresInMs ?? sessionLifespanMs),
  authenticated_at: now,
  issued_at: now,
  created_at: now,
  aal: options.aal ?? "aal1",
  methods: [{ method: options.method ?? "password", aal: options.aal ?? "aal1", completed_at: iso(now) }],
  devices: [{ id: newId(), ip_address: "127.0.0.1", location: "Sandbox", user_agent: "effect-kratos-sandbox" }]
})
