import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Sandbox from "../../src/Sandbox.js"
import { call, person, unknownUuid } from "./helpers.js"

const hash = "$2a$04$abcdefghijklmnopqrstuu5Ygs8ZP3s1oBKA6.PaJ5xBHuI3.RzO2" // bcrypt-shaped (cost 4)

layer(Sandbox.layer())("sandbox identities", (it) => {
  const reset = Effect.flatMap(Sandbox.Sandbox, (s) => s.reset)
  const url = Effect.map(Sandbox.Sandbox, (s) => s.url)

  it.effect("createIdentity: 201, Location, normalized identifiers, credentials without config", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      const r = yield* call(u, "POST", "/admin/identities", {
        json: person("Ada@Example.COM", { credentials: { password: { config: { hashed_password: hash } } }, metadata_admin: { a: 1 } })
      })
      expect(r.status).toBe(201)
      expect(r.headers.get("location")).toBe(`${u}/identities/${r.body.id}`)
      expect(r.headers.get("x-request-id")).toBeTruthy()
      expect(r.body.credentials.password.identifiers).toEqual(["ada@example.com"])
      expect(r.body.credentials.password.config).toBeUndefined()
      expect(r.body.schema_url).toBe(`${u}/schemas/ZGVmYXVsdA`)
      expect(r.body.state).toBe("active")
      expect(r.body.metadata_public).toBeNull()
      expect(r.body.organization_id).toBeNull()
      expect(r.body.verifiable_addresses[0]).toMatchObject({ value: "ada@example.com", via: "email", status: "pending", verified: false })
      expect(r.body.recovery_addresses[0]).toMatchObject({ value: "ada@example.com", via: "email" })
      // the /admin prefix is optional
      const again = yield* call(u, "GET", `/identities/${r.body.id}`)
      expect(again.status).toBe(200)
    }))

  it.effect("createIdentity: strict decoding, bad state, unknown schema, traits, conflicts", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      const unknown = yield* call(u, "POST", "/admin/identities", { json: person("a@b.co", { schema_url: "x" }) })
      expect(unknown.status).toBe(400)
      expect(unknown.body.error.message).toBe('json: unknown field "schema_url"')
      const state = yield* call(u, "POST", "/admin/identities", { json: person("a@b.co", { state: "zombie" }) })
      expect(state.status).toBe(400)
      expect(state.body.error.reason).toBe("identity state is not valid")
      const schema = yield* call(u, "POST", "/admin/identities", { json: person("a@b.co", { schema_id: "nope" }) })
      expect(schema.body.error.reason).toBe("Unable to find JSON Schema ID: nope")
      const traits = yield* call(u, "POST", "/admin/identities", { json: { traits: { email: "a@b.co", bar: 1 } } })
      expect(traits.status).toBe(400)
      expect(traits.body.error.reason).toContain("I[#/traits] S[#/properties/traits/additionalProperties]")
      const format = yield* call(u, "POST", "/admin/identities", { json: { traits: { email: 42 } } })
      expect(format.body.error.reason).toBe("I[#/traits/email] S[#/properties/traits/properties/email/type] expected string, but got number")
      const malformed = yield* call(u, "POST", "/admin/identities", { raw: "{nope" })
      expect(malformed.status).toBe(400)
      const ok = yield* call(u, "POST", "/admin/identities", { json: person("a@b.co", { external_id: "ext-1" }) })
      expect(ok.status).toBe(201)
      const dupEmail = yield* call(u, "POST", "/admin/identities", { json: person("A@B.co") })
      expect(dupEmail.status).toBe(409)
      expect(dupEmail.body.error.reason).toBe("This identity conflicts with another identity that already exists.")
      const dupExt = yield* call(u, "POST", "/admin/identities", { json: person("c@b.co", { external_id: "ext-1" }) })
      expect(dupExt.status).toBe(409)
      const badHash = yield* call(u, "POST", "/admin/identities", {
        json: person("d@b.co", { credentials: { password: { config: { hashed_password: "plain" } } } })
      })
      expect(badHash.status).toBe(400)
      expect(badHash.body.error.reason).toBe(
        "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2"
      )
      // v26.2.0 checks the prefix only: a cost beyond later Kratos' bounds is imported
      const costly = yield* call(u, "POST", "/admin/identities", {
        json: person("d@b.co", { credentials: { password: { config: { hashed_password: hash.replace("$04$", "$16$") } } } })
      })
      expect(costly.status).toBe(201)
      expect((yield* Effect.flatMap(Sandbox.Sandbox, (s) => s.identities)).length).toBe(2)
    }))

  it.effect("one value under different unique constraints: no conflict across them, each owner found, freed on update and delete", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      // A's external id is B's email: different constraints, both stored
      const a = yield* call(u, "POST", "/admin/identities", { json: person("a@b.co", { external_id: "shared@b.co" }) })
      const b = yield* call(u, "POST", "/admin/identities", { json: person("shared@b.co") })
      expect([a.status, b.status]).toEqual([201, 201])
      const byExt = yield* call(u, "GET", "/admin/identities/by/external/shared@b.co")
      expect(byExt.body.id).toBe(a.body.id)
      const byIdentifier = yield* call(u, "GET", "/admin/identities?credentials_identifier=shared@b.co")
      expect(byIdentifier.body.map((i: { id: string }) => i.id)).toEqual([b.body.id])
      const similar = yield* call(u, "GET", "/admin/identities?preview_credentials_identifier_similar=shar")
      expect(similar.body.map((i: { id: string }) => i.id)).toEqual([b.body.id])
      // each constraint still holds for its own owner
      expect((yield* call(u, "POST", "/admin/identities", { json: person("shared@b.co") })).status).toBe(409)
      expect((yield* call(u, "POST", "/admin/identities", { json: person("c@b.co", { external_id: "shared@b.co" }) })).status).toBe(409)
      // B moves to another email: the value is A's external id only
      const moved = yield* call(u, "PUT", `/admin/identities/${b.body.id}`, { json: { schema_id: "default", traits: { email: "moved@b.co" }, state: "active" } })
      expect(moved.status).toBe(200)
      const c = yield* call(u, "POST", "/admin/identities", { json: person("shared@b.co") })
      expect(c.status).toBe(201)
      // A is deleted: its external id is free, C keeps the email
      expect((yield* call(u, "DELETE", `/admin/identities/${a.body.id}`)).status).toBe(204)
      expect((yield* call(u, "GET", "/admin/identities/by/external/shared@b.co")).status).toBe(404)
      expect((yield* call(u, "POST", "/admin/identities", { json: person("d@b.co", { external_id: "shared@b.co" }) })).status).toBe(201)
      expect((yield* call(u, "POST", "/admin/identities", { json: person("shared@b.co") })).status).toBe(409)
      const owners = yield* call(u, "GET", "/admin/identities?credentials_identifier=shared@b.co")
      expect(owners.body.map((i: { id: string }) => i.id)).toEqual([c.body.id])
    }))

  it.effect("getIdentity / by external id: include_credential, 404 on malformed ids, 400 on bad include", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      const created = yield* call(u, "POST", "/admin/identities", {
        json: person("g@b.co", { external_id: "crm-7", credentials: { password: { config: { hashed_password: hash } }, oidc: { config: { providers: [{ provider: "github", subject: "42" }] } } } })
      })
      const id = created.body.id
      const plain = yield* call(u, "GET", `/admin/identities/${id}`)
      expect(plain.body.credentials.password.config).toBeUndefined()
      expect(plain.body.credentials.oidc.identifiers).toEqual(["github:42"])
      const withPw = yield* call(u, "GET", `/admin/identities/${id}?include_credential=password`)
      expect(withPw.body.credentials.password.config.hashed_password).toBe(hash)
      expect(withPw.body.credentials.oidc.config).toBeUndefined()
      expect((yield* call(u, "GET", `/admin/identities/${id}?include_credential=bogus`)).body.error.reason)
        .toBe("Invalid value `[]` for parameter `include_credential`.")
      expect((yield* call(u, "GET", "/admin/identities/not-a-uuid")).status).toBe(404)
      expect((yield* call(u, "GET", `/admin/identities/${unknownUuid}`)).body.error.message).toBe("Unable to locate the resource")
      const ext = yield* call(u, "GET", "/admin/identities/by/external/crm-7")
      expect(ext.body.id).toBe(id)
      expect((yield* call(u, "GET", "/admin/identities/by/external/nope")).status).toBe(404)
    }))

  it.effect("updateIdentity: overwrites traits/metadata/external_id, merges credentials, needs JSON", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      const created = yield* call(u, "POST", "/admin/identities", {
        json: person("u@b.co", { external_id: "e", metadata_public: { a: 1 }, metadata_admin: { b: 2 }, credentials: { password: { config: { hashed_password: hash } } } })
      })
      const id = created.body.id
      const put = yield* call(u, "PUT", `/admin/identities/${id}`, { json: { traits: { email: "New@b.co" }, state: "inactive" } })
      expect(put.status).toBe(200)
      expect(put.body.external_id).toBeUndefined()
      expect(put.body.metadata_public).toBeNull()
      expect(put.body.metadata_admin).toBeUndefined()
      expect(put.body.state).toBe("inactive")
      expect(put.body.credentials.password.identifiers).toEqual(["new@b.co"])
      expect(put.body.verifiable_addresses.map((a: any) => a.value)).toEqual(["new@b.co"])
      const full = yield* call(u, "GET", `/admin/identities/${id}?include_credential=password`)
      expect(full.body.credentials.password.config.hashed_password).toBe(hash)
      const text = yield* call(u, "PUT", `/admin/identities/${id}`, { raw: "{}", headers: { "content-type": "text/plain" } })
      expect(text.status).toBe(400)
      expect(text.body.error.reason).toBe(
        'HTTP PUT Request used unknown HTTP Header "Content-Type: text/plain", only [application/json] are supported.'
      )
      const empty = yield* call(u, "PUT", `/admin/identities/${id}`, { raw: "", headers: { "content-type": "application/json" } })
      expect(empty.status).toBe(400)
      expect((yield* call(u, "PUT", `/admin/identities/${unknownUuid}`, { json: { traits: { email: "x@b.co" } } })).status).toBe(404)
      const other = yield* call(u, "POST", "/admin/identities", { json: person("o@b.co") })
      const clash = yield* call(u, "PUT", `/admin/identities/${other.body.id}`, { json: { traits: { email: "new@b.co" } } })
      expect(clash.status).toBe(409)
      const invalid = yield* call(u, "PUT", `/admin/identities/${id}`, { json: { traits: { email: 3 } } })
      expect(invalid.status).toBe(400)
    }))

  it.effect("patchIdentity: add/remove/replace, replace→add, denied paths, unsupported ops, state check", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      const created = yield* call(u, "POST", "/admin/identities", { json: person("p@b.co") })
      const id = created.body.id
      const ok = yield* call(u, "PATCH", `/admin/identities/${id}`, {
        json: [
          { op: "replace", path: "/metadata_admin/notes/deep", value: "x" },
          { op: "add", path: "/traits/name", value: { first: "P" } },
          { op: "replace", path: "/state", value: "inactive" }
        ]
      })
      expect(ok.status).toBe(200)
      expect(ok.body.metadata_admin).toEqual({ notes: { deep: "x" } })
      expect(ok.body.traits.name).toEqual({ first: "P" })
      expect(ok.body.state).toBe("inactive")
      expect(ok.body.state_changed_at >= created.body.state_changed_at).toBe(true)
      const denied = yield* call(u, "PATCH", `/admin/identities/${id}`, { json: [{ op: "replace", path: "/id", value: "x" }] })
      expect(denied.status).toBe(400)
      expect(denied.body.error.reason).toBe("An error occured when applying the JSON patch")
      expect(denied.body.error.message).toBe("patch includes denied path: /id")
      const move = yield* call(u, "PATCH", `/admin/identities/${id}`, { json: [{ op: "move", from: "/traits/email", path: "/traits/x" }] })
      expect(move.body.error.message).toBe("unsupported operation: move")
      const state = yield* call(u, "PATCH", `/admin/identities/${id}`, { json: [{ op: "replace", path: "/state", value: "zombie" }] })
      expect(state.body.error.reason).toBe("The supplied state ('zombie') was not valid. Valid states are ('active', 'inactive').")
      const traits = yield* call(u, "PATCH", `/admin/identities/${id}`, { json: [{ op: "remove", path: "/traits/email" }] })
      expect(traits.status).toBe(400)
      const remove = yield* call(u, "PATCH", `/admin/identities/${id}`, { json: [{ op: "remove", path: "/traits/nothing" }] })
      expect(remove.status).toBe(400)
      expect((yield* call(u, "PATCH", `/admin/identities/${unknownUuid}`, { json: [] })).status).toBe(404)
      const after = yield* call(u, "GET", `/admin/identities/${id}`)
      expect(after.body.traits.email).toBe("p@b.co")
    }))

  it.effect("deleteIdentity and deleteIdentityCredentials", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      const created = yield* call(u, "POST", "/admin/identities", {
        json: person("d@b.co", {
          credentials: {
            password: { config: { hashed_password: hash } },
            oidc: { config: { providers: [{ provider: "google", subject: "1" }, { provider: "github", subject: "2" }] } }
          }
        })
      })
      const id = created.body.id
      const path = `/admin/identities/${id}/credentials`
      expect((yield* call(u, "DELETE", `${path}/oidc`)).body.error.reason).toBe("You must provide an identifier to delete this credential.")
      expect((yield* call(u, "DELETE", `${path}/oidc?identifier=google:9`)).status).toBe(404)
      expect((yield* call(u, "DELETE", `${path}/oidc?identifier=google:1`)).status).toBe(204)
      expect((yield* call(u, "DELETE", `${path}/password`)).status).toBe(204)
      const last = yield* call(u, "DELETE", `${path}/oidc?identifier=github:2`)
      expect(last.status).toBe(400)
      expect(last.body.error.reason).toBe("You cannot remove the last first factor credential.")
      expect((yield* call(u, "DELETE", `${path}/totp`)).body.error.reason).toBe("You tried to remove a totp but this user have no totp set up.")
      expect((yield* call(u, "DELETE", `/admin/identities/${unknownUuid}/credentials/password`)).status).toBe(404)
      const got = yield* call(u, "GET", `/admin/identities/${id}?include_credential=oidc`)
      expect(got.body.credentials.oidc.identifiers).toEqual(["github:2"])
      expect((yield* call(u, "DELETE", `/admin/identities/${id}`)).status).toBe(204)
      expect((yield* call(u, "DELETE", `/admin/identities/${id}`)).status).toBe(404)
      expect((yield* call(u, "DELETE", "/admin/identities/garbage")).status).toBe(404)
    }))

  // Kratos v26.2.0 (identity/handler_import.go) appends every provider of a PUT to the stored ones
  // without looking, so a provider the identity already has repeats its identifier and the
  // identifier table's unique index answers 409; a create naming one provider twice fails the same way.
  it.effect("PUT appends OIDC/SAML providers; a provider already there (or twice in a create) is Kratos' 409", () =>
    Effect.gen(function*() {
      yield* reset
      const u = yield* url
      const providers = [{ provider: "google", subject: "1" }]
      const created = yield* call(u, "POST", "/admin/identities", {
        json: person("p@b.co", { credentials: { oidc: { config: { providers } }, saml: { config: { providers } } } })
      })
      const id = created.body.id
      const put = (credentials: object) => call(u, "PUT", `/admin/identities/${id}`, { json: { schema_id: "default", traits: { email: "p@b.co" }, credentials } })
      for (const type of ["oidc", "saml"]) {
        const again = yield* put({ [type]: { config: { providers } } })
        expect(again.status).toBe(409)
        expect(again.body.error.message).toBe("Unable to insert or update resource because a resource with that value exists already")
      }
      expect((yield* put({ oidc: { config: { providers: [{ provider: "github", subject: "2" }] } } })).status).toBe(200)
      const got = yield* call(u, "GET", `/admin/identities/${id}?include_credential=oidc`)
      // identifiers come back sorted (as Kratos reads them), providers in the order they were added
      expect(got.body.credentials.oidc.identifiers).toEqual(["github:2", "google:1"])
      expect(got.body.credentials.oidc.config.providers.map((p: { subject: string }) => p.subject)).toEqual(["1", "2"])
      const twice = yield* call(u, "POST", "/admin/identities", {
        json: person("q@b.co", { credentials: { oidc: { config: { providers: [...providers, ...providers] } } } })
      })
      expect(twice.status).toBe(409)
      expect(twice.body.error.reason).toBe("This identity conflicts with another identity that already exists.")
    }))

  it.effect("schemas: list with X-Total-Count, get by id and base64url id, 404", () =>
    Effect.gen(function*() {
      const u = yield* url
      const list = yield* call(u, "GET", "/schemas")
      expect(list.status).toBe(200)
      expect(list.headers.get("x-total-count")).toBe("1")
      expect(list.body[0].id).toBe("default")
      expect((yield* call(u, "GET", "/schemas/default")).body.title).toBe("Person")
      expect((yield* call(u, "GET", "/schemas/ZGVmYXVsdA")).status).toBe(200)
      expect((yield* call(u, "GET", "/admin/schemas/default")).status).toBe(200)
      const missing = yield* call(u, "GET", "/schemas/nope")
      expect(missing.status).toBe(404)
      expect(missing.body.error.reason).toBe("Identity schema `nope` could not be found.")
    }))
})

