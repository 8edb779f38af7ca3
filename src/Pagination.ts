/**
 * Kratos pagination: the relative `Link` header (`rel="first"`, `rel="next"`, ...), page tokens and
 * the page a single list call returns.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"

/**
 * One page of a list operation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  /** The token of the next page; `None` on the last page. */
  readonly nextPageToken: Option.Option<string>
  /** `X-Total-Count`, where the endpoint sends it (legacy page mode, sessions of an identity, schemas). */
  readonly totalCount: Option.Option<number>
}

/**
 * How a list stream (`IdentityApi`'s `…Stream` methods) fetches its pages.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamOptions {
  /**
   * Requests the next page as soon as a page's headers (and so its `Link`) arrive, before its body
   * is decoded, so the server works on page k+1 while page k is decoded and consumed: the pace of
   * the list endpoint for consumers that do real work per page (exports, bulk changes). At most one
   * page is in flight ahead; a consumer that stops early has sent that one request for nothing.
   * Off by default.
   */
  readonly readAhead?: boolean
}

/**
 * A link of the `Link` header: its URL (relative, as Kratos sends it) and query parameters.
 *
 * @since 0.1.0
 */
export interface Link {
  readonly rel: string
  readonly url: string
  readonly params: URLSearchParams
}

const linkPattern = /<([^>]*)>\s*((?:;\s*[^;,]+)*)/g
const relPattern = /;\s*rel\s*=\s*"?([^";,]+)"?/i

/**
 * Parses a `Link` header into its links, by rel. Malformed parts are skipped, never thrown.
 *
 * @since 0.1.0
 */
export const parseLinkHeader = (header: string): ReadonlyMap<string, Link> => {
  const links = new Map<string, Link>()
  for (const match of header.matchAll(linkPattern)) {
    const url = match[1]
    const rel = relPattern.exec(match[2] ?? "")?.[1]
    if (!rel) continue
    const query = url.indexOf("?")
    const params = new URLSearchParams(query >= 0 ? url.slice(query + 1) : "")
    for (const name of rel.trim().split(/\s+/)) links.set(name.toLowerCase(), { rel: name, url, params })
  }
  return links
}

/**
 * The next page token from a `Link` header: the `page_token` of `rel="next"`.
 *
 * @since 0.1.0
 */
export const nextPageToken = (header: string | undefined): Option.Option<string> =>
  Option.fromNullable(header).pipe(
    Option.flatMap((h) => Option.fromNullable(parseLinkHeader(h).get("next"))),
    Option.flatMap((link) => Option.fromNullable(link.params.get("page_token")))
  )

/**
 * Formats a `Link` header the way Kratos does: `<path?query>; rel="name"`, joined by commas,
 * query keys sorted (Go's `url.Values.Encode`).
 *
 * @since 0.1.0
 */
export const formatLinkHeader = (
  path: string,
  links: ReadonlyArray<{ readonly rel: string; readonly params: Readonly<Record<string, string | ReadonlyArray<string>>> }>
): string =>
  links
    .map(({ params, rel }) => {
      const q = new URLSearchParams()
      for (const key of Object.keys(params).sort()) {
        const value = params[key]
        for (const v of typeof value === "string" ? [value] : value) q.append(key, v)
      }
      return `<${path}?${q.toString()}>; rel="${rel}"`
    })
    .join(",")

/**
 * The first-page token of identity keyset pagination (the nil UUID).
 *
 * @since 0.1.0
 */
export const nilUuid = "00000000-0000-0000-0000-000000000000"
