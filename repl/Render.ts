/**
 * Output renderers: tables that fit the terminal for people, JSON / JSONL for scripts, and the
 * one-line error. All pure: they return strings, the caller decides where they go.
 *
 * Secrets never leave through here unless `reveal` is asked for (the recovery commands).
 */
import * as Redacted from "effect/Redacted"
import * as KratosError from "../src/KratosError.js"

/** Output format of a command (`wide`: a table with every column, nothing cut). */
export type Format = "table" | "wide" | "json" | "jsonl" | "yaml"

/** Keys whose values are secrets wherever they appear in a response. */
const secretKeys: ReadonlySet<string> = new Set([
  "password",
  "hashed_password",
  "tokenized",
  "initial_id_token",
  "initial_access_token",
  "initial_refresh_token",
  "recovery_code",
  "recovery_link",
  "api_key",
  "apiKey"
])

/** The marker printed in place of a secret. */
export const redactedMarker = "<redacted>"

/**
 * Plain JSON-able data: `Redacted` values and secret-named keys become `<redacted>` unless
 * `reveal`; `undefined` fields are dropped.
 */
export const toPlain = (value: unknown, reveal = false): unknown => {
  if (Redacted.isRedacted(value)) return reveal ? toPlain(Redacted.value(value), reveal) : redactedMarker
  if (Array.isArray(value)) return value.map((v) => toPlain(v, reveal))
  if (value !== null && typeof value === "object") {
    if (value instanceof Date) return value.toISOString()
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue
      out[k] = !reveal && secretKeys.has(k) && typeof v === "string" && v !== "" ? redactedMarker : toPlain(v, reveal)
    }
    return out
  }
  if (typeof value === "bigint") return value.toString()
  return value
}

/** JSON of a value (secrets redacted unless `reveal`): pretty, or one line when not `pretty`. */
export const json = (value: unknown, reveal = false, pretty = true): string =>
  pretty ? JSON.stringify(toPlain(value, reveal), null, 2) : JSON.stringify(toPlain(value, reveal))

/** One compact JSON line (JSONL). */
export const jsonLine = (value: unknown, reveal = false): string => JSON.stringify(toPlain(value, reveal))

// ---------------------------------------------------------------------------------------------
// Tables

/** A column: header, cell values, and whether it may be shortened / dropped first. */
export interface Column {
  readonly header: string
  readonly cells: ReadonlyArray<string>
  /** May be truncated with an ellipsis when the table is too wide (never an id column). */
  readonly flexible?: boolean
  /** Lower is dropped first when even truncation does not fit (default 10). */
  readonly priority?: number
  /** Shortened no further than this while a less important column can still be dropped (default 8). */
  readonly keep?: number
}

const bold = (s: string): string => `\x1b[1m${s}\x1b[22m`
const dim = (s: string): string => `\x1b[2m${s}\x1b[22m`

const truncate = (s: string, width: number): string =>
  s.length <= width ? s : width <= 1 ? s.slice(0, width) : s.slice(0, width - 1) + "…"

const minFlexWidth = 8
/** Columns at or above this priority are shortened to the minimum before they are dropped. */
const essential = 90

/**
 * Lays columns out in `width` characters. Columns with no value in any row are left out. Then,
 * until the table fits: flexible columns shrink to what they keep, the least important column
 * that is not essential goes, essential flexible columns shrink to 8, essential columns go. Id
 * columns are not flexible: an id is printed whole or not at all, never cut.
 */
