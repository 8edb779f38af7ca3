/**
 * The transforms every request of a client goes through, innermost first: `withBase` (URL, key,
 * headers, the platform's attempt span), `withAttempt` (concurrency cap, rate limiter, per-path
 * write lock, attempt timer) and `withRetry`. `KratosHttpClient.make` stacks them once per client;
 * each reads and writes the call in flight only through `context.ts`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import type * as AdaptiveRateLimiter from "../../AdaptiveRateLimiter.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import { activeCall, type CallContext } from "./context.js"
import type { Gate } from "./gate.js"
import { recordRate } from "./metrics.js"
import { isLiveClock, timeoutFail } from "./timeout.js"
import { AttemptTimeout, classifyTransport, hasNativeAttemptTimer, safetyOfMethod } from "./transport.js"

/**
 * Base URL, bearer key, user agent, JSON accept header; no trace headers to the server. The
 * platform's own per-attempt `http.client` span is off unless `attemptSpans` (the operation's
 * `Kratos.<operationId>` span carries method, status and attempts).
 */
export const withBase = (options: {
  readonly baseUrl: string
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly userAgent?: string | undefined
  readonly attemptSpans?: boolean | undefined
}) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> => {
  const base = options.baseUrl.replace(/\/+$/, "")
  const baseOrigin = new URL(base).origin
  const userAgent = options.userAgent ?? "effect-kratos/0.1.0"
  const apiKey = options.apiKey
  const plain = { "user-agent": userAgent, accept: "application/json" }
  const keyed = apiKey === undefined ? plain : { ...plain, authorization: `Bearer ${Redacted.value(apiKey)}` }
  const withHeaders = HttpClient.mapRequest(client, (request) => {
    // A request already absolute (a redirect the interpreter follows) keeps its URL, and gets the
    // key only on the base URL's own origin: the key never goes to another host.
    if (/^https?:\/\//i.test(request.url)) {
      const sameOrigin = URL.canParse(request.url) && new URL(request.url).origin === baseOrigin
      return HttpClientRequest.setHeaders(request, sameOrigin ? keyed : plain)
    }
    return HttpClientRequest.setHeaders(HttpClientRequest.prependUrl(request, base), keyed)
  })
  // without the attempt span there is nothing to propagate: one fiber-ref change per attempt, not two
  if (options.attemptSpans) {
    // the attempt spans are children of the operation's span, which the interpreter does not make current
    return HttpClient.transform(HttpClient.withTracerPropagation(withHeaders, false), (effect) =>
      Effect.withFiberRuntime((fiber) => {
        const span = activeCall(fiber)?.span
        return span === undefined ? effect : Effect.withParentSpan(effect, span)
      }))
  }
  if (!hasNativeAttemptTimer(client)) return HttpClient.withTracerDisabledWhen(withHeaders, () => true)
  // a native transport takes the choice from the call instead: no fiber-ref change at all
  return HttpClient.transform(withHeaders, (effect) =>
    Effect.withFiberRuntime((fiber) => {
      const call = activeCall(fiber)
      if (call === undefined) return Effect.locally(effect, HttpClient.currentTracerDisabledWhen, () => true)
      call.skipAttemptSpan()
      return effect
    }))
}

/**
 * The time one request's token takes to come back, from an `x-ratelimit-limit` such as
 * `5, 5;w=1, 120;w=60` (quota per window in seconds): the slowest window's rate binds.
 */
export const refillMillis = (limit: string | undefined): number | undefined => {
  if (limit === undefined) return undefined
  let rate = Infinity
  for (const part of limit.split(",")) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*;\s*w\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part)
    if (m !== null && Number(m[2]) > 0) rate = Math.min(rate, Number(m[1]) / Number(m[2]))
  }
  return Number.isFinite(rate) && rate > 0 ? Math.ceil(1000 / rate) : undefined
}

/**
 * A wait before the next attempt, told to the call's observer first and again each second with
 * what is left, so a progress line counts down a long wait instead of freezing on its start.
 */
