/**
 * A lean `HttpClient` over undici's dispatcher, for JSON APIs such as Kratos' admin API.
 *
 * `NodeHttpClient.layerUndici` goes through `Dispatcher.request`, which wraps every response body
 * in a Node `Readable` and parses headers into a `Headers` copy on each access; on loopback that
 * costs more CPU than the rest of the client. This transport dispatches with a plain handler,
 * collects the (small) body as it arrives and answers a response whose body is already in memory:
 * `text`, `json`, `arrayBuffer` and `stream` are reads of that buffer. The request is complete
 * when the effect succeeds, so a per-attempt timeout around it bounds the body too.
 *
 * Not for large downloads: the whole body is buffered (use `NodeHttpClient` for those).
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TraceContext from "@effect/platform/HttpTraceContext"
import { Agent, type Dispatcher } from "undici"
import { activeCall } from "./internal/client/context.js"
import { type AttemptTimeout, NativeAttemptTimer } from "./internal/client/transport.js"

/**
 * The dispatcher the client sends through.
 *
 * @since 0.1.0
 * @category tags
 */
export class UndiciDispatcher extends Context.Tag("effect-kratos/UndiciHttpClient/UndiciDispatcher")<
  UndiciDispatcher,
  Dispatcher
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Options of the keep-alive `Agent` the layer owns (e.g. `connections`, `keepAliveTimeout`, `connect`). */
  readonly agent?: Agent.Options | undefined
}

const emptyBody = new Uint8Array(0)

const toBody = (
  body: HttpClientRequest.HttpClientRequest["body"]
): Dispatcher.DispatchOptions["body"] => {
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return body.body
    case "Raw":
      return body.body as Dispatcher.DispatchOptions["body"]
    case "FormData":
      return body.formData as unknown as Dispatcher.DispatchOptions["body"]
    case "Stream":
      return NodeStream.toReadableNever(body.stream as Stream.Stream<Uint8Array, unknown>)
  }
}

/** Raw header pairs → a lowercase record; repeated headers are joined, `set-cookie` kept apart for cookies. */
const parseHeaders = (raw: ReadonlyArray<Buffer | string>): { headers: Headers.Headers; setCookie: Array<string> } => {
  const record: Record<string, string> = {}
  const setCookie: Array<string> = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i].toString("latin1").toLowerCase()
    const value = raw[i + 1].toString("latin1")
    if (key === "set-cookie") setCookie.push(value)
    // an own-property check keeps `__proto__` and friends from touching the prototype
    record[key] = Object.hasOwn(record, key) ? `${record[key]}, ${value}` : value
  }
  return { headers: Headers.unsafeFromRecord(record), setCookie }
}

/**
 * One request through a dispatcher: the legacy handler protocol is the one undici's core speaks
 * (new-style handlers get wrapped), and it is what `Dispatcher.request` itself uses. Interruption
 * aborts the request at once; the body is in memory when this succeeds, so no abort signal has to
 * outlive it (the platform's `HttpClient.make` keeps one per response, with a finalization registry).
 */
const dispatch = (
  dispatcher: Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  timer: AttemptTimeout | undefined
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError> =>
  Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
    let abort: ((reason?: Error) => void) | undefined
    let timeout: ReturnType<typeof setTimeout> | undefined
    let done = false
    let interrupted = false
    let status = 0
    let parsed: ReturnType<typeof parseHeaders> | undefined
    let chunks: Array<Buffer> | undefined
    const fail = (cause: unknown) =>
      resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
    // the request is over (answered, failed, timed out or interrupted): later callbacks are ignored
    const finish = () => {
      done = true
      if (timeout !== undefined) clearTimeout(timeout)
    }
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        if (interrupted) abortRequest(new Error("The request was interrupted"))
        else abort = abortRequest
      },
      onHeaders(statusCode, rawHeaders) {
        // 1xx informational answers come before the real one
        if (statusCode < 200) return true
        status = statusCode
        parsed = parseHeaders(rawHeaders)
        return true
      },
      onData(chunk) {
        if (chunks === undefined) chunks = [chunk]
        else chunks.push(chunk)
        return true
      },
      onComplete() {
        if (done) return
        finish()
        const body = chunks === undefined
          ? emptyBody
          : chunks.length === 1
          ? chunks[0]
          : Buffer.concat(chunks)
        const { headers, setCookie } = parsed ?? { headers: Headers.empty, setCookie: [] }
        resume(Effect.succeed(new UndiciResponse(request, status, headers, setCookie, body)))
      },
      onError(error) {
        if (done) return
        finish()
        fail(error)
      }
    }
    if (timer !== undefined) {
      timeout = setTimeout(() => {
        if (done) return
        finish()
        interrupted = true
        if (abort !== undefined) abort(new Error(timer.toString()))
        resume(Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", description: timer.toString(), cause: timer })
        ))
      }, timer.millis)
    }
    try {
      dispatcher.dispatch({
        origin: url.origin,
        path: url.pathname + url.search,
        method: request.method,
        headers: request.headers,
        body: toBody(request.body),
        // timeouts belong to the caller (Effect.timeout, the client's attempt timer)
        headersTimeout: 0,
        bodyTimeout: 0
      }, handler)
    } catch (error) {
      finish()
      fail(error)
      return
    }
    return Effect.sync(() => {
      if (done) return
      finish()
      interrupted = true
      if (abort !== undefined) abort(new Error("The request was interrupted"))
    })
  })

