import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { parseLinkHeader } from "../../src/Pagination.js"
import * as Sandbox from "../../src/Sandbox.js"
import { call, unknownUuid, uuid0 } from "./helpers.js"

const seed = (n: number) =>
  Effect.flatMap(Sandbox.Sandbox, (sb) =>
    Effect.zipRight(
      sb.reset,
      sb.insertIdentities(Array.from({ length: n }, (_, i) => ({ traits: { email: `user${i}@example.com` }, ...(i === 0 ? { organization_id: "11111111-2222-4333-8444-555555555555" } : {}) })))
    ))

layer(Sandbox.layer())("sandbox lists", (it) => {
  it.effect("listIdentities: keyset pages in id order, Link first/next, no next on the last page", () =>
    Effect.gen(function*() {
      const inserted = yield* seed(7)
      const u = (yield* Sandbox.Sandbox).url
      const seen: Array<string> = []
      let path = "/admin/identities?page_size=3"
      let pages = 0
      for (;;) {
        const r = yield* call(u, "GET", path)
        expect(r.status).toBe(200)
        expect(r.headers.get("x-total-count")).toBeNull()
        expect(r.body[0].credentials).toBeUndefined()
        seen.push(...r.body.map((i: any) => i.id))
        const links = parseLinkHeader(r.headers.get("link")!)
        expect(links.get("first")!.url).toBe(`/admin/identities?page_size=3&page_token=${uuid0}`)
        pages++
        const next = links.get("next")
        if (!next) break
        path = next.url
      }
      expect(pages).toBe(3)
      expect(seen).toEqual(inserted.map((i) => i.id).sort())
      // the path is the routed one (admin prefix added, as Kratos' router rewrites it), other params kept
      const bare = yield* call(u, "GET", "/identities?page_size=7&include_credential=password")
      expect(bare.headers.get("link")).toBe(`</admin/identities?include_credential=password&page_size=7&page_token=${uuid0}>; rel="first"`)
      expect(bare.body[0].credentials.password.identifiers.length).toBe(1)
      expect((yield* call(u, "GET", "/admin/identities?page_size=nope")).status).toBe(400)
      expect((yield* call(u, "GET", "/admin/identities?page_token=forged")).body.error.reason)
        .toBe("The page token is invalid, do not craft your own page tokens")
      const dflt = yield* call(u, "GET", "/admin/identities")
      expect(dflt.headers.get("link")).toContain("page_size=250")
      const clamp = yield* call(u, "GET", "/admin/identities?page_size=9999")
      expect(clamp.headers.get("link")).toContain("page_size=500")
    }))

  it.effect("listIdentities: id order holds through creates, deletes and listing interleaved", () =>
    Effect.gen(function*() {
      yield* seed(20)
      const u = (yield* Sandbox.Sandbox).url
      const listAll = Effect.gen(function*() {
        const ids: Array<string> = []
        let path = "/admin/identities?page_size=6"
        for (;;) {
          const r = yield* call(u, "GET", path)
          ids.push(...r.body.map((i: any) => i.id))
          const next = parseLinkHeader(r.headers.get("link")!).get("next")
          if (!next) return ids
          path = next.url
        }
      })
      const before = yield* listAll
      for (const gone of before.filter((_, i) => i % 4 === 0)) {
        expect((yield* call(u, "DELETE", `/admin/identities/${gone}`)).status).toBe(204)
      }
      const created: Array<string> = []
      for (let i = 0; i < 8; i++) {
        const r = yield* call(u, "POST", "/admin/identities", { json: { schema_id: "default", traits: { email: `late${i}@example.com` } } })
        expect(r.status).toBe(201)
        created.push(r.body.id)
        // a listing between creates, and a delete of one just created (not yet merged into the index)
        if (i === 3) expect((yield* listAll).length).toBe(15 + 4)
        if (i === 5) expect((yield* call(u, "DELETE", `/admin/identities/${r.body.id}`)).status).toBe(204)
      }
      const after = yield* listAll
      const expected = [...before.filter((_, i) => i % 4 !== 0), ...created.filter((_, i) => i !== 5)].sort()
      expect(after).toEqual(expected)
    }))

  it.effect("listIdentities: legacy page/per_page with X-Total-Count and the 1000-item cap", () =>
    Effect.gen(function*() {
      yield* seed(5)
      const u = (yield* Sandbox.Sandbox).url
      const p1 = yield* call(u, "GET", "/admin/identities?page=1&per_page=2")
      expect(p1.body.length).toBe(2)
      expect(p1.headers.get("x-total-count")).toBe("5")
      expect(parseLinkHeader(p1.headers.get("link")!).get("next")!.params.get("page")).toBe("2")
      const cap = yield* call(u, "GET", "/admin/identities?page=3&per_page=500")
      expect(cap.status).toBe(400)
      expect(cap.body.error.reason).toContain("Legacy pagination is not supported for enumerating over 1000 items")
    }))

  it.effect("listIdentities: filters (ids, credentials_identifier, similar, organization_id) and their errors", () =>
    Effect.gen(function*() {
      const inserted = yield* seed(4)
      const u = (yield* Sandbox.Sandbox).url
      const ids = yield* call(u, "GET", `/admin/identities?ids=${inserted[1].id}&ids=${inserted[2].id}&ids=${unknownUuid}`)
      expect(ids.body.map((i: any) => i.id).sort()).toEqual([inserted[1].id, inserted[2].id].sort())
      const ci = yield* call(u, "GET", "/admin/identities?credentials_identifier=USER3@example.com")
      expect(ci.body.length).toBe(1)
      expect(ci.body[0].traits.email).toBe("user3@example.com")
      expect(ci.body[0].credentials.password.config).toBeUndefined()
      const similar = yield* call(u, "GET", "/admin/identities?preview_credentials_identifier_similar=user")
      expect(similar.body.length).toBe(4)
      const org = yield* call(u, "GET", "/admin/identities?organization_id=11111111-2222-4333-8444-555555555555")
      expect(org.body.length).toBe(1)
      const both = yield* call(u, "GET", `/admin/identities?ids=${unknownUuid}&credentials_identifier=x`)
      expect(both.status).toBe(400)
      expect(both.body.error.reason).toBe("You cannot combine multiple filters in this API")
      expect((yield* call(u, "GET", "/admin/identities?ids=nope")).body.error.reason).toBe("Invalid UUID value `nope` for parameter `ids`.")
      const many = Array.from({ length: 501 }, () => `ids=${unknownUuid}`).join("&")
      expect((yield* call(u, "GET", `/admin/identities?${many}`)).body.error.reason).toBe("The number of ids to filter must not exceed 500.")
    }))

  it.effect("listSessions: opaque keyset tokens, active filter, expand; listIdentitySessions: offset + X-Total-Count", () =>
    Effect.gen(function*() {
      const inserted = yield* seed(2)
      const sb = yield* Sandbox.Sandbox
      const u = sb.url
      for (let n = 0; n < 5; n++) yield* sb.createSession(inserted[0].id, { active: n !== 0 })
      yield* sb.createSession(inserted[1].id)
      const seen: Array<string> = []
      let path = "/admin/sessions?page_size=4"
      for (;;) {
        const r = yield* call(u, "GET", path)
        expect(r.body.every((s: any) => s.identity === null && s.devices === null)).toBe(true)
        seen.push(...r.body.map((s: any) => s.id))
        const next = parseLinkHeader(r.headers.get("link")!).get("next")
        if (!next) break
        expect(next.params.get("page_token")).toMatch(/^[A-Za-z0-9+/]+$/)
        path = next.url
      }
      expect(new Set(seen).size).toBe(6)
      const active = yield* call(u, "GET", "/admin/sessions?active=false&expand=Identity&expand=devices")
      expect(active.body.length).toBe(1)
      expect(active.body[0].identity.id).toBe(inserted[0].id)
      expect(active.body[0].devices.length).toBe(1)
      expect((yield* call(u, "GET", "/admin/sessions?expand=nope")).body.error.reason).toBe("Could not parse expand option: nope")
      expect((yield* call(u, "GET", "/admin/sessions?active=maybe")).status).toBe(400)
      expect((yield* call(u, "GET", "/admin/sessions?page_token=!!!")).status).toBe(400)

      const mine = yield* call(u, "GET", `/admin/identities/${inserted[0].id}/sessions?page_size=2`)
      expect(mine.body.length).toBe(2)
      expect(mine.headers.get("x-total-count")).toBe("5")
      expect(mine.body[0].identity.id).toBe(inserted[0].id)
      const links = parseLinkHeader(mine.headers.get("link")!)
      const p2 = yield* call(u, "GET", links.get("next")!.url)
      expect(p2.body.length).toBe(2)
      const activeOnly = yield* call(u, "GET", `/admin/identities/${inserted[0].id}/sessions?active=true`)
      expect(activeOnly.body.length).toBe(4)
      expect((yield* call(u, "GET", `/admin/identities/${unknownUuid}/sessions`)).body).toEqual([])
      expect((yield* call(u, "GET", "/admin/identities/nope/sessions")).status).toBe(400)
    }))
})