const pause = (call: CallContext | undefined, millis: number, reason: string): Effect.Effect<void> => {
  const told = call?.observer?.waiting
  if (told === undefined) return Effect.sleep(Duration.millis(millis))
  const step = (left: number): Effect.Effect<void> =>
    Effect.zipRight(
      told(left, reason),
      left > 1000
        ? Effect.zipRight(Effect.sleep(Duration.millis(1000)), Effect.suspend(() => step(left - 1000)))
        : Effect.sleep(Duration.millis(left))
    )
  return step(millis)
}

/** The shared admission state of `withAttempt`. */
export interface Admission {
  readonly limiter: AdaptiveRateLimiter.AdaptiveRateLimiter | undefined
  /** The concurrency cap. */
  readonly gate: Gate
  readonly serializeWritesPerPath: boolean
  readonly inFlight: { value: number }
  /**
   * The transport arms the attempt timer itself (`UndiciHttpClient` does): with the live clock,
   * calls of the interpreter hand it the timer instead of racing the request in a second fiber.
   */
  readonly nativeTimer?: boolean | undefined
}

/**
 * One attempt: a permit of the concurrency cap, a token of the rate limiter, (option) the per-path
 * write lock, then the request under a timer of `timeout` or what is left of the call's deadline,
 * whichever is shorter (one timer race per attempt bounds both; a timeout fails as a transport
 * error the retry layer recognises). 429s are reported back to the limiter. Counts attempts.
 */
