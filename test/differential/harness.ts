/**
 * The differential harness: runs one scripted scenario of admin API requests against a base URL
 * and normalises each exchange (ids, times, tokens, hashes, request ids, base URLs) so that the
 * answers of two servers can be compared field by field.
 */

/** Names given to ids the scenario captured (identities, sessions), e.g. `alice`. */
export type Vars = Record<string, string>

/** Where the scenario sends its requests, and how it gets sessions there. */
export interface Target {
  /** Admin API base, no trailing slash. */
  readonly admin: string
  /** Public API base (schemas, self-service), no trailing slash. */
  readonly public: string
  /** The public URL as the server writes it into answers (schema_url, links), when not `public`. */
  readonly publicUrl?: string
  /** Waits between session logins so their times differ (a sandbox can be told a shorter wait). */
  readonly pause?: (ms: number) => Promise<void>
  /** Creates an active session for an identity (not an admin operation: self-service login, or seeding). */
  readonly createSession: (identityId: string, email: string, password: string) => Promise<string>
}

/** One request of the scenario. */
export interface Step {
  readonly name: string
  readonly method?: string
  readonly path?: string | ((v: Vars) => string)
  /** `public` sends to the public base (schemas). */
  readonly base?: "admin" | "public"
  /** JSON body (sent as application/json unless headers say otherwise). */
  readonly json?: unknown | ((v: Vars) => unknown)
  /** Raw body text. */
  readonly raw?: string
  readonly headers?: Record<string, string>
  /** Reads ids out of an answer into `Vars`. */
  readonly capture?: (body: any, v: Vars) => void
  /** Follows `rel="next"` up to this many further pages, each recorded as `name#N`. */
  readonly followNext?: number
  /**
   * The answer is a list whose order depends on random ids: compared as a multiset. With
   * `followNext`, which ids land on which page is random too: each page is recorded by its size
   * and links (ids as `<uuid>`), and one more exchange `name#all` holds every page's items.
   */
  readonly unordered?: boolean
  /** Not an exchange: creates a session for `session.identity` into `session.as`. */
  readonly session?: { readonly identity: string; readonly email: string; readonly password: string; readonly as: string }
  /** Sleeps before the request (sessions' created_at must differ). */
  readonly pauseMs?: number
}

/** One normalised exchange. */
export interface Exchange {
  readonly name: string
  readonly request: string
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: unknown
}

const keptHeaders = ["content-type", "location", "link", "x-total-count", "allow"]

const uuidRe = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const timeRe = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const nilUuid = "00000000-0000-0000-0000-000000000000"

interface Norm {
  readonly target: Target
  readonly vars: Vars
  /** When the request was sent (ms), for times relative to it. */
  readonly sentAt: number
}

const names = (n: Norm): Map<string, string> => {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(n.vars)) out.set(v.toLowerCase(), k)
  return out
}

/** A string with its ids, base URLs, tokens and hashes replaced by stable placeholders. */
const normString = (s: string, n: Norm, key: string | undefined): string => {
  if (timeRe.test(s)) {
    if (s.startsWith("0001-01-01T00:00:00")) return "<zero time>"
    const delta = Date.parse(s) - n.sentAt
    // Lifetimes (session expiry, recovery expiry) are compared in minutes from the request.
    return delta > 120_000 ? `<now+${Math.round(delta / 60_000)}m>` : "<time>"
  }
  if (key === "recovery_code" && /^\d{6}$/.test(s)) return "<code>"
  if (/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(s) && key === "hashed_password") {
    return `<bcrypt ${s.slice(0, 7)}>`
  }
  const byName = names(n)
  let out = s.split(n.target.publicUrl ?? n.target.public).join("<public>").split(n.target.admin).join("<admin>")
  out = out.replace(/([?&]token=)[A-Za-z0-9]+/g, "$1<token>")
  out = out.replace(uuidRe, (u) => (u === nilUuid ? u : byName.has(u.toLowerCase()) ? `<${byName.get(u.toLowerCase())}>` : "<uuid>"))
  return out
}

