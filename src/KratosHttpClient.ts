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
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AdaptiveRateLimiter from "./AdaptiveRateLimiter.js"
import { hasNativeAttemptTimer } from "./internal/client/transport.js"
import { Gate } from "./internal/client/gate.js"
import { type Admission, withAttempt, withBase, withRetry } from "./internal/client/pipeline.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 0.1.0
 * @category models
 */
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

/**
 * What a client reports about itself (never the key).
 *
 * @since 0.1.0
 * @category models
 */
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

/**
 * The client cannot be built from these options.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClientConfigError extends Schema.TaggedError<ClientConfigError>()("ClientConfigError", {
  reason: Schema.Literal("InsecureApiKey", "InvalidBaseUrl"),
  message: Schema.String
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly client: HttpClient.HttpClient
  readonly baseUrl: string
  /** Whole-call deadline. */
  readonly deadline: Duration.Duration
  readonly status: Effect.Effect<ClientStatus>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class KratosHttpClient extends Context.Tag("effect-kratos/KratosHttpClient")<KratosHttpClient, Service>() {}

const bare = (hostname: string): string => hostname.replace(/^\[|\]$/g, "").toLowerCase()

const isLoopbackAddress = (address: string): boolean => address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(address)

// `*.localhost` is not taken on its name: only when it resolves to loopback (see `make`)
const isLoopback = (hostname: string): boolean => {
  const h = bare(hostname)
  return h === "localhost" || isLoopbackAddress(h)
}

/**
 * A URL as it may be printed: user info (`user:password@`) removed, even from text that does not parse.
 *
 * @since 0.1.0
 * @category utils
 */
export const printableUrl = (text: string): string => text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1")

/**
 * Checks the base URL and refuses a key over plain http to a non-loopback host.
 *
 * @since 0.1.0
 * @category constructors
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
 * @since 0.1.0
 * @category constructors
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
      gate: new Gate(maxConcurrency),
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

/**
 * The layered client from options (`make`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: ClientOptions
): Layer.Layer<KratosHttpClient, ClientConfigError, HttpClient.HttpClient> =>
  Layer.effect(KratosHttpClient, make(options))

/**
 * `layer` with its options read from `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ClientOptions>
): Layer.Layer<KratosHttpClient, ClientConfigError | ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
