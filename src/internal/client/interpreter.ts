/**
 * The one interpreter of operation declarations: encode (and so validate) the input, build the
 * request, send it through the shared client inside the call's context, dispatch on the status.
 * Everything per operation (decoders, the status table) is compiled once, on the operation's first
 * use (IdentityApi.fromHttpClient).
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { ErrorGeneric } from "../../GenericError.js"
import type { Service as HttpService } from "../../KratosHttpClient.js"
import {
  commonStatuses,
  fromStatus,
  InvalidInput,
  type KratosError,
  ResponseDecodeError,
  TransportError
} from "../../KratosError.js"
import * as Operation from "../../Operation.js"
import { nextPageToken, type Page, type StreamOptions } from "../../Pagination.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import { handOff } from "../eventLoop.js"
import * as OwnPages from "./ownPages.js"
import { lazyWireCheck } from "../lazyWireCheck.js"
import { isPlainValidation } from "../plainValidation.js"
import { type CallContext, currentCall, enterCall } from "./context.js"
import { OperationLabels } from "./metrics.js"
import * as Span from "./span.js"
import type * as ParseResult from "effect/ParseResult"
import { formatParseError } from "../parseIssues.js"
import { classifyTransport, isDeadline } from "./transport.js"

type AnyEffect = Effect.Effect<unknown, KratosError>
/** What a call does with its response once the headers arrived (by default: `dispatch`). */
type Handle = (
  response: HttpClientResponse.HttpClientResponse,
  call: CallContext,
  traced: Span.OpenSpan | undefined
) => AnyEffect

/** One line per issue, `path: complaint`, rather than the whole schema's tree. */

const decodeErrorBody = Schema.decodeUnknownOption(Schema.parseJson(ErrorGeneric))

const statusText = (status: number): string => `HTTP ${status}`

/** A failed call's outcome for the metrics: a transport failure's reason, else the error's tag. */
const failureOutcome = (cause: Cause.Cause<KratosError>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Cause.isInterruptedOnly(cause) ? "Interrupted" : "Defect"
  return failure.value._tag === "TransportError" ? failure.value.reason : failure.value._tag
}

const contentLength = (response: HttpClientResponse.HttpClientResponse): number => {
  const header = response.headers["content-length"]
  const n = header === undefined ? NaN : Number(header)
  return Number.isInteger(n) && n >= 0 ? n : -1
}

/** What one call of an operation returns before shaping (`undefined` for NoContent). */
export interface Compiled {
  readonly op: Operation.Operation
  readonly call: (input: unknown) => AnyEffect
  /** The same call for an input already in its wire form: no schema encoding. */
  readonly callEncoded: (input: unknown) => AnyEffect
  /** For list operations: the stream of items following `Link rel="next"`. */
  readonly stream?: (input: unknown, options?: StreamOptions) => Stream.Stream<unknown, KratosError>
}

/** A page whose headers arrived: the next page's token at once, its items when read. */
interface PageHead {
  readonly next: Option.Option<string>
  readonly page: Effect.Effect<Page<unknown>, KratosError>
  /** Reads and drops the body of a page nobody will read, so its connection is free again. */
  readonly discard: Effect.Effect<void>
}

const transportError = (op: string, call: CallContext, error: HttpClientError.HttpClientError): KratosError => {
  if (error._tag === "ResponseError") {
    return new ResponseDecodeError({
      operation: op,
      status: error.response.status,
      message: error.description ?? error.message,
      requestId: error.response.headers["x-request-id"],
      attempts: call.attempts
    })
  }
  if (error.reason !== "Transport") {
    return new TransportError({
      operation: op,
      reason: "Other",
      message: error.description ?? error.reason,
      sent: false,
      attempts: call.attempts
    })
  }
  const reason = isDeadline(error) ? "Deadline" : classifyTransport(error)
  const cause = error.cause as { message?: unknown } | undefined
  return new TransportError({
    operation: op,
    reason,
    message: error.description ?? (typeof cause?.message === "string" ? cause.message : "transport failure"),
    sent: reason !== "ConnectionRefused" || call.mayHaveActed,
    attempts: call.attempts
  })
}

