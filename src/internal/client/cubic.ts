/**
 * The adaptive rate limiter's state machine (AdaptiveRateLimiter.ts explains the algorithm), on
 * plain numbers in seconds so that it is tested without an Effect runtime.
 */
import type { RateLimitOptions } from "../../AdaptiveRateLimiter.js"

const beta = 0.7
const scaleConstant = 0.4
const minFillRate = 0.5
const minCapacity = 1
const smooth = 0.8

/** The limiter's state machine, on plain numbers (seconds). */
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
