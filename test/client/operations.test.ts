/**
 * Every operation against the sandbox over real loopback: success, each documented error status
 * (natural triggers where the sandbox has them, scripted answers for the rest) and the common ones.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as IdentityApiModule from "../../src/IdentityApi.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import { commonStatuses, statusErrors } from "../../src/KratosError.js"
import * as Operation from "../../src/Operation.js"
import { type OperationName, operations } from "../../src/Operations.js"
import * as Sandbox from "../../src/Sandbox.js"
import * as UndiciHttpClient from "../../src/UndiciHttpClient.js"
import { callOp, clientFor, fixture, id, key, sid, unknownId, validInputs } from "./helpers.js"

const names = Object.keys(operations) as ReadonlyArray<OperationName>

/** A page for list operations, nothing for 204-only ones, an object for the rest. */
const expectResultShape = (name: OperationName, result: unknown) => {
  const op = operations[name] as Operation.Operation
  if (op.pagination !== undefined) {
    const page = result as { items: ReadonlyArray<unknown>; nextPageToken: Option.Option<string> }
    expect(Array.isArray(page.items), name).toBe(true)
    expect(Option.isOption(page.nextPageToken), name).toBe(true)
  } else if (Object.values(op.success).every((s) => s === Operation.NoContent)) {
    expect(result, name).toBeUndefined()
  } else {
    expect(result, name).toBeTypeOf("object")
  }
}

const Env = (transport: Layer.Layer<import("@effect/platform/HttpClient").HttpClient>) =>
  clientFor({ retry: false, rateLimit: false }).pipe(
    Layer.provideMerge(Layer.merge(Sandbox.layer(), transport))
  )

