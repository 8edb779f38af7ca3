/**
 * The layered `HttpClient` every operation of a client shares: base URL, bearer auth, user agent,
 * `Accept: application/json`, no trace propagation to the third-party server; per attempt a
 * timeout, the concurrency cap, the (adaptive) rate limiter and Ory Network's one-write-per-path
 * rule; around all of it the safety-aware retry with its client-wide budget.
 *
 * Each layer is an exported `HttpClient => HttpClient` function, so a user can rebuild the stack
 * differently and provide it as `KratosHttpClient` (see `IdentityApi.layerWithoutHttpClient`).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AdaptiveRateLimiter from "./AdaptiveRateLimiter.js"
import { activeCall } from "./internal/client/context.js"
import { recordRate } from "./internal/client/metrics.js"
import { AttemptTimeout, classifyTransport, hasNativeAttemptTimer, safetyOfMethod } from "./internal/client/transport.js"
import { Gate } from "./internal/client/gate.js"
import { handOff } from "./internal/eventLoop.js"
import { isLiveClock, timeoutFail } from "./internal/client/timeout.js"
import * as RetryPolicy from "./RetryPolicy.js"

/** @since 0.1.0 @category models */
export interface ClientOptions {
  /** The admin API's base URL, e.g. `http://127.0.0.1:4434` or `https://<slug>.projects.oryapis.com`. */
  readonly baseUrl: string
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Allow sending the key over plain http to a non-loopback host. */
  readonly allowInsecureApiKey?: boolean | undefined
  readonly userAgent?: string | undefined
  /** Per attempt, until the response headers arrive (default 30 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** The whole call, retries included (default 2 min). */
  readonly deadline?: Duration.DurationInput | undefined
  /** `false` disables retries. */
  readonly retry?: false | RetryPolicy.RetryOptions | undefined
  /**
   * Client-side rate limiting; default `{ adaptive: true }` (off until the first 429), `false` for none.
   */
  readonly rateLimit?: false | AdaptiveRateLimiter.RateLimitOptions | undefined
  /** Requests in flight at most (default 16). */
  readonly maxConcurrency?: number | undefined
  /** Ory Network's "one write per path at a time": serialise non-GET requests per path. */
  readonly serializeWritesPerPath?: boolean | undefined
  /** Keep the platform's `http.client` span per attempt (default off; each operation has its own span). */
  readonly attemptSpans?: boolean | undefined
  /**
   * Resolves a host name to its addresses. Only consulted for a `*.localhost` name given a key over
   * plain http: such a name counts as loopback when every address it resolves to is one. Without a
   * resolver it does not (the client modules use no Node built-in, so they cannot resolve by themselves).
   */
  readonly resolveHost?: ((hostname: string) => Promise<ReadonlyArray<string>>) | undefined
}

/** What a client reports about itself (never the key). @since 0.1.0 @category models */
export interface ClientStatus {
  readonly baseUrl: string
  readonly authConfigured: boolean
  readonly rateLimit: AdaptiveRateLimiter.RateLimiterStatus | undefined
  /** Tokens left in the retry budget (`undefined` when retries or the budget are off). */
  readonly retryBudget: number | undefined
  readonly inFlight: number
  readonly maxConcurrency: number
  /** Non-GET requests are serialised per path (`serializeWritesPerPath`). */
  readonly serializeWritesPerPath?: boolean
}

/** The client cannot be built from these options. @since 0.1.0 @category errors */
export class ClientConfigError extends Schema.TaggedError<ClientConfigError>()("ClientConfigError", {
  reason: Schema.Literal("InsecureApiKey", "InvalidBaseUrl"),
  message: Schema.String
}) {}

/** @since 0.1.0 @category models */
export interface Service {
  readonly client: HttpClient.HttpClient
  readonly baseUrl: string
  /** Whole-call deadline. */
  readonly deadline: Duration.Duration
  readonly status: Effect.Effect<ClientStatus>
}

/** @since 0.1.0 @category tags */
export class KratosHttpClient extends Context.Tag("effect-kratos/KratosHttpClient")<KratosHttpClient, Service>() {}

const bare = (hostname: string): string => hostname.replace(/^\[|\]$/g, "").toLowerCase()

const isLoopbackAddress = (address: string): boolean => address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(address)

// `*.localhost` is not taken on its name: only when it resolves to loopback (see `make`)
const isLoopback = (hostname: string): boolean => {
  const h = bare(hostname)
  return h === "localhost" || isLoopbackAddress(h)
}

