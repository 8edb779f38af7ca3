/**
 * Retry, backoff, Retry-After, safety classes, the retry budget, timeouts and the deadline, with
 * the in-process sandbox client under `TestClock` (every sleep, ours and the sandbox's, is virtual).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as RetryPolicy from "../../src/RetryPolicy.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import type { ClientOptions } from "../../src/KratosHttpClient.js"
import type { OperationName } from "../../src/Operations.js"
import * as Sandbox from "../../src/Sandbox.js"
import { currentCallObserver } from "../../src/internal/client/context.js"
import { clientFor, fixture, unknownId } from "./helpers.js"

const env = (options: Omit<ClientOptions, "baseUrl"> = {}) =>
  clientFor({ rateLimit: false, retry: { jitter: "none" }, ...options }).pipe(
    Layer.provideMerge(Sandbox.layerInProcess())
  )

/** Lets forked fibers run up to their next sleep. */
const settle = Effect.repeatN(Effect.yieldNow(), 50)

const sent = (operation: OperationName) =>
  Effect.map(Sandbox.Sandbox, (sb) => sb.requests).pipe(
    Effect.flatten,
    Effect.map((log) => log.filter((r) => r.operation === operation).length)
  )

const pending = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

describe("retry", () => {
  it.effect("a GET is retried on 503 with exponential backoff (200 ms, 400 ms)", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const g = yield* fixture
      yield* sb.script("getIdentity", [{ status: 503 }, { status: 503 }])
      const fiber = yield* Effect.fork(api.getIdentity({ id: g.identityId }))
      yield* settle
      expect(yield* sent("getIdentity")).toBe(1)
      yield* TestClock.adjust("199 millis")
      yield* settle
      expect(yield* sent("getIdentity")).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(yield* sent("getIdentity")).toBe(2)
      yield* TestClock.adjust("399 millis")
      yield* settle
      expect(yield* pending(fiber)).toBe(true)
      yield* TestClock.adjust("1 millis")
      yield* settle
      const identity = yield* Fiber.join(fiber)
      expect(identity.id).toBe(g.identityId)
      expect(yield* sent("getIdentity")).toBe(3)
    }).pipe(Effect.provide(env())))

  it.effect("Retry-After is honoured over a shorter backoff", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listIdentities", [{ status: 429, retryAfter: 5 }])
      const fiber = yield* Effect.fork(api.listIdentities())
      yield* settle
      yield* TestClock.adjust("4999 millis")
      yield* settle
      expect(yield* pending(fiber)).toBe(true)
      expect(yield* sent("listIdentities")).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* settle
      const page = yield* Fiber.join(fiber)
      expect(page.items).toEqual([])
      expect(yield* sent("listIdentities")).toBe(2)
    }).pipe(Effect.provide(env())))

  it.effect("a Retry-After beyond retryAfterCap is not waited for: the 429 surfaces with its hint", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listIdentities", [{ status: 429, retryAfter: 600 }])
      const error = yield* Effect.flip(api.listIdentities())
      expect(error._tag).toBe("TooManyRequests")
      expect(yield* sent("listIdentities")).toBe(1)
    }).pipe(Effect.provide(env())))

  it.effect("an unsafe write hit by 504 after commit is sent once and surfaces GatewayTimeout", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("createIdentity", [{ status: 504, afterCommit: true }])
      const error = yield* Effect.flip(
        api.createIdentity({ body: { schema_id: "default", traits: { email: "once@example.com" } } })
      )
      expect(error._tag).toBe("GatewayTimeout")
      if (error._tag === "GatewayTimeout") expect(error.attempts).toBe(1)
      expect(yield* sent("createIdentity")).toBe(1)
      // the work was done: reconcile, do not resend
      const stored = yield* sb.identities
      expect(stored.filter((i) => (i.traits as { email?: string }).email === "once@example.com")).toHaveLength(1)
    }).pipe(Effect.provide(env())))

  it.effect("while a GET hit by 504 is retried", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      yield* sb.script("getIdentity", [{ status: 504 }])
      const fiber = yield* Effect.fork(api.getIdentity({ id: f.identityId }))
      yield* settle
      yield* TestClock.adjust("200 millis")
      yield* settle
      expect((yield* Fiber.join(fiber)).id).toBe(f.identityId)
      expect(yield* sent("getIdentity")).toBe(2)
    }).pipe(Effect.provide(env())))

  it.effect("an unsafe write is retried on 429 (the server did nothing)", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("batchPatchIdentities", [{ status: 429 }])
      const fiber = yield* Effect.fork(
        api.batchPatchIdentities({ body: { identities: [{ create: { traits: { email: "b@example.com" } } }] } })
      )
      yield* settle
      yield* TestClock.adjust("200 millis")
      yield* settle
      const result = yield* Fiber.join(fiber)
      expect(result.identities?.[0]?.action).toBe("create")
      expect(yield* sent("batchPatchIdentities")).toBe(2)
    }).pipe(Effect.provide(env())))

  it.effect("a reset connection: GET retried, unsafe write fails with TransportError (sent)", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      yield* sb.script("getIdentity", [{ reset: true }])
      const fiber = yield* Effect.fork(api.getIdentity({ id: f.identityId }))
      yield* settle
      yield* TestClock.adjust("200 millis")
      yield* settle
      expect((yield* Fiber.join(fiber)).id).toBe(f.identityId)

      yield* sb.script("createRecoveryCodeForIdentity", [{ reset: true }])
      const error = yield* Effect.flip(api.createRecoveryCodeForIdentity({ body: { identity_id: f.identityId } }))
      expect(error._tag).toBe("TransportError")
      if (error._tag === "TransportError") {
        expect(error.reason).toBe("ConnectionReset")
        expect(error.sent).toBe(true)
        expect(error.attempts).toBe(1)
      }
    }).pipe(Effect.provide(env())))

  it.effect("idempotent writes (PUT, DELETE) are retried on 502", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      yield* sb.script("deleteIdentity", [{ status: 502 }])
      const fiber = yield* Effect.fork(api.deleteIdentity({ id: f.identityId }))
      yield* settle
      yield* TestClock.adjust("200 millis")
      yield* settle
      expect(yield* Fiber.join(fiber)).toBeUndefined()
      expect(yield* sent("deleteIdentity")).toBe(2)
    }).pipe(Effect.provide(env())))

  it.effect("gives up after maxAttempts with the typed error and its attempt count", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listSessions", Array.from({ length: 10 }, () => ({ status: 503 })))
      const fiber = yield* Effect.fork(Effect.flip(api.listSessions()))
      yield* settle
      yield* TestClock.adjust("10 seconds")
      yield* settle
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("ServiceUnavailable")
      if (error._tag === "ServiceUnavailable") expect(error.attempts).toBe(4)
      expect(yield* sent("listSessions")).toBe(4)
    }).pipe(Effect.provide(env())))

  it.effect("the retry budget stops retries when it runs dry, and successes refill it", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listIdentities", Array.from({ length: 20 }, () => ({ status: 503 })))
      const first = yield* Effect.fork(Effect.flip(api.listIdentities()))
      yield* settle
      yield* TestClock.adjust("10 seconds")
      yield* settle
      const e1 = yield* Fiber.join(first)
      expect(e1._tag).toBe("ServiceUnavailable")
      if (e1._tag === "ServiceUnavailable") expect(e1.attempts).toBe(3) // 10 tokens pay two retries
      expect((yield* api.status).retryBudget).toBe(0)
      const e2 = yield* Effect.flip(api.listIdentities())
      if (e2._tag === "ServiceUnavailable") expect(e2.attempts).toBe(1)
      expect(yield* sent("listIdentities")).toBe(4)
      yield* sb.script("listIdentities", [])
      yield* sb.reset
      yield* api.listIdentitySchemas()
      expect((yield* api.status).retryBudget).toBe(1)
    }).pipe(Effect.provide(env({ retry: { jitter: "none", budget: { capacity: 10, cost: 5 } } }))))

  it.effect("a slow attempt times out and a GET is retried", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listIdentitySchemas", [{ delay: "1 minute" }])
      const fiber = yield* Effect.fork(api.listIdentitySchemas())
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* pending(fiber)).toBe(true)
      yield* TestClock.adjust("200 millis")
      yield* settle
      expect((yield* Fiber.join(fiber)).items.length).toBeGreaterThan(0)
    }).pipe(Effect.provide(env({ timeout: "1 second" }))))

  it.effect("the deadline cuts a hung attempt short: TransportError Deadline", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listIdentities", [{ delay: "1 minute" }])
      const fiber = yield* Effect.fork(Effect.flip(api.listIdentities()))
      yield* settle
      yield* TestClock.adjust("2999 millis")
      yield* settle
      expect(yield* pending(fiber)).toBe(true)
      yield* TestClock.adjust("1 millis")
      yield* settle
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("TransportError")
      if (error._tag === "TransportError") {
        expect(error.reason).toBe("Deadline")
        expect(error.attempts).toBe(1)
      }
    }).pipe(Effect.provide(env({ deadline: "3 seconds" }))))

  it.effect("no retry is started that could not finish before the deadline: the last answer surfaces", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listIdentities", Array.from({ length: 10 }, () => ({ status: 503 })))
      const fiber = yield* Effect.fork(Effect.flip(api.listIdentities()))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* settle
      // attempt 2 at t = 1 s; the next backoff (2 s) would end at the 3 s deadline
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("ServiceUnavailable")
      if (error._tag === "ServiceUnavailable") expect(error.attempts).toBe(2)
    }).pipe(Effect.provide(env({ deadline: "3 seconds", retry: { jitter: "none", base: "1 second", maxAttempts: 10 } }))))

  it.effect("retry: false sends once", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.script("listIdentities", [{ status: 503 }])
      expect((yield* Effect.flip(api.listIdentities()))._tag).toBe("ServiceUnavailable")
      expect(yield* sent("listIdentities")).toBe(1)
    }).pipe(Effect.provide(env({ retry: false }))))

  it.effect("the response listener hears the final answer of a call once, before its body is read", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const g = yield* fixture
      const heard: Array<string> = []
      const listen = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.locally(effect, currentCallObserver, {
          responded: (status) => Effect.sync(() => heard.push(`status ${status}`)),
          waiting: (millis, reason) => Effect.sync(() => heard.push(`waiting ${millis} ms: ${reason}`))
        })
      yield* sb.script("getIdentity", [{ status: 503 }])
      const fiber = yield* Effect.fork(listen(Effect.tap(api.getIdentity({ id: g.identityId }), () => heard.push("decoded"))))
      yield* settle
      yield* TestClock.adjust("200 millis")
      yield* settle
      yield* Fiber.join(fiber)
      // the 503 was retried inside the call (the observer told of the wait): only the 200 ends it
      expect(heard).toEqual(["waiting 200 ms: 503, retrying", "status 200", "decoded"])
      expect(yield* sent("getIdentity")).toBe(2)
      heard.length = 0
      expect((yield* Effect.flip(listen(api.getIdentity({ id: unknownId }))))._tag).toBe("NotFound")
      expect(heard).toEqual(["status 404"])
      // calls outside it are not heard
      yield* api.getIdentity({ id: g.identityId })
      expect(heard).toEqual(["status 404"])
    }).pipe(Effect.provide(env())))

  it.effect("a long wait is told again each second with what is left (a progress line counts down)", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const heard: Array<number> = []
      yield* sb.script("listIdentities", [{ status: 429, retryAfter: 3 }])
      const fiber = yield* Effect.fork(Effect.locally(api.listIdentities(), currentCallObserver, {
        waiting: (millis) => Effect.sync(() => heard.push(millis))
      }))
      for (let i = 0; i < 4; i++) {
        yield* settle
        yield* TestClock.adjust("1 second")
      }
      yield* settle
      yield* Fiber.join(fiber)
      expect(heard).toEqual([3000, 2000, 1000])
      expect(yield* sent("listIdentities")).toBe(2)
    }).pipe(Effect.provide(env({ retry: { jitter: "none" } }))))
})