describe.each([
  ["UndiciHttpClient", UndiciHttpClient.layer()],
  ["undici", NodeHttpClient.layerUndici],
  ["fetch", FetchHttpClient.layer]
] as const)("operations over %s", (_, transport) => {
  layer(Env(transport), { excludeTestServices: true })((it) => {
    // IdentityApi.fromHttpClient compiles an operation on the first read of its method: the service
    // still has every method an eager build had, each read the same function each time
    it.effect("the service has every operation's methods, each one function however often read", () =>
      Effect.gen(function*() {
        const api = yield* IdentityApi
        const record = api as unknown as Record<string, unknown>
        const lists = names.filter((n) => (operations[n] as Operation.Operation).pagination !== undefined)
        expect(Object.keys(api).sort()).toEqual(
          ["status", "encoded", ...names, ...lists.map((n) => `${n}Stream`)].sort()
        )
        expect(Object.keys(api.encoded).sort()).toEqual([...names].sort())
        for (const key of Object.keys(api).filter((k) => k !== "status" && k !== "encoded")) {
          const first = record[key]
          expect(first, key).toBeTypeOf("function")
          expect(record[key], key).toBe(first)
        }
      }))

    it.effect("every operation succeeds with its declared result shape", () =>
      Effect.gen(function*() {
        const api = yield* IdentityApi
        const sb = yield* Sandbox.Sandbox
        for (const name of names) {
          yield* sb.reset
          const f = yield* fixture
          expectResultShape(name, yield* callOp(api, name, validInputs(f)[name]))
          const log = yield* sb.requests
          expect(log.at(-1)?.operation, name).toBe(name)
        }
      }))

    it.effect("typed results: identity fields, recovery secrets redacted, extendSession 200 and 204", () =>
      Effect.gen(function*() {
        const api = yield* IdentityApi
        const sb = yield* Sandbox.Sandbox
        yield* sb.reset
        const f = yield* fixture
        const identity = yield* api.getIdentity({ id: f.identityId, include_credential: ["password"] })
        expect(identity.id).toBe(f.identityId)
        expect(identity.traits).toMatchObject({ email: f.email })
        const byExternal = yield* api.getIdentityByExternalID({ externalID: f.externalId })
        expect(byExternal.id).toBe(f.identityId)
        const code = yield* api.createRecoveryCodeForIdentity({ body: { identity_id: f.identityId } })
        expect(String(code.recovery_code)).not.toContain(Redacted.value(code.recovery_code as never))
        const extended = yield* api.extendSession({ id: f.sessionId })
        expect(extended?.id).toBe(f.sessionId)
        yield* sb.setOptions({ fasterSessionExtend: true })
        expect(yield* api.extendSession({ id: f.sessionId })).toBeUndefined()
        yield* sb.setOptions({ fasterSessionExtend: false })
        const batch = yield* api.batchPatchIdentities({
          body: { identities: [{ create: { traits: { email: f.email } } }, { create: { traits: { email: "fresh@example.com" } } }] }
        })
        expect(batch.identities?.map((i) => i?.action)).toEqual(["error", "create"])
      }))

    it.effect("natural errors: 404, 409, 400 with Kratos' message, reason and request id", () =>
      Effect.gen(function*() {
        const api = yield* IdentityApi
        const sb = yield* Sandbox.Sandbox
        yield* sb.reset
        const f = yield* fixture
        const notFound = yield* Effect.flip(api.getIdentity({ id: unknownId }))
        expect(notFound._tag).toBe("NotFound")
        if (notFound._tag === "NotFound") {
          expect(notFound.status).toBe(404)
          expect(notFound.message.length).toBeGreaterThan(0)
          expect(notFound.requestId).toBeDefined()
          expect(notFound.attempts).toBe(1)
        }
        const conflict = yield* Effect.flip(api.createIdentity({ body: { traits: { email: f.email } } }))
        expect(conflict._tag).toBe("Conflict")
        const bad = yield* Effect.flip(api.createIdentity({ body: { schema_id: "default", traits: { email: "not an email" } } }))
        expect(bad._tag).toBe("BadRequest")
        if (bad._tag === "BadRequest") expect(bad.reason ?? bad.message).toBeTruthy()
        expect((yield* Effect.flip(api.getSession({ id: sid(unknownId) })))._tag).toBe("NotFound")
        expect((yield* Effect.flip(api.deleteIdentity({ id: unknownId })))._tag).toBe("NotFound")
        expect((yield* Effect.flip(api.getIdentitySchema({ id: "nope" })))._tag).toBe("NotFound")
        expect((yield* Effect.flip(api.listIdentities({ page_token: "garbage!" })))._tag).toBe("BadRequest")
        yield* api.deleteIdentitySessions({ id: f.identityId })
        expect((yield* Effect.flip(api.deleteIdentitySessions({ id: f.identityId })))._tag).toBe("NotFound")
        expect((yield* Effect.flip(api.getIdentityByExternalID({ externalID: "missing" })))._tag).toBe("NotFound")
        const recovery = yield* Effect.flip(api.createRecoveryLinkForIdentity({ body: { identity_id: unknownId } }))
        expect(["BadRequest", "NotFound"]).toContain(recovery._tag)
      }))

    it.effect("each documented and common status maps to its tagged error (scripted answers)", () =>
      Effect.gen(function*() {
        const api = yield* IdentityApi
        const sb = yield* Sandbox.Sandbox
        yield* sb.reset
        const f = yield* fixture
        for (const name of names) {
          const op = operations[name] as Operation.Operation
          const statuses = [...op.errors.map((c) => c.status), ...commonStatuses]
          for (const status of statuses) {
            yield* sb.script(name, [{ status }])
            const error = yield* Effect.flip(callOp(api, name, validInputs(f)[name]))
            expect(error._tag, `${name} ${status}`).toBe(statusErrors[status as keyof typeof statusErrors].name)
            expect((error as { status?: number }).status, `${name} ${status}`).toBe(status)
          }
          // a status the operation does not declare
          yield* sb.script(name, [{ status: 418 }])
          expect((yield* Effect.flip(callOp(api, name, validInputs(f)[name])))._tag, name).toBe("UnexpectedStatus")
        }
        // getIdentity does not declare 409: it is not a Conflict
        yield* sb.script("getIdentity", [{ status: 409 }])
        expect((yield* Effect.flip(api.getIdentity({ id: f.identityId })))._tag).toBe("UnexpectedStatus")
      }))

    it.effect("Retry-After of a final 429 is reported on the error", () =>
      Effect.gen(function*() {
        const api = yield* IdentityApi
        const sb = yield* Sandbox.Sandbox
        yield* sb.script("listIdentities", [{ status: 429, retryAfter: 7 }])
        const error = yield* Effect.flip(api.listIdentities())
        expect(error._tag).toBe("TooManyRequests")
        if (error._tag === "TooManyRequests") expect(error.retryAfter && Duration.toMillis(error.retryAfter)).toBe(7000)
      }))
  })
})

layer(
  clientFor({ retry: false, apiKey: key }).pipe(
    Layer.provideMerge(Layer.merge(Sandbox.layer({ apiKey: key }), NodeHttpClient.layerUndici))
  ),
  { excludeTestServices: true }
)("authentication", (it) => {
  it.effect("the key is sent as a bearer token; a wrong key is Unauthorized", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const f = yield* fixture
      expect((yield* api.getIdentity({ id: f.identityId })).id).toBe(f.identityId)
      const status = yield* api.status
      expect(status.authConfigured).toBe(true)
      expect(JSON.stringify(status)).not.toContain("sandbox-key")
      const sb = yield* Sandbox.Sandbox
      const wrong = yield* IdentityApiModule.make({ baseUrl: sb.url, apiKey: Redacted.make("wrong-key"), retry: false })
      const error = yield* Effect.flip(wrong.getIdentity({ id: id(f.identityId) }))
      expect(error._tag).toBe("Unauthorized")
      expect(JSON.stringify(error)).not.toContain("wrong-key")
      const anonymous = yield* IdentityApiModule.make({ baseUrl: sb.url, retry: false })
      expect((yield* Effect.flip(anonymous.listIdentities()))._tag).toBe("Unauthorized")
      // the schema endpoints need no key
      expect((yield* anonymous.listIdentitySchemas()).items.length).toBeGreaterThan(0)
    }))
})