const normValue = (v: unknown, n: Norm, key?: string): unknown => {
  if (typeof v === "string") {
    if (key === "request") return "<request>"
    return normString(v, n, key)
  }
  if (Array.isArray(v)) return v.map((x) => normValue(x, n, key))
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      // A session's device describes the client that logged in (address, agent): not comparable.
      out[k] = key === "devices" && ["ip_address", "user_agent", "location"].includes(k) ? "<device>" : normValue(x, n, k)
    }
    return out
  }
  return v
}

const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)

/**
 * Link headers with their parameters sorted. Identity tokens are ids (named or `<uuid>`), offset
 * tokens (base64url JSON) are kept, session tokens (an id and a time) become `<token>`.
 */
const normLink = (link: string, n: Norm): string =>
  link.split(",").map((part) => {
    const m = /<([^>]*)>\s*;\s*rel="?([a-z]+)"?/.exec(part.trim())
    if (!m) return normString(part.trim(), n, undefined)
    const url = new URL(m[1], "http://x")
    const params = [...url.searchParams.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) =>
        `${k}=${k !== "page_token" || isUuid(v) || v.startsWith("eyJ") ? normString(v, n, undefined) : "<token>"}`
      )
    return `<${normString(url.pathname, n, undefined)}?${params.join("&")}>; rel="${m[2]}"`
  }).join(", ")

const sortKey = (x: unknown) => JSON.stringify(x)

const normalise = (
  step: Step,
  name: string,
  request: string,
  res: { status: number; headers: Headers; text: string },
  n: Norm
): Exchange => {
  const headers: Record<string, string> = {}
  for (const h of keptHeaders) {
    const v = res.headers.get(h)
    if (v === null) continue
    headers[h] = h === "link" ? normLink(v, n) : normString(v, n, h)
  }
  let body: unknown = res.text.length === 0 ? null : res.text
  try {
    body = res.text.length === 0 ? null : JSON.parse(res.text)
  } catch {
    // kept as text
  }
  let normal = normValue(body, n)
  if (step.unordered && Array.isArray(normal)) normal = [...normal].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))
  return { name, request, status: res.status, headers, body: normal }
}

const nextLink = (link: string | null): string | undefined => {
  if (!link) return undefined
  for (const part of link.split(",")) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part.trim())
    if (m) return m[1]
  }
  return undefined
}

/** Runs the scenario against a target; every request is recorded, normalised, in order. */
export const runScenario = async (target: Target, steps: ReadonlyArray<Step>): Promise<Array<Exchange>> => {
  const vars: Vars = {}
  const out: Array<Exchange> = []
  for (const step of steps) {
    if (step.pauseMs) await (target.pause ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(step.pauseMs)
    if (step.session) {
      const s = step.session
      vars[s.as] = await target.createSession(vars[s.identity], s.email, s.password)
      continue
    }
    const method = step.method ?? "GET"
    let path = typeof step.path === "function" ? step.path(vars) : step.path ?? "/"
    const json = typeof step.json === "function" ? (step.json as (v: Vars) => unknown)(vars) : step.json
    const all: Array<unknown> = []
    let pages = 0
    for (let page = 0; page <= (step.followNext ?? 0); page++) {
      const headers: Record<string, string> = { ...step.headers }
      let body: string | undefined
      if (json !== undefined) {
        body = JSON.stringify(json)
        headers["content-type"] ??= "application/json"
      } else if (step.raw !== undefined) body = step.raw
      const base = step.base === "public" ? target.public : target.admin
      const sentAt = Date.now()
      const res = await fetch(base + path, { method, headers, body, redirect: "manual" })
      const text = await res.text()
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      if (page === 0 && step.capture && res.status < 300) step.capture(parsed, vars)
      const name = page === 0 ? step.name : `${step.name}#${page + 1}`
      const n: Norm = { target, vars, sentAt }
      const exchange = normalise(step, name, `${method} ${normString(path, n, undefined)}`, { status: res.status, headers: res.headers, text }, n)
      pages++
      if (step.unordered && step.followNext !== undefined && Array.isArray(exchange.body)) {
        all.push(...exchange.body)
        const anonymous: Norm = { target, vars: {}, sentAt }
        out.push({
          ...exchange,
          request: `${method} ${normString(path, anonymous, undefined)}`,
          headers: { ...exchange.headers, ...(exchange.headers.link ? { link: normLink(res.headers.get("link")!, anonymous) } : {}) },
          body: { items: exchange.body.length }
        })
      } else out.push(exchange)
      const next = nextLink(res.headers.get("link"))
      if (next === undefined) break
      // Link paths are relative to the server root.
      path = next
    }
    if (step.unordered && step.followNext !== undefined && step.followNext > 0) {
      out.push({
        name: `${step.name}#all`,
        request: `${pages} pages`,
        status: 200,
        headers: {},
        body: [...all].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))
      })
    }
  }
  return out
}

