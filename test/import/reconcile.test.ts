import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, it, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as Import from "../../src/Import.js"
import * as Sandbox from "../../src/Sandbox.js"
import { env, record } from "./helpers.js"

const failuresOf = (events: ReadonlyArray<Import.ImportEvent>) =>
  events.flatMap((e) => (e._tag === "RecordFailed" ? [e.failure] : []))

const collect = <R>(events: Stream.Stream<Import.ImportEvent, Import.ImportError, R>) =>
  Effect.gen(function*() {
    const seen: Array<Import.ImportEvent> = []
    const exit = yield* Effect.either(Import.report(Stream.tap(events, (e) => Effect.sync(() => seen.push(e)))))
    return { exit, events: seen }
  })

/** A record identified only by its e-mail (no external_id). */
const byEmail = (i: number, first: string) => {
  const { external_id: _, ...rest } = record(i, { traits: { email: `user${i}@example.com`, name: { first, last: String(i) } } })
  return rest
}

layer(env({}, { rateLimit: false }), { excludeTestServices: true })("reconciliation after a lost response", (it) => {
  it.effect("an e-mail that belonged to an identity before the run is a conflict, not 'already present'", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const api = yield* IdentityApi
      const [before] = yield* sb.insertIdentities([byEmail(1, "Existing")])
      yield* Effect.sleep("20 millis")
      const input = Array.from({ length: 10 }, (_, k) => byEmail(k + 1, "Imported"))
      yield* sb.script("batchPatchIdentities", [{ status: 504, afterCommit: true }])
      const { exit, events } = yield* collect(Import.runWith(api, Import.fromValues(input)))
      expect(exit._tag).toBe("Left")
      const report = exit._tag === "Left" ? (exit.left as Import.ImportIncomplete).report : undefined
      expect(report).toMatchObject({ alreadyPresent: 9, conflicts: 1, complete: false })
      const failures = failuresOf(events)
      expect(failures.map((f) => [f.line, f.status])).toEqual([[1, "conflict"]])
      expect(failures[0].reason).toContain(before.id)
      const still = yield* api.getIdentity({ id: before.id })
      expect((still.traits as { name: { first: string } }).name.first).toBe("Existing")
    }))

  it.effect("an identity identical to the record but created before the run is not the record's", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const api = yield* IdentityApi
      yield* sb.insertIdentities([record(1)])
      // beyond the clock skew the proof allows
      yield* Effect.sleep("1100 millis")
      yield* sb.script("batchPatchIdentities", [{ status: 504, afterCommit: true }])
      const { exit, events } = yield* collect(Import.runWith(api, Import.fromValues([record(1), record(2)])))
      expect(exit._tag).toBe("Left")
      expect(failuresOf(events).map((f) => [f.line, f.status])).toEqual([[1, "conflict"]])
      expect(failuresOf(events)[0].reason).toContain("before this import began")
    }))
})

/** A hostile server: every batch answered 504 (as if the gateway lost the answer), lookups answered by `identity`. */
const hostile = (identity: (externalId: string) => unknown) =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer((req, res) => {
        req.resume()
        req.on("end", () => {
          const m = /^\/admin\/identities\/by\/external\/([^/?]+)/.exec(req.url ?? "")
          if (req.method === "PATCH") {
            res.writeHead(504, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: 504, message: "gateway timeout" } }))
          } else if (m !== null) {
            const body = identity(decodeURIComponent(m[1]))
            if (body === undefined) res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: 404, message: "not found" } }))
            else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body))
          } else if (req.url?.startsWith("/schemas/")) {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ type: "object", properties: { traits: { type: "object" } } }))
          } else {
            res.writeHead(404).end()
          }
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

const identityOf = (r: ReturnType<typeof record>, extra: Record<string, unknown> = {}) => ({
  id: `00000000-0000-4000-8000-${r.external_id.replace(/\D/g, "").padStart(12, "0")}`,
  schema_id: "default",
  schema_url: "http://example.com/schema",
  external_id: r.external_id,
  state: "active",
  traits: r.traits,
  created_at: new Date().toISOString(),
  ...extra
})

it.live("a hostile server: lookups after a lost response must prove the identity is the record's", () =>
  Effect.gen(function*() {
    const input = [record(1), record(2), record(3, { metadata_public: { plan: "gold" } }), record(4, { state: "inactive" })]
    const server = yield* hostile((externalId) => {
      const r = input.find((x) => x.external_id === externalId)!
      if (externalId === "ext-1") return identityOf(r)
      if (externalId === "ext-2") return identityOf(r, { created_at: "2020-01-01T00:00:00Z" })
      if (externalId === "ext-3") return identityOf(r, { metadata_public: { plan: "free" } })
      return identityOf(r)
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const client = IdentityApi.layer({ baseUrl: url, retry: { maxAttempts: 1 }, rateLimit: false }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    const api = Context.get(yield* Layer.build(client), IdentityApi)
    const { exit, events } = yield* collect(
      Import.runWith(api, Import.fromValues(input), { validateSchema: false, maxBatchAttempts: 1 })
    )
    expect(exit._tag === "Left" ? exit.left._tag : exit).toBe("ImportIncomplete")
    const failures = failuresOf(events)
    expect(failures.map((f) => [f.line, f.status])).toEqual([[2, "conflict"], [3, "conflict"], [4, "conflict"]])
    expect(failures[0].reason).toContain("before this import began")
    expect(failures[1].reason).toContain("metadata_public")
    expect(failures[2].reason).toContain("state")
    const report = (exit as { left: Import.ImportIncomplete }).left.report
    expect(report.alreadyPresent).toBe(1)
  }).pipe(Effect.scoped))
