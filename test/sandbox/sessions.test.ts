import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Sandbox from "../../src/Sandbox.js"
import { call, unknownUuid } from "./helpers.js"

layer(Sandbox.layer())("sandbox sessions + recovery", (it) => {
  const fresh = Effect.gen(function*() {
    const sb = yield* Sandbox.Sandbox
    yield* sb.reset
    const [identity] = yield* sb.insertIdentities([{ traits: { email: "s@b.co" } }])
    return { sb, u: sb.url, id: identity.id }
  })

  it.effect("POST /sandbox/sessions, getSession with expand, disable, extend (200 / 204), deleteIdentitySessions", () =>
    Effect.gen(function*() {
      const { id, sb, u } = yield* fresh
      const created = yield* call(u, "POST", "/sandbox/sessions", { json: { identity_id: id, expires_in: "2h" } })
      expect(created.status).toBe(201)
      const sid = created.body.id
      const plain = yield* call(u, "GET", `/admin/sessions/${sid}`)
      expect(plain.status).toBe(200)
      expect(plain.body.identity).toBeNull()
      expect(plain.body.devices).toEqual([])
      expect(plain.body.active).toBe(true)
      const expanded = yield* call(u, "GET", `/admin/sessions/${sid}?expand=identity`)
      expect(expanded.body.identity.id).toBe(id)
      expect(expanded.body.identity.credentials).toBeUndefined()
      expect((yield* call(u, "GET", "/admin/sessions/not-a-uuid")).status).toBe(400)
      expect((yield* call(u, "GET", `/admin/sessions/${unknownUuid}`)).status).toBe(404)

      const extended = yield* call(u, "PATCH", `/admin/sessions/${sid}/extend`)
      expect(extended.status).toBe(200)
      expect(Date.parse(extended.body.expires_at)).toBeGreaterThan(Date.parse(plain.body.expires_at))
      expect(extended.body.identity.id).toBe(id)
      yield* sb.setOptions({ fasterSessionExtend: true })
      const fast = yield* call(u, "PATCH", `/admin/sessions/${sid}/extend`)
      yield* sb.setOptions({ fasterSessionExtend: false })
      expect(fast.status).toBe(204)
      expect((yield* call(u, "PATCH", `/admin/sessions/${unknownUuid}/extend`)).status).toBe(404)
      expect((yield* call(u, "PATCH", "/admin/sessions/x/extend")).status).toBe(400)

      expect((yield* call(u, "DELETE", `/admin/sessions/${sid}`)).status).toBe(204)
      expect((yield* call(u, "DELETE", `/admin/sessions/${sid}`)).status).toBe(204)
      expect((yield* call(u, "GET", `/admin/sessions/${sid}`)).body.active).toBe(false)
      expect((yield* call(u, "DELETE", `/admin/sessions/${unknownUuid}`)).status).toBe(404)
      expect((yield* call(u, "DELETE", "/admin/sessions/zzz")).status).toBe(400)

      const viaApi = yield* sb.createSession(id, { aal: "aal2" })
      expect(viaApi.authenticator_assurance_level).toBe("aal2")
      expect((yield* call(u, "DELETE", `/admin/identities/${id}/sessions`)).status).toBe(204)
      const none = yield* call(u, "DELETE", `/admin/identities/${id}/sessions`)
      expect(none.status).toBe(404)
      expect(none.body.error.message).toBe("Unable to locate the resource")
      expect((yield* call(u, "DELETE", "/admin/identities/bad/sessions")).status).toBe(400)
      expect((yield* call(u, "POST", "/sandbox/sessions", { json: { identity_id: unknownUuid } })).status).toBe(404)
    }))

  it.effect("recovery link (200, unknown identity 400) and code (201, 6 digits, unknown identity 404)", () =>
    Effect.gen(function*() {
      const { id, u } = yield* fresh
      const link = yield* call(u, "POST", "/admin/recovery/link", { json: { identity_id: id, expires_in: "1m30s" } })
      expect(link.status).toBe(200)
      expect(link.body.recovery_link).toMatch(/\/self-service\/recovery\?flow=[0-9a-f-]{36}&token=[A-Za-z0-9]{32}$/)
      const unknownLink = yield* call(u, "POST", "/admin/recovery/link", { json: { identity_id: unknownUuid } })
      expect(unknownLink.status).toBe(400)
      expect(unknownLink.body.error.reason).toBe("The requested identity id does not exist.")
      const badDuration = yield* call(u, "POST", "/admin/recovery/link", { json: { identity_id: id, expires_in: "soon" } })
      expect(badDuration.body.error.reason).toBe(
        'Unable to parse "expires_in" whose format should match "[0-9]+(ns|us|ms|s|m|h)" but did not: soon'
      )
      const form = yield* call(u, "POST", "/admin/recovery/link", { raw: `identity_id=${id}`, headers: { "content-type": "application/x-www-form-urlencoded" } })
      expect(form.status).toBe(400)
      expect(form.body.error.reason).toContain('unknown HTTP Header "Content-Type: application/x-www-form-urlencoded"')

      const code = yield* call(u, "POST", "/admin/recovery/code", { json: { identity_id: id, flow_type: "api" } })
      expect(code.status).toBe(201)
      expect(code.body.recovery_code).toMatch(/^\d{6}$/)
      expect(code.body.recovery_link).toContain("?flow=")
      // the clock does not move under it.effect: the lifespans differ by exactly 1h - 1m30s
      expect(Date.parse(code.body.expires_at) - Date.parse(link.body.expires_at)).toBe(3600_000 - 90_000)
      const unknownCode = yield* call(u, "POST", "/admin/recovery/code", { json: { identity_id: unknownUuid } })
      expect(unknownCode.status).toBe(404)
      expect(unknownCode.body.error.reason).toBe("could not find identity")
      expect((yield* call(u, "POST", "/admin/recovery/code", { json: { identity_id: id, flow_type: "native" } })).status).toBe(400)
      expect((yield* call(u, "POST", "/admin/recovery/code", { json: { identity_id: id, expires_in: "-1h" } })).status).toBe(400)
    }))
})

layer(Sandbox.layer({ apiKey: "ory_pat_secret" }))("sandbox auth", (it) => {
  it.effect("admin routes need the bearer key; schemas do not; every response has x-request-id", () =>
    Effect.gen(function*() {
      const u = (yield* Sandbox.Sandbox).url
      const denied = yield* call(u, "GET", "/admin/identities")
      expect(denied.status).toBe(401)
      // `request` only echoes a caller's X-Request-ID
      expect(denied.body).toEqual({ error: { code: 401, status: "Unauthorized", message: "Access credentials are invalid" } })
      expect((yield* call(u, "GET", "/admin/identities", { headers: { authorization: "Bearer wrong" } })).status).toBe(401)
      expect((yield* call(u, "GET", "/admin/identities", { headers: { authorization: "Bearer ory_pat_secret" } })).status).toBe(200)
      expect((yield* call(u, "POST", "/sandbox/reset")).status).toBe(401)
      const schemas = yield* call(u, "GET", "/schemas")
      expect(schemas.status).toBe(200)
      const echoed = yield* call(u, "GET", "/schemas/default", { headers: { "x-request-id": "req-123" } })
      expect(echoed.headers.get("x-request-id")).toBe("req-123")
    }))
})
