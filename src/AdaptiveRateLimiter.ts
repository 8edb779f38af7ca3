/**
 * A client-side token bucket shared by every request of a client, either at a fixed rate or
 * adaptive: the AWS SDK v3 CUBIC limiter (off until the first 429, then β = 0.7 multiplicative
 * decrease, a cubic climb back with C = 0.4, never below 0.5 requests/s).
 *
 * Waiting callers re-check the bucket after each short sleep instead of reserving a slot at the
 * rate of the moment, so a rate that climbs back is used at once. A 429 for a request sent before
 * the last decrease does not decrease again: a burst of throttles from one window of in-flight
 * requests counts once (as TCP reduces once per window). Time comes from `Clock`, so `TestClock`
 * drives it in tests.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { CubicState } from "./internal/client/cubic.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RateLimitOptions {
  /** Requests per second; with `adaptive`, the starting rate (the limiter starts on). */
  readonly rate?: number
  /** Bucket capacity (default: one second's worth, at least 1). */
  readonly burst?: number
  /** Adapt to 429s (CUBIC). Without a `rate`, the limiter is off until the first 429. */
  readonly adaptive?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RateLimiterStatus {
  readonly enabled: boolean
  readonly adaptive: boolean
  /** Current fill rate in requests/s (`undefined` while off). */
  readonly rate: number | undefined
  readonly tokens: number | undefined
  /** Measured send rate (EMA), requests/s. */
  readonly measuredRate: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AdaptiveRateLimiter {
  readonly status: Effect.Effect<RateLimiterStatus>
  /** Takes a send token (0), or says how many seconds to wait before trying again. */
  readonly unsafeTake: (nowMillis: number) => number
  /**
   * Feeds a response back (times in milliseconds; `throttled` for a 429, `sentAtMillis` when its
   * attempt was sent); the rate (requests/s) while the limiter is on.
   */
  readonly unsafeRecord: (nowMillis: number, throttled: boolean, sentAtMillis: number) => number | undefined
}

const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => ms / 1000)

/**
 * A limiter for one client; share it by building it once (the client's layer does).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RateLimitOptions): Effect.Effect<AdaptiveRateLimiter> =>
  Effect.map(nowSeconds, (start) => {
    const state = new CubicState(options, start)
    return {
      unsafeTake: (nowMillis) => state.take(nowMillis / 1000),
      unsafeRecord: (nowMillis, throttled, sentAtMillis) => {
        state.record(nowMillis / 1000, throttled, sentAtMillis / 1000)
        return state.enabled ? state.fillRate : undefined
      },
      status: Effect.sync(() => ({
        enabled: state.enabled,
        adaptive: options.adaptive === true,
        rate: state.enabled ? state.fillRate : undefined,
        tokens: state.enabled ? state.capacity : undefined,
        measuredRate: state.measuredTxRate
      }))
    }
  })