describe("Ory Network write rules", () => {
  const loopback = (options: Omit<ClientOptions, "baseUrl">) =>
    clientFor({ retry: false, ...options }).pipe(
      Layer.provideMerge(Layer.merge(Sandbox.layer({
        latency: "30 millis",
        // generous buckets: only the in-flight rule is under test
        rateLimit: { inflight: true, buckets: { "kratos-admin-high": { burst: 1000, perSecond: 1000 } } }
      }), NodeHttpClient.layerUndici))
    )
  const patches = Effect.gen(function*() {
    const api = yield* IdentityApi
    const sb = yield* Sandbox.Sandbox
    const f = yield* fixture
    // the first write holds the path for a while (the sandbox's work is otherwise instant)
    yield* sb.script("patchIdentity", [{ delay: "150 millis" }])
    const results = yield* Effect.all(
      Array.from({ length: 5 }, (_, i) =>
        Effect.either(api.patchIdentity({ id: f.identityId, body: [{ op: "replace", path: "/metadata_admin", value: { i } }] }))),
      { concurrency: "unbounded" }
    )
    const log = (yield* sb.requests).filter((r) => r.operation === "patchIdentity")
    return { failed: results.filter((r) => r._tag === "Left").length, throttled: log.filter((r) => r.status === 429).length }
  })

  it.live("concurrent writes to one path collide on Ory Network's in-flight rule", () =>
    Effect.gen(function*() {
      const { throttled } = yield* patches
      expect(throttled).toBeGreaterThan(0)
    }).pipe(Effect.provide(loopback({}))))

  it.live("serializeWritesPerPath sends them one at a time: no 429", () =>
    Effect.gen(function*() {
      const { failed, throttled } = yield* patches
      expect(throttled).toBe(0)
      expect(failed).toBe(0)
    }).pipe(Effect.provide(loopback({ serializeWritesPerPath: true }))))
})

