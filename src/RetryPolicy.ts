/**
 * When and how long to wait before retrying a request: classification by the operation's safety,
 * capped exponential backoff with full jitter, server hints (`Retry-After`, `x-ratelimit-reset`)
 * and a client-wide retry budget (the AWS SDK's retry quota) so an outage cannot start a retry storm.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Safety } from "./Operation.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryBudgetOptions {
  /** Tokens the bucket starts with and is capped at (AWS: 500). */
  readonly capacity?: number
  /** Tokens a retry costs (AWS: 5). */
  readonly cost?: number
  /** Tokens a retry after a timeout or a reset costs (AWS: 10). */
  readonly timeoutCost?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  /** Attempts in total, the first included (default 4). */
  readonly maxAttempts?: number
  /** Backoff base (default 200 ms): attempt n waits up to `base · 2^(n-1)`. */
  readonly base?: Duration.DurationInput
  /** Backoff cap (default 20 s). */
  readonly cap?: Duration.DurationInput
  /** The longest server hint honoured (default 60 s); a longer `Retry-After` is not waited for. */
  readonly retryAfterCap?: Duration.DurationInput
  /** `false` disables the budget. */
  readonly budget?: false | RetryBudgetOptions
  /** `full` (default) waits a random time in [0, backoff]; `none` waits exactly the backoff (tests). */
  readonly jitter?: "full" | "none"
  /** Retry 500 on safe and idempotent operations (default true). */
  readonly retryInternalServerError?: boolean
}

/**
 * The options with every default filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedRetryOptions {
  readonly maxAttempts: number
  readonly base: Duration.Duration
  readonly cap: Duration.Duration
  readonly retryAfterCap: Duration.Duration
  readonly budget: false | Required<RetryBudgetOptions>
  readonly jitter: "full" | "none"
  readonly retryInternalServerError: boolean
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: RetryOptions | undefined): ResolvedRetryOptions => ({
  maxAttempts: Math.max(1, options?.maxAttempts ?? 4),
  base: Duration.decode(options?.base ?? "200 millis"),
  cap: Duration.decode(options?.cap ?? "20 seconds"),
  retryAfterCap: Duration.decode(options?.retryAfterCap ?? "60 seconds"),
  budget: options?.budget === false
    ? false
    : { capacity: 500, cost: 5, timeoutCost: 10, ...options?.budget },
  jitter: options?.jitter ?? "full",
  retryInternalServerError: options?.retryInternalServerError ?? true
})

/**
 * What an attempt ended with, as far as retrying is concerned.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome =
  | { readonly _tag: "Status"; readonly status: number }
  /** Kratos' 400 for a database transaction it aborted on a conflict with another (see `isConcurrentUpdate`). */
  | { readonly _tag: "ConcurrentUpdate" }
  | {
    readonly _tag: "Transport"
    readonly reason: "ConnectionRefused" | "ConnectionReset" | "Timeout" | "Other"
  }

/**
 * Why a retry is allowed; it decides the budget cost.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryKind = "throttle" | "transient" | "timeout"

/**
 * Whether an outcome may be retried given the operation's safety. `unsafe` operations retry only
 * when the server provably did not act: a 429 (rejected before any work) or a refused connection.
 *
 * @since 0.1.0
 * @category classification
 */
export const classify = (
  safety: Safety,
  outcome: Outcome,
  options: Pick<ResolvedRetryOptions, "retryInternalServerError">
): Option.Option<RetryKind> => {
  // the transaction was rolled back: nothing was written, whatever the operation
  if (outcome._tag === "ConcurrentUpdate") return Option.some("transient")
  if (outcome._tag === "Status") {
    const s = outcome.status
    if (s === 429) return Option.some("throttle")
    if (safety === "unsafe") return Option.none()
    if (s === 502 || s === 503 || s === 504) return Option.some("transient")
    if (s === 500 && options.retryInternalServerError) return Option.some("transient")
    return Option.none()
  }
  if (outcome.reason === "ConnectionRefused") return Option.some("transient")
  if (safety === "unsafe") return Option.none()
  return Option.some(outcome.reason === "Other" ? "transient" : "timeout")
}

/**
 * Kratos answers a write whose database transaction lost a serialization conflict with another
 * (CockroachDB on Ory Network, SQLite under concurrent writes) with a 400 of this message
 * (`sqlcon.ErrConcurrentUpdate`); the transaction was rolled back, so the request may be sent again.
 *
 * @since 0.1.0
 * @category classification
 */
export const concurrentUpdateMessage = "Unable to serialize access due to a concurrent update in another session"

