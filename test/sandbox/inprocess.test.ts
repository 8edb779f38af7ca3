import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Sandbox from "../../src/Sandbox.js"

layer(Sandbox.layerInProcess({ latency: "2 seconds" }))("sandbox in-process client", (it) => {
  it.effect("latency follows TestClock", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      const client = yield* HttpClient.HttpClient
      const fiber = yield* Effect.fork(client.get(`${sb.url}/admin/identities`))
      yield* TestClock.adjust("1999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const res = yield* Fiber.join(fiber)
      expect(res.status).toBe(200)
      expect(yield* res.json).toEqual([])
    }))

  it.effect("scripted delay + gateway timeout on the clock; reset is a Transport error", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.setOptions({ latency: undefined, gatewayTimeout: "10 seconds" })
      const client = yield* HttpClient.HttpClient
      yield* sb.script("createIdentity", [{ delay: "30 seconds" }, { reset: true }])
      const create = HttpClientRequest.post(`${sb.url}/admin/identities`).pipe(
        HttpClientRequest.bodyUnsafeJson({ traits: { email: "clock@b.co" } })
      )
      const fiber = yield* Effect.fork(client.execute(create))
      yield* TestClock.adjust("10 seconds")
      const res = yield* Fiber.join(fiber)
      expect(res.status).toBe(504)
      expect((yield* sb.identities).length).toBe(0)
      yield* TestClock.adjust("20 seconds")
      expect((yield* sb.identities).map((i: any) => i.traits.email)).toEqual(["clock@b.co"])
      const failed = yield* Effect.flip(client.execute(create))
      expect(failed._tag).toBe("RequestError")
      expect(failed._tag === "RequestError" && failed.reason).toBe("Transport")
      const created = yield* client.execute(HttpClientRequest.post(`${sb.url}/admin/identities`).pipe(
        HttpClientRequest.bodyUnsafeJson({ traits: { email: "ok@b.co" } })
      ))
      expect(created.status).toBe(201)
      expect(created.headers["location"]).toMatch(/^http:\/\/sandbox\.test\/identities\//)
    }))
})
