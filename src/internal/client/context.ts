/**
 * The one mutable record of a call in flight, and its whole lifecycle. Every write to it is a
 * method here, named for the moment it happens; the layers only call these and read fields.
 *
 * | moment                         | method              | caller                       | fields written                        |
 * | ------------------------------ | ------------------- | ---------------------------- | ------------------------------------- |
 * | the interpreter starts a call  | `enterCall`         | interpreter (`callWire`)     | all (reset), `span`                   |
 * | the base layer sees the request| `skipAttemptSpan`   | `pipeline.withBase`          | `attemptSpan`                         |
 * | the limiter makes it wait      | `rateLimitWait`     | `pipeline.withAttempt`       | `rateLimitWaits`, `rateLimitWaitMillis` |
 * | an attempt goes on the wire    | `beginAttempt`      | `pipeline.withAttempt`       | `attempts`, `attemptTimer`, `requestBytes` |
 * | a native transport dispatches  | `takeAttemptTimer`  | `UndiciHttpClient`           | `attemptTimer` (taken)                |
 * | a retryable outcome arrives    | `retryableOutcome`  | `pipeline.withRetry`         | `mayHaveActed`                        |
 * | a retry is scheduled           | `retryScheduled`    | `pipeline.withRetry`         | `retries` (+ a span event)            |
 * | the final response arrives     | `responded`         | interpreter (`dispatch`)     | `status`, `responseBytes`, `attempts` ≥ 1 |
 * | the call is over               | `finish`            | interpreter (its exit handler) | `done` (+ span attributes, metrics)  |
 *
 * Readers: `withAttempt` reads `deadlineAt`; `withRetry` reads
 * `safety` and `deadlineAt`; the transport reads `attemptSpan`; the interpreter reads `attempts`,
 * `status` and `mayHaveActed` to build its errors. A layer sees the call only through `activeCall`,
 * which treats a finished call as absent: requests sent outside the interpreter (a user's own
 * `client.execute`) get no context, and each layer falls back to the request's method.
 *
 * Why mutable and reused: setting a fiber ref copies the fiber's whole map of them, so the context
 * is set on a fiber once (`fresh`), and the fiber's later calls reset that same object
 * (`enterCall`) instead of setting a new one. A fiber forked inside a call inherits the reference
 * but is not its `owner`, so its own first call makes a fresh context.
 */
import type * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import type * as Tracer from "effect/Tracer"
import type { Safety } from "../../Operation.js"
import { keepHiddenClass } from "../hiddenClass.js"
import * as Metrics from "./metrics.js"
import type { AttemptTimeout } from "./transport.js"

export class CallContext {
  /** The operation's metric labels (and name). */
  labels: Metrics.OperationLabels
  safety: Safety
  /** Attempts put on the wire (at least 1 once the call has an outcome). */
  attempts = 0
  /** When the whole call must be over (Clock millis; `Infinity` for none). */
  deadlineAt: number
  /** When the call started (Clock millis), for its duration. */
  startedAt: number
  /** The status of the final response. */
  status: number | undefined = undefined
  /** The timer of the next attempt, for a transport that arms it itself (`NativeAttemptTimer`). */
  attemptTimer: AttemptTimeout | undefined = undefined
  /** An earlier attempt got an answer other than 429, or failed after connecting. */
  mayHaveActed = false
  /** Whether a native transport opens the platform's `http.client` span for the next attempt. */
  attemptSpan = true
  /** Retries scheduled. */
  retries = 0
  /** Times the rate limiter made an attempt wait, and for how long in all. */
  rateLimitWaits = 0
  rateLimitWaitMillis = 0
  /** Who watches this call (`currentCallObserver` when it began). */
  observer: CallObserver | undefined = undefined
  /** Bytes of the last request body sent and of the final response body (`-1`: unknown). */
  requestBytes = -1
  responseBytes = -1
  /** The operation's span, for the retry and wait events (`undefined` when tracing is off). */
  span: Tracer.Span | undefined
  /** The call is over; the object stays on the fiber for its next call. */
  done = false

  constructor(
    labels: Metrics.OperationLabels,
    safety: Safety,
    startedAt: number,
    deadlineAt: number,
    span: Tracer.Span | undefined,
    /** The fiber that set it; a fiber forked meanwhile inherits the context but sets its own. */
    readonly owner: unknown
  ) {
    this.labels = labels
    this.safety = safety
    this.startedAt = startedAt
    this.deadlineAt = deadlineAt
    this.span = span
  }

  /** `enterCall` only: the fiber's finished context serves its next call. */
  reuse(labels: Metrics.OperationLabels, safety: Safety, startedAt: number, deadlineAt: number, span: Tracer.Span | undefined) {
    this.labels = labels
    this.safety = safety
    this.attempts = 0
    this.deadlineAt = deadlineAt
    this.startedAt = startedAt
    this.status = undefined
    this.attemptTimer = undefined
    this.mayHaveActed = false
    this.attemptSpan = true
    this.retries = 0
    this.rateLimitWaits = 0
    this.rateLimitWaitMillis = 0
    this.requestBytes = -1
    this.responseBytes = -1
    this.span = span
    this.done = false
  }

  /** `withBase`: the platform's per-attempt span is not wanted (the operation's span suffices). */
  skipAttemptSpan(): void {
    this.attemptSpan = false
  }

  /** `withAttempt`: the limiter holds the next attempt back for `millis`. */
  rateLimitWait(millis: number): void {
    this.rateLimitWaits++
    this.rateLimitWaitMillis += millis
    Metrics.rateLimitWaits.unsafeUpdate(1, this.labels.base)
    Metrics.rateLimitWaitTime.unsafeUpdate(millis, this.labels.base)
  }

