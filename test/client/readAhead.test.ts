/**
 * List streams with `readAhead`: the next page is requested before the current one is consumed,
 * at most one page ahead, over real loopback with the transport users run (undici). Against the
 * sandbox (same items as the plain stream) and a scripted server (timing, early exit, a page that
 * fails, a page that never comes, links that go nowhere).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as http from "node:http"
import * as IdentityApi from "../../src/IdentityApi.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import { loopbackServer } from "../support/loopback.js"

const identity = (n: number) => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  schema_id: "default",
  schema_url: "http://localhost/schemas/ZGVmYXVsdA",
  state: "active",
  traits: { email: `u${n}@example.com` },
  metadata_public: null,
  metadata_admin: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  organization_id: null
})

/** How the scripted server answers page `k` (0-based): items, or a failure, or never. */
type PageAnswer =
  | { readonly items: ReadonlyArray<number>; readonly next?: string }
  | { readonly status: number }
  | "hang"

interface Scripted {
  readonly url: string
  /** Page tokens in the order their requests arrived. */
  readonly seen: Array<string>
  /** Resolved when the `n`-th request (1-based) arrives. */
  readonly arrived: (n: number) => Promise<void>
}

/** Pages keyed by token (`first` for none); each links to the next token unless told otherwise. */
const scripted = (pages: Record<string, PageAnswer>): Effect.Effect<Scripted, never, Scope.Scope> => {
  const seen: Array<string> = []
  const waiters = new Map<number, () => void>()
  const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const token = new URL(req.url ?? "/", "http://x").searchParams.get("page_token") ?? "first"
    seen.push(token)
    waiters.get(seen.length)?.()
    const page = pages[token]
    if (page === undefined || page === "hang") return
    if ("status" in page) {
      res.writeHead(page.status, { "content-type": "application/json" })
      res.end(JSON.stringify({ error: { code: page.status, status: "Internal Server Error", message: "the page broke" } }))
      return
    }
    const headers: Record<string, string> = { "content-type": "application/json" }
    if (page.next !== undefined) {
      headers.link = `</admin/identities?page_size=2&page_token=${page.next}>; rel="next"`
    }
    res.writeHead(200, headers)
    res.end(JSON.stringify(page.items.map(identity)))
  }
  return Effect.map(loopbackServer(answer), (url) => ({
    url,
    seen,
    arrived: (n: number) => seen.length >= n ? Promise.resolve() : new Promise<void>((done) => waiters.set(n, done))
  }))
}

const apiFor = (url: string) => IdentityApi.make({ baseUrl: url, retry: false })

const ids = (items: Chunk.Chunk<{ readonly id: string }>) => Chunk.toReadonlyArray(items).map((i) => i.id)