layer(Sandbox.layer({ demo: true }))("sandbox schema lists", (it) => {
  it.effect("listIdentitySchemas: offset tokens, X-Total-Count, Kratos' Link cases", () =>
    Effect.gen(function*() {
      const u = (yield* Sandbox.Sandbox).url
      const p1 = yield* call(u, "GET", "/schemas?page_size=1")
      expect(p1.body.map((s: any) => s.id)).toEqual(["default"])
      expect(p1.headers.get("x-total-count")).toBe("2")
      const l1 = parseLinkHeader(p1.headers.get("link")!)
      expect([...l1.keys()].sort()).toEqual(["last", "next"])
      const next = l1.get("next")!
      expect(next.params.get("page")).toBe("1")
      expect(next.params.get("per_page")).toBe("1")
      const p2 = yield* call(u, "GET", next.url)
      expect(p2.body.map((s: any) => s.id)).toEqual(["customer"])
      expect([...parseLinkHeader(p2.headers.get("link")!).keys()].sort()).toEqual(["first", "prev"])
      const legacy = yield* call(u, "GET", "/schemas?page=1&per_page=1")
      expect(legacy.body.map((s: any) => s.id)).toEqual(["customer"])
      expect((yield* call(u, "GET", "/schemas?page_token=%%%")).status).toBe(400)
    }))
})
