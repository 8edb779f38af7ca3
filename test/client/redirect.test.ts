/**
 * Kratos serves the identity schemas on its public API; its admin port answers `/schemas` with a 307
 * to the public one. Over real loopback, with the transports users run: the schema calls follow it
 * once, to another origin, without the API key; nothing else is followed.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as http from "node:http"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import { loopbackServer } from "../support/loopback.js"
import { unknownId } from "./helpers.js"

interface Seen {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
}

/** A loopback server answering with `handler`, recording what it was sent; closed with the scope. */
const server = (handler: http.RequestListener) => {
  const seen: Array<Seen> = []
  return Effect.map(
    loopbackServer((req, res) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization })
      handler(req, res)
    }),
    (url) => ({ url, seen })
  )
}

const schemaBody = JSON.stringify([{ id: "default", schema: { type: "object" } }])

const setup = Effect.gen(function*() {
  const pub = yield* server((req, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" })
    res.end(req.url?.startsWith("/schemas/") ? JSON.stringify({ type: "object" }) : schemaBody)
  })
  const admin = yield* server((req, res) => {
    const url = req.url ?? "/"
    if (url.startsWith("/schemas")) {
      res.writeHead(307, { location: `${pub.url}${url}`, "content-type": "text/html; charset=utf-8" })
      res.end(`<a href="${pub.url}${url}">Temporary Redirect</a>.\n`)
    } else if (url.startsWith("/same")) {
      res.writeHead(307, { location: "/admin/identities" })
      res.end()
    } else {
      res.writeHead(307, { location: `${pub.url}${url}` })
      res.end()
    }
  })
  return { admin, pub }
})

const clientOn = (baseUrl: string, transport: Layer.Layer<import("@effect/platform/HttpClient").HttpClient>) =>
  IdentityApi.layer({ baseUrl, apiKey: Redacted.make("ory_pat_secret-key"), retry: false }).pipe(Layer.provide(transport))

describe("schema calls follow the admin port's redirect to the public API", () => {
  for (const [name, transport] of [["undici", UndiciHttpClient.layer()], ["fetch", FetchHttpClient.layer]] as const) {
    it.scopedLive(`${name}: listed and fetched from the public origin, never with the key`, () =>
      Effect.gen(function*() {
        const { admin, pub } = yield* setup
        const result = yield* Effect.gen(function*() {
          const api = yield* IdentityApi
          const list = yield* api.listIdentitySchemas()
          const one = yield* api.getIdentitySchema({ id: "default" })
          // an admin operation redirected elsewhere is not followed: its key stays home
          const moved = yield* Effect.flip(api.getIdentity({ id: unknownId }))
          return { list, one, moved }
        }).pipe(Effect.provide(clientOn(admin.url, transport)))
        expect(result.list.items.map((s) => s.id)).toEqual(["default"])
        expect(result.one).toEqual({ type: "object" })
        if (name === "undici") {
          expect(result.moved._tag).toBe("UnexpectedStatus")
          expect(pub.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["GET /schemas", "GET /schemas/default"])
        } else {
          // fetch follows every redirect itself, dropping Authorization across origins (the Fetch standard)
          expect(pub.seen.map((s) => `${s.method} ${s.url}`)).toContain("GET /schemas/default")
        }
        expect(pub.seen.every((s) => s.authorization === undefined)).toBe(true)
        // the admin origin got its key as always
        expect(admin.seen.every((s) => s.authorization === "Bearer ory_pat_secret-key")).toBe(true)
      }))
  }

  it.scopedLive("a redirect to the same origin is not followed: the 307 surfaces", () =>
    Effect.gen(function*() {
      const { admin } = yield* setup
      const base = `${admin.url}/same`
      const error = yield* Effect.flip(
        Effect.flatMap(IdentityApi, (api) => api.listIdentitySchemas()).pipe(Effect.provide(clientOn(base, UndiciHttpClient.layer())))
      )
      expect(error._tag).toBe("UnexpectedStatus")
      expect(admin.seen).toHaveLength(1)
    }))
})