/** A URL as it may be printed: user info (`user:password@`) removed, even from text that does not parse. */
export const printableUrl = (text: string): string => text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1")

/**
 * Checks the base URL and refuses a key over plain http to a non-loopback host.
 *
 * @since 0.1.0 @category constructors
 */
export const validateOptions = (options: ClientOptions): Either.Either<URL, ClientConfigError> => {
  let url: URL
  try {
    url = new URL(options.baseUrl)
  } catch {
    return Either.left(
      new ClientConfigError({
        reason: "InvalidBaseUrl",
        message: `Invalid base URL: ${printableUrl(options.baseUrl)} (expected http(s)://host[:port])`
      })
    )
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Either.left(
      new ClientConfigError({ reason: "InvalidBaseUrl", message: `Base URL must be http(s): ${printableUrl(options.baseUrl)}` })
    )
  }
  if (url.username !== "" || url.password !== "") {
    return Either.left(
      new ClientConfigError({
        reason: "InvalidBaseUrl",
        message: `The base URL must not carry user info (user:password@): ${printableUrl(options.baseUrl)}; ` +
          `pass the API key as apiKey`
      })
    )
  }
  if (options.apiKey !== undefined && url.protocol === "http:" && !isLoopback(url.hostname) && !options.allowInsecureApiKey) {
    return Either.left(
      new ClientConfigError({
        reason: "InsecureApiKey",
        message: `Refusing to send the API key over plain http to ${url.host}; use https, ` +
          `or set allowInsecureApiKey if this network is trusted.`
      })
    )
  }
  return Either.right(url)
}

/**
 * Base URL, bearer key, user agent, JSON accept header; no trace headers to the server. The
 * platform's own per-attempt `http.client` span is off unless `attemptSpans` (the operation's
 * `Kratos.<operationId>` span carries method, status and attempts).
 *
 * @since 0.1.0 @category layers
 */