describe("Kratos' concurrent-update 400 (a transaction it rolled back)", () => {
  const concurrent = { status: 400, message: RetryPolicy.concurrentUpdateMessage } as const

  it.effect("a PATCH and an unsafe create are sent again after the backoff; the batch is left to its caller", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const g = yield* fixture
      yield* sb.script("patchIdentity", [concurrent, concurrent])
      const patched = yield* Effect.fork(api.patchIdentity({ id: g.identityId, body: [{ op: "replace", path: "/state", value: "inactive" }] }))
      yield* settle
      expect(yield* sent("patchIdentity")).toBe(1)
      yield* TestClock.adjust("200 millis")
      yield* settle
      expect(yield* sent("patchIdentity")).toBe(2)
      yield* TestClock.adjust("400 millis")
      yield* settle
      expect((yield* Fiber.join(patched)).state).toBe("inactive")
      expect(yield* sent("patchIdentity")).toBe(3)

      const createsBefore = yield* sent("createIdentity")
      yield* sb.script("createIdentity", [concurrent])
      const created = yield* Effect.fork(api.createIdentity({ body: { traits: { email: "again@example.com" } } }))
      yield* settle
      yield* TestClock.adjust("200 millis")
      yield* settle
      expect((yield* Fiber.join(created)).traits).toEqual({ email: "again@example.com" })
      expect((yield* sent("createIdentity")) - createsBefore).toBe(2)

      yield* sb.script("batchPatchIdentities", [concurrent])
      const batch = yield* Effect.flip(api.batchPatchIdentities({ body: { identities: [{ create: { traits: { email: "b@example.com" } } }] } }))
      expect([batch._tag, batch.message]).toEqual(["BadRequest", RetryPolicy.concurrentUpdateMessage])
      expect(yield* sent("batchPatchIdentities")).toBe(1)
    }).pipe(Effect.provide(env())))

  it.effect("any other 400 is answered once, its body intact; retry: false sends once", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const g = yield* fixture
      yield* sb.script("patchIdentity", [{ status: 400, message: "not this one", reason: "a reason" }])
      const refused = yield* Effect.flip(api.patchIdentity({ id: g.identityId, body: [{ op: "replace", path: "/state", value: "inactive" }] }))
      expect(refused).toMatchObject({ _tag: "BadRequest", message: "not this one", reason: "a reason" })
      expect(yield* sent("patchIdentity")).toBe(1)
    }).pipe(Effect.provide(env())))

  it.effect("retry: false leaves the concurrent update to the caller", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const g = yield* fixture
      yield* sb.script("patchIdentity", [concurrent])
      const refused = yield* Effect.flip(api.patchIdentity({ id: g.identityId, body: [{ op: "replace", path: "/state", value: "inactive" }] }))
      expect(refused.message).toBe(RetryPolicy.concurrentUpdateMessage)
      expect(yield* sent("patchIdentity")).toBe(1)
    }).pipe(Effect.provide(env({ retry: false }))))

  it.live("over loopback with undici, as against Kratos: retried, and the write lands once", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const [identity] = yield* sb.insertIdentities([{ traits: { email: "loop@example.com" } }])
      yield* sb.script("patchIdentity", [concurrent])
      const patched = yield* api.patchIdentity({ id: identity.id, body: [{ op: "add", path: "/metadata_admin", value: { n: 1 } }] })
      expect(patched.metadata_admin).toEqual({ n: 1 })
      const log = (yield* sb.requests).filter((r) => r.operation === "patchIdentity").map((r) => r.status)
      expect(log).toEqual([400, 200])
    }).pipe(Effect.provide(
      clientFor({ rateLimit: false, retry: { base: "10 millis" } }).pipe(
        Layer.provideMerge(Layer.merge(Sandbox.layer(), UndiciHttpClient.layer()))
      )
    )))
})
