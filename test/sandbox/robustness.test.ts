import * as net from "node:net"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Sandbox from "../../src/Sandbox.js"
import { call } from "./helpers.js"

const rawExchange = (url: string, payload: Uint8Array) =>
  Effect.async<string>((resume) => {
    const { hostname, port } = new URL(url)
    const socket = net.connect(Number(port), hostname, () => socket.end(payload))
    let out = ""
    socket.on("data", (d) => (out += d.toString("latin1")))
    socket.on("close", () => resume(Effect.succeed(out)))
    socket.on("error", () => resume(Effect.succeed(out)))
  })

const bytes = (n: number, seed: number) => {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24
  return out
}

layer(Sandbox.layer({ maxBodyBytes: 64 * 1024 }), { excludeTestServices: true })("sandbox robustness", (it) => {
  it.effect("garbage in, Kratos-shaped 4xx out, and the server keeps serving", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      const u = sb.url
      const [identity] = yield* sb.insertIdentities([{ traits: { email: "r@b.co" } }])
      const targets: Array<[string, string]> = [
        ["POST", "/admin/identities"],
        ["PATCH", "/admin/identities"],
        ["PUT", `/admin/identities/${identity.id}`],
        ["PATCH", `/admin/identities/${identity.id}`],
        ["POST", "/admin/recovery/link"],
        ["POST", "/admin/recovery/code"],
        ["POST", "/sandbox/sessions"]
      ]
      const payloads: Array<{ raw: string | Uint8Array; headers?: Record<string, string> }> = [
        { raw: "{", headers: { "content-type": "application/json" } },
        { raw: "null", headers: { "content-type": "application/json" } },
        { raw: "[1,2,3]", headers: { "content-type": "application/json" } },
        { raw: '{"identities": 5, "traits": [], "identity_id": {}}', headers: { "content-type": "application/json" } },
        { raw: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } },
        { raw: bytes(2048, 7), headers: { "content-type": "application/json" } },
        { raw: bytes(512, 9), headers: { "content-type": "application/octet-stream" } },
        { raw: '"\u0000\uffff"', headers: { "content-type": "text/plain; charset=utf-16" } }
      ]
      for (const [method, path] of targets) {
        for (const p of payloads) {
          const r = yield* call(u, method, path, { raw: p.raw, headers: p.headers })
          expect(r.status, `${method} ${path} ${String(p.raw).slice(0, 20)}`).toBeGreaterThanOrEqual(400)
          expect(r.status).toBeLessThan(500)
          expect(typeof r.body.error.message).toBe("string")
          // the batch writes decoding errors with a 400 status around a plain error's body (code 500), as Kratos does
          expect(r.body.error.code).toBe(method === "PATCH" && path === "/admin/identities" ? (r.status === 400 ? r.body.error.code : r.status) : r.status)
        }
      }
      // deep nesting is refused before it can reach a recursive stringify/clone
      const deep = "[".repeat(20_000) + "]".repeat(20_000)
      const nested = yield* call(u, "POST", "/admin/identities", { raw: `{"traits":{"email":"deep@b.co"},"metadata_public":${deep}}` })
      expect(nested.status).toBe(400)
      const huge = yield* call(u, "POST", "/admin/identities", { raw: "x".repeat(200 * 1024), headers: { "content-type": "application/json" } })
      // over the body limit: Go's MaxBytesError as the create handler reports it, then a hang-up
      expect(huge.status).toBe(400)
      expect(huge.body.error.message).toBe("http: request body too large")
      expect(huge.headers.get("connection")).toBe("close")
      // a route that reads no body answers as usual
      const deleted = yield* call(u, "DELETE", "/admin/identities/8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60", { raw: "x".repeat(200 * 1024) })
      expect([deleted.status, deleted.body.error.message]).toEqual([404, "Unable to locate the resource"])
      const weird = yield* call(u, "GET", "/admin/identities?page_size=%zz&ids=%&include_credential=%00")
      expect(weird.status).toBeLessThan(500)
      const raw = yield* rawExchange(u, bytes(4096, 3))
      expect(raw === "" || raw.startsWith("HTTP/1.1 400")).toBe(true)
      const smuggle = yield* rawExchange(u, new TextEncoder().encode("GET /admin/identities HTTP/1.1\r\nContent-Length: nope\r\n\r\n"))
      expect(smuggle.startsWith("HTTP/1.1 400")).toBe(true)
      expect((yield* call(u, "DELETE", "/admin/identities")).status).toBe(405)
      // Go's mux answers unknown routes in plain text
      const missing = yield* call(u, "GET", "/definitely/not/here")
      expect([missing.status, missing.text]).toEqual([404, "404 page not found\n"])
      // still serving
      const ok = yield* call(u, "GET", `/admin/identities/${identity.id}`)
      expect(ok.status).toBe(200)
      expect((yield* call(u, "GET", "/admin/identities")).body.length).toBe(1)
    }))
})

layer(Sandbox.layer(), { excludeTestServices: true })("sandbox robustness: oversized heads", (it) => {
  const enc = new TextEncoder()
  const goAnswer = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n" +
    "Connection: close\r\n\r\n431 Request Header Fields Too Large"
  it.effect("headers or a URL beyond Go's 1 MiB (+4 KiB) get Go's plain 431, and the server keeps serving", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      const big = "x".repeat((1 << 20) + 8192)
      const header = yield* rawExchange(sb.url, enc.encode(`GET /admin/identities HTTP/1.1\r\nHost: a\r\nX-Big: ${big}\r\n\r\n`))
      expect(header).toBe(goAnswer)
      const url = yield* rawExchange(sb.url, enc.encode(`GET /admin/identities?q=${big} HTTP/1.1\r\nHost: a\r\n\r\n`))
      expect(url).toBe(goAnswer)
      // below the limit a large header is served
      const fits = yield* call(sb.url, "GET", "/admin/identities", { headers: { "x-big": "y".repeat(1 << 19) } })
      expect(fits.status).toBe(200)
    }))
})

layer(Sandbox.layer(), { excludeTestServices: true })("sandbox robustness: patches", (it) => {
  it.effect("patches cannot nest an identity beyond what can be served", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      const [identity] = yield* sb.insertIdentities([{ traits: { email: "n@b.co" } }])
      const nest = (n: number): unknown => (n === 0 ? 1 : [nest(n - 1)])
      let path = "/metadata_public"
      let refused = false
      for (let round = 0; round < 6 && !refused; round++) {
        const r = yield* call(sb.url, "PATCH", `/admin/identities/${identity.id}`, { json: [{ op: "add", path, value: nest(200) }] })
        refused = r.status === 400
        if (!refused) expect(r.status).toBe(200)
        path += "/0".repeat(200)
      }
      expect(refused).toBe(true)
      expect((yield* call(sb.url, "GET", `/admin/identities/${identity.id}`)).status).toBe(200)
      expect((yield* call(sb.url, "GET", "/admin/identities")).status).toBe(200)
    }))
})
