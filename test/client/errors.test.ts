/**
 * Failures the client makes itself: invalid input (nothing sent), a lying server
 * (ResponseDecodeError), refused connections, configuration from the environment, refusing a key
 * over plain http, and what spans carry (never the key). Plus the type-level failure sets.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as dns from "node:dns/promises"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as IdentityApiModule from "../../src/IdentityApi.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import type { Conflict, NotFound } from "../../src/KratosError.js"
import * as KratosHttpClient from "../../src/KratosHttpClient.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import { callOp, clientFor, fixture, id, key, sid } from "./helpers.js"

const loopback = clientFor({ retry: false }).pipe(
  Layer.provideMerge(Layer.merge(Sandbox.layer(), NodeHttpClient.layerUndici))
)

describe("invalid input is refused before any request", () => {
  it.effect("malformed ids, batch limits, refused patches, bad durations, combined filters", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      yield* sb.reset
      const cases: ReadonlyArray<readonly [Parameters<typeof callOp>[1], unknown, RegExp]> = [
        ["getIdentity", { id: "not-a-uuid" }, /Universally Unique Identifier|UUID/],
        ["getSession", { id: "x" }, /Universally Unique Identifier|UUID/],
        [
          "batchPatchIdentities",
          { body: { identities: Array.from({ length: 1001 }, () => ({ create: { traits: {} } })) } },
          /1000/
        ],
        [
          "batchPatchIdentities",
          {
            body: {
              identities: Array.from({ length: 201 }, (_, i) => ({
                create: {
                  traits: { email: `${i}@x.io` },
                  credentials: { password: { config: { password: Redacted.make("pw") } } }
                }
              }))
            }
          },
          /200/
        ],
        ["patchIdentity", { id: f.identityId, body: [{ op: "move", from: "/traits/a", path: "/traits/b" }] }, /unsupported operation: move/],
        ["patchIdentity", { id: f.identityId, body: [{ op: "replace", path: "/id", value: "x" }] }, /denied path: \/id/],
        ["createRecoveryLinkForIdentity", { body: { identity_id: f.identityId, expires_in: "3 days" } }, /expires_in/],
        ["listIdentities", { ids: [f.identityId], credentials_identifier: "a@b.c" }, /combine multiple filters/],
        ["deleteIdentityCredentials", { id: f.identityId, type: "oidc" }, /identifier/],
        ["listIdentities", { page_size: 0 }, /page_size/]
      ]
      for (const [name, input, message] of cases) {
        const error = yield* Effect.flip(callOp(api, name, input))
        expect(error._tag, name).toBe("InvalidInput")
        if (error._tag === "InvalidInput") {
          expect(error.operation).toBe(name)
          expect(error.message, name).toMatch(message)
        }
      }
      expect(yield* sb.requests).toEqual([])
    }).pipe(Effect.provide(loopback)))
})

/** A server that answers every request with the given status and raw body. */
const lyingServer = (status: number, body: string) =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer((_, res) => {
        res.writeHead(status, { "content-type": "application/json", "x-request-id": "lie-1" })
        res.end(body)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

/** A client at a URL, over the test's HttpClient (provided per test: the undici dispatcher is scoped). */
const clientAt = (baseUrl: string, options: Partial<IdentityApiModule.ClientOptions> = {}) =>
  IdentityApiModule.make({ baseUrl, retry: false, ...options })

describe("responses that do not match", () => {
  it.scoped("a body that breaks the schema is a ResponseDecodeError with the schema's complaint", () =>
    Effect.gen(function*() {
      const url = yield* lyingServer(200, JSON.stringify({ id: 5, traits: "nope" }))
      const api = yield* clientAt(url)
      const error = yield* Effect.flip(api.getIdentity({ id: id("8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60") }))
      expect(error._tag).toBe("ResponseDecodeError")
      if (error._tag === "ResponseDecodeError") {
        expect(error.operation).toBe("getIdentity")
        expect(error.status).toBe(200)
        expect(error.message).toMatch(/id|schema_id/)
        expect(error.requestId).toBe("lie-1")
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a body that is not JSON is a ResponseDecodeError", () =>
    Effect.gen(function*() {
      const url = yield* lyingServer(200, "<html>surprise</html>")
      const api = yield* clientAt(url)
      const error = yield* Effect.flip(api.listIdentities())
      expect(error._tag).toBe("ResponseDecodeError")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("an error body that is not Kratos-shaped still gives the typed status error", () =>
    Effect.gen(function*() {
      const url = yield* lyingServer(404, "gone")
      const api = yield* clientAt(url)
      const error = yield* Effect.flip(api.getSession({ id: sid("8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60") }))
      expect(error._tag).toBe("NotFound")
      if (error._tag === "NotFound") expect(error.message).toBe("gone")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a refused connection is a TransportError that was not sent, retried even for unsafe writes", () =>
    Effect.gen(function*() {
      const api = yield* clientAt("http://127.0.0.1:1", { retry: { maxAttempts: 2, base: "1 millis" } })
      const error = yield* Effect.flip(api.createIdentity({ body: { traits: {} } }))
      expect(error._tag).toBe("TransportError")
      if (error._tag === "TransportError") {
        expect(error.reason).toBe("ConnectionRefused")
        expect(error.sent).toBe(false)
        expect(error.attempts).toBe(2)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("resets over real sockets", () => {
  it.effect("a connection destroyed mid-request: unsafe write fails ConnectionReset (sent), GET is retried", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const f = yield* fixture
      yield* sb.script("createIdentity", [{ reset: true }])
      const error = yield* Effect.flip(api.createIdentity({ body: { traits: { email: "reset@example.com" } } }))
      expect(error._tag).toBe("TransportError")
      if (error._tag === "TransportError") {
        expect(error.reason).toBe("ConnectionReset")
        expect(error.sent).toBe(true)
      }
      yield* sb.script("getIdentity", [{ reset: true }])
      expect((yield* api.getIdentity({ id: f.identityId })).id).toBe(f.identityId)
    }).pipe(
      Effect.provide(
        clientFor({ retry: { base: "1 millis" } }).pipe(
          Layer.provideMerge(Layer.merge(Sandbox.layer(), NodeHttpClient.layerUndici))
        )
      )
    ))
})

describe("configuration", () => {
  const withEnv = (env: Record<string, string>) =>
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.live("layerConfig reads ORY_SDK_URL / KRATOS_ADMIN_URL and ORY_API_KEY / ORY_PROJECT_API_KEY", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      const run = (env: Record<string, string>) =>
        Effect.flatMap(IdentityApi, (api) => api.listIdentities()).pipe(
          Effect.provide(IdentityApi.layerConfig(Config.map(IdentityApi.config, (c) => ({ ...c, retry: false as const }))).pipe(Layer.provide(withEnv(env)))),
          Effect.provide(NodeHttpClient.layerUndici),
          Effect.exit
        )
      const k = Redacted.value(key)
      expect(Exit.isSuccess(yield* run({ KRATOS_ADMIN_URL: sb.url, ORY_PROJECT_API_KEY: k }))).toBe(true)
      expect(Exit.isSuccess(yield* run({ ORY_SDK_URL: sb.url, ORY_API_KEY: k }))).toBe(true)
      // the primary names win over the fallbacks
      expect(Exit.isSuccess(yield* run({ ORY_SDK_URL: sb.url, KRATOS_ADMIN_URL: "http://127.0.0.1:1", ORY_API_KEY: k, ORY_PROJECT_API_KEY: "wrong" })))
        .toBe(true)
      const noKey = yield* run({ ORY_SDK_URL: sb.url })
      expect(Exit.isFailure(noKey) && JSON.stringify(noKey.cause).includes("Unauthorized")).toBe(true)
      const missing = yield* run({})
      expect(Exit.isFailure(missing) && JSON.stringify(missing.cause).includes("ORY_SDK_URL")).toBe(true)
    }).pipe(Effect.provide(Sandbox.layer({ apiKey: key }))))

  it.live("layerConfig everywhere: a sandbox, a transport and a client read from Config", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      expect((yield* api.listIdentities()).items).toEqual([])
      expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    }).pipe(
      Effect.provide(
        Layer.unwrapEffect(Effect.map(Sandbox.Sandbox, (sb) =>
          IdentityApi.layerWithoutHttpClient.pipe(
            Layer.provide(KratosHttpClient.layerConfig({ baseUrl: Config.succeed(sb.url), apiKey: Config.redacted("SANDBOX_KEY") })),
            Layer.provide(UndiciHttpClient.layerConfig({ agent: Config.succeed({ connections: 2 }) }))
          ))).pipe(
          Layer.provideMerge(Sandbox.layerConfig({ apiKey: Config.string("SANDBOX_KEY") })),
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SANDBOX_KEY", Redacted.value(key)]]))))
        )
      )
    ))

  it.effect("unusable options fail the layer with ClientConfigError, nothing is sent", () =>
    Effect.gen(function*() {
      let sent = 0
      const counting = Layer.succeed(
        HttpClient.HttpClient,
        HttpClient.make((request) => Effect.die(`unexpected request ${(sent++, request.url)}`))
      )
      const build = (options: Parameters<typeof IdentityApi.layer>[0]) =>
        Effect.flip(Layer.build(IdentityApi.layer(options)).pipe(Effect.provide(counting), Effect.scoped))
      const insecure = yield* build({ baseUrl: "http://kratos.example.com:4434", apiKey: key })
      expect(insecure._tag).toBe("ClientConfigError")
      expect(insecure.reason).toBe("InsecureApiKey")
      expect(insecure.message).toMatch(/Refusing to send the API key over plain http/)
      const notUrl = yield* build({ baseUrl: "notaurl" })
      expect(notUrl.reason).toBe("InvalidBaseUrl")
      const ftp = yield* build({ baseUrl: "ftp://kratos.example.com" })
      expect(ftp.reason).toBe("InvalidBaseUrl")
      const userInfo = yield* build({ baseUrl: "https://admin:s3cret-pw@kratos.example.com" })
      expect(userInfo.reason).toBe("InvalidBaseUrl")
      expect(userInfo.message).not.toContain("s3cret-pw")
      expect(userInfo.message).toContain("https://kratos.example.com")
      // *.localhost counts as loopback only when it resolves there
      const name = "kratos.does-not-resolve-test.localhost"
      const resolvesLocally = yield* Effect.promise(() =>
        dns.lookup(name, { all: true }).then((all) => all.every((a) => a.address.startsWith("127.") || a.address === "::1"), () => false)
      )
      const sub = yield* Effect.exit(
        Layer.build(IdentityApi.layer({ baseUrl: `http://${name}:4434`, apiKey: key })).pipe(Effect.provide(counting), Effect.scoped)
      )
      expect(Exit.isSuccess(sub)).toBe(resolvesLocally)
      expect(sent).toBe(0)
      for (const ok of [
        { baseUrl: "https://kratos.example.com", apiKey: key },
        { baseUrl: "http://127.0.0.1:4434", apiKey: key },
        { baseUrl: "http://localhost:4434", apiKey: key },
        { baseUrl: "http://[::1]:4434", apiKey: key },
        { baseUrl: "http://kratos.internal:4434", apiKey: key, allowInsecureApiKey: true },
        { baseUrl: "http://kratos.internal:4434" }
      ]) {
        const built = yield* Effect.exit(
          Layer.build(IdentityApi.layer(ok)).pipe(Effect.provide(counting), Effect.scoped)
        )
        expect(Exit.isSuccess(built), ok.baseUrl).toBe(true)
      }
    }))
})

describe("observability", () => {
  it.effect("a span per operation, Kratos.<operationId>, with attempts and status, never the key", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const base = yield* Effect.tracer
      const tracer = Tracer.make({
        span: (...args) => {
          const span = base.span(...args)
          spans.push(span)
          return span
        },
        context: base.context
      })
      const f = yield* fixture
      const api = yield* IdentityApi
      yield* api.getIdentity({ id: f.identityId }).pipe(Effect.withTracer(tracer))
      const span = spans.find((s) => s.name === "Kratos.getIdentity")
      expect(span).toBeDefined()
      expect(span?.attributes.get("kratos.attempts")).toBe(1)
      expect(span?.attributes.get("http.response.status_code")).toBe(200)
      const dump = JSON.stringify(spans.map((s) => [s.name, [...s.attributes.entries()]]))
      expect(dump).not.toContain(Redacted.value(key))
      expect(dump).not.toContain("traceparent")
    }).pipe(
      Effect.provide(
        clientFor({ apiKey: key }).pipe(
          Layer.provideMerge(Layer.merge(Sandbox.layer({ apiKey: key }), NodeHttpClient.layerUndici))
        )
      )
    ))
})

describe("types", () => {
  it("each method's failure type is exactly the operation's declared set", () => {
    type Api = IdentityApiModule.Service
    type GetErr = Effect.Effect.Error<ReturnType<Api["getIdentity"]>>
    type CreateErr = Effect.Effect.Error<ReturnType<Api["createIdentity"]>>
    expectTypeOf<Conflict>().not.toMatchTypeOf<GetErr>()
    expectTypeOf<Conflict>().toMatchTypeOf<CreateErr>()
    expectTypeOf<NotFound>().toMatchTypeOf<GetErr>()
    expectTypeOf<NotFound>().not.toMatchTypeOf<CreateErr>()
    expectTypeOf<Effect.Effect.Success<ReturnType<Api["deleteIdentity"]>>>().toEqualTypeOf<void>()
    expectTypeOf<Effect.Effect.Success<ReturnType<Api["extendSession"]>>>().toMatchTypeOf<object | undefined>()
  })
})
