import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as IdentityApi from "../../src/IdentityApi.js"
import * as Sandbox from "../../src/Sandbox.js"

export const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "kratos-workflows-"))

export const hashOf = (password: string) => bcrypt.hashSync(password, { cost: 4 })

/** A sandbox on loopback and a client for it over undici, both closed with the scope. */
export const sandboxWithClient = (options: Sandbox.MakeOptions = {}) =>
  Effect.gen(function*() {
    const sandbox = yield* Sandbox.make({ hashCost: 4, ...options })
    const api = yield* IdentityApi.make({ baseUrl: sandbox.url, rateLimit: false, retry: { base: "10 millis", cap: "100 millis" } })
    return { sandbox, api }
  })

/** The HTTP client of the tests (undici), shared by every client of a test. */
export const http = NodeHttpClient.layerUndici

/** Everything the round trip must carry: every field a create body may hold. */
export const fullRecord = (i: number, hash: string) => ({
  schema_id: "default",
  external_id: `ext-${i}`,
  state: i % 3 === 0 ? "inactive" as const : "active" as const,
  traits: { email: `user${i}@example.com`, name: { first: "U", last: String(i) } },
  metadata_public: { plan: i % 2 === 0 ? "pro" : "free", n: i },
  metadata_admin: { note: `n${i}`, tags: ["a", "b"] },
  ...(i % 4 === 0 ? { organization_id: "5f4b0c1e-6a57-4c3b-9d45-0a1b2c3d4e5f" } : {}),
  verifiable_addresses: [{
    value: `user${i}@example.com`,
    verified: i % 2 === 0,
    via: "email" as const,
    status: i % 2 === 0 ? "completed" : "pending",
    ...(i % 2 === 0 ? { verified_at: "2024-05-01T10:00:00Z" } : {})
  }],
  recovery_addresses: [{ value: `user${i}@example.com`, via: "email" }],
  credentials: {
    password: { config: { hashed_password: hash } },
    ...(i % 2 === 1 ? { oidc: { config: { providers: [{ provider: "google", subject: `g-${i}` }, { provider: "github", subject: `h-${i}` }] } } } : {}),
    ...(i % 5 === 0 ? { saml: { config: { providers: [{ provider: "okta", subject: `s-${i}` }] } } } : {})
  }
})

export const readJsonl = (file: string): Array<Record<string, unknown>> =>
  fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))

export const byExternalId = <A extends { readonly external_id?: unknown }>(xs: ReadonlyArray<A>) =>
  [...xs].sort((a, b) => String(a.external_id).localeCompare(String(b.external_id)))
