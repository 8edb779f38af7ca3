/**
 * Ory Network pressure: per-bucket token buckets, inflight limits on write paths, a seeded PRNG
 * for random faults.
 */
import type { Bucket } from "../../Operation.js"

/** @internal */
export interface BucketConfig {
  readonly burst: number
  readonly perSecond: number
}

/**
 * Defaults when rate limiting is on but a bucket is not configured (a rough Ory developer-tier shape).
 * Buckets are named by cost, so the expensive `high` bucket (the writes) gets the smallest allowance.
 * @internal
 */
export const defaultBuckets: Record<Bucket, BucketConfig> = {
  "kratos-admin-high": { burst: 5, perSecond: 2 },
  "kratos-admin-medium": { burst: 10, perSecond: 5 },
  "kratos-admin-low": { burst: 20, perSecond: 10 }
}

/** @internal */
export interface TakeResult {
  readonly allowed: boolean
  readonly headers: Record<string, string>
  /** Seconds until a token is available (when refused). */
  readonly resetSeconds: number
}

/** @internal */
export class TokenBuckets {
  private readonly state = new Map<string, { tokens: number; at: number }>()

  take(bucket: string, config: BucketConfig, now: number): TakeResult {
    let s = this.state.get(bucket)
    if (!s) this.state.set(bucket, (s = { tokens: config.burst, at: now }))
    s.tokens = Math.min(config.burst, s.tokens + ((now - s.at) / 1000) * config.perSecond)
    s.at = now
    const allowed = s.tokens >= 1
    if (allowed) s.tokens -= 1
    const missing = Math.max(0, 1 - s.tokens)
    const resetSeconds = Math.max(1, Math.ceil(missing / config.perSecond))
    return {
      allowed,
      resetSeconds,
      headers: {
        "x-ratelimit-limit": `${config.burst}, ${config.burst};w=1, ${Math.round(config.perSecond * 60)};w=60`,
        "x-ratelimit-remaining": String(Math.max(0, Math.floor(s.tokens))),
        "x-ratelimit-reset": String(allowed ? Math.max(1, Math.ceil((config.burst - s.tokens) / config.perSecond)) : resetSeconds)
      }
    }
  }

  clear(): void {
    this.state.clear()
  }
}

/** Operations under Ory's endpoint inflight limit (key = full path). @internal */
export const inflightOperations: ReadonlySet<string> = new Set([
  "createIdentity",
  "batchPatchIdentities",
  "updateIdentity",
  "patchIdentity",
  "deleteIdentity",
  "deleteIdentityCredentials",
  "deleteIdentitySessions"
])

/** mulberry32: small, fast, deterministic. @internal */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
