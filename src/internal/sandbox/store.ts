/**
 * In-memory storage with the indexes Kratos' unique constraints need, and a sorted id index so
 * keyset pagination costs O(log n + page). New ids (random UUIDs) are appended unsorted and merged
 * in when the index is next read: a sorted insert per identity shifted half the array each time,
 * which made a 100,000-record import quadratic.
 */
import { conflictMessage, conflictReason } from "./goTexts.js"
import { fail } from "./response.js"

/** @internal */
export interface StoredCredential {
  type: string
  identifiers: Array<string>
  config: Record<string, unknown>
  version: number
  created_at: string
  updated_at: string
}

/** @internal */
export interface StoredVerifiableAddress {
  id: string
  value: string
  verified: boolean
  via: string
  status: string
  verified_at?: string | null | undefined
  created_at: string
  updated_at: string
}

/** @internal */
export interface StoredRecoveryAddress {
  id: string
  value: string
  via: string
  created_at: string
  updated_at: string
}

/** @internal */
export interface StoredIdentity {
  id: string
  external_id?: string | undefined
  credentials: Record<string, StoredCredential>
  schema_id: string
  /** The schema's own id when `schema_id` names it another way (base64url): the URL uses it. */
  schema_ref?: string | undefined
  state: string
  state_changed_at: string
  traits: unknown
  verifiable_addresses: Array<StoredVerifiableAddress>
  recovery_addresses: Array<StoredRecoveryAddress>
  metadata_public: unknown
  metadata_admin: unknown
  created_at: string
  updated_at: string
  organization_id: string | null
}

/** @internal */
export interface StoredSession {
  id: string
  identity_id: string
  active: boolean
  expires_at: number
  authenticated_at: number
  issued_at: number
  created_at: number
  aal: string
  methods: Array<{ method: string; aal: string; completed_at: string; provider?: string }>
  devices: Array<{ id: string; ip_address: string; location: string; user_agent: string }>
}


const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Binary search over `xs` sorted by `compare`: the index of the first element after `key`
 * (or not before it when `inclusive`).
 * @internal
 */
