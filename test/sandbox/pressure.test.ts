import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Sandbox from "../../src/Sandbox.js"
import { call } from "./helpers.js"

// The server runs on the live clock here: scripted delays and timeouts really elapse (briefly).
layer(Sandbox.layer(), { excludeTestServices: true })("sandbox pressure", (it) => {
  const fresh = Effect.gen(function*() {
    const sb = yield* Sandbox.Sandbox
    yield* sb.reset
    yield* sb.setOptions({ rateLimit: undefined, faults: undefined, gatewayTimeout: undefined })
    const [identity] = yield* sb.insertIdentities([{ traits: { email: "p@b.co" } }])
    return { sb, u: sb.url, id: identity.id }
  })

  it.effect("rate limiting: per-bucket token buckets, x-ratelimit-* headers, 429 with Retry-After", () =>
    Effect.gen(function*() {
      const { id, sb, u } = yield* fresh
      yield* sb.setOptions({ rateLimit: { buckets: { "kratos-admin-low": { burst: 2, perSecond: 0.01 } }, retryAfter: true } })
      const first = yield* call(u, "GET", `/admin/identities/${id}`)
      expect(first.status).toBe(200)
      expect(first.headers.get("x-ratelimit-limit")).toBe("2, 2;w=1, 1;w=60")
      expect(first.headers.get("x-ratelimit-remaining")).toBe("1")
      expect((yield* call(u, "GET", `/admin/identities/${id}`)).status).toBe(200)
      const limited = yield* call(u, "GET", `/admin/identities/${id}`)
      expect(limited.status).toBe(429)
      expect(limited.body.error.code).toBe(429)
      expect(limited.headers.get("x-ratelimit-remaining")).toBe("0")
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(limited.headers.get("x-ratelimit-reset")).toBe(limited.headers.get("retry-after"))
      // other buckets are independent; schemas are rate-limited too (medium), but not here
      expect((yield* call(u, "GET", "/admin/identities")).status).toBe(200)
    }))

  it.effect("inflight: a second concurrent write to the same path is a 429, other paths are fine", () =>
    Effect.gen(function*() {
      const { id, sb, u } = yield* fresh
      yield* sb.setOptions({ rateLimit: { inflight: true, buckets: { "kratos-admin-low": { burst: 100, perSecond: 100 }, "kratos-admin-high": { burst: 100, perSecond: 100 } } } })
      yield* sb.script("createIdentity", [{ delay: "1500 millis" }])
      const a = yield* Effect.fork(call(u, "POST", "/admin/identities", { json: { traits: { email: "a@b.co" } } }))
      // Probe the same path with a batch that would fail validation (no trace either way) until the
      // slow create is in flight: timing-independent on a loaded machine.
      let probe = 0
      for (let n = 0; n < 25 && probe !== 429; n++) {
        yield* Effect.sleep("40 millis")
        probe = (yield* call(u, "PATCH", "/identities", { json: { identities: [] } })).status
      }
      expect(probe).toBe(429)
      expect((yield* call(u, "GET", `/admin/identities/${id}`)).status).toBe(200)
      expect((yield* Fiber.join(a)).status).toBe(201)
      expect((yield* call(u, "POST", "/admin/identities", { json: { traits: { email: "b@b.co" } } })).status).toBe(201)
    }))

  it.effect("scripted faults: status without work, Retry-After, connection reset, 504 after commit", () =>
    Effect.gen(function*() {
      const { sb, u } = yield* fresh
      yield* sb.script("createIdentity", [
        { status: 503, retryAfter: 7 },
        { reset: true },
        { status: 504, afterCommit: true }
      ])
      const unavailable = yield* call(u, "POST", "/admin/identities", { json: { traits: { email: "x1@b.co" } } })
      expect(unavailable.status).toBe(503)
      expect(unavailable.headers.get("retry-after")).toBe("7")
      expect(unavailable.body.error.status).toBe("Service Unavailable")
      const reset = yield* Effect.either(Effect.tryPromise(() =>
        fetch(`${u}/admin/identities`, { method: "POST", body: JSON.stringify({ traits: { email: "x2@b.co" } }) })
      ))
      expect(reset._tag).toBe("Left")
      const committed = yield* call(u, "POST", "/admin/identities", { json: { traits: { email: "x3@b.co" } } })
      expect(committed.status).toBe(504)
      const emails = (yield* sb.identities).map((i: any) => i.traits.email).sort()
      expect(emails).toEqual(["p@b.co", "x3@b.co"])
      const log = yield* sb.requests
      expect(log.at(-1)).toMatchObject({ method: "POST", path: "/admin/identities", status: 504, operation: "createIdentity" })
    }))

  it.effect("gatewayTimeout: slow work gets 504 but still commits", () =>
    Effect.gen(function*() {
      const { sb, u } = yield* fresh
      yield* sb.setOptions({ gatewayTimeout: "100 millis" })
      yield* sb.script("createIdentity", [{ delay: "1200 millis" }])
      const r = yield* call(u, "POST", "/admin/identities", { json: { traits: { email: "slow@b.co" } } })
      expect(r.status).toBe(504)
      expect(r.body.error.code).toBe(504)
      expect((yield* sb.identities).some((i: any) => i.traits.email === "slow@b.co")).toBe(false)
      let committed = false
      for (let n = 0; n < 60 && !committed; n++) {
        yield* Effect.sleep("50 millis")
        committed = (yield* sb.identities).some((i: any) => i.traits.email === "slow@b.co")
      }
      expect(committed).toBe(true)
      const fast = yield* call(u, "POST", "/admin/identities", { json: { traits: { email: "fast@b.co" } } })
      expect(fast.status).toBe(201)
    }))

  it.effect("random faults are seeded and reproducible", () =>
    Effect.gen(function*() {
      const { id, sb, u } = yield* fresh
      const run = Effect.gen(function*() {
        yield* sb.setOptions({ faults: { seed: 42, rate: 0.5, statuses: [502, 503] } })
        const out: Array<number> = []
        for (let n = 0; n < 20; n++) out.push((yield* call(u, "GET", `/admin/identities/${id}`)).status)
        return out
      })
      const a = yield* run
      const b = yield* run
      expect(a).toEqual(b)
      expect(a.filter((s) => s === 200).length).toBeGreaterThan(3)
      expect(a.filter((s) => s === 502 || s === 503).length).toBeGreaterThan(3)
      expect((yield* call(u, "GET", "/schemas")).status).toBe(200)
    }))
})