describe("sandbox demo data", () => {
  layer(Sandbox.layer({ demo: true }))((it) => {
    it.effect("seeds two schemas, ~40 identities and sessions", () =>
      Effect.gen(function*() {
        const sb = yield* Sandbox.Sandbox
        const ids = yield* sb.identities
        expect(ids.length).toBeGreaterThanOrEqual(35)
        expect(new Set(ids.map((i) => i.schema_id))).toEqual(new Set(["default", "customer"]))
        expect(ids.some((i) => i.state === "inactive")).toBe(true)
        expect(ids.some((i) => i.credentials?.oidc)).toBe(true)
        const sessions = yield* call(sb.url, "GET", "/admin/sessions")
        expect(sessions.body.length).toBeGreaterThan(5)
      }))
  })
})

const usernameSchema = {
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: {
        username: { type: "string", minLength: 3, "ory.sh/kratos": { credentials: { password: { identifier: true }, webauthn: { identifier: true } } } },
        emails: {
          type: "array",
          items: { type: "string", format: "email", "ory.sh/kratos": { recovery: { via: "email" }, verification: { via: "email" } } }
        }
      },
      required: ["username"]
    }
  }
}

layer(Sandbox.layer({ identitySchemas: [{ id: "users", schema: usernameSchema }], demo: true }))("sandbox custom schemas", (it) => {
  it.effect("identitySchemas replace the default; the extension reads nested/array traits; demo adds its schema", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const list = yield* call(sb.url, "GET", "/schemas")
      expect(list.body.map((s: any) => s.id)).toEqual(["users", "customer"])
      const created = yield* call(sb.url, "POST", "/admin/identities", {
        json: { schema_id: Buffer.from("users").toString("base64url"), traits: { username: " Grace ", emails: ["G@x.io", "h@x.io"] } }
      })
      expect(created.status).toBe(201)
      // the id is kept as given; its URL names the schema it resolved to
      expect(created.body.schema_id).toBe(Buffer.from("users").toString("base64url"))
      expect(created.body.schema_url.endsWith(`/schemas/${Buffer.from("users").toString("base64url")}`)).toBe(true)
      expect(created.body.credentials.password.identifiers).toEqual(["grace"])
      expect(created.body.credentials.webauthn.identifiers).toEqual(["grace"])
      expect(created.body.recovery_addresses.map((a: any) => a.value)).toEqual(["g@x.io", "h@x.io"])
      const short = yield* call(sb.url, "POST", "/admin/identities", { json: { schema_id: "users", traits: { username: "ab" } } })
      expect(short.body.error.reason).toBe("I[#/traits/username] S[#/properties/traits/properties/username/minLength] length must be >= 3, but got 2")
      const noDefault = yield* call(sb.url, "POST", "/admin/identities", { json: { traits: { username: "abc" } } })
      expect(noDefault.body.error.reason).toBe("Unable to find JSON Schema ID: default")
      const found = yield* call(sb.url, "GET", "/admin/identities?credentials_identifier=GRACE")
      expect(found.body.map((i: any) => i.id)).toEqual([created.body.id])
    }))
})
