/**
 * Whether an identity found after an ambiguous attempt is this record's: found by external id or
 * identifier is not enough (the identifier may belong to someone who existed before the import).
 * It must carry the record's traits, external id, state, metadata and password identifiers, and be
 * created after the import began.
 */
import type { Identity } from "../../Identity.js"

/**
 * Clock skew allowed between this machine and the server when comparing `created_at` with the
 * import's start: an identity created more than this before the import began is not its.
 */
export const clockSkewMs = 1_000

export interface Expected {
  readonly record: Record<string, unknown>
  readonly schemaId: string
  /** The record's password identifiers as Kratos normalises them. */
  readonly identifiers: ReadonlyArray<string>
  /** When the import (its first run) began, epoch millis. */
  readonly since: number
}

/** Whether `identity` was created after the import (its first run) began. */
export const createdSince = (identity: Identity, since: number): boolean => {
  const created = identity.created_at === undefined ? Number.NaN : Date.parse(identity.created_at)
  return created >= since - clockSkewMs
}

/** `undefined` when `identity` is the record's, else what differs (names fields, never values). */
export const mismatch = (identity: Identity, expected: Expected): string | undefined => {
  const r = expected.record
  if (!createdSince(identity, expected.since)) {
    return `identity ${identity.id} was created ${identity.created_at ?? "at an unknown time"}, before this import began`
  }
  const differs: Array<string> = []
  const externalId = typeof r.external_id === "string" && r.external_id.length > 0 ? r.external_id : undefined
  if (externalId !== (identity.external_id ?? undefined)) differs.push("external_id")
  if (expected.schemaId !== identity.schema_id) differs.push("schema_id")
  if (!jsonEqual(r.traits, identity.traits)) differs.push("traits")
  if ((typeof r.state === "string" ? r.state : "active") !== (identity.state ?? "active")) differs.push("state")
  if (!jsonEqual(r.metadata_public ?? null, identity.metadata_public ?? null)) differs.push("metadata_public")
  if (!jsonEqual(r.metadata_admin ?? null, identity.metadata_admin ?? null)) differs.push("metadata_admin")
  const hasPassword = (r.credentials as { password?: unknown } | undefined)?.password !== undefined
  if (hasPassword && expected.identifiers.length > 0) {
    const held = identity.credentials?.password?.identifiers
    if (held === undefined || !expected.identifiers.every((id) => held.includes(id))) differs.push("password identifiers")
  }
  return differs.length === 0 ? undefined : `identity ${identity.id} differs from the record in ${differs.join(", ")}`
}

/** JSON values equal as JSON (object key order ignored). */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as Array<unknown>
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]))
  }
  const ao = a as Record<string, unknown>
  const bo = b as Record<string, unknown>
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined)
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined)
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]))
}