layer(Env(UndiciHttpClient.layer()), { excludeTestServices: true })("inputs in their wire form (api.encoded)", (it) => {
  it.effect("every operation takes its input as Schema encodes it, with the same result", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      for (const name of names) {
        yield* sb.reset
        const f = yield* fixture
        const wire = Schema.encodeUnknownSync((operations[name] as Operation.Operation).input)(validInputs(f)[name])
        expectResultShape(name, yield* (api.encoded[name] as unknown as (input: unknown) => Effect.Effect<unknown, unknown>)(wire))
        expect((yield* sb.requests).at(-1)?.operation, name).toBe(name)
      }
    }))

  it.effect("a plaintext password goes as given and comes back decoded; the server's verdicts are typed errors", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const created = yield* api.encoded.createIdentity({
        body: {
          schema_id: "default",
          external_id: "wire-1",
          traits: { email: "wire@example.com" },
          credentials: { password: { config: { password: "correct horse battery" } } }
        }
      })
      expect(created.external_id).toBe("wire-1")
      const full = yield* api.getIdentity({ id: created.id, include_credential: ["password"] })
      expect(full.credentials?.password?.identifiers).toEqual(["wire@example.com"])
      // not checked on our side: the server refuses it, with its own typed answer
      const invalid = yield* Effect.flip(api.encoded.createIdentity({ body: { schema_id: "default", traits: { email: 5 } } }))
      expect(invalid._tag).toBe("BadRequest")
      const missing = yield* Effect.flip(api.encoded.getIdentity({ id: "not-a-uuid" }))
      expect(missing._tag).toBe("NotFound")
      const conflict = yield* Effect.flip(
        api.encoded.createIdentity({ body: { schema_id: "default", traits: { email: "wire@example.com" } } })
      )
      expect(conflict._tag).toBe("Conflict")
    }))

  it.effect("a body as JSON text goes as written; its limits are the server's to check", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const text = `{"identities":[{"create":{"schema_id":"default","traits":{"email":"text@example.com"}},` +
        `"patch_id":"8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60"}]}`
      const result = yield* api.encoded.batchPatchIdentities({ body: new Operation.JsonText(text) })
      expect(result.identities[0]).toMatchObject({ action: "create", patch_id: "8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" })
      const tooMany = JSON.stringify({ identities: Array.from({ length: 1001 }, (_, i) => ({ create: { traits: { email: `${i}@x.io` } } })) })
      const refused = yield* Effect.flip(api.encoded.batchPatchIdentities({ body: new Operation.JsonText(tooMany) }))
      expect(refused._tag).toBe("BadRequest")
      const notJson = yield* Effect.flip(api.encoded.createIdentity({ body: new Operation.JsonText("{nope") }))
      expect(notJson._tag).toBe("BadRequest")
      expect((yield* sb.requests).map((r) => r.status)).toEqual([200, 400, 400])
    }))

  it.effect("what would make a wrong request is refused before sending: path parameters, batch limits", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const plaintext = Array.from({ length: 201 }, (_, i) => ({
        create: { traits: { email: `${i}@x.io` }, credentials: { password: { config: { password: "pw" } } } }
      }))
      const refusals = [
        yield* Effect.flip(api.encoded.getIdentity({ id: "" })),
        yield* Effect.flip((api.encoded.getIdentity as (input: unknown) => Effect.Effect<unknown, { _tag: string }>)({})),
        yield* Effect.flip((api.encoded.getIdentity as (input: unknown) => Effect.Effect<unknown, { _tag: string }>)(null)),
        yield* Effect.flip(
          api.encoded.batchPatchIdentities({ body: { identities: Array.from({ length: 1001 }, () => ({ create: { traits: {} } })) } })
        ),
        yield* Effect.flip(api.encoded.batchPatchIdentities({ body: { identities: plaintext } }))
      ]
      expect(refusals.map((e) => e._tag)).toEqual(Array(5).fill("InvalidInput"))
      expect(refusals.map((e) => ("message" in e ? e.message : "")).slice(3)).toEqual([
        expect.stringMatching(/1000/),
        expect.stringMatching(/200/)
      ])
      expect(yield* sb.requests).toEqual([])
    }))
})