export const table = (columns: ReadonlyArray<Column>, options: { readonly width: number; readonly color: boolean }): string => {
  const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, " ")
  let cols = columns
    .map((c) => {
      const cells: ReadonlyArray<string> = c.cells.map(oneLine)
      return { ...c, cells, natural: Math.max(c.header.length, ...cells.map((x) => x.length)) }
    })
    .filter((c) => c.cells.some((x) => x.trim() !== ""))
  if (cols.length === 0 && columns.length > 0) cols = [{ ...columns[0], natural: columns[0].header.length }]
  const gap = 2
  const total = (widths: ReadonlyArray<number>) => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1)
  const floor = (c: (typeof cols)[number], hard: boolean) =>
    Math.min(c.natural, Math.max(c.header.length, hard ? minFlexWidth : (c.keep ?? minFlexWidth)))
  // shrinks the widest flexible column first, one character at a time, down to its floor
  const shrink = (widths: Array<number>, hard: boolean) => {
    let excess = total(widths) - options.width
    while (excess > 0) {
      let widest = -1
      cols.forEach((c, i) => {
        if (c.flexible && widths[i] > floor(c, hard) && (widest < 0 || widths[i] > widths[widest])) widest = i
      })
      if (widest < 0) break
      widths[widest]--
      excess--
    }
    return excess <= 0
  }
  const lowest = (filter: (c: (typeof cols)[number]) => boolean) => {
    let drop = -1
    for (let i = cols.length - 1; i >= 0; i--) {
      if (filter(cols[i]) && (drop < 0 || (cols[i].priority ?? 10) < (cols[drop].priority ?? 10))) drop = i
    }
    return drop
  }
  let widths = cols.map((c) => c.natural)
  for (;;) {
    widths = cols.map((c) => c.natural)
    if (shrink(widths, false)) break
    const optional = lowest((c) => (c.priority ?? 10) < essential)
    if (optional >= 0) {
      cols = cols.filter((_, i) => i !== optional)
      continue
    }
    if (shrink(widths, true) || cols.length <= 1) break
    cols = cols.filter((_, i) => i !== lowest(() => true))
  }
  const pad = (s: string, w: number, last: boolean) => (last ? s : s.padEnd(w))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => pad(truncate(c, widths[i]), widths[i], i === cells.length - 1)).join(" ".repeat(gap))
  const header = line(cols.map((c) => c.header.toUpperCase()))
  const rows = cols.length === 0 ? [] : cols[0].cells.map((_, r) => line(cols.map((c) => c.cells[r] ?? "")))
  return [options.color ? bold(header) : header, ...rows].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Resource views

const str = (u: unknown): string | undefined => (typeof u === "string" && u.length > 0 ? u : undefined)
const rec = (u: unknown): Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

/** `2026-11-23T10:31:02.123Z` → `2026-11-23 10:31`. */
export const shortDate = (iso: unknown): string => {
  const s = str(iso)
  if (!s) return ""
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(s)
  return m ? `${m[1]} ${m[2]}` : s
}

/** The identifier a person recognises an identity by: email, username, phone, a credential identifier. */
export const identifierOf = (identity: unknown): string => {
  const i = rec(identity)
  const traits = rec(i.traits)
  const direct = str(traits.email) ?? str(traits.username) ?? str(traits.phone) ?? str(traits.phone_number)
  if (direct) return direct
  const creds = rec(i.credentials)
  for (const c of Object.values(creds)) {
    const ids = rec(c).identifiers
    if (Array.isArray(ids) && typeof ids[0] === "string") return ids[0]
  }
  const firstString = Object.values(traits).find((v) => typeof v === "string")
  return typeof firstString === "string" ? firstString : ""
}

/** The identities table. */
export const identityColumns = (identities: ReadonlyArray<unknown>): ReadonlyArray<Column> => {
  const rows = identities.map(rec)
  return [
    { header: "id", cells: rows.map((r) => String(r.id ?? "")), priority: 100 },
    { header: "identifier", cells: identities.map(identifierOf), flexible: true, priority: 90, keep: 30 },
    { header: "state", cells: rows.map((r) => str(r.state) ?? ""), priority: 50 },
    { header: "external id", cells: rows.map((r) => str(r.external_id) ?? ""), flexible: true, priority: 40 },
    { header: "schema", cells: rows.map((r) => str(r.schema_id) ?? ""), flexible: true, priority: 30 },
    { header: "created", cells: rows.map((r) => shortDate(r.created_at)), priority: 20 },
    { header: "updated", cells: rows.map((r) => shortDate(r.updated_at)), priority: 10 }
  ]
}

/** Types of the credentials an identity has (`password, oidc`), when it lists them. */
const credentialTypes = (identity: unknown): string => Object.keys(rec(rec(identity).credentials)).join(", ")

/** The identities table of `-o wide`: every column, and more. */
export const identityWideColumns = (identities: ReadonlyArray<unknown>): ReadonlyArray<Column> => {
  const rows = identities.map(rec)
  return [
    ...identityColumns(identities),
    { header: "organization", cells: rows.map((r) => str(r.organization_id) ?? ""), priority: 5 },
    { header: "credentials", cells: identities.map(credentialTypes), flexible: true, priority: 5 },
    {
      header: "verified",
      cells: rows.map((r) =>
        Array.isArray(r.verifiable_addresses)
          ? r.verifiable_addresses.map(rec).filter((a) => a.verified === true).map((a) => String(a.value ?? "")).join(", ")
          : ""
      ),
      flexible: true,
      priority: 5
    }
  ]
}