export const withAttempt = (admission: Admission & { readonly timeout: Duration.DurationInput }) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | HttpClientError.RequestError, R> => {
  const { gate, inFlight, limiter } = admission
  const timeoutMillis = Duration.toMillis(Duration.decode(admission.timeout))
  const locks = new Map<string, { readonly semaphore: Effect.Semaphore; users: number }>()
  const withPathLock = <A, E1, R1>(request: HttpClientRequest.HttpClientRequest, effect: Effect.Effect<A, E1, R1>) => {
    if (!admission.serializeWritesPerPath || request.method === "GET" || request.method === "HEAD") return effect
    let path: string
    try {
      path = new URL(request.url).pathname
    } catch {
      path = request.url
    }
    return Effect.acquireUseRelease(
      Effect.sync(() => {
        let lock = locks.get(path)
        if (lock === undefined) {
          lock = { semaphore: Effect.unsafeMakeSemaphore(1), users: 0 }
          locks.set(path, lock)
        }
        lock.users++
        return lock
      }),
      (lock) => lock.semaphore.withPermits(1)(effect),
      (lock) =>
        Effect.sync(() => {
          if (--lock.users === 0) locks.delete(path)
        })
    )
  }
  // The server's word on its bucket: a response that left no request (`x-ratelimit-remaining: 0`)
  // holds the next request that draws from the same bucket until a token is back at the rate it
  // states, so a rate-limited server (Ory Network) is not asked in vain and answers no 429. The
  // bucket is the operation's (Ory Network counts every operation of a bucket together); a request
  // made outside an operation is keyed by its method and path.
  const holds = new Map<string, number>()
  const holdKey = (request: HttpClientRequest.HttpClientRequest, call: CallContext | undefined): string => {
    const bucket = call?.labels.bucket
    if (bucket !== undefined) return bucket
    let path: string
    try {
      path = new URL(request.url).pathname
    } catch {
      path = request.url
    }
    return `${request.method} ${path}`
  }
  const noteLimit = (
    request: HttpClientRequest.HttpClientRequest,
    call: CallContext | undefined,
    response: HttpClientResponse.HttpClientResponse,
    now: number
  ) => {
    if (response.headers["x-ratelimit-remaining"] !== "0") return
    const millis = refillMillis(response.headers["x-ratelimit-limit"])
    if (millis !== undefined) holds.set(holdKey(request, call), now + millis)
  }
  return HttpClient.transform(client, (effect, request) =>
    Effect.withFiberRuntime((fiber) => {
      const call = activeCall(fiber)
      const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
      const native = admission.nativeTimer === true && call !== undefined && isLiveClock(clock)
      // one uninterruptible region holds the permit and settles the attempt
      const admitted = Effect.uninterruptibleMask((restore) => {
        let sentAt: number | undefined
        const settle = (throttled: boolean) => {
          gate.release()
          if (sentAt === undefined) return
          inFlight.value--
          if (limiter !== undefined) {
            const rate = limiter.unsafeRecord(clock.unsafeCurrentTimeMillis(), throttled, sentAt)
            if (rate !== undefined) recordRate(rate)
          }
        }
        const attempt = (): Effect.Effect<
          HttpClientResponse.HttpClientResponse,
          E | HttpClientError.RequestError,
          R
        > => {
          const now = clock.unsafeCurrentTimeMillis()
          if (limiter !== undefined && holds.size > 0) {
            const key = holdKey(request, call)
            const until = holds.get(key)
            if (until !== undefined && until > now) {
              if (call !== undefined) call.rateLimitWait(until - now)
              return Effect.flatMap(restore(pause(call, until - now, "rate limited: the server's bucket is empty")), attempt)
            }
            if (until !== undefined) holds.delete(key)
          }
          if (limiter !== undefined) {
            const wait = limiter.unsafeTake(now)
            // re-check after a short sleep: the rate may have risen meanwhile
            if (wait > 0) {
              const millis = Math.ceil(Math.min(wait, 0.25) * 1000)
              if (call !== undefined) call.rateLimitWait(millis)
              const told = wait >= 1 && call?.observer?.waiting !== undefined
                ? Effect.zipRight(call.observer.waiting(Math.ceil(wait * 1000), "rate limited by the client's limiter"), Effect.sleep(Duration.millis(millis)))
                : Effect.sleep(Duration.millis(millis))
              return Effect.flatMap(restore(told), attempt)
            }
          }
          inFlight.value++
          sentAt = now
          const remaining = call === undefined ? Infinity : Math.max(0, call.deadlineAt - now)
          const byDeadline = remaining < timeoutMillis
          const millis = byDeadline ? remaining : timeoutMillis
          const timed = Number.isFinite(millis)
          if (call !== undefined) {
            call.beginAttempt(native && timed ? new AttemptTimeout(millis, byDeadline) : undefined, bodySize(request))
          }
          return timed && !native ? restore(race(effect, request, millis, byDeadline)) : restore(effect)
        }
        const held = Effect.matchCauseEffect(Effect.suspend(attempt), {
          onFailure: (cause) => {
            settle(false)
            return Effect.failCause(cause)
          },
          onSuccess: (response) => {
            if (limiter !== undefined) noteLimit(request, call, response, clock.unsafeCurrentTimeMillis())
            settle(response.status === 429)
            return Effect.succeed(response)
          }
        })
        return gate.tryTake() ? held : Effect.zipRight(restore(gate.take), held)
      })
      return withPathLock(request, admitted)
    }))
}

const race = <E, R>(
  effect: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  request: HttpClientRequest.HttpClientRequest,
  millis: number,
  byDeadline: boolean
) =>
  timeoutFail(effect, millis, () => {
    const cause = new AttemptTimeout(millis, byDeadline)
    return new HttpClientError.RequestError({ request, reason: "Transport", description: cause.toString(), cause })
  })

const bodySize = (request: HttpClientRequest.HttpClientRequest): number => {
  const body = request.body
  return body._tag === "Uint8Array" ? body.body.byteLength : body._tag === "Empty" ? 0 : -1
}

const drain = (response: HttpClientResponse.HttpClientResponse) => Effect.ignore(response.text)

const lowerHeaders = (response: HttpClientResponse.HttpClientResponse) =>
  response.headers as Readonly<Record<string, string | undefined>>

/**
 * Retries by the operation's safety (see `RetryPolicy.classify`), waiting the jittered backoff or
 * the server's hint, while the client-wide budget can pay. A retryable response that is not retried
 * is returned as is, so the caller still turns it into its typed error.
 */