export function lowerBound(xs: ReadonlyArray<string>, key: string, inclusive?: boolean): number
export function lowerBound<A>(xs: ReadonlyArray<A>, key: A, compare: (a: A, b: A) => number, inclusive?: boolean): number
export function lowerBound<A>(
  xs: ReadonlyArray<A>,
  key: A,
  compareOrInclusive?: ((a: A, b: A) => number) | boolean,
  inclusiveArg?: boolean
): number {
  const compare = typeof compareOrInclusive === "function"
    ? compareOrInclusive
    : (byCodeUnits as unknown as (a: A, b: A) => number)
  const inclusive = typeof compareOrInclusive === "boolean" ? compareOrInclusive : inclusiveArg === true
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const c = compare(xs[mid], key)
    if (inclusive ? c < 0 : c <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The unique constraints a value can fall under; `kind` names the credential type or the address channel. */
export type UniqueIn = "credential" | "external_id" | "verifiable" | "recovery"

/** The same channel and value twice in one address list (Kratos' unique constraint fails on it). */
const repeats = (as: ReadonlyArray<{ readonly via: string; readonly value: string }>): boolean => {
  for (let a = 1; a < as.length; a++) {
    for (let b = 0; b < a; b++) if (as[a].via === as[b].via && as[a].value === as[b].value) return true
  }
  return false
}

/** @internal */
export class Store {
  readonly identities = new Map<string, StoredIdentity>()
  private sorted: Array<string> = []
  private pending: Array<string> = []
  /**
   * Every unique value (credential identifier, address, external id) to the identities holding it,
   * usually one. One map for all constraints: an email is a password identifier, a verifiable and a
   * recovery address at once, and is looked up once, not in three cold tables; which constraint an
   * owner holds it under is read off the owner itself (`holds`).
   */
  private readonly unique = new Map<string, string | Array<string>>()
  readonly sessions = new Map<string, StoredSession>()
  readonly sessionsByIdentity = new Map<string, Set<string>>()
  private sortedSessions: Array<StoredSession> | undefined

  clear(): void {
    this.identities.clear()
    this.sorted = []
    this.pending = []
    this.unique.clear()
    this.sessions.clear()
    this.sessionsByIdentity.clear()
    this.sortedSessions = undefined
  }

  /** Identity ids in UUID (= lowercase hex) order. */
  get ids(): ReadonlyArray<string> {
    return this.merged()
  }

  private merged(): Array<string> {
    if (this.pending.length > 0) {
      this.sorted = mergeSorted(this.sorted, this.pending.sort())
      this.pending = []
    }
    return this.sorted
  }

  /** The identity (other than `except`) holding `value` under a constraint (credential type or address channel `kind`). */
  ownerOf(under: UniqueIn, kind: string, value: string, except?: string): string | undefined {
    const owners = this.unique.get(value)
    if (owners === undefined || owners === except) return undefined
    if (typeof owners === "string") return this.holds(owners, under, kind, value) ? owners : undefined
    return owners.find((id) => id !== except && this.holds(id, under, kind, value))
  }

  /** The identity with this external id. */
  ownerOfExternalId(externalId: string): string | undefined {
    return this.ownerOf("external_id", "", externalId)
  }

  /** Identities holding a credential identifier that `matches`. */
  credentialOwners(matches: (value: string) => boolean): Set<string> {
    const out = new Set<string>()
    for (const [value, owners] of this.unique) {
      if (!matches(value)) continue
      for (const id of typeof owners === "string" ? [owners] : owners) {
        const i = this.identities.get(id)
        if (i !== undefined && Object.values(i.credentials).some((c) => c.identifiers.includes(value))) out.add(id)
      }
    }
    return out
  }

  private holds(id: string, under: UniqueIn, kind: string, value: string): boolean {
    const i = this.identities.get(id)
    if (i === undefined) return false
    switch (under) {
      case "credential":
        return i.credentials[kind]?.identifiers.includes(value) === true
      case "external_id":
        return i.external_id === value
      case "verifiable":
        return i.verifiable_addresses.some((a) => a.via === kind && a.value === value)
      case "recovery":
        return i.recovery_addresses.some((a) => a.via === kind && a.value === value)
    }
  }

  /** Visits the unique values `i` holds, in the order Kratos checks them, until `visit` returns true. */
  private eachUnique(i: StoredIdentity, visit: (under: UniqueIn, kind: string, value: string) => boolean): void {
    for (const type in i.credentials) {
      const c = i.credentials[type]
      for (const id of c.identifiers) if (visit("credential", type, id)) return
    }
    if (i.external_id && visit("external_id", "", i.external_id)) return
    for (const a of i.verifiable_addresses) if (visit("verifiable", a.via, a.value)) return
    for (const a of i.recovery_addresses) if (visit("recovery", a.via, a.value)) return
  }

  /** The first identity (other than `i`) that holds one of `i`'s unique values. */
  conflictOf(i: StoredIdentity): string | undefined {
    if (repeats(i.verifiable_addresses) || repeats(i.recovery_addresses)) return i.id
    // Kratos' identifier table is unique per type too: a provider twice in one credential is a 409.
    for (const type of ["oidc", "saml"]) {
      const ids = i.credentials[type]?.identifiers
      if (ids !== undefined && new Set(ids).size !== ids.length) return i.id
    }
    let found: string | undefined
    this.eachUnique(i, (under, kind, value) => {
      found = this.ownerOf(under, kind, value, i.id)
      return found !== undefined
    })
    return found
  }

  private index(i: StoredIdentity, add: boolean): void {
    const id = i.id
    this.eachUnique(i, (_under, _kind, value) => {
      const owners = this.unique.get(value)
      if (add) {
        if (owners === undefined) this.unique.set(value, id)
        else if (typeof owners === "string") {
          if (owners !== id) this.unique.set(value, [owners, id])
        } else if (!owners.includes(id)) owners.push(id)
      } else if (owners === id) this.unique.delete(value)
      else if (typeof owners !== "string" && owners !== undefined && owners.includes(id)) {
        const rest = owners.filter((o) => o !== id)
        this.unique.set(value, rest.length === 1 ? rest[0] : rest)
      }
      return false
    })
  }

  /** Inserts, or throws Kratos' 409. */
  insert(i: StoredIdentity, conflict: { readonly message?: string; readonly reason?: string } = { reason: conflictReason }): void {
    if (this.conflictOf(i) !== undefined) fail(409, conflict)
    this.identities.set(i.id, i)
    this.index(i, true)
    this.pending.push(i.id)
  }

  /** Bulk insert for seeding: conflicting items are skipped. */
  insertMany(items: ReadonlyArray<StoredIdentity>): Array<StoredIdentity> {
    const added: Array<StoredIdentity> = []
    for (const i of items) {
      if (this.conflictOf(i) !== undefined) continue
      this.identities.set(i.id, i)
      this.index(i, true)
      added.push(i)
      this.pending.push(i.id)
    }
    return added
  }

  /** Replaces a stored identity, or throws 409 (message only, as Kratos' update does). */
  replace(next: StoredIdentity): void {
    const prev = this.identities.get(next.id)
    if (!prev) return
    this.index(prev, false)
    if (this.conflictOf(next) !== undefined) {
      this.index(prev, true)
      fail(409, { message: conflictMessage })
    }
    this.identities.set(next.id, next)
    this.index(next, true)
  }

  delete(id: string): boolean {
    const prev = this.identities.get(id)
    if (!prev) return false
    this.index(prev, false)
    this.identities.delete(id)
    const ids = this.merged()
    const at = lowerBound(ids, id, true)
    if (ids[at] === id) ids.splice(at, 1)
    for (const sid of this.sessionsByIdentity.get(id) ?? []) this.sessions.delete(sid)
    this.sessionsByIdentity.delete(id)
    this.sortedSessions = undefined
    return true
  }

  addSession(s: StoredSession): void {
    this.sessions.set(s.id, s)
    let set = this.sessionsByIdentity.get(s.identity_id)
    if (!set) this.sessionsByIdentity.set(s.identity_id, (set = new Set()))
    set.add(s.id)
    this.sortedSessions = undefined
  }

  deleteSessionsOf(identityId: string): number {
    const set = this.sessionsByIdentity.get(identityId)
    if (!set) return 0
    for (const sid of set) this.sessions.delete(sid)
    this.sessionsByIdentity.delete(identityId)
    this.sortedSessions = undefined
    return set.size
  }

  /** Sessions in Kratos' list order: created_at DESC, id ASC. */
  sessionsSorted(): ReadonlyArray<StoredSession> {
    if (!this.sortedSessions) {
      this.sortedSessions = [...this.sessions.values()].sort(compareSessions)
    }
    return this.sortedSessions
  }
}

const mergeSorted = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): Array<string> => {
  const out = new Array<string>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = a[i] <= b[j] ? a[i++] : b[j++]
  while (i < a.length) out[k++] = a[i++]
  while (j < b.length) out[k++] = b[j++]
  return out
}

/** @internal */
export const compareSessions = (a: { created_at: number; id: string }, b: { created_at: number; id: string }): number =>
  b.created_at - a.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

