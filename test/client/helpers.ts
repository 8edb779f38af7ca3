import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { IdentityId } from "../../src/Identity.js"
import { IdentityApi, type Service } from "../../src/IdentityApi.js"
import type { ClientConfigError, ClientOptions } from "../../src/KratosHttpClient.js"
import type { KratosError } from "../../src/KratosError.js"
import type { OperationName } from "../../src/Operations.js"
import * as Sandbox from "../../src/Sandbox.js"
import type { SessionId } from "../../src/Session.js"

/** A client for the sandbox in context (its url), over the HttpClient in context. */
export const clientFor = (
  options: Omit<ClientOptions, "baseUrl"> = {}
): Layer.Layer<IdentityApi, ClientConfigError, Sandbox.Sandbox | HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Sandbox.Sandbox, (sb) => IdentityApi.layer({ ...options, baseUrl: sb.url })))

export const id = (s: string) => s as IdentityId
export const sid = (s: string) => s as SessionId
export const unknownId = id("8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60")
export const key = Redacted.make("sandbox-key")

/** Calls an operation by name with an untyped input (table-driven tests). */
export const callOp = (api: Service, name: OperationName, input: unknown): Effect.Effect<unknown, KratosError> =>
  (api[name] as unknown as (input: unknown) => Effect.Effect<unknown, KratosError>)(input)

export interface Fixture {
  readonly identityId: IdentityId
  readonly sessionId: SessionId
  readonly email: string
  readonly externalId: string
}

let counter = 0
/** A fresh identity (with a password and an external id) and one session of it. */
export const fixture: Effect.Effect<Fixture, KratosError, IdentityApi | Sandbox.Sandbox> = Effect.gen(function*() {
  const api = yield* IdentityApi
  const sb = yield* Sandbox.Sandbox
  const n = ++counter
  const email = `user${n}-${Date.now()}@example.com`
  const externalId = `ext-${n}-${Date.now()}`
  const identity = yield* api.createIdentity({
    body: {
      schema_id: "default",
      traits: { email, name: { first: "Ada", last: "L" } },
      external_id: externalId,
      credentials: {
        password: { config: { password: Redacted.make("correct horse battery") } },
        oidc: { config: { providers: [{ provider: "google", subject: `sub-${n}` }] } }
      }
    }
  })
  const session = yield* Effect.orDie(sb.createSession(identity.id))
  return { identityId: identity.id, sessionId: session.id, email, externalId }
})

/** A valid input for every operation, given a fixture. */
export const validInputs = (f: Fixture): Record<OperationName, unknown> => ({
  listIdentities: {},
  batchPatchIdentities: {
    body: { identities: [{ create: { schema_id: "default", traits: { email: `batch-${Date.now()}@example.com` } } }] }
  },
  createIdentity: { body: { schema_id: "default", traits: { email: `new-${Date.now()}-${++counter}@example.com` } } },
  getIdentityByExternalID: { externalID: f.externalId },
  deleteIdentity: { id: f.identityId },
  getIdentity: { id: f.identityId },
  patchIdentity: { id: f.identityId, body: [{ op: "replace", path: "/metadata_public", value: { plan: "pro" } }] },
  updateIdentity: { id: f.identityId, body: { schema_id: "default", traits: { email: f.email }, state: "active" } },
  deleteIdentityCredentials: { id: f.identityId, type: "password" },
  deleteIdentitySessions: { id: f.identityId },
  listIdentitySessions: { id: f.identityId },
  createRecoveryCodeForIdentity: { body: { identity_id: f.identityId } },
  createRecoveryLinkForIdentity: { body: { identity_id: f.identityId } },
  listSessions: {},
  disableSession: { id: f.sessionId },
  getSession: { id: f.sessionId },
  extendSession: { id: f.sessionId },
  listIdentitySchemas: {},
  getIdentitySchema: { id: "default" }
})
