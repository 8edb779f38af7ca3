/**
 * The lean undici transport: the response it answers, interruption, and how its transport
 * failures reach the client's typed errors. (Every operation also runs over it in operations.test.ts.)
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { inspect } from "node:util"
import * as IdentityApiModule from "../../src/IdentityApi.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import { loopbackServer } from "../support/loopback.js"
import { clientFor, fixture } from "./helpers.js"

describe("UndiciHttpClient", () => {
  it.scoped("the response: status, lowercase headers, body reads, cookies, inspection", () =>
    Effect.gen(function*() {
      const url = yield* loopbackServer((req, res) => {
        let body = ""
        req.on("data", (c) => (body += c))
        req.on("end", () => {
          res.setHeader("Set-Cookie", ["a=1; Path=/", "b=2"])
          res.setHeader("X-Request-Id", "r-1")
          res.setHeader("Content-Type", "application/json")
          res.end(JSON.stringify({ method: req.method, path: req.url, body, auth: req.headers["authorization"] ?? null }))
        })
      })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.execute(
        HttpClientRequest.post(`${url}/echo`, { urlParams: { q: "1 2" } }).pipe(
          HttpClientRequest.bearerToken("t"),
          HttpClientRequest.bodyUnsafeJson({ hello: "wörld" })
        )
      )
      expect(response.status).toBe(200)
      expect(response.headers["x-request-id"]).toBe("r-1")
      expect(response.headers["content-type"]).toBe("application/json")
      const json = (yield* response.json) as Record<string, unknown>
      expect(json).toEqual({ method: "POST", path: "/echo?q=1+2", body: JSON.stringify({ hello: "wörld" }), auth: "Bearer t" })
      // the body can be read again, in any form
      expect(JSON.parse(yield* response.text)).toEqual(json)
      expect(new TextDecoder().decode(yield* response.arrayBuffer)).toBe(yield* response.text)
      const chunks = yield* Stream.runCollect(response.stream)
      expect(Buffer.concat(Chunk.toReadonlyArray(chunks)).toString()).toBe(yield* response.text)
      expect(response.cookies.cookies["a"]?.value).toBe("1")
      expect(response.cookies.cookies["b"]?.value).toBe("2")
      expect(Option.isNone(response.remoteAddress)).toBe(true)
      expect(yield* Effect.flip(response.formData)).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(response.toJSON()).toMatchObject({ _id: "@effect/platform/HttpClientResponse", status: 200 })
      expect(inspect(response)).toContain("HttpClientResponse")
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("empty and non-JSON bodies; a streamed request body", () =>
    Effect.gen(function*() {
      const url = yield* loopbackServer((req, res) => {
        let body = ""
        req.on("data", (c) => (body += c))
        req.on("end", () => {
          if (req.url === "/empty") {
            res.writeHead(204)
            res.end()
          } else {
            res.writeHead(200, { "content-type": "text/plain" })
            res.end(`got ${body}`)
          }
        })
      })
      const client = yield* HttpClient.HttpClient
      const empty = yield* client.get(`${url}/empty`)
      expect(empty.status).toBe(204)
      expect(yield* empty.json).toBeNull()
      expect(Chunk.size(yield* Stream.runCollect(empty.stream))).toBe(0)
      const text = yield* client.execute(
        HttpClientRequest.post(`${url}/stream`).pipe(
          HttpClientRequest.bodyStream(Stream.make(new TextEncoder().encode("a"), new TextEncoder().encode("b")))
        )
      )
      expect(yield* text.text).toBe("got ab")
      expect(yield* Effect.flip(text.json)).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      expect(Object.fromEntries(yield* text.urlParamsBody)).toEqual({ "got ab": "" })
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("interruption aborts the request on the wire", () =>
    Effect.gen(function*() {
      const received = yield* Deferred.make<void>()
      const closed = yield* Deferred.make<void>()
      const url = yield* loopbackServer((_req, res) => {
        // never answers; the client going away closes the connection
        res.on("close", () => Deferred.unsafeDone(closed, Effect.void))
        Deferred.unsafeDone(received, Effect.void)
      })
      const client = yield* HttpClient.HttpClient
      const fiber = yield* Effect.fork(client.get(`${url}/hang`))
      yield* Deferred.await(received)
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(closed).pipe(Effect.timeout("5 seconds"))
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scopedLive("through the client: a live attempt timeout and an interrupted call both abort the request", () =>
    Effect.gen(function*() {
      let closed = 0
      // the server sees the close when its event loop gets to it (late on a loaded machine)
      const closedCount = (n: number) =>
        Effect.suspend(() => (closed >= n ? Effect.succeed(closed) : Effect.fail("open"))).pipe(
          Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 500 }),
          Effect.flatMap((count) => Effect.sync(() => expect(count).toBe(n)))
        )
      const received = yield* Deferred.make<void>()
      const url = yield* loopbackServer((_req, res) => {
        res.on("close", () => closed++)
        Deferred.unsafeDone(received, Effect.void)
      })
      // long enough for the request to reach the server on a loaded machine (else there is nothing to close)
      const api = yield* IdentityApiModule.make({ baseUrl: url, retry: false, timeout: "1 second" })
      const error = yield* Effect.flip(api.listIdentities())
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout", attempts: 1 })
      yield* closedCount(1)
      const patient = yield* IdentityApiModule.make({ baseUrl: url, retry: false })
      const fiber = yield* Effect.fork(patient.listIdentities())
      yield* Deferred.await(received)
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(fiber)
      yield* closedCount(2)
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.scoped("no trace headers to the server; the platform's attempt span only with attemptSpans", () =>
    Effect.gen(function*() {
      const seen: Array<string | undefined> = []
      const url = yield* loopbackServer((req, res) => {
        seen.push(req.headers["traceparent"] as string | undefined)
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify([]))
      })
      const spans: Array<string> = []
      const base = yield* Effect.tracer
      const tracer = Tracer.make({
        span: (...args) => {
          spans.push(args[0])
          return base.span(...args)
        },
        context: base.context
      })
      for (const attemptSpans of [false, true]) {
        const api = yield* IdentityApiModule.make({ baseUrl: url, retry: false, attemptSpans })
        yield* api.listIdentitySchemas().pipe(Effect.withTracer(tracer))
      }
      expect(seen).toEqual([undefined, undefined])
      expect(spans.filter((s) => s.startsWith("http.client"))).toEqual(["http.client GET"])
      expect(spans.filter((s) => s === "Kratos.listIdentitySchemas")).toHaveLength(2)
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.live("sent stays true when an earlier attempt may have acted, though the last was refused", () =>
    Effect.gen(function*() {
      // the first DELETE is cut after it arrived; then the server is gone: the retries are refused
      const s = http.createServer((req) => {
        req.socket.destroy()
        s.close()
      })
      yield* Effect.async<void>((resume) => void s.listen(0, "127.0.0.1", () => resume(Effect.void)))
      const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`
      const api = yield* IdentityApiModule.make({ baseUrl: url, retry: { base: "1 millis", maxAttempts: 3 } })
      const error = yield* Effect.flip(api.deleteIdentity({ id: "5b9d0c3e-8e0f-4c55-9d0c-6f7a2b1c3d4e" as never }))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "ConnectionRefused", sent: true, attempts: 3 })
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.live("a refused connection is a TransportError ConnectionRefused, not sent", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApiModule.make({ baseUrl: "http://127.0.0.1:1", retry: false })
      const error = yield* Effect.flip(api.createIdentity({ body: { traits: {} } }))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "ConnectionRefused", sent: false, attempts: 1 })
    }).pipe(Effect.provide(UndiciHttpClient.layer())))

  it.effect("a reset connection is a TransportError ConnectionReset, sent; a GET is retried over it", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      yield* sb.script("createIdentity", [{ reset: true }])
      const error = yield* Effect.flip(api.createIdentity({ body: { traits: { email: "reset@example.com" } } }))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "ConnectionReset", sent: true })
      yield* sb.script("getIdentity", [{ reset: true }])
      expect((yield* api.getIdentity({ id: f.identityId })).id).toBe(f.identityId)
    }).pipe(
      Effect.provide(
        clientFor({ retry: { base: "1 millis" } }).pipe(
          Layer.provideMerge(Layer.merge(Sandbox.layer(), UndiciHttpClient.layer()))
        )
      )
    ))
})
