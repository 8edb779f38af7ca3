/**
 * `Sandbox.oryNetwork`: one switch for the ways an Ory Network project answers differently from a
 * self-hosted Kratos v26.2.0, over loopback HTTP as a client meets them.
 */
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Sandbox from "../../src/Sandbox.js"
import { call } from "./helpers.js"

const unknownId = "00000000-0000-4000-8000-000000000000"

layer(Sandbox.layer(Sandbox.oryNetwork), { excludeTestServices: true })("Sandbox.oryNetwork", (it) => {
  it.effect("every error body names its request, whether or not the caller sent X-Request-ID", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      const missing = yield* call(sb.url, "GET", `/admin/identities/${unknownId}`)
      expect(missing.status).toBe(404)
      expect(missing.body.error.request).toMatch(/^[0-9a-f-]{36}$/)
      expect(missing.headers.get("x-request-id")).toBe(missing.body.error.request)
      const named = yield* call(sb.url, "GET", `/admin/identities/${unknownId}`, { headers: { "x-request-id": "mine-1" } })
      expect(named.body.error.request).toBe("mine-1")
    }))

  it.effect("a batch whose every item fails is a 409; session extend is a 204", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const [taken] = yield* sb.insertIdentities([{ traits: { email: "taken@b.co" }, external_id: "ext-1" }])
      const batch = yield* call(sb.url, "PATCH", "/admin/identities", {
        json: {
          identities: [
            { create: { traits: { email: "new@b.co" }, external_id: "ext-1" } },
            { create: { traits: { email: "taken@b.co" } } }
          ]
        }
      })
      expect(batch.status).toBe(409)
      expect(batch.body.identities.map((i: { action: string }) => i.action)).toEqual(["error", "error"])
      const session = yield* sb.createSession(taken.id)
      const extended = yield* call(sb.url, "PATCH", `/admin/sessions/${session.id}/extend`)
      expect(extended.status).toBe(204)
    }))

  it.effect("writes share the kratos-admin-high bucket: x-ratelimit-* headers, 429 without Retry-After", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      yield* sb.setOptions({
        rateLimit: { ...Sandbox.oryNetwork.rateLimit, buckets: { "kratos-admin-high": { burst: 2, perSecond: 0.01 } } }
      })
      const create = (n: number) => call(sb.url, "POST", "/admin/identities", { json: { traits: { email: `rl${n}@b.co` } } })
      const first = yield* create(1)
      expect(first.status).toBe(201)
      expect(first.headers.get("x-ratelimit-limit")).toBe("2, 2;w=1, 1;w=60")
      // a delete is a write too: the same bucket
      expect((yield* call(sb.url, "DELETE", `/admin/identities/${first.body.id}`)).status).toBe(204)
      const limited = yield* create(2)
      expect(limited.status).toBe(429)
      expect(limited.headers.get("retry-after")).toBeNull()
      expect(Number(limited.headers.get("x-ratelimit-reset"))).toBeGreaterThan(0)
      expect(limited.body.error.request).toMatch(/^[0-9a-f-]{36}$/)
      // reads are in other buckets
      expect((yield* call(sb.url, "GET", "/admin/identities")).status).toBe(200)
      yield* sb.setOptions({ rateLimit: Sandbox.oryNetwork.rateLimit })
    }))
})