export const withBase = (options: {
  readonly baseUrl: string
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly userAgent?: string | undefined
  readonly attemptSpans?: boolean | undefined
}) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> => {
  const base = options.baseUrl.replace(/\/+$/, "")
  const userAgent = options.userAgent ?? "effect-kratos/0.1.0"
  const apiKey = options.apiKey
  const withHeaders = HttpClient.mapRequest(client, (request) =>
    HttpClientRequest.setHeaders(
      HttpClientRequest.prependUrl(request, base),
      apiKey === undefined
        ? { "user-agent": userAgent, accept: "application/json" }
        : { "user-agent": userAgent, accept: "application/json", authorization: `Bearer ${Redacted.value(apiKey)}` }
    ))
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
 * A fixed number of permits, one per request in flight: `tryTake` a free one synchronously, or
 * `take` (wait for) a released one; `release` it when the attempt is over.
 *
 * @since 0.1.0 @category models
 */
export interface ConcurrencyGate {
  readonly free: number
  readonly tryTake: () => boolean
  readonly take: Effect.Effect<void>
  readonly release: () => void
}

/**
 * A FIFO gate of `permits` permits, cheaper per request than `Effect.Semaphore`.
 *
 * @since 0.1.0 @category constructors
 */
export const makeGate = (permits: number): ConcurrencyGate => new Gate(permits)

/** The shared admission state of `withAttempt`. @since 0.1.0 @category models */
export interface Admission {
  readonly limiter: AdaptiveRateLimiter.AdaptiveRateLimiter | undefined
  /** The concurrency cap (`makeGate`). */
  readonly gate: ConcurrencyGate
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
 *
 * @since 0.1.0 @category layers
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
      (lock) =>
        lock.users > 1
          // the waiting writer reaches the socket before this caller decodes its response
          ? Effect.zipLeft(lock.semaphore.withPermits(1)(effect), handOff)
          : lock.semaphore.withPermits(1)(effect),
      (lock) =>
        Effect.sync(() => {
          if (--lock.users === 0) locks.delete(path)
        })
    )
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
          if (limiter !== undefined) {
            const wait = limiter.unsafeTake(now)
            // re-check after a short sleep: the rate may have risen meanwhile
            if (wait > 0) {
              const millis = Math.ceil(Math.min(wait, 0.25) * 1000)
              if (call !== undefined) call.rateLimitWait(millis)
              return Effect.flatMap(restore(Effect.sleep(Duration.millis(millis))), attempt)
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
 *
 * @since 0.1.0 @category layers
 */
export const withRetry = (options: RetryPolicy.ResolvedRetryOptions, budget: RetryPolicy.RetryBudget) =>
<R>(
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, R>
): HttpClient.HttpClient.With<HttpClientError.HttpClientError, R> =>
  HttpClient.transform(client, (effect, request) =>
    Effect.withFiberRuntime((fiber) => {
      const call = activeCall(fiber)
      const safety = call?.safety ?? safetyOfMethod(request.method)
      const loop = (
        attempt: number,
        lastKind: Option.Option<RetryPolicy.RetryKind>
      ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError, R> => {
        return Effect.matchEffect(effect, {
          onSuccess: (response) => {
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
          call.retryableOutcome(outcome._tag === "Status" ? outcome.status !== 429 : outcome.reason !== "ConnectionRefused")
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
              outcome._tag === "Status" ? String(outcome.status) : outcome.reason,
              Duration.toMillis(wait.value),
              yield* Clock.currentTimeNanos
            )
          }
          yield* Effect.sleep(wait.value)
          return yield* loop(attempt + 1, kind)
        })
      }
      return loop(1, Option.none())
    }))

/** Whether every address a name resolves to is a loopback address (false when it does not resolve). */
const resolvesToLoopback = (
  hostname: string,
  resolveHost: ClientOptions["resolveHost"]
): Effect.Effect<boolean> =>
  resolveHost === undefined
    ? Effect.succeed(false)
    : Effect.tryPromise(() => resolveHost(bare(hostname))).pipe(
      Effect.map((all) => all.length > 0 && all.every(isLoopbackAddress)),
      Effect.orElseSucceed(() => false)
    )

/**
 * Builds the layered client from options, once: the limiter, semaphore and retry budget it holds
 * are shared by every operation and fiber using it.
 *
 * @since 0.1.0 @category constructors
 */
export const make = (
  options: ClientOptions
): Effect.Effect<Service, ClientConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    yield* Effect.suspend(() => validateOptions(options)).pipe(
      Effect.catchIf(
        (e) => e.reason === "InsecureApiKey" && bare(new URL(options.baseUrl).hostname).endsWith(".localhost"),
        (e) => resolvesToLoopback(new URL(options.baseUrl).hostname, options.resolveHost).pipe(Effect.flatMap((ok) => ok ? Effect.void : Effect.fail(e)))
      )
    )
    const transport = yield* HttpClient.HttpClient
    const maxConcurrency = Math.max(1, options.maxConcurrency ?? 16)
    const rateLimit = options.rateLimit === undefined ? { adaptive: true } : options.rateLimit
    const limiter = rateLimit === false ? undefined : yield* AdaptiveRateLimiter.make(rateLimit)
    const retryOptions = options.retry === false ? undefined : RetryPolicy.resolve(options.retry)
    const budget = retryOptions === undefined || retryOptions.budget === false
      ? undefined
      : yield* RetryPolicy.makeBudget(retryOptions.budget)
    const admission: Admission = {
      limiter,
      gate: makeGate(maxConcurrency),
      serializeWritesPerPath: options.serializeWritesPerPath ?? false,
      inFlight: { value: 0 }
    }
    const attempt = transport.pipe(
      withBase(options),
      withAttempt({ ...admission, timeout: options.timeout ?? "30 seconds", nativeTimer: hasNativeAttemptTimer(transport) })
    )
    const client = retryOptions === undefined
      ? attempt
      : withRetry(retryOptions, budget ?? RetryPolicy.unlimitedBudget)(attempt)
    const baseUrl = options.baseUrl.replace(/\/+$/, "")
    return {
      client,
      baseUrl,
      deadline: Duration.decode(options.deadline ?? "2 minutes"),
      status: Effect.gen(function*() {
        return {
          baseUrl,
          authConfigured: options.apiKey !== undefined,
          rateLimit: limiter === undefined ? undefined : yield* limiter.status,
          retryBudget: budget === undefined ? undefined : yield* budget.tokens,
          inFlight: admission.inFlight.value,
          maxConcurrency,
          serializeWritesPerPath: admission.serializeWritesPerPath
        }
      })
    }
  })

/** @since 0.1.0 @category layers */
export const layer = (
  options: ClientOptions
): Layer.Layer<KratosHttpClient, ClientConfigError, HttpClient.HttpClient> =>
  Layer.effect(KratosHttpClient, make(options))
