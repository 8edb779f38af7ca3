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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** @since 0.1.0 @category models */
export interface RateLimitOptions {
  /** Requests per second; with `adaptive`, the starting rate (the limiter starts on). */
  readonly rate?: number
  /** Bucket capacity (default: one second's worth, at least 1). */
  readonly burst?: number
  /** Adapt to 429s (CUBIC). Without a `rate`, the limiter is off until the first 429. */
  readonly adaptive?: boolean
}

/** @since 0.1.0 @category models */
export interface RateLimiterStatus {
  readonly enabled: boolean
  readonly adaptive: boolean
  /** Current fill rate in requests/s (`undefined` while off). */
  readonly rate: number | undefined
  readonly tokens: number | undefined
  /** Measured send rate (EMA), requests/s. */
  readonly measuredRate: number
}

/** @since 0.1.0 @category models */
export interface AdaptiveRateLimiter {
  /** Waits for a send token (at once while the limiter is off); returns the send time (a ticket for `record`). */
  readonly acquire: Effect.Effect<number>
  /** Feeds the outcome of a response back: `throttled` for a 429, `sentAt` the ticket of its attempt. */
  readonly record: (throttled: boolean, sentAt: number) => Effect.Effect<void>
  readonly status: Effect.Effect<RateLimiterStatus>
  /** Synchronous `acquire` for hot paths: takes a token (0) or says how many seconds to wait before trying again. */
  readonly unsafeTake: (nowMillis: number) => number
  /** Synchronous `record` (milliseconds); the rate (requests/s) while the limiter is on. */
  readonly unsafeRecord: (nowMillis: number, throttled: boolean, sentAtMillis: number) => number | undefined
}

const beta = 0.7
const scaleConstant = 0.4
const minFillRate = 0.5
const minCapacity = 1
const smooth = 0.8

/**
 * The limiter's state machine, on plain numbers (seconds); exported for unit tests.
 *
 * @since 0.1.0 @category internals
 */
export class CubicState {
  enabled: boolean
  fillRate: number
  maxCapacity: number
  capacity: number
  lastTimestamp: number | undefined = undefined
  lastMaxRate = 0
  lastThrottleTime: number
  timeWindow = 0
  measuredTxRate = 0
  requestCount = 0
  lastTxRateBucket: number

  constructor(readonly options: RateLimitOptions, now: number) {
    this.enabled = options.rate !== undefined
    this.fillRate = Math.max(options.rate ?? minFillRate, minFillRate)
    this.maxCapacity = Math.max(options.burst ?? this.fillRate, minCapacity)
    this.capacity = this.maxCapacity
    this.lastThrottleTime = now
    this.lastTxRateBucket = Math.floor(now)
    if (options.rate !== undefined) this.lastMaxRate = options.rate
  }

  private refill(now: number): void {
    if (this.lastTimestamp === undefined) {
      this.lastTimestamp = now
      return
    }
    this.capacity = Math.min(this.maxCapacity, this.capacity + (now - this.lastTimestamp) * this.fillRate)
    this.lastTimestamp = now
  }

  /** Takes a token if there is one (0); otherwise how long (seconds) to wait before trying again. */
  take(now: number): number {
    if (!this.enabled) return 0
    this.refill(now)
    if (this.capacity >= 1) {
      this.capacity -= 1
      return 0
    }
    return (1 - this.capacity) / this.fillRate
  }

  record(now: number, throttled: boolean, sentAt: number = now): void {
    this.updateMeasuredRate(now)
    if (!this.options.adaptive) return
    let calculated: number
    if (throttled && this.enabled && sentAt < this.lastThrottleTime) return
    if (throttled) {
      const rateToUse = this.enabled ? Math.min(this.measuredTxRate, this.fillRate) : this.measuredTxRate
      this.lastMaxRate = rateToUse
      this.timeWindow = Math.cbrt((this.lastMaxRate * (1 - beta)) / scaleConstant)
      this.lastThrottleTime = now
      calculated = rateToUse * beta
      if (!this.enabled) {
        this.enabled = true
        this.capacity = 0
        this.lastTimestamp = now
      }
    } else {
      if (!this.enabled) return
      this.timeWindow = Math.cbrt((this.lastMaxRate * (1 - beta)) / scaleConstant)
      calculated = scaleConstant * (now - this.lastThrottleTime - this.timeWindow) ** 3 + this.lastMaxRate
    }
    const newRate = Math.min(calculated, 2 * Math.max(this.measuredTxRate, minFillRate))
    this.refill(now)
    this.fillRate = Math.max(newRate, minFillRate)
    this.maxCapacity = Math.max(this.options.burst ?? newRate, minCapacity)
    this.capacity = Math.min(this.capacity, this.maxCapacity)
  }

  private updateMeasuredRate(now: number): void {
    const bucket = Math.floor(now * 2) / 2
    this.requestCount++
    if (bucket > this.lastTxRateBucket) {
      const current = this.requestCount / (bucket - this.lastTxRateBucket)
      this.measuredTxRate = current * smooth + this.measuredTxRate * (1 - smooth)
      this.requestCount = 0
      this.lastTxRateBucket = bucket
    }
  }
}

/** The longest a waiter sleeps before looking at the bucket again (the rate may have risen). */
const maxPoll = 0.25

const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => ms / 1000)

/**
 * A limiter for one client; share it by building it once (the client's layer does).
 *
 * @since 0.1.0 @category constructors
 */
export const make = (options: RateLimitOptions): Effect.Effect<AdaptiveRateLimiter> =>
  Effect.map(nowSeconds, (start) => {
    const state = new CubicState(options, start)
    const acquire: Effect.Effect<number> = Effect.flatMap(nowSeconds, (now) => {
      const wait = state.take(now)
      return wait > 0
        ? Effect.zipRight(Effect.sleep(Duration.millis(Math.ceil(Math.min(wait, maxPoll) * 1000))), acquire)
        : Effect.succeed(now)
    })
    return {
      acquire,
      unsafeTake: (nowMillis) => state.take(nowMillis / 1000),
      unsafeRecord: (nowMillis, throttled, sentAtMillis) => {
        state.record(nowMillis / 1000, throttled, sentAtMillis / 1000)
        return state.enabled ? state.fillRate : undefined
      },
      record: (throttled, sentAt) => Effect.map(nowSeconds, (now) => state.record(now, throttled, sentAt)),
      status: Effect.sync(() => ({
        enabled: state.enabled,
        adaptive: options.adaptive === true,
        rate: state.enabled ? state.fillRate : undefined,
        tokens: state.enabled ? state.capacity : undefined,
        measuredRate: state.measuredTxRate
      }))
    }
  })
