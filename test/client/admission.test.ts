/**
 * The pieces of the request path that replaced Effect's generic ones for speed: the concurrency
 * gate, the call context reused across calls of a fiber, and the operation span opened from the
 * fiber's state. Each must keep the semantics of what it replaced.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import { IdentityApi } from "../../src/IdentityApi.js"
import { Gate } from "../../src/internal/client/gate.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import { clientFor, fixture, unknownId } from "./helpers.js"

/** Holds one permit of `gate` until `release` is done; records when it got in. */
const holder = (gate: Gate, log: Array<string>, name: string, release: Deferred.Deferred<void>) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.zipRight(
      gate.tryTake() ? Effect.void : restore(gate.take),
      Effect.ensuring(
        Effect.zipRight(Effect.sync(() => log.push(name)), restore(Deferred.await(release))),
        Effect.sync(() => gate.release())
      )
    )
  )

describe("the concurrency gate", () => {
  it.effect("admits in FIFO order, and neither an interrupted waiter nor an interrupted holder loses a permit", () =>
    Effect.gen(function*() {
      const gate = new Gate(1)
      const log: Array<string> = []
      const [a, b, c] = yield* Effect.all([Deferred.make<void>(), Deferred.make<void>(), Deferred.make<void>()])
      const fa = yield* Effect.fork(holder(gate, log, "a", a))
      yield* Effect.yieldNow()
      const fb = yield* Effect.fork(holder(gate, log, "b", b))
      const fc = yield* Effect.fork(holder(gate, log, "c", c))
      yield* Effect.yieldNow()
      expect(log).toEqual(["a"])
      // b leaves the queue while waiting: c is next
      yield* Fiber.interrupt(fb)
      yield* Deferred.succeed(a, undefined)
      yield* Fiber.join(fa)
      yield* Effect.yieldNow()
      expect(log).toEqual(["a", "c"])
      // the holder is interrupted: its permit comes back
      yield* Fiber.interrupt(fc)
      expect(gate.free).toBe(1)
    }))

  it.live("a client capped at 2 never has more than 2 requests in flight", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      let peak = 0
      yield* Effect.forEach(
        Array.from({ length: 12 }),
        () =>
          Effect.zipLeft(
            Effect.exit(api.getIdentity({ id: unknownId })),
            Effect.flatMap(api.status, (s) => Effect.sync(() => (peak = Math.max(peak, s.inFlight))))
          ),
        { concurrency: 12, discard: true }
      )
      expect(peak).toBeLessThanOrEqual(2)
      expect((yield* api.status).inFlight).toBe(0)
    }).pipe(
      Effect.provide(
        clientFor({ maxConcurrency: 2 }).pipe(Layer.provideMerge(Layer.merge(Sandbox.layer({ latency: 5 }), UndiciHttpClient.layer())))
      )
    ))
})

interface Recorded {
  readonly name: string
  readonly parent: string | undefined
  readonly attributes: Map<string, unknown>
  exit: Exit.Exit<unknown, unknown> | undefined
}

const recordingTracer = (base: Tracer.Tracer, spans: Array<Recorded>): Tracer.Tracer =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const inner = base.span(name, parent, context, links, startTime, kind)
      const record: Recorded = {
        name,
        parent: Option.match(parent, { onNone: () => undefined, onSome: (p) => (p._tag === "Span" ? p.name : p.spanId) }),
        attributes: inner.attributes as Map<string, unknown>,
        exit: undefined
      }
      spans.push(record)
      return Object.assign(Object.create(inner), {
        end: (endTime: bigint, exit: Exit.Exit<unknown, unknown>) => {
          record.exit = exit
          inner.end(endTime, exit)
        }
      })
    },
    context: base.context
  })

describe("the operation span and the call context", () => {
  const live = clientFor({ retry: { base: "1 millis" } }).pipe(
    Layer.provideMerge(Layer.merge(Sandbox.layer(), UndiciHttpClient.layer()))
  )

  it.live("one span per call, under the caller's span, with status, attempts and the exit", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      const spans: Array<Recorded> = []
      const tracer = recordingTracer(yield* Effect.tracer, spans)
      yield* sb.script("getIdentity", [{ status: 503 }])
      yield* Effect.gen(function*() {
        yield* api.getIdentity({ id: f.identityId })
        yield* Effect.flip(api.getIdentity({ id: unknownId }))
      }).pipe(Effect.withSpan("caller"), Effect.withTracer(tracer))
      const calls = spans.filter((s) => s.name === "Kratos.getIdentity")
      expect(calls).toHaveLength(2)
      expect(calls.map((s) => s.parent)).toEqual(["caller", "caller"])
      expect(calls[0].attributes.get("kratos.attempts")).toBe(2)
      expect(calls[0].attributes.get("http.response.status_code")).toBe(200)
      expect(calls[0].exit?._tag).toBe("Success")
      // the second call on the same fiber starts from a clean context
      expect(calls[1].attributes.get("kratos.attempts")).toBe(1)
      expect(calls[1].attributes.get("http.response.status_code")).toBe(404)
      expect(calls[1].exit?._tag).toBe("Failure")
      expect(calls[0].attributes.get("kratos.operation")).toBe("getIdentity")
    }).pipe(Effect.provide(live)))

  it.live("no span when tracing is off; a fiber forked mid-call counts its own attempts", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      const spans: Array<Recorded> = []
      const tracer = recordingTracer(yield* Effect.tracer, spans)
      yield* api.getIdentity({ id: f.identityId }).pipe(
        Effect.withTracerEnabled(false),
        Effect.withTracer(tracer)
      )
      expect(spans).toHaveLength(0)
      yield* sb.script("getIdentity", [{ status: 503 }, { status: 503 }])
      const [outer, inner] = yield* Effect.all([
        api.getIdentity({ id: f.identityId }).pipe(Effect.withSpan("outer"), Effect.withTracer(tracer)),
        Effect.flatMap(Effect.fork(api.getIdentity({ id: f.identityId })), Fiber.join)
      ], { concurrency: 2 })
      expect(outer.id).toBe(f.identityId)
      expect(inner.id).toBe(f.identityId)
      const attempts = spans.filter((s) => s.name === "Kratos.getIdentity").map((s) => s.attributes.get("kratos.attempts"))
      // the two scripted 503s went to one call or were shared, never counted twice
      expect(attempts).toHaveLength(1)
      expect(Number(attempts[0])).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(live)))
})
