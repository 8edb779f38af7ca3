/**
 * The pure parts of the retry policy and the CUBIC limiter, then the adaptive limiter against the
 * sandbox's Ory Network rate limit (real loopback, a few seconds of real time).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { CubicState } from "../../src/internal/client/cubic.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as RetryPolicy from "../../src/RetryPolicy.js"
import * as Sandbox from "../../src/Sandbox.js"
import { clientFor, fixture } from "./helpers.js"

const defaults = RetryPolicy.resolve(undefined)

describe("RetryPolicy", () => {
  it("classifies by safety: unsafe retries only 429 and refused connections", () => {
    const kind = (safety: "safe" | "idempotent" | "unsafe", outcome: RetryPolicy.Outcome) =>
      Option.getOrUndefined(RetryPolicy.classify(safety, outcome, defaults))
    for (const safety of ["safe", "idempotent", "unsafe"] as const) {
      expect(kind(safety, { _tag: "Status", status: 429 })).toBe("throttle")
      expect(kind(safety, { _tag: "Transport", reason: "ConnectionRefused" })).toBe("transient")
      expect(kind(safety, { _tag: "Status", status: 400 })).toBeUndefined()
      expect(kind(safety, { _tag: "Status", status: 409 })).toBeUndefined()
    }
    for (const status of [500, 502, 503, 504]) {
      expect(kind("safe", { _tag: "Status", status })).toBe("transient")
      expect(kind("idempotent", { _tag: "Status", status })).toBe("transient")
      expect(kind("unsafe", { _tag: "Status", status })).toBeUndefined()
    }
    expect(kind("safe", { _tag: "Transport", reason: "Timeout" })).toBe("timeout")
    expect(kind("idempotent", { _tag: "Transport", reason: "ConnectionReset" })).toBe("timeout")
    expect(kind("unsafe", { _tag: "Transport", reason: "Timeout" })).toBeUndefined()
    expect(kind("unsafe", { _tag: "Transport", reason: "ConnectionReset" })).toBeUndefined()
  })

  it("full jitter backoff is capped: min(cap, base·2^(n-1)) · random", () => {
    const ms = (retry: number, random: number) => Duration.toMillis(RetryPolicy.backoff(defaults, retry, random))
    expect(ms(1, 0.999999)).toBe(199)
    expect(ms(3, 0.5)).toBe(400)
    expect(ms(20, 0.5)).toBe(10_000)
    expect(ms(5, 0)).toBe(0)
  })

  it("parses Retry-After as seconds or an HTTP date, and x-ratelimit-reset on 429", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    expect(Option.map(RetryPolicy.parseRetryAfter("3", now), Duration.toMillis)).toEqual(Option.some(3000))
    expect(Option.map(RetryPolicy.parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now), Duration.toMillis))
      .toEqual(Option.some(10_000))
    expect(RetryPolicy.parseRetryAfter("soon", now)).toEqual(Option.none())
    expect(Option.map(RetryPolicy.hint(429, { "x-ratelimit-reset": "2" }, now), Duration.toMillis)).toEqual(Option.some(2000))
    expect(RetryPolicy.hint(503, { "x-ratelimit-reset": "2" }, now)).toEqual(Option.none())
  })

  it("the hint raises the delay; a hint above retryAfterCap means give up", () => {
    const d = (hint: number) =>
      Option.map(RetryPolicy.delay(defaults, 1, 0.5, Option.some(Duration.seconds(hint))), Duration.toMillis)
    expect(d(2)).toEqual(Option.some(2000))
    expect(d(61)).toEqual(Option.none())
  })

  it.effect("the budget: 500 tokens, 5 per retry, 10 per timeout; refunds on success", () =>
    Effect.gen(function*() {
      const budget = yield* RetryPolicy.makeBudget({ capacity: 500, cost: 5, timeoutCost: 10 })
      expect(yield* budget.tryAcquire("timeout")).toBe(true)
      expect(yield* budget.tokens).toBe(490)
      yield* budget.release(Option.some("timeout"))
      expect(yield* budget.tokens).toBe(500)
      let retries = 0
      while (yield* budget.tryAcquire("transient")) retries++
      expect(retries).toBe(100)
      yield* budget.release(Option.none())
      expect(yield* budget.tokens).toBe(1)
    }))
})

describe("AdaptiveRateLimiter (CUBIC)", () => {
  it("follows the AWS SDK's worked numbers: throttle at 10 rps → 7, then the cubic climb", () => {
    const state = new CubicState({ adaptive: true, rate: 10 }, 0)
    // freeze the measured rate so the 2× cap does not interfere
    state.lastTxRateBucket = 1e9
    state.measuredTxRate = 100
    state.record(5, true)
    expect(state.fillRate).toBeCloseTo(7, 5)
    const expected = [[6, 9.65], [7, 10.0], [8, 10.45], [9, 13.4], [10, 21.3], [11, 36.4]] as const
    for (const [t, rate] of expected) {
      state.record(t, false)
      expect(state.fillRate).toBeCloseTo(rate, 1)
    }
  })

  it("is off until the first throttle, then never below 0.5 rps", () => {
    const state = new CubicState({ adaptive: true }, 0)
    expect(state.take(0)).toBe(0)
    expect(state.enabled).toBe(false)
    state.record(0.1, true)
    expect(state.enabled).toBe(true)
    expect(state.fillRate).toBe(0.5)
    expect(state.take(0.2)).toBeGreaterThan(0)
  })

  it("a fixed rate: a burst, then one token per 1/rate", () => {
    const state = new CubicState({ rate: 10, burst: 2 }, 0)
    expect(state.take(0)).toBe(0)
    expect(state.take(0)).toBe(0)
    expect(state.take(0)).toBeCloseTo(0.1, 5)
    expect(state.take(0.1)).toBe(0)
    expect(state.take(0.15)).toBeCloseTo(0.05, 5)
  })

  it("throttles from requests sent before the last decrease count once", () => {
    const state = new CubicState({ adaptive: true, rate: 20 }, 0)
    state.lastTxRateBucket = 1e9
    state.measuredTxRate = 100
    state.record(1, true, 0.9)
    expect(state.fillRate).toBeCloseTo(14, 5)
    state.record(1.01, true, 0.95)
    expect(state.fillRate).toBeCloseTo(14, 5)
    state.record(1.2, true, 1.1)
    expect(state.fillRate).toBeCloseTo(9.8, 5)
  })

  it.live("settles within 0.5×–1.5× of a 20 rps server limit with 10 fibers pushing", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      yield* sb.setOptions({
        rateLimit: { buckets: { "kratos-admin-low": { burst: 20, perSecond: 20 } } }
      })
      const started = Date.now()
      const successes: Array<number> = []
      let throttled = 0
      const worker = Effect.gen(function*() {
        while (Date.now() - started < 6000) {
          yield* api.getIdentity({ id: f.identityId }).pipe(
            Effect.tap(() => Effect.sync(() => successes.push(Date.now() - started))),
            Effect.catchTag("TooManyRequests", () => Effect.sync(() => throttled++))
          )
        }
      })
      yield* Effect.all(Array.from({ length: 10 }, () => worker), { concurrency: "unbounded" })
      const lastThree = successes.filter((t) => t >= 3000).length / 3
      const status = yield* api.status
      expect(throttled + successes.length).toBeGreaterThan(0)
      expect(status.rateLimit?.enabled).toBe(true)
      expect(lastThree).toBeGreaterThanOrEqual(10)
      expect(lastThree).toBeLessThanOrEqual(30)
      // the fill rate itself oscillates (CUBIC probes above the limit until the next 429); the throughput settles
      expect(throttled).toBeLessThan(successes.length)
    }).pipe(
      Effect.provide(
        clientFor({ rateLimit: { adaptive: true }, maxConcurrency: 10 }).pipe(
          Layer.provideMerge(Layer.merge(Sandbox.layer(), NodeHttpClient.layerUndici))
        )
      )
    ), 20_000)
})