describe("list streams with readAhead", () => {
  it.scoped("yield every identity once, in the order of the plain stream (sandbox)", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.make({})
      yield* sb.insertIdentities(Array.from({ length: 23 }, (_, i) => ({ traits: { email: `ra${i}@example.com` } })))
      const api = yield* apiFor(sb.url)
      const lists = Effect.map(sb.requests, (log) => log.filter((r) => r.operation === "listIdentities").length)
      const plain = yield* Stream.runCollect(api.listIdentitiesStream({ page_size: 5 }))
      const plainRequests = yield* lists
      const ahead = yield* Stream.runCollect(api.listIdentitiesStream({ page_size: 5 }, { readAhead: true }))
      expect(Chunk.size(ahead)).toBe(23)
      expect(ids(ahead)).toEqual(ids(plain))
      // as many requests as the plain stream: the last page has no next link, nothing is asked past it
      expect((yield* lists) - plainRequests).toBe(plainRequests)
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("request the next page before the current one is consumed", () =>
    Effect.gen(function*() {
      const s = yield* scripted({ first: { items: [1, 2], next: "p2" }, p2: { items: [3, 4], next: "p3" }, p3: { items: [] } })
      const api = yield* apiFor(s.url)
      const out = yield* api.listIdentitiesStream({ page_size: 2 }, { readAhead: true }).pipe(
        // the first page is held until the server has the second page's request: a plain stream
        // would ask only after this, and time out here
        Stream.mapChunksEffect((page) =>
          Chunk.size(page) > 0 && Chunk.unsafeGet(page, 0).id.endsWith("1")
            ? Effect.as(Effect.timeoutFail(Effect.promise(() => s.arrived(2)), {
              duration: Duration.seconds(5),
              onTimeout: () => new Error("the second page was not requested ahead")
            }), page)
            : Effect.succeed(page)
        ),
        Stream.runCollect
      )
      expect(ids(out).map((id) => Number(id.slice(-2)))).toEqual([1, 2, 3, 4])
      expect(s.seen).toEqual(["first", "p2", "p3"])
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("an early exit sends at most one request ahead, and the client stays usable", () =>
    Effect.gen(function*() {
      const s = yield* scripted({
        first: { items: [1, 2], next: "p2" },
        p2: { items: [3, 4], next: "p3" },
        p3: { items: [5, 6], next: "p4" },
        p4: { items: [] }
      })
      const api = yield* apiFor(s.url)
      const two = yield* Stream.runCollect(Stream.take(api.listIdentitiesStream({ page_size: 2 }, { readAhead: true }), 2))
      expect(Chunk.size(two)).toBe(2)
      expect(s.seen.length).toBeLessThanOrEqual(2)
      expect(s.seen.length).toBeGreaterThanOrEqual(1)
      // the client is usable at once, and nothing else was asked
      const page = yield* api.listIdentities({ page_size: 2 })
      expect(page.items.length).toBe(2)
      expect(s.seen.filter((t) => t === "p3")).toEqual([])
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("a page that never comes does not hold up a consumer that stopped before it", () =>
    Effect.gen(function*() {
      const s = yield* scripted({ first: { items: [1, 2], next: "p2" }, p2: "hang" })
      const api = yield* apiFor(s.url)
      // the first page is consumed only once the hanging request is on the server
      const two = yield* api.listIdentitiesStream({ page_size: 2 }, { readAhead: true }).pipe(
        Stream.mapChunksEffect((page) => Effect.as(Effect.promise(() => s.arrived(2)), page)),
        Stream.take(2),
        Stream.runCollect,
        Effect.timeoutFail({ duration: Duration.seconds(5), onTimeout: () => new Error("held up by the hanging page") })
      )
      expect(Chunk.size(two)).toBe(2)
      expect(s.seen).toEqual(["first", "p2"])
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("a page that fails ends the stream with its typed error, after the pages before it", () =>
    Effect.gen(function*() {
      const s = yield* scripted({ first: { items: [1, 2], next: "p2" }, p2: { status: 500 } })
      const api = yield* apiFor(s.url)
      const seen: Array<string> = []
      const result = yield* Effect.either(
        Stream.runForEach(api.listIdentitiesStream({ page_size: 2 }, { readAhead: true }), (i) => Effect.sync(() => seen.push(i.id)))
      )
      expect(seen.length).toBe(2)
      expect(Either.isLeft(result) && result.left._tag).toBe("InternalServerError")
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("links that go nowhere new end the stream", () =>
    Effect.gen(function*() {
      // a page that links to itself, and a last page that still links on
      const self = yield* scripted({ first: { items: [1, 2], next: "p2" }, p2: { items: [3], next: "p2" } })
      const a = yield* Stream.runCollect((yield* apiFor(self.url)).listIdentitiesStream({ page_size: 2 }, { readAhead: true }))
      expect(Chunk.size(a)).toBe(3)
      expect(self.seen).toEqual(["first", "p2"])
      const empty = yield* scripted({ first: { items: [1], next: "p2" }, p2: { items: [], next: "p3" }, p3: { items: [9] } })
      const b = yield* Stream.runCollect((yield* apiFor(empty.url)).listIdentitiesStream({ page_size: 2 }, { readAhead: true }))
      expect(ids(b).length).toBe(1)
      expect(empty.seen.slice(0, 2)).toEqual(["first", "p2"])
    }).pipe(Effect.provide(UndiciHttpClient.layer())))
})