  /**
   * `withAttempt`: an attempt goes on the wire now, with `timer` for a native transport to arm
   * (`undefined` when the layer races the attempt itself, or there is no limit).
   */
  beginAttempt(timer: AttemptTimeout | undefined, requestBytes: number): void {
    this.attempts++
    this.attemptTimer = timer
    this.requestBytes = requestBytes
  }

  /** The transport: the timer of the attempt it dispatches, taken once. */
  takeAttemptTimer(): AttemptTimeout | undefined {
    const timer = this.attemptTimer
    this.attemptTimer = undefined
    return timer
  }

  /**
   * `withRetry`: an attempt ended in a retryable outcome; `reached` when it may have reached the
   * handler (anything but a refused connection or a 429), so the final error must not claim otherwise.
   */
  retryableOutcome(reached: boolean): void {
    if (reached) this.mayHaveActed = true
  }

  /** `withRetry`: attempt `attempt` is followed by another after `waitMillis`, for `reason`. */
  retryScheduled(attempt: number, reason: string, waitMillis: number, nowNanos: bigint): void {
    this.retries++
    Metrics.retries.unsafeUpdate(1, this.labels.reason(reason))
    this.span?.event("kratos.retry", nowNanos, {
      "kratos.attempt": attempt,
      "kratos.retry.reason": reason,
      "kratos.retry.wait_ms": waitMillis
    })
  }

  /** The interpreter: the final response arrived. */
  responded(status: number, bytes: number): void {
    this.status = status
    this.responseBytes = bytes
    // a client stack without the admission layer does not count attempts
    if (this.attempts === 0) this.attempts = 1
  }

  /** The interpreter: the call failed before any response (its final error is being built). */
  failedWithoutResponse(): void {
    if (this.attempts === 0) this.attempts = 1
  }

  /**
   * The interpreter's exit handler: the call is over, with `outcome` (the final status, or what
   * failed it); its metrics are counted and its span gets the call's totals.
   */
  finish(outcome: string | number, nowMillis: number): void {
    this.done = true
    Metrics.requests.unsafeUpdate(1, this.labels.outcome(outcome))
    Metrics.duration.unsafeUpdate(nowMillis - this.startedAt, this.labels.base)
    const span = this.span
    if (span === undefined) return
    span.attribute("kratos.attempts", this.attempts)
    if (this.retries > 0) span.attribute("kratos.retries", this.retries)
    if (this.status !== undefined) span.attribute("http.response.status_code", this.status)
    if (this.rateLimitWaits > 0) {
      span.attribute("kratos.rate_limit.waits", this.rateLimitWaits)
      span.attribute("kratos.rate_limit.wait_ms", this.rateLimitWaitMillis)
    }
    if (this.requestBytes >= 0) span.attribute("http.request.body.size", this.requestBytes)
    if (this.responseBytes >= 0) span.attribute("http.response.body.size", this.responseBytes)
  }
}

export const currentCall: FiberRef.FiberRef<CallContext | undefined> = globalValue(
  "effect-kratos/internal/client/currentCall",
  () => FiberRef.unsafeMake<CallContext | undefined>(undefined)
)

type FiberLike = { getFiberRef<A>(ref: FiberRef.FiberRef<A>): A; id(): unknown }

/**
 * The interpreter: the context of a new call on `fiber`, the fiber's finished one reset, or a new
 * one (`fresh`) that the caller must set on `currentCall` before sending.
 */
export const enterCall = (
  fiber: FiberLike,
  labels: Metrics.OperationLabels,
  safety: Safety,
  startedAt: number,
  deadlineAt: number,
  span: Tracer.Span | undefined
): { readonly ctx: CallContext; readonly fresh: boolean } => {
  const owner = fiber.id()
  const previous = fiber.getFiberRef(currentCall)
  const observer = fiber.getFiberRef(currentCallObserver)
  if (previous !== undefined && previous.done && previous.owner === owner) {
    previous.reuse(labels, safety, startedAt, deadlineAt, span)
    previous.observer = observer
    return { ctx: previous, fresh: false }
  }
  const ctx = new CallContext(labels, safety, startedAt, deadlineAt, span, owner)
  ctx.observer = observer
  return { ctx, fresh: true }
}

/** The layers: the call the fiber is in, if any (a finished one is absent). */
export const activeCall = (fiber: { getFiberRef<A>(ref: FiberRef.FiberRef<A>): A }): CallContext | undefined => {
  const call = fiber.getFiberRef(currentCall)
  return call === undefined || call.done ? undefined : call
}

/**
 * The one hook for code above the client (the bulk importer) into calls it makes, set on its fiber
 * with `Effect.locally` and read once per call (`enterCall`).
 */
export interface CallObserver {
  /**
   * The final response arrived, before its body is read: the importer frees its wire slot there,
   * so the next batch is on the socket while this one's results are decoded.
   */
  readonly responded?: ((status: number) => Effect.Effect<void>) | undefined
  /**
   * The call is about to wait `millis` before its next attempt (a retry's backoff or the server's
   * Retry-After, or the rate limiter for a second or more), for `reason`: the importer shows it.
   */
  readonly waiting?: ((millis: number, reason: string) => Effect.Effect<void>) | undefined
}

export const currentCallObserver: FiberRef.FiberRef<CallObserver | undefined> = globalValue(
  "effect-kratos/internal/client/currentCallObserver",
  () => FiberRef.unsafeMake<CallObserver | undefined>(undefined)
)

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new CallContext(new Metrics.OperationLabels("none"), "safe", 0, Infinity, undefined, undefined))