/** One field where two normalised exchanges differ. */
export interface Difference {
  readonly exchange: string
  /** JSON pointer into the exchange: `/status`, `/headers/link`, `/body/error/reason`, ... */
  readonly pointer: string
  readonly expected: unknown
  readonly actual: unknown
}

const escape = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1")

const diffValues = (exchange: string, pointer: string, a: unknown, b: unknown, out: Array<Difference>): void => {
  if (a === b) return
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) {
        out.push({ exchange, pointer: `${pointer}/length`, expected: a.length, actual: b.length })
      }
      for (let i = 0; i < Math.min(a.length, b.length); i++) diffValues(exchange, `${pointer}/${i}`, a[i], b[i], out)
      return
    }
    const ao = a as Record<string, unknown>
    const bo = b as Record<string, unknown>
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      if (!(k in bo)) out.push({ exchange, pointer: `${pointer}/${escape(k)}`, expected: ao[k], actual: "<absent>" })
      else if (!(k in ao)) out.push({ exchange, pointer: `${pointer}/${escape(k)}`, expected: "<absent>", actual: bo[k] })
      else diffValues(exchange, `${pointer}/${escape(k)}`, ao[k], bo[k], out)
    }
    return
  }
  out.push({ exchange, pointer, expected: a, actual: b })
}

/** Every difference between the recorded (expected) and the replayed (actual) exchanges. */
export const compareExchanges = (expected: ReadonlyArray<Exchange>, actual: ReadonlyArray<Exchange>): Array<Difference> => {
  const out: Array<Difference> = []
  const byName = new Map(actual.map((e) => [e.name, e]))
  for (const e of expected) {
    const a = byName.get(e.name)
    if (!a) {
      out.push({ exchange: e.name, pointer: "", expected: "<exchange>", actual: "<absent>" })
      continue
    }
    diffValues(e.name, "", { status: e.status, headers: e.headers, body: e.body }, { status: a.status, headers: a.headers, body: a.body }, out)
  }
  const recorded = new Set(expected.map((e) => e.name))
  for (const a of actual) if (!recorded.has(a.name)) out.push({ exchange: a.name, pointer: "", expected: "<absent>", actual: "<exchange>" })
  return out
}

/** An accepted difference: exchange name and pointer (prefix; `*` matches any exchange), with why. */
export interface AllowlistEntry {
  readonly exchange: string
  readonly pointer: string
  readonly reason: string
}

export const allowed = (d: Difference, list: ReadonlyArray<AllowlistEntry>): boolean =>
  list.some((e) =>
    (e.exchange === "*" || e.exchange === d.exchange || (e.exchange.endsWith("*") && d.exchange.startsWith(e.exchange.slice(0, -1)))) &&
    (d.pointer === e.pointer || d.pointer.startsWith(e.pointer + "/") || e.pointer === "")
  )