/** Compiles one operation against a client. */
export const compile = (op: Operation.Operation, http: HttpService): Compiled => {
  const name = op.name
  const spanName = `Kratos.${name}`
  const encodeInput = Schema.encodeUnknownEither(op.input)
  const declared: ReadonlySet<number> = new Set([...op.errors.map((c) => c.status), ...commonStatuses])
  const queryParams = op.params.query
  const bodyParam = op.params.body
  const paginated = op.pagination !== undefined
  const deadline = http.deadline
  const deadlineMillis = Duration.isFinite(deadline) ? Duration.toMillis(deadline) : Infinity

  const failure = (response: HttpClientResponse.HttpClientResponse, call: CallContext) =>
    Effect.flatMap(Effect.either(response.text), (text) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const body = Either.isRight(text) ? decodeErrorBody(text.right) : Option.none()
        const error = Option.map(body, (b) => b.error)
        const headers = response.headers
        const retryAfter = RetryPolicy.hint(response.status, headers, now)
        return Effect.fail(fromStatus({
          operation: name,
          status: response.status,
          message: Option.match(error, {
            onNone: () => Either.isRight(text) && text.right.length > 0 ? text.right.slice(0, 500) : statusText(response.status),
            onSome: (e) => e.message
          }),
          reason: Option.getOrUndefined(Option.flatMapNullable(error, (e) => e.reason)),
          errorId: Option.getOrUndefined(Option.flatMapNullable(error, (e) => e.id)),
          details: Option.getOrUndefined(Option.flatMapNullable(error, (e) => e.details)),
          requestId: headers["x-request-id"] ?? Option.getOrUndefined(Option.flatMapNullable(error, (e) => e.request)),
          attempts: call.attempts,
          retryAfter: Option.getOrUndefined(retryAfter)
        }, declared))
      }))

  const cases: Record<number, (response: HttpClientResponse.HttpClientResponse, call: CallContext) => AnyEffect> = {}
  for (const [key, schema] of Object.entries(op.success)) {
    const status = Number(key)
    if (schema === Operation.NoContent) {
      cases[status] = (response) => Effect.as(Effect.ignore(response.text), undefined)
      continue
    }
    // synchronous decoding: no Effect per field, and the compiled decoder is built once here
    const decode = Schema.decodeUnknownEither(schema)
    // a schema that only validates (the batch results) is checked by ajv first: valid JSON is the
    // decoded value itself, a tenth of the cost; anything else goes to the decoder, for its message
    const check = isPlainValidation(schema.ast) ? lazyWireCheck(schema) : undefined
    const decodeBody = (response: HttpClientResponse.HttpClientResponse, call: CallContext): AnyEffect =>
      Effect.matchEffect(response.text, {
        onFailure: (e) =>
          Effect.fail(
            new ResponseDecodeError({
              operation: name,
              status,
              message: e.description ?? e.message,
              requestId: response.headers["x-request-id"],
              attempts: call.attempts
            })
          ),
        onSuccess: (text) => {
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch (e) {
            return Effect.fail(
              new ResponseDecodeError({
                operation: name,
                status,
                message: `The body is not JSON: ${(e as Error).message}`,
                requestId: response.headers["x-request-id"],
                attempts: call.attempts
              })
            )
          }
          const result = (decoded: Either.Either<unknown, ParseResult.ParseError>): AnyEffect =>
            Either.isRight(decoded)
              ? Effect.succeed(decoded.right)
              : Effect.fail(
                new ResponseDecodeError({
                  operation: name,
                  status,
                  message: formatParseError(decoded.left),
                  requestId: response.headers["x-request-id"],
                  attempts: call.attempts
                })
              )
          return check === undefined
            ? result(decode(json))
            : Effect.flatMap(check, (valid) => result(valid !== undefined && valid(json) ? Either.right(json) : decode(json)))
        }
      })
    cases[status] = paginated
      ? (response, call) =>
        Effect.map(decodeBody(response, call), (items): Page<unknown> => {
          const total = response.headers["x-total-count"]
          const count = total === undefined ? NaN : Number(total)
          return {
            items: items as ReadonlyArray<unknown>,
            nextPageToken: nextPageToken(response.headers["link"]),
            totalCount: Number.isFinite(count) ? Option.some(count) : Option.none()
          }
        })
      : decodeBody
  }

  // the span ends when the body is decoded (or failed to), so it covers what the caller waits for
  const settled = <A>(effect: Effect.Effect<A, KratosError>, span: Span.OpenSpan): Effect.Effect<A, KratosError> =>
    Effect.matchCauseEffect(effect, {
      onFailure: (cause) => {
        Span.end(span, Exit.failCause(cause))
        return Effect.failCause(cause)
      },
      onSuccess: (value) => {
        Span.end(span, Exit.succeed(value))
        return Effect.succeed(value)
      }
    })

  const dispatch = (response: HttpClientResponse.HttpClientResponse, call: CallContext): AnyEffect => {
    // matchStatus over the declared success statuses; everything else becomes the typed error
    const handler = cases[response.status]
    if (handler !== undefined) return handler(response, call)
    const moved = op.auth ? undefined : redirectTarget(response)
    return moved === undefined
      ? failure(response, call)
      : Effect.zipRight(Effect.ignore(response.text), sendRequest(HttpClientRequest.get(moved)))
  }

  // Kratos serves the schemas on its public API, and its admin port answers them with a redirect
  // there. Those calls carry no key, so the redirect is followed once, to another origin only (the
  // key is never sent along: see `withBase`); any other redirect is an unexpected status.
  const baseOrigin = URL.canParse(http.baseUrl) ? new URL(http.baseUrl).origin : undefined
  const redirectTarget = (response: HttpClientResponse.HttpClientResponse): string | undefined => {
    if (response.status < 300 || response.status > 308 || op.method !== "GET") return undefined
    const location = response.headers["location"]
    const from = response.request.url
    if (location === undefined || baseOrigin === undefined || !URL.canParse(from) || new URL(from).origin !== baseOrigin) {
      return undefined
    }
    const target = URL.canParse(location, from) ? new URL(location, from) : undefined
    if (target === undefined || target.origin === baseOrigin || (target.protocol !== "http:" && target.protocol !== "https:")) {
      return undefined
    }
    return target.href
  }

  const renderPath = Operation.pathRenderer(op)
  const buildRequest = (encoded: Record<string, unknown>): HttpClientRequest.HttpClientRequest => {
    const path = renderPath(encoded)
    let urlParams: Record<string, unknown> | undefined
    for (const q of queryParams) {
      const value = encoded[q]
      if (value === undefined) continue
      ;(urlParams ??= {})[q] = value
    }
    let request = HttpClientRequest.make(op.method)(
      path,
      urlParams === undefined ? undefined : { urlParams: urlParams as HttpClientRequest.Options["urlParams"] }
    )
    const body = bodyParam === undefined ? undefined : encoded[bodyParam]
    if (body instanceof Operation.JsonText) {
      request = typeof body.text === "string"
        ? HttpClientRequest.bodyText(request, body.text, "application/json")
        : HttpClientRequest.bodyUint8Array(request, body.text, "application/json")
    }
    else if (body !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, body)
    return request
  }

  const client = http.client
  const pathParams = op.params.path
  const callWire = (encoded: Record<string, unknown>, handle?: Handle): AnyEffect => {
    // serialized text is the caller's to keep within the limits (the server refuses it otherwise)
    const refused = bodyParam !== undefined && encoded[bodyParam] instanceof Operation.JsonText
      ? undefined
      : op.check?.(encoded)
    if (refused !== undefined) return Effect.fail(new InvalidInput({ operation: name, message: refused }))
    return sendRequest(buildRequest(encoded), handle)
  }
  const sendRequest = (request: HttpClientRequest.HttpClientRequest, handle?: Handle): AnyEffect =>
    // one uninterruptible region opens and ends the call however it goes: the context and the span
    Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => {
        const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
        const traced = Span.open(fiber, spanName, "client", spanAttributes)
        const now = clock.unsafeCurrentTimeMillis()
        const { ctx, fresh } = enterCall(fiber, labels, op.safety, now, now + deadlineMillis, traced?.span)
        return send(request, ctx, fresh, traced, clock, restore, ctx.observer?.responded, handle)
      })
    )
  const call = (input: unknown, handle?: Handle): AnyEffect =>
    Effect.suspend(() => {
      const encoded = encodeInput(input ?? {})
      return Either.isLeft(encoded)
        ? Effect.fail(new InvalidInput({ operation: name, message: formatParseError(encoded.left) }))
        : callWire(encoded.right as Record<string, unknown>, handle)
    })
  // The caller vouches for the wire form (the server validates it); only what would make a wrong
  // URL is checked here.
  const callEncoded = (input: unknown): AnyEffect =>
    Effect.suspend(() => {
      if (input !== undefined && (input === null || typeof input !== "object")) {
        return Effect.fail(new InvalidInput({ operation: name, message: "the input must be an object" }))
      }
      const wire = (input ?? {}) as Record<string, unknown>
      for (const p of pathParams) {
        if (typeof wire[p] !== "string" || wire[p] === "") {
          return Effect.fail(new InvalidInput({ operation: name, message: `${p}: a non-empty string is required` }))
        }
      }
      return callWire(wire)
    })

  const labels = new OperationLabels(name, op.bucket)
  const spanAttributes = [
    ["kratos.operation", name],
    ["http.request.method", op.method],
    ["url.template", op.path]
  ] as const

  // the deadline is enforced per attempt (pipeline.ts, withAttempt) and between retries;
  // reading the body after the headers arrived is bounded by the transport's own body timeout
  const send = (
    request: HttpClientRequest.HttpClientRequest,
    ctx: CallContext,
    fresh: boolean,
    traced: Span.OpenSpan | undefined,
    clock: Clock.Clock,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    listener: ((status: number) => Effect.Effect<void>) | undefined,
    handle: Handle | undefined
  ): AnyEffect => {
    const http = fresh ? Effect.zipRight(FiberRef.set(currentCall, ctx), client.execute(request)) : client.execute(request)
    return Effect.matchCauseEffect(restore(http), {
      onFailure: (cause) => {
        ctx.failedWithoutResponse()
        const failure = Cause.failureOrCause(cause)
        const mapped = Either.isLeft(failure) ? Cause.fail(transportError(name, ctx, failure.left)) : failure.right
        ctx.finish(failureOutcome(mapped), clock.unsafeCurrentTimeMillis())
        if (traced !== undefined) Span.end(traced, Exit.failCause(mapped))
        return Effect.failCause(mapped)
      },
      onSuccess: (response) => {
        ctx.responded(response.status, contentLength(response))
        ctx.finish(response.status, clock.unsafeCurrentTimeMillis())
        const run = handle === undefined ? () => dispatch(response, ctx) : () => handle(response, ctx, traced)
        const handled = listener === undefined ? run() : Effect.zipRight(listener(response.status), Effect.suspend(run))
        // a handle ends the span itself (a read-ahead page: when its body is read or dropped)
        return traced === undefined || handle !== undefined ? restore(handled) : settled(restore(handled), traced)
      }
    })
  }

  /** The input of the page after `current`: its token, unless the link goes nowhere new. */
  const following = (current: Record<string, unknown>, token: Option.Option<string>) =>
    Option.map(Option.filter(token, (t) => t !== current["page_token"]), (t) => {
      // the link carries the token; a legacy page number would fight it
      const { page: _page, ...rest } = current
      return { ...rest, page_token: t }
    })

  // A list page as soon as its headers are in, for streams that read ahead. Errors and redirects
  // are answered as `dispatch` answers them; the span ends when the body is decoded or dropped.
  const pageHead: Handle = (response, ctx, traced) => {
    const handler = cases[response.status]
    if (handler === undefined) {
      const answered = Effect.map(dispatch(response, ctx), (result): PageHead => {
        const page = result as Page<unknown>
        return { next: page.nextPageToken, page: Effect.succeed(page), discard: Effect.void }
      })
      return traced === undefined ? answered : settled(answered, traced)
    }
    const page = handler(response, ctx) as Effect.Effect<Page<unknown>, KratosError>
    return Effect.succeed<PageHead>({
      next: nextPageToken(response.headers["link"]),
      page: traced === undefined ? page : settled(page, traced),
      discard: Effect.zipRight(
        Effect.ignore(response.text),
        Effect.sync(() => traced !== undefined && Span.end(traced, Exit.void))
      )
    })
  }

  const plainStream = (input: unknown) =>
    Stream.paginateChunkEffect(
      (input ?? {}) as Record<string, unknown>,
      (current) =>
        Effect.map(call(current), (result) => {
          const page = result as Page<unknown>
          return [
            Chunk.unsafeFromArray(page.items as Array<unknown>),
            page.items.length === 0 ? Option.none() : following(current, page.nextPageToken)
          ] as const
        })
    )

  // The next page is requested before this one's body is read, so the server's work on it overlaps
  // the decoding here; one page at most is in flight ahead, and whatever is ahead when the stream
  // ends (early exit, failure, interruption) is interrupted, its body drained.
  const readAheadStream = (input: unknown) =>
    Stream.unwrapScoped(Effect.map(Effect.scope, (scope) => {
      const head = (params: Record<string, unknown>) => call(params, pageHead) as Effect.Effect<PageHead, KratosError>
      let ahead: Fiber.RuntimeFiber<PageHead, KratosError> | undefined
      const dropAhead = Effect.suspend(() => {
        const fiber = ahead
        ahead = undefined
        return fiber === undefined
          ? Effect.void
          : Effect.flatMap(Fiber.interrupt(fiber), (exit) => Exit.isSuccess(exit) ? exit.value.discard : Effect.void)
      })
      const pages = Stream.paginateChunkEffect(
        (input ?? {}) as Record<string, unknown>,
        (current) =>
          Effect.suspend(() => {
            const fiber = ahead
            ahead = undefined
            return fiber === undefined ? head(current) : Fiber.join(fiber)
          }).pipe(
            Effect.flatMap((h) => {
              const next = following(current, h.next)
              // the hand-off lets the forked call reach the socket before this page's body is
              // parsed (undici writes it on the next turn of the event loop), and lets a pending
              // minor GC run while the previous page is already garbage
              const started = Option.isSome(next)
                ? Effect.flatMap(Effect.forkIn(head(next.value), scope), (fiber) => {
                  ahead = fiber
                  return handOff
                })
                : Effect.void
              return Effect.flatMap(Effect.zipRight(started, h.page), (page) =>
                page.items.length > 0
                  ? Effect.succeed([Chunk.unsafeFromArray(page.items as Array<unknown>), next] as const)
                  : Effect.as(dropAhead, [Chunk.empty<unknown>(), Option.none()] as const))
            })
          )
      )
      return Stream.ensuring(pages, dropAhead)
    }))

  // each page a fresh array decoded from its response, for one consumer (see ownPages.ts)
  const stream = paginated
    ? OwnPages.register((input: unknown, options?: StreamOptions) => options?.readAhead === true ? readAheadStream(input) : plainStream(input))
    : undefined

  return stream === undefined ? { op, call, callEncoded } : { op, call, callEncoded, stream }
}
