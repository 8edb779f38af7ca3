/**
 * The call context's lifecycle (src/internal/client/context.ts), observed from the transport: what
 * each layer has written by the time an attempt is dispatched, what is reset between calls, which
 * fiber gets a fresh context, and that a finished call is invisible to the layers.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import { IdentityApi } from "../../src/IdentityApi.js"
import { activeCall, type CallContext, currentCall } from "../../src/internal/client/context.js"
import { AttemptTimeout, NativeAttemptTimer } from "../../src/internal/client/transport.js"
import { unknownId } from "./helpers.js"

interface Seen {
  readonly call: CallContext | undefined
  readonly operation: string | undefined
  readonly attempts: number | undefined
  readonly mayHaveActed: boolean | undefined
  readonly retries: number | undefined
  readonly status: number | undefined
  readonly timer: AttemptTimeout | undefined
  readonly timerLeft: AttemptTimeout | undefined
  readonly attemptSpan: boolean | undefined
}

const identity = { id: unknownId, schema_id: "default", schema_url: "", state: "active", traits: {} }

/** A transport that records the context at each dispatch and answers from `statuses`, then 200. */
const recording = (options: { readonly native?: boolean; readonly statuses?: Array<number> } = {}) => {
  const seen: Array<Seen> = []
  const statuses = [...(options.statuses ?? [])]
  const client = HttpClient.make((request, _url, _signal, fiber) =>
    Effect.sync(() => {
      const call = activeCall(fiber)
      const timer = options.native ? call?.takeAttemptTimer() : call?.attemptTimer
      seen.push({
        call,
        operation: call?.labels.operation,
        attempts: call?.attempts,
        mayHaveActed: call?.mayHaveActed,
        retries: call?.retries,
        status: call?.status,
        timer,
        timerLeft: call?.attemptTimer,
        attemptSpan: call?.attemptSpan
      })
      const status = statuses.shift() ?? 200
      return HttpClientResponse.fromWeb(
        request,
        new Response(status === 200 ? JSON.stringify(identity) : "{}", {
          status,
          headers: { "content-type": "application/json" }
        })
      )
    })
  )
  const transport = options.native ? Object.assign(client, { [NativeAttemptTimer]: true }) : client
  const layer = IdentityApi.layer({
    baseUrl: "http://127.0.0.1:1",
    rateLimit: false,
    retry: { jitter: "none", base: "1 millis" }
  }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, transport)))
  return { seen, layer, transport }
}

describe("call context lifecycle", () => {
  const first = recording()
  it.live("one context per fiber, reset for each call; a finished call is absent to the layers", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      expect(yield* FiberRef.get(currentCall)).toBeUndefined()
      yield* api.getIdentity({ id: unknownId })
      const ctx = yield* FiberRef.get(currentCall)
      expect(ctx).toBe(first.seen[0].call)
      expect(ctx?.done).toBe(true)
      expect(ctx?.status).toBe(200)
      expect(yield* Effect.withFiberRuntime((fiber) => Effect.succeed(activeCall(fiber)))).toBeUndefined()
      yield* api.deleteIdentity({ id: unknownId }).pipe(Effect.ignore)
      // the same object, reset: the second call's first attempt sees a clean record
      expect(first.seen[1].call).toBe(ctx)
      expect(first.seen[1]).toMatchObject({ operation: "deleteIdentity", attempts: 1, retries: 0, status: undefined })
      // a fiber forked now inherits the finished context but makes its own
      const child = yield* Effect.fork(api.getIdentity({ id: unknownId }))
      yield* Fiber.join(child)
      expect(first.seen[2].call).not.toBe(ctx)
      expect(first.seen[2]).toMatchObject({ operation: "getIdentity", attempts: 1 })
    }).pipe(Effect.provide(first.layer)))

  const retried = recording({ statuses: [503, 429] })
  it.live("across retries: attempts count up, retries are noted, only a non-429 answer may have acted", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      yield* api.getIdentity({ id: unknownId })
      expect(retried.seen.map((s) => [s.attempts, s.retries, s.mayHaveActed])).toEqual([
        [1, 0, false],
        [2, 1, true],
        [3, 2, true]
      ])
      const ctx = retried.seen[0].call!
      expect([ctx.attempts, ctx.retries, ctx.status, ctx.done]).toEqual([3, 2, 200, true])
      // a transport that is not native gets the platform's span switched off by a fiber ref instead
      expect(retried.seen.every((s) => s.attemptSpan === true)).toBe(true)
    }).pipe(Effect.provide(retried.layer)))

  const native = recording({ native: true })
  it.live("a native transport is handed the attempt timer and takes it once", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      yield* api.getIdentity({ id: unknownId })
      expect(native.seen[0].timer).toBeInstanceOf(AttemptTimeout)
      expect(native.seen[0].timer?.millis).toBe(30_000)
      expect(native.seen[0].timerLeft).toBeUndefined()
      // withBase tells a native transport not to open the platform's span
      expect(native.seen[0].attemptSpan).toBe(false)
    }).pipe(Effect.provide(native.layer)))

  const outside = recording()
  it.live("a request sent outside the interpreter sees no context", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      yield* api.getIdentity({ id: unknownId })
      // the fiber still holds the finished context; the transport must not see it
      yield* outside.transport.get("http://127.0.0.1:1/health/alive")
      expect(outside.seen[1].call).toBeUndefined()
    }).pipe(Effect.provide(outside.layer)))
})