/** The request with the platform's `http.client` span (same name, attributes and propagation). */
const traced = (
  dispatcher: Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  timer: AttemptTimeout | undefined,
  fiber: { readonly currentContext: Context.Context<never>; getFiberRef<A>(ref: FiberRef.FiberRef<A>): A }
) => {
  const nameGenerator = Context.get(fiber.currentContext, HttpClient.SpanNameGenerator)
  const redactedNames = fiber.getFiberRef(Headers.currentRedactedNames)
  return Effect.useSpan(nameGenerator(request), { kind: "client", captureStackTrace: false }, (span) => {
    span.attribute("http.request.method", request.method)
    span.attribute("server.address", url.origin)
    if (url.port !== "") span.attribute("server.port", +url.port)
    span.attribute("url.full", url.toString())
    span.attribute("url.path", url.pathname)
    span.attribute("url.scheme", url.protocol.slice(0, -1))
    const query = url.search.slice(1)
    if (query !== "") span.attribute("url.query", query)
    const redacted = Headers.redact(request.headers, redactedNames)
    for (const name in redacted) span.attribute(`http.request.header.${name}`, String(redacted[name]))
    const sent = fiber.getFiberRef(HttpClient.currentTracerPropagation)
      ? HttpClientRequest.setHeaders(request, TraceContext.toHeaders(span))
      : request
    return Effect.tap(Effect.withParentSpan(dispatch(dispatcher, sent, url, timer), span), (response) => {
      span.attribute("http.response.status_code", response.status)
      const headers = Headers.redact(response.headers, redactedNames)
      for (const name in headers) span.attribute(`http.response.header.${name}`, String(headers[name]))
    })
  })
}

/**
 * A client over a dispatcher the caller owns. Built with `HttpClient.makeWith` rather than
 * `HttpClient.make`: the same URL building, span and interruption, without the per-request abort
 * controller, response wrapper and finalization registry (a third of this client's CPU on loopback).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Dispatcher): HttpClient.HttpClient =>
  Object.assign(HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (effect) =>
      Effect.flatMap(effect, (request) =>
        Effect.withFiberRuntime((fiber) => {
          const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
          if (url._tag === "Left") {
            return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
          }
          // the attempt timer the client's attempt layer handed over, taken once
          const call = activeCall(fiber)
          const timer = call?.takeAttemptTimer()
          const untraced = (call !== undefined && !call.attemptSpan) ||
            !fiber.getFiberRef(FiberRef.currentTracerEnabled) ||
            fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)
          return untraced
            ? dispatch(dispatcher, request, url.right, timer)
            : traced(dispatcher, request, url.right, timer, fiber)
        })),
    Effect.succeed
  ), { [NativeAttemptTimer]: true })

/**
 * A keep-alive `Agent` for the life of the scope (destroyed on release: nothing in flight can
 * outlive the client).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDispatcher = (options?: Agent.Options): Effect.Effect<Dispatcher, never, import("effect/Scope").Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => new Agent(options)),
    (agent) => Effect.promise(() => agent.destroy())
  )

/**
 * The client over a scoped keep-alive `Agent` (undici's defaults unless `options.agent`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.scoped(HttpClient.HttpClient, Effect.map(makeDispatcher(options.agent), make))

/**
 * `layer` with its options read from `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config: Config.Config.Wrap<Options>): Layer.Layer<HttpClient.HttpClient, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))

/**
 * The client over the `UndiciDispatcher` in context (share one dispatcher between clients).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutDispatcher: Layer.Layer<HttpClient.HttpClient, never, UndiciDispatcher> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(UndiciDispatcher, make)
)

/** A response whose body was read in full. */
class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private textValue: string | undefined
  private cookiesValue: Cookies.Cookies | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    readonly headers: Headers.Headers,
    private readonly setCookie: ReadonlyArray<string>,
    private readonly body: Uint8Array
  ) {
    super()
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get cookies(): Cookies.Cookies {
    return this.cookiesValue ??= this.setCookie.length === 0 ? Cookies.empty : Cookies.fromSetCookie(this.setCookie)
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private get string(): string {
    return this.textValue ??= Buffer.from(this.body.buffer, this.body.byteOffset, this.body.byteLength).toString("utf8")
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.sync(() => this.string)
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const text = this.string
      if (text === "") return Effect.succeed(null)
      try {
        return Effect.succeed(JSON.parse(text) as unknown)
      } catch (cause) {
        return Effect.fail(this.decodeError(cause))
      }
    })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    // a copy: the caller owns it, and the body is a view into the socket's read buffer
    return Effect.sync(() => new Uint8Array(this.body).buffer)
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return this.body.byteLength === 0 ? Stream.empty : Stream.succeed(this.body)
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.try({
      try: () => UrlParams.fromInput(new URLSearchParams(this.string)),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () => {
        const headers = new globalThis.Headers()
        const contentType = this.headers["content-type"]
        if (contentType !== undefined) headers.set("content-type", contentType)
        return new Response(new Uint8Array(this.body), { headers }).formData()
      },
      catch: (cause) => this.decodeError(cause)
    })
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}
