import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as Import from "../../src/Import.js"
import { progressLine } from "../../repl/commands/ImportCommand.js"
import { record } from "./helpers.js"

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void

const serve = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer((req, res) => {
        let body = ""
        req.on("data", (c) => (body += c))
        req.on("end", () => handler(req, body, res))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  )

const apiFor = (server: http.Server) =>
  Effect.map(
    Layer.build(
      IdentityApi.layer({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, retry: { maxAttempts: 1 }, rateLimit: false })
        .pipe(Layer.provide(NodeHttpClient.layerUndici))
    ),
    (ctx) => Context.get(ctx, IdentityApi)
  )

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))

const schema = { type: "object", properties: { traits: { type: "object" } } }

it.live("Retry-After: 999999 and x-ratelimit-reset: 86400 are waited for only up to the cap, and the wait is shown", () =>
  Effect.gen(function*() {
    let batches = 0
    const server = yield* serve((req, body, res) => {
      if (req.url?.startsWith("/schemas/")) return json(res, 200, schema)
      batches++
      if (batches === 1) return json(res, 429, { error: { code: 429, message: "slow down" } }, { "retry-after": "999999" })
      if (batches === 2) return json(res, 429, { error: { code: 429, message: "slow down" } }, { "x-ratelimit-reset": "86400" })
      const items = (JSON.parse(body) as { identities: Array<{ patch_id: string }> }).identities
      json(res, 200, { identities: items.map((i) => ({ action: "create", identity: "00000000-0000-4000-8000-000000000001", patch_id: i.patch_id })) })
    })
    const api = yield* apiFor(server)
    const events: Array<Import.ImportEvent> = []
    const report = yield* Import.report(
      Import.runWith(api, Import.fromValues([record(1)]), { retryAfterCap: "1200 millis", retryBase: 10 }).pipe(
        Stream.tap((e) => Effect.sync(() => events.push(e)))
      )
    )
    expect(report).toMatchObject({ created: 1, retried: 2 })
    const waits = events.flatMap((e) => (e._tag === "Progress" && e.progress.waiting !== undefined ? [e.progress] : []))
    expect(waits.length).toBeGreaterThan(0)
    for (const p of waits) expect(p.waiting!.seconds).toBeLessThanOrEqual(2)
    expect(waits[0].waiting!.reason).toContain("429, the server asked for 999999 s: capped")
    expect(waits.some((p) => p.waiting!.reason.includes("86400 s: capped"))).toBe(true)
    expect(progressLine(waits[0])).toMatch(/waiting \ds \(429, the server asked for 999999 s: capped\)/)
  }).pipe(Effect.scoped))

it.live("a server that trickles its answers: every call is bounded, the import ends and reports the record", () =>
  Effect.gen(function*() {
    const server = yield* serve((req, _body, res) => {
      if (req.url?.startsWith("/schemas/")) return json(res, 200, schema)
      res.writeHead(200, { "content-type": "application/json" })
      res.write("{")
      const timer = setInterval(() => res.write(" "), 50)
      res.on("close", () => clearInterval(timer))
    })
    const api = yield* apiFor(server)
    const result = yield* Effect.either(
      Import.report(Import.runWith(api, Import.fromValues([record(1)]), { requestTimeout: "600 millis", retryBase: 10 }))
    )
    expect(result._tag).toBe("Left")
    const report = (result as { left: Import.ImportIncomplete }).left.report
    expect(report.created + report.alreadyPresent).toBe(0)
    expect(report.unknown + report.failed).toBe(1)
  }).pipe(Effect.scoped))
