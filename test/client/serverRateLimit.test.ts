/**
 * The server's own rate-limit headers pace the client: a response that leaves its bucket empty
 * (`x-ratelimit-remaining: 0`) holds the next request that draws from that bucket (whatever its
 * method and path) until a token is back at the rate `x-ratelimit-limit` states. Against the sandbox's Ory Network emulation, a
 * stream of batch writes then meets no 429; without the limiter, the same stream does.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as IdentityApi from "../../src/IdentityApi.js"
import { refillMillis } from "../../src/internal/client/pipeline.js"
import * as Sandbox from "../../src/Sandbox.js"

const batch = (tag: string, n: number) => ({
  body: {
    identities: Array.from({ length: n }, (_, k) => ({
      create: { schema_id: "default", traits: { email: `${tag}-${k}@example.com` } }
    }))
  }
})

const limited = (limiter: boolean) =>
  Effect.gen(function*() {
    const sandbox = yield* Sandbox.make({
      hashCost: 4,
      rateLimit: { retryAfter: true, buckets: { "kratos-admin-high": { burst: 2, perSecond: 20 } } }
    })
    const api = yield* IdentityApi.make({
      baseUrl: sandbox.url,
      ...(limiter ? {} : { rateLimit: false as const }),
      retry: { base: "10 millis", cap: "50 millis" }
    })
    for (let k = 0; k < 10; k++) yield* api.encoded.batchPatchIdentities(batch(`${limiter}-${k}`, 3))
    const statuses = (yield* sandbox.requests).filter((r) => r.operation === "batchPatchIdentities").map((r) => r.status)
    return { statuses, stored: (yield* sandbox.identities).length }
  }).pipe(Effect.provide(NodeHttpClient.layerUndici))

/** Writes of two operations of one bucket (a create, then a batch), alternated. */
const alternated = Effect.gen(function*() {
  const sandbox = yield* Sandbox.make({
    hashCost: 4,
    rateLimit: { retryAfter: true, buckets: { "kratos-admin-high": { burst: 2, perSecond: 20 } } }
  })
  const api = yield* IdentityApi.make({ baseUrl: sandbox.url, retry: { base: "10 millis", cap: "50 millis" } })
  for (let k = 0; k < 5; k++) {
    yield* api.encoded.createIdentity({ body: { schema_id: "default", traits: { email: `alt-${k}@example.com` } } })
    yield* api.encoded.batchPatchIdentities(batch(`alt-${k}`, 2))
  }
  const writes = (yield* sandbox.requests).filter((r) => r.operation === "createIdentity" || r.operation === "batchPatchIdentities")
  return { statuses: writes.map((r) => r.status), stored: (yield* sandbox.identities).length }
}).pipe(Effect.provide(NodeHttpClient.layerUndici))

describe("server rate-limit headers", () => {
  it.scopedLive("an empty bucket holds every operation that draws from it, not only the one that emptied it", () =>
    Effect.gen(function*() {
      const { statuses, stored } = yield* alternated
      expect(stored).toBe(15)
      expect(statuses.filter((s) => s === 429)).toEqual([])
      expect(statuses.length).toBe(10)
    }))

  it("x-ratelimit-limit: the slowest window's rate sets when a token is back", () => {
    expect(refillMillis("5, 5;w=1, 120;w=60")).toBe(500)
    expect(refillMillis("10;w=1")).toBe(100)
    expect(refillMillis("3")).toBeUndefined()
    expect(refillMillis(undefined)).toBeUndefined()
  })

  it.scopedLive("ten batch writes against a bucket of 2 at 20/s: paced by the headers, no 429", () =>
    Effect.gen(function*() {
      const paced = yield* limited(true)
      expect(paced.stored).toBe(30)
      expect(paced.statuses).toEqual(Array.from({ length: 10 }, () => 200))
      // the same writes with the limiter off: the server refuses some (the client retries them)
      const unpaced = yield* limited(false)
      expect(unpaced.stored).toBe(30)
      expect(unpaced.statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
    }))
})
