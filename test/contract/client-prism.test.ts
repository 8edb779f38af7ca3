/**
 * The client against the official OpenAPI document, through Prism's mock server
 * (`prism mock $KRATOS_OPENAPI --dynamic --seed 1`): every operation's request must raise no
 * violation (`sl-violations` header absent) and every generated response must decode; every
 * documented error status (asked for with `Prefer: code=...`) must map to its typed error.
 * Skipped when KRATOS_OPENAPI is unset.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { IdentityApi } from "../../src/IdentityApi.js"
import type { KratosError } from "../../src/KratosError.js"
import { type OperationName, operations } from "../../src/Operations.js"

const spec = process.env.KRATOS_OPENAPI
const prismBin = path.resolve("node_modules/@stoplight/prism-cli/dist/index.js")

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

const uuid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
const inputs: Record<OperationName, unknown> = {
  listIdentities: { page_size: 2 },
  batchPatchIdentities: { body: { identities: [{ create: { schema_id: "default", traits: { email: "a@example.com" } } }] } },
  createIdentity: { body: { schema_id: "default", traits: { email: "a@example.com" } } },
  getIdentityByExternalID: { externalID: "ext-1" },
  deleteIdentity: { id: uuid },
  getIdentity: { id: uuid },
  patchIdentity: { id: uuid, body: [{ op: "replace", path: "/metadata_public", value: { a: 1 } }] },
  updateIdentity: { id: uuid, body: { schema_id: "default", traits: { email: "a@example.com" }, state: "active" } },
  deleteIdentityCredentials: { id: uuid, type: "password" },
  deleteIdentitySessions: { id: uuid },
  listIdentitySessions: { id: uuid, page_size: 2 },
  createRecoveryCodeForIdentity: { body: { identity_id: uuid, expires_in: "1h" } },
  createRecoveryLinkForIdentity: { body: { identity_id: uuid, expires_in: "1h" } },
  listSessions: { page_size: 2 },
  disableSession: { id: uuid },
  getSession: { id: uuid },
  extendSession: { id: uuid },
  listIdentitySchemas: { page_size: 2 },
  getIdentitySchema: { id: "default" }
}

/** The status codes the spec documents for an operation. */
const documented = (doc: { paths: Record<string, Record<string, { operationId?: string; responses?: object }>> }) => {
  const byOp = new Map<string, ReadonlyArray<number>>()
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      if (op && typeof op === "object" && op.operationId) {
        byOp.set(op.operationId, Object.keys(op.responses ?? {}).filter((c) => /^\d+$/.test(c)).map(Number))
      }
    }
  }
  return byOp
}

describe.skipIf(spec === undefined)("client against prism mock of the official spec", () => {
  let prism: ChildProcess | undefined
  let url = ""
  const violations: Array<string> = []
  let prefer: string | undefined

  beforeAll(async () => {
    const port = await freePort()
    prism = spawn(process.execPath, [prismBin, "mock", spec!, "--dynamic", "--seed", "1", "-h", "127.0.0.1", "-p", String(port)], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    prism.stdout?.resume()
    prism.stderr?.resume()
    url = `http://127.0.0.1:${port}`
    const started = Date.now()
    for (;;) {
      if (Date.now() - started > 60_000) throw new Error("prism did not start within 60 s")
      if (prism.exitCode !== null) throw new Error(`prism exited with ${prism.exitCode}`)
      const ok = await fetch(`${url}/health/alive`).then(() => true, () => false)
      if (ok) break
      await new Promise((r) => setTimeout(r, 250))
    }
  }, 90_000)

  afterAll(() => {
    prism?.kill()
  })

  // the transport records Prism's verdict on each request and can ask for a status
  const transport = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      client.pipe(
        HttpClient.mapRequest((r) => (prefer === undefined ? r : HttpClientRequest.setHeader(r, "prefer", prefer))),
        HttpClient.tap((response) =>
          Effect.sync(() => {
            const v = response.headers["sl-violations"]
            if (v !== undefined) violations.push(`${response.request.method} ${response.request.url}: ${v}`)
          })
        )
      ))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))

  const withClient = <A, E>(f: (api: IdentityApi["Type"]) => Effect.Effect<A, E>) =>
    Effect.flatMap(IdentityApi, f).pipe(
      Effect.provide(
        Layer.unwrapEffect(
          Effect.sync(() => IdentityApi.layer({ baseUrl: url, apiKey: Redacted.make("contract-key"), retry: false }))
        ).pipe(Layer.provide(transport))
      )
    )

  const call = (api: IdentityApi["Type"], name: OperationName) =>
    (api[name] as unknown as (input: unknown) => Effect.Effect<unknown, KratosError>)(inputs[name])

  it.live("every operation: no request violation, and the generated success response decodes", () =>
    withClient((api) =>
      Effect.gen(function*() {
        const failures: Array<string> = []
        for (const name of Object.keys(operations) as ReadonlyArray<OperationName>) {
          violations.length = 0
          prefer = undefined
          const result = yield* Effect.either(call(api, name))
          if (result._tag === "Left") failures.push(`${name}: ${result.left._tag} ${JSON.stringify(result.left)}`)
          if (violations.length > 0) failures.push(`${name}: ${violations.join("; ")}`)
        }
        expect(failures).toEqual([])
      })
    ))

  it.live("every documented error status maps to its typed error", () =>
    withClient((api) =>
      Effect.gen(function*() {
        const codes = documented(JSON.parse(readFileSync(spec!, "utf8")))
        const failures: Array<string> = []
        let checked = 0
        for (const name of Object.keys(operations) as ReadonlyArray<OperationName>) {
          for (const status of codes.get(name) ?? []) {
            if (status < 400) continue
            violations.length = 0
            prefer = `code=${status}`
            const result = yield* Effect.either(call(api, name))
            checked++
            if (result._tag === "Right") {
              failures.push(`${name} ${status}: succeeded`)
              continue
            }
            const error = result.left as { _tag: string; status?: number }
            if (error.status !== status || error._tag === "ResponseDecodeError") {
              failures.push(`${name} ${status}: ${error._tag} ${JSON.stringify(error)}`)
            }
          }
        }
        prefer = undefined
        expect(failures).toEqual([])
        expect(checked).toBeGreaterThan(19)
      })
    ))
})