/** The sessions table of `-o wide`: with the identity's id and the devices. */
export const sessionWideColumns = (sessions: ReadonlyArray<unknown>): ReadonlyArray<Column> => {
  const rows = sessions.map(rec)
  return [
    ...sessionColumns(sessions),
    { header: "identity id", cells: rows.map((r) => str(rec(r.identity).id) ?? ""), priority: 5 },
    { header: "issued", cells: rows.map((r) => shortDate(r.issued_at)), priority: 5 },
    {
      header: "devices",
      cells: rows.map((r) =>
        Array.isArray(r.devices) ? r.devices.map(rec).map((d) => str(d.ip_address) ?? str(d.user_agent) ?? "").filter((x) => x !== "").join(", ") : ""
      ),
      flexible: true,
      priority: 5
    }
  ]
}

/** The sessions table. */
export const sessionColumns = (sessions: ReadonlyArray<unknown>): ReadonlyArray<Column> => {
  const rows = sessions.map(rec)
  return [
    { header: "id", cells: rows.map((r) => String(r.id ?? "")), priority: 100 },
    {
      header: "identity",
      cells: rows.map((r) => {
        const identity = rec(r.identity)
        return identity.id === undefined ? "" : identifierOf(identity) || String(identity.id)
      }),
      flexible: true,
      priority: 60
    },
    { header: "active", cells: rows.map((r) => (r.active === undefined ? "" : r.active ? "yes" : "no")), priority: 90 },
    { header: "aal", cells: rows.map((r) => str(r.authenticator_assurance_level) ?? ""), priority: 50 },
    { header: "authenticated", cells: rows.map((r) => shortDate(r.authenticated_at)), priority: 20 },
    { header: "expires", cells: rows.map((r) => shortDate(r.expires_at)), priority: 80 }
  ]
}

/** The identity schemas table. */
export const schemaColumns = (schemas: ReadonlyArray<unknown>): ReadonlyArray<Column> => {
  const rows = schemas.map(rec)
  return [
    { header: "id", cells: rows.map((r) => String(r.id ?? "")), priority: 100 },
    {
      header: "title",
      cells: rows.map((r) => str(rec(r.schema).title) ?? ""),
      flexible: true,
      priority: 50
    },
    {
      header: "traits",
      cells: rows.map((r) => Object.keys(rec(rec(rec(rec(r.schema).properties).traits).properties)).join(", ")),
      flexible: true,
      priority: 40
    }
  ]
}

/** A single resource as `key  value` lines; nested values as compact JSON (secrets redacted). */
export const record = (
  value: unknown,
  options: { readonly width: number; readonly color: boolean; readonly reveal?: boolean }
): string => {
  const plain = rec(toPlain(value, options.reveal === true))
  const keys = Object.keys(plain)
  const keyWidth = Math.max(0, ...keys.map((k) => k.length))
  return keys
    .map((k) => {
      const v = plain[k]
      const text = typeof v === "string" ? v : JSON.stringify(v)
      const key = k.padEnd(keyWidth)
      const room = options.reveal === true ? Infinity : Math.max(20, options.width - keyWidth - 2)
      return `${options.color ? dim(key) : key}  ${truncate(text, room)}`
    })
    .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Errors

/** One line describing a failure: status, tag, Kratos' message and reason, the request id. */
export const errorLine = (error: unknown, verbose = false): string => {
  if (KratosError.isKratosError(error)) {
    const e = error as KratosError.KratosError
    const parts: Array<string> = []
    switch (e._tag) {
      case "TransportError":
        parts.push(`${e._tag} (${e.reason}) in ${e.operation}: ${e.message}`)
        break
      case "InvalidInput":
        parts.push(`${e._tag} for ${e.operation}: ${e.message}`)
        break
      case "ResponseDecodeError":
        parts.push(`${e.status} ${e._tag} in ${e.operation}: ${e.message}`)
        if (e.requestId) parts.push(`request id ${e.requestId}`)
        break
      default: {
        let main = `${e.status} ${e._tag} in ${e.operation}: ${e.message}`
        if (e.reason && e.reason !== e.message) main += ` — ${e.reason}`
        parts.push(main)
        if (e.requestId) parts.push(`request id ${e.requestId}`)
        if (e.retryAfter !== undefined) parts.push(`retry after ${String(e.retryAfter)}`)
      }
    }
    if (verbose) {
      if ("attempts" in e) parts.push(`attempts ${e.attempts}`)
      if ("details" in e && e.details !== undefined) parts.push(`details ${JSON.stringify(toPlain(e.details))}`)
      if ("errorId" in e && e.errorId !== undefined) parts.push(`error id ${e.errorId}`)
    }
    return "error: " + parts.join("; ")
  }
  if (error instanceof Error) return `error: ${error.message}`
  if (error !== null && typeof error === "object" && "message" in error) {
    const tag = "_tag" in error ? `${String(error._tag)}: ` : ""
    return `error: ${tag}${String(error.message)}`
  }
  return `error: ${String(error)}`
}

/** Removes ANSI escape sequences (for NO_COLOR and pipes). */
export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
