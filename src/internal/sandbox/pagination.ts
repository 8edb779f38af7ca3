/**
 * Kratos' three paging styles: identity keyset (token = last id), session keyset (opaque base64
 * token) and migration/offset paging (token = base64url `{"offset":"N","v":2}`), with their `Link`
 * headers (relative, keys sorted).
 */
import { formatLinkHeader } from "../../Pagination.js"
import { fail } from "./response.js"

/** Go's strconv.ParseInt error text, which Kratos puts in `reason`. @internal */
export const parseIntParam = (name: string, raw: string | null, withReason = true): number | undefined => {
  if (raw === null || raw === "") return undefined
  if (!/^[+-]?\d+$/.test(raw)) {
    fail(400, {
      ...(withReason ? { reason: `strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax` } : {}),
      message: `could not parse parameter ${name}`
    })
  }
  return Number(raw)
}

/** Page size: `<= 0` or absent → default, above max → clamped. @internal */
export const pageSize = (raw: number | undefined, def: number, max: number): number =>
  raw === undefined || raw <= 0 ? def : Math.min(raw, max)

/** Query params as a record (repeated keys as arrays), without some keys. @internal */
export const queryRecord = (q: URLSearchParams, without: ReadonlyArray<string>): Record<string, Array<string>> => {
  const out: Record<string, Array<string>> = {}
  for (const [k, v] of q) {
    if (without.includes(k)) continue
    ;(out[k] ??= []).push(v)
  }
  return out
}

/**
 * The links of page pagination (`HeaderWithFormatter`), as offsets: on the last page or beyond,
 * `first` and `prev` (or `first` alone with the total as its size when everything fits one
 * page; first, next and prev when there is nothing); on the first page `next` and `last`;
 * elsewhere all four.
 * @internal
 */
export const pageLinks = (
  total: number,
  page: number,
  perPage: number
): Array<{ readonly rel: string; readonly perPage: number; readonly offset: number }> => {
  const n = Math.max(1, perPage)
  const offset = page * n
  const lastOffset = total % n === 0 ? total - n : Math.trunc(total / n) * n
  const at = (rel: string, o: number, size = n) => ({ rel, perPage: size, offset: o })
  if (offset >= lastOffset) {
    if (total === 0) return [at("first", 0), at("next", (Math.trunc(offset / n) + 1) * n), at("prev", (Math.trunc(offset / n) - 1) * n)]
    if (total <= n) return [at("first", 0, total)]
    return [at("first", 0), at("prev", lastOffset - n)]
  }
  if (offset < n) return [at("next", n), at("last", lastOffset)]
  return [at("first", 0), at("next", (Math.trunc(offset / n) + 1) * n), at("prev", (Math.trunc(offset / n) - 1) * n), at("last", lastOffset)]
}

/** @internal */
export const offsetToken = (offset: number): string =>
  Buffer.from(JSON.stringify({ offset: String(offset), v: 2 }), "utf8").toString("base64url")

/** @internal */
export const parseOffsetToken = (token: string): number => {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { offset?: unknown }
    const n = Number(parsed.offset)
    if (Number.isInteger(n) && n >= 0) return n
  } catch {
    // fall through to the 400
  }
  return fail(400, { reason: "The page token is invalid, do not craft your own page tokens" })
}

/** Offset paging (`migrationpagination`): from page_token/page_size or page/per_page. @internal */
export const parseOffsetPaging = (q: URLSearchParams, def: number, max: number): { offset: number; limit: number } => {
  const token = q.get("page_token")
  const size = parseIntParam("page_size", q.get("page_size"))
  if (token !== null || size !== undefined) {
    const limit = pageSize(size, def, max)
    return { offset: token ? parseOffsetToken(token) : 0, limit }
  }
  const page = parseIntParam("page", q.get("page")) ?? 0
  const limit = pageSize(parseIntParam("per_page", q.get("per_page")), def, max)
  return { offset: Math.max(0, page) * limit, limit }
}

const offsetLink = (rel: string, offset: number, limit: number, base: Record<string, Array<string>>) => ({
  rel,
  params: {
    ...base,
    page: [String(Math.floor(offset / Math.max(1, limit)))],
    per_page: [String(limit)],
    page_size: [String(limit)],
    page_token: [offsetToken(offset)]
  }
})

/**
 * The `Link` of offset paging, following `HeaderWithFormatter`'s cases (first page: next+last;
 * middle: first+next+prev+last; last: first+prev; all on one page: first). With no items at all
 * only `first` is sent: Kratos also emits a `next` there, which would send clients in circles.
 * @internal
 */
export const offsetLinkHeader = (path: string, q: URLSearchParams, offset: number, limit: number, total: number): string => {
  const base = queryRecord(q, ["page", "per_page", "page_size", "page_token"])
  if (total <= limit && offset === 0) return formatLinkHeader(path, [offsetLink("first", 0, Math.max(total, 1), base)])
  const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit)
  const links = []
  if (offset > 0) links.push(offsetLink("first", 0, limit, base))
  if (offset + limit < total) links.push(offsetLink("next", offset + limit, limit, base))
  if (offset > 0) links.push(offsetLink("prev", Math.max(0, offset - limit), limit, base))
  if (offset + limit < total) links.push(offsetLink("last", lastOffset, limit, base))
  return formatLinkHeader(path, links)
}

// Session keyset tokens: base64 (std, raw) of `id=<uuid>/created_at=<2006-01-02 15:04:05.99999>`.

const goTime = (ms: number): string => {
  const d = new Date(ms).toISOString() // 2006-01-02T15:04:05.999Z
  const [date, time] = d.slice(0, -1).split("T")
  const [hms, frac] = time.split(".")
  const f = (frac ?? "").replace(/0+$/, "")
  return `${date} ${hms}${f ? "." + f : ""}`
}

/** @internal */
export const sessionToken = (id: string, createdAt: number): string =>
  Buffer.from(`id=${id}/created_at=${goTime(createdAt)}`, "utf8").toString("base64").replace(/=+$/, "")

/** @internal */
export const firstSessionToken = sessionToken("00000000-0000-0000-0000-000000000000", Date.UTC(2200, 11, 31))

/** @internal */
export const parseSessionToken = (token: string): { id: string; createdAt: number } => {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token)) fail(400, { message: "could not parse parameter page_size" })
  const text = Buffer.from(token, "base64").toString("utf8")
  const fields: Record<string, string> = {}
  for (const part of text.split("/")) {
    const eq = part.indexOf("=")
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1)
  }
  const createdAt = Date.parse((fields.created_at ?? "").replace(" ", "T") + "Z")
  if (!fields.id || !/^[0-9a-f-]{36}$/i.test(fields.id) || Number.isNaN(createdAt)) {
    fail(400, { reason: "The page token is invalid, do not craft your own page tokens" })
  }
  return { id: fields.id.toLowerCase(), createdAt }
}