/**
 * True when an error body (its text) is Kratos' concurrent-update 400.
 *
 * @since 0.1.0
 * @category classification
 */
export const isConcurrentUpdate = (status: number, body: string): boolean =>
  status === 400 && body.includes(concurrentUpdateMessage)

/**
 * True for statuses that some safety class may retry.
 *
 * @since 0.1.0
 * @category classification
 */
export const isRetryableStatus = (status: number): boolean =>
  status === 429 || status === 500 || status === 502 || status === 503 || status === 504

/**
 * The backoff before retry number `retry` (1-based): `min(cap, base · 2^(retry-1))`, scaled by
 * `random` in [0, 1) for full jitter.
 *
 * @since 0.1.0
 * @category backoff
 */
export const backoff = (
  options: Pick<ResolvedRetryOptions, "base" | "cap" | "jitter">,
  retry: number,
  random: number
): Duration.Duration => {
  const ceiling = Math.min(Duration.toMillis(options.cap), Duration.toMillis(options.base) * 2 ** (retry - 1))
  return Duration.millis(options.jitter === "full" ? Math.floor(random * ceiling) : ceiling)
}

/**
 * Parses `Retry-After`: delta-seconds or an HTTP date (relative to `now`, epoch millis).
 *
 * @since 0.1.0
 * @category hints
 */
export const parseRetryAfter = (value: string | undefined, now: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Option.some(Duration.seconds(Number(trimmed)))
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? Option.none() : Option.some(Duration.millis(Math.max(0, date - now)))
}

/**
 * The server's hint from a response's headers: `Retry-After`, else (on a 429) Ory's
 * `x-ratelimit-reset` (seconds until the window resets).
 *
 * @since 0.1.0
 * @category hints
 */
export const hint = (
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  now: number
): Option.Option<Duration.Duration> => {
  const retryAfter = parseRetryAfter(headers["retry-after"], now)
  if (Option.isSome(retryAfter) || status !== 429) return retryAfter
  const reset = headers["x-ratelimit-reset"]
  return reset !== undefined && /^\d+(\.\d+)?$/.test(reset.trim())
    ? Option.some(Duration.seconds(Number(reset.trim())))
    : Option.none()
}

/**
 * The delay before a retry: the jittered backoff, raised to the server's hint. A hint beyond
 * `retryAfterCap` means "do not retry" (`None`): the caller gets the error with its `retryAfter`.
 *
 * @since 0.1.0
 * @category backoff
 */
export const delay = (
  options: ResolvedRetryOptions,
  retry: number,
  random: number,
  serverHint: Option.Option<Duration.Duration>
): Option.Option<Duration.Duration> => {
  const computed = backoff(options, retry, random)
  if (Option.isNone(serverHint)) return Option.some(computed)
  if (Duration.greaterThan(serverHint.value, options.retryAfterCap)) return Option.none()
  return Option.some(Duration.max(computed, serverHint.value))
}

/**
 * A client-wide token bucket of retries (AWS standard mode): a retry takes `cost` tokens
 * (`timeoutCost` after a timeout), a success gives back what its retry took, or 1 when it needed
 * none. An empty bucket stops retries until successes refill it.
 *
 * @since 0.1.0
 * @category budget
 */
export interface RetryBudget {
  readonly tokens: Effect.Effect<number>
  /** Takes the cost of a retry; false when the bucket cannot pay it. */
  readonly tryAcquire: (kind: RetryKind) => Effect.Effect<boolean>
  /** Records a successful call; `retried` is the kind of its last retry, if any. */
  readonly release: (retried: Option.Option<RetryKind>) => Effect.Effect<void>
}

/**
 * A budget that never runs out.
 *
 * @since 0.1.0
 * @category budget
 */
export const unlimitedBudget: RetryBudget = {
  tokens: Effect.succeed(Infinity),
  tryAcquire: () => Effect.succeed(true),
  release: () => Effect.void
}

/**
 * @since 0.1.0
 * @category budget
 */
export const makeBudget = (options: Required<RetryBudgetOptions>): Effect.Effect<RetryBudget> =>
  Effect.sync(() => {
    let tokens = options.capacity
    const costOf = (kind: RetryKind) => (kind === "timeout" ? options.timeoutCost : options.cost)
    return {
      tokens: Effect.sync(() => tokens),
      tryAcquire: (kind) =>
        Effect.sync(() => {
          const cost = costOf(kind)
          if (tokens < cost) return false
          tokens -= cost
          return true
        }),
      release: (retried) =>
        Effect.sync(() => {
          tokens = Math.min(options.capacity, tokens + (Option.isSome(retried) ? costOf(retried.value) : 1))
        })
    }
  })
