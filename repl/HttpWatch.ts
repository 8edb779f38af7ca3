/**
 * What the CLI shows about its HTTP exchanges, from a wrapper around the transport (so each
 * attempt is seen, retries included): with `--debug`, one stderr line per exchange (method, path
 * and query, status, duration, attempt, rate-limit headers, request id; the Authorization value
 * never); on a terminal, a line saying the command is waiting once an answer takes over a second.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import { activeCall } from "../src/internal/client/context.js"
import { NativeAttemptTimer } from "../src/internal/client/transport.js"

/** Where the lines go. */
export interface Watchers {
  /** One line per exchange (`--debug`). */
  readonly debug?: ((line: string) => Effect.Effect<void>) | undefined
  /** A transient line while a request waits (`undefined` clears it); a terminal only. */
  readonly waiting?: ((text: string | undefined) => Effect.Effect<void>) | undefined
}

const rateLimitHeader = /^(x-)?ratelimit-|^retry-after$/i

/** The one `--debug` line of an exchange. */
export const debugLine = (exchange: {
  readonly method: string
  readonly url: string
  /** The query string, without `?`. */
  readonly query: string
  readonly outcome: string
  readonly millis: number
  readonly attempt: number | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly authorization: boolean
}): string => {
  const u = new URL(exchange.url)
  const parts = [
    `debug: ${exchange.method} ${u.pathname}${exchange.query !== "" ? `?${exchange.query}` : u.search}`,
    `-> ${exchange.outcome}`,
    `${Math.round(exchange.millis)}ms`,
    ...(exchange.attempt !== undefined ? [`attempt ${exchange.attempt}`] : []),
    ...Object.entries(exchange.headers).filter(([k]) => rateLimitHeader.test(k)).map(([k, v]) => `${k.toLowerCase()}=${v}`),
    ...(exchange.headers["x-request-id"] !== undefined ? [`request-id=${exchange.headers["x-request-id"]}`] : []),
    ...(exchange.authorization ? ["authorization=<redacted>"] : [])
  ]
  return parts.join(" ")
}

const errorOutcome = (e: unknown): string => {
  const tag = e !== null && typeof e === "object" && "_tag" in e ? String(e._tag) : "error"
  const reason = e !== null && typeof e === "object" && "reason" in e ? String(e.reason) : ""
  return `${tag}${reason !== "" ? ` (${reason})` : ""}`
}

/**
 * Milliseconds on a monotonic clock, for durations: `process.hrtime` rather than
 * `performance.now()`, whose global makes Node load perf_hooks at a command's first request.
 */
const monotonicMillis = (): number => Number(process.hrtime.bigint()) / 1e6

/** The transport with the watchers around each request; unchanged when there are none. */
export const watch = (transport: HttpClient.HttpClient, watchers: Watchers): HttpClient.HttpClient => {
  const { debug, waiting } = watchers
  if (debug === undefined && waiting === undefined) return transport
  const wrapped = HttpClient.transform(transport, (effect, request) =>
    Effect.gen(function*() {
      const started = monotonicMillis()
      const attempt = yield* Effect.withFiberRuntime<number | undefined>((fiber) => Effect.succeed(activeCall(fiber)?.attempts))
      const host = new URL(request.url).host
      let shown = false
      const ticker = waiting === undefined ? undefined : yield* Effect.forkDaemon(
        Effect.repeat(
          Effect.suspend(() => {
            shown = true
            const s = Math.round((monotonicMillis() - started) / 1000)
            return waiting(`waiting for ${host} (${request.method} ${new URL(request.url).pathname}) ${s}s… Ctrl-C to stop`)
          }),
          Schedule.spaced(Duration.seconds(1))
        ).pipe(Effect.delay(Duration.seconds(1)))
      )
      const stop = ticker === undefined
        ? Effect.void
        : Effect.zipRight(Fiber.interrupt(ticker), Effect.suspend(() => (shown && waiting ? waiting(undefined) : Effect.void)))
      const log = (outcome: string, headers: Readonly<Record<string, string>>) =>
        debug === undefined ? Effect.void : debug(debugLine({
          method: request.method,
          url: request.url,
          query: UrlParams.toString(request.urlParams),
          outcome,
          millis: monotonicMillis() - started,
          attempt,
          headers,
          authorization: request.headers["authorization"] !== undefined
        }))
      return yield* effect.pipe(
        Effect.onExit(() => stop),
        Effect.tap((response) => log(String(response.status), response.headers)),
        Effect.tapErrorCause((cause) => log(Cause.isInterruptedOnly(cause) ? "interrupted" : errorOutcome(Cause.squash(cause)), {}))
      )
    }))
  return (transport as unknown as Record<symbol, unknown>)[NativeAttemptTimer] === true
    ? Object.assign(wrapped, { [NativeAttemptTimer]: true })
    : wrapped
}