export const withRetry = (options: RetryPolicy.ResolvedRetryOptions, budget: RetryPolicy.RetryBudget) =>
<R>(
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, R>
): HttpClient.HttpClient.With<HttpClientError.HttpClientError, R> =>
  HttpClient.transform(client, (effect, request) =>
    Effect.withFiberRuntime((fiber) => {
      const call = activeCall(fiber)
      const safety = call?.safety ?? safetyOfMethod(request.method)
      // a batch may have created some identities before its transaction failed: the importer decides
      const batch = call?.labels.operation === "batchPatchIdentities"
      const loop = (
        attempt: number,
        lastKind: Option.Option<RetryPolicy.RetryKind>
      ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError, R> => {
        return Effect.matchEffect(effect, {
          onSuccess: (response) => {
            if (response.status === 400 && !batch) {
              // a 400 is read here only to tell Kratos' aborted transaction from a refusal; the
              // caller gets the same answer back
              return Effect.flatMap(Effect.orElseSucceed(response.text, () => ""), (text) => {
                const again = HttpClientResponse.fromWeb(
                  response.request,
                  new Response(text, { status: 400, headers: response.headers as Record<string, string> })
                )
                return RetryPolicy.isConcurrentUpdate(400, text)
                  ? retry(attempt, { _tag: "ConcurrentUpdate" }, Option.none(), Effect.succeed(again))
                  : Effect.as(budget.release(lastKind), again)
              })
            }
            if (!RetryPolicy.isRetryableStatus(response.status)) {
              return Effect.as(budget.release(lastKind), response)
            }
            return retry(attempt, { _tag: "Status", status: response.status }, Option.some(response), Effect.succeed(response))
          },
          onFailure: (error) =>
            error._tag === "RequestError" && error.reason === "Transport"
              ? retry(
                attempt,
                { _tag: "Transport", reason: classifyTransport(error) },
                Option.none(),
                Effect.fail(error)
              )
              : Effect.fail(error)
        })
      }
      const retry = (
        attempt: number,
        outcome: RetryPolicy.Outcome,
        response: Option.Option<HttpClientResponse.HttpClientResponse>,
        giveUp: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
      ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError, R> => {
        // anything but a refused connection or a 429 may have reached the handler: the call's
        // final transport error must not claim otherwise
        if (call !== undefined) {
          call.retryableOutcome(
            outcome._tag === "Status"
              ? outcome.status !== 429
              : outcome._tag === "Transport" && outcome.reason !== "ConnectionRefused"
          )
        }
        if (attempt >= options.maxAttempts) return giveUp
        const kind = RetryPolicy.classify(safety, outcome, options)
        if (Option.isNone(kind)) return giveUp
        return Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const serverHint = Option.match(response, {
            onNone: () => Option.none<Duration.Duration>(),
            onSome: (r) => RetryPolicy.hint(r.status, lowerHeaders(r), now)
          })
          const wait = RetryPolicy.delay(options, attempt, yield* Random.next, serverHint)
          if (Option.isNone(wait)) return yield* giveUp
          // no retry that could not finish before the call's deadline: the last answer is more useful
          if (call !== undefined && now + Duration.toMillis(wait.value) >= call.deadlineAt) return yield* giveUp
          if (!(yield* budget.tryAcquire(kind.value))) return yield* giveUp
          if (Option.isSome(response)) yield* drain(response.value)
          if (call !== undefined) {
            call.retryScheduled(
              attempt,
              outcome._tag === "Status" ? String(outcome.status) : outcome._tag === "Transport" ? outcome.reason : "ConcurrentUpdate",
              Duration.toMillis(wait.value),
              yield* Clock.currentTimeNanos
            )
          }
          const reason = outcome._tag === "Status"
            ? outcome.status === 429 ? "429 rate limited" : `${outcome.status}, retrying`
            : outcome._tag === "Transport" ? `${outcome.reason}, retrying` : "retrying"
          yield* pause(call, Duration.toMillis(wait.value), reason)
          return yield* loop(attempt + 1, kind)
        })
      }
      return loop(1, Option.none())
    }))
