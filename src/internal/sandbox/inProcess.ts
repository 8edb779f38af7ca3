/**
 * The in-process adapter: an `HttpClient` that hands requests straight to `core.handle`, no
 * socket, so every sleep in the sandbox follows the caller's clock (`TestClock` in tests).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { SandboxCore } from "./core.js"

const bodyBytes = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Uint8Array, HttpClientError.RequestError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(new Uint8Array(0))
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "Raw":
      return Effect.succeed(
        typeof body.body === "string"
          ? new TextEncoder().encode(body.body)
          : body.body instanceof Uint8Array
            ? body.body
            : new TextEncoder().encode(String(body.body))
      )
    case "Stream":
      return Stream.runCollect(body.stream).pipe(
        Effect.map((chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks))),
        Effect.mapError((cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause }))
      )
    case "FormData":
      return Effect.fail(new HttpClientError.RequestError({ request, reason: "Encode", description: "FormData bodies are not supported by the sandbox" }))
  }
}

/** @internal */
export const makeClient = (core: SandboxCore): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = yield* bodyBytes(request)
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v
      if (body.length > 0 && request.body._tag !== "Empty" && "contentType" in request.body && !headers["content-type"]) {
        headers["content-type"] = (request.body as { contentType: string }).contentType
      }
      const res = yield* core.handle({ method: request.method, url: url.pathname + url.search, headers, body })
      if (res.reset) {
        return yield* Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: "connection reset by the sandbox" }))
      }
      const nullBody = res.status === 204 || res.status === 304 || res.status < 200
      return HttpClientResponse.fromWeb(request, new Response(nullBody ? null : res.body ?? "", { status: res.status, headers: res.headers }))
    })
  )
