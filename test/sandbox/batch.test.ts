import * as bcrypt from "@node-rs/bcrypt"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { limitReasons } from "../../src/BatchPatch.js"
import * as Sandbox from "../../src/Sandbox.js"
import { call } from "./helpers.js"

const pid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`

layer(Sandbox.layer({ hashCost: 5 }))("sandbox batch + passwords", (it) => {
  const reset = Effect.flatMap(Sandbox.Sandbox, (s) => s.reset)

  it.effect("per-item results in input order: create, error (400, 409 incl. same batch), null; failures leave no trace", () =>
    Effect.gen(function*() {
      yield* reset
      const sb = yield* Sandbox.Sandbox
      const r = yield* call(sb.url, "PATCH", "/admin/identities", {
        json: {
          identities: [
            { create: { traits: { email: "one@b.co" } }, patch_id: pid(1) },
            { create: { traits: { email: 7 } }, patch_id: pid(2) },
            { create: null, patch_id: pid(3) },
            { create: { traits: { email: "ONE@b.co" } }, patch_id: pid(4) },
            { create: { traits: { email: "two@b.co" }, external_id: "x" } }
          ]
        }
      })
      expect(r.status).toBe(200)
      const items = r.body.identities
      expect(items[0]).toMatchObject({ action: "create", patch_id: pid(1) })
      expect(items[1]).toMatchObject({ action: "error", patch_id: pid(2), error: { code: 400, status: "Bad Request" } })
      expect(items[1].error.reason).toContain("expected string")
      expect(items[2]).toBeNull()
      expect(items[3]).toMatchObject({ action: "error", patch_id: pid(4), error: { code: 409, status: "Conflict" } })
      expect(items[4].action).toBe("create")
      expect(items[4].patch_id).toBeUndefined()
      const all = yield* sb.identities
      expect(all.map((i) => i.traits).sort((a: any, b: any) => a.email.localeCompare(b.email)))
        .toEqual([{ email: "one@b.co" }, { email: "two@b.co" }])
      // every item failing is still a 200 (Kratos OSS) when several reach the database ...
      const again = yield* call(sb.url, "PATCH", "/admin/identities", {
        json: {
          identities: [
            { create: { traits: { email: "three@b.co" }, external_id: "x" } },
            { create: { traits: { email: "one@b.co" } } }
          ]
        }
      })
      expect(again.status).toBe(200)
      expect(again.body.identities[0].error.code).toBe(409)
      // ... but a single one is inserted alone: its conflict is the whole request's 409
      const single = yield* call(sb.url, "PATCH", "/admin/identities", {
        json: { identities: [{ create: { traits: { email: "three@b.co" }, external_id: "x" } }] }
      })
      expect(single.status).toBe(409)
      expect(single.body.identities).toBeUndefined()
      expect(single.body.error.message).toBe("Unable to insert or update resource because a resource with that value exists already")
      // ... unless the Ory Network switch is on
      yield* sb.setOptions({ batchAllFailStatus: true })
      const strict = yield* call(sb.url, "PATCH", "/admin/identities", {
        json: {
          identities: [
            { create: { traits: { email: "three@b.co" }, external_id: "x" } },
            { create: { traits: { email: "one@b.co" } } }
          ]
        }
      })
      yield* sb.setOptions({ batchAllFailStatus: false })
      expect(strict.status).toBe(409)
      expect(strict.body.error.code).toBe(409)
      expect(strict.body.identities[0].action).toBe("error")
    }))

  it.effect("whole-request 400s: limits, strict decoding, bad hash, bad state", () =>
    Effect.gen(function*() {
      yield* reset
      const u = (yield* Sandbox.Sandbox).url
      const tooMany = yield* call(u, "PATCH", "/admin/identities", {
        json: { identities: Array.from({ length: 1001 }, (_, i) => ({ create: { traits: { email: `u${i}@b.co` } } })) }
      })
      expect(tooMany.status).toBe(400)
      expect(tooMany.body.error.reason).toBe(limitReasons.items)
      const plaintext = yield* call(u, "PATCH", "/admin/identities", {
        json: {
          identities: Array.from({ length: 201 }, (_, i) => ({
            create: { traits: { email: `u${i}@b.co` }, credentials: { password: { config: { password: "pw" } } } }
          }))
        }
      })
      expect(plaintext.status).toBe(400)
      expect(plaintext.body.error.reason).toBe(limitReasons.plaintext)
      const unknown = yield* call(u, "PATCH", "/admin/identities", { json: { identities: [{ create: { traits: {}, nope: 1 } }] } })
      expect(unknown.body.error.message).toBe('json: unknown field "nope"')
      // (the fast path of strict decoding keeps the UUID's pattern)
      const badPatchId = yield* call(u, "PATCH", "/admin/identities", {
        json: { identities: [{ create: { traits: { email: "p@b.co" } }, patch_id: "not-a-uuid" }] }
      })
      expect(badPatchId.status).toBe(400)
      const badHash = yield* call(u, "PATCH", "/admin/identities", {
        json: {
          identities: [
            { create: { traits: { email: "ok@b.co" } } },
            { create: { traits: { email: "h@b.co" }, credentials: { password: { config: { hashed_password: "md5:abc" } } } } }
          ]
        }
      })
      expect(badHash.status).toBe(400)
      expect(badHash.body.error.reason).toBe(
        "The imported password does not match any known hash format. For more information see https://www.ory.sh/dr/2"
      )
      const badState = yield* call(u, "PATCH", "/admin/identities", { json: { identities: [{ create: { traits: { email: "s@b.co" }, state: "nah" } }] } })
      expect(badState.status).toBe(400)
      expect((yield* Effect.flatMap(Sandbox.Sandbox, (s) => s.identities)).length).toBe(0)
    }))

  it.effect("plaintext passwords are bcrypt-hashed at hashCost; known hash prefixes are accepted", () =>
    Effect.gen(function*() {
      yield* reset
      const u = (yield* Sandbox.Sandbox).url
      const created = yield* call(u, "POST", "/admin/identities", {
        json: { traits: { email: "pw@b.co" }, credentials: { password: { config: { password: "correct horse" } } } }
      })
      expect(created.status).toBe(201)
      const got = yield* call(u, "GET", `/admin/identities/${created.body.id}?include_credential=password`)
      const stored: string = got.body.credentials.password.config.hashed_password
      expect(stored.startsWith("$2")).toBe(true)
      expect(bcrypt.parseOptions(stored).cost).toBe(5)
      expect(yield* Effect.promise(() => bcrypt.verify("correct horse", stored))).toBe(true)
      for (const [n, hashed] of [
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        "$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA",
        "{SSHA}abcdefgh",
        "$sha256$c2FsdA$aGFzaA",
        "$md5$aGFzaA"
      ].entries()) {
        const r = yield* call(u, "POST", "/admin/identities", {
          json: { traits: { email: `h${n}@b.co` }, credentials: { password: { config: { hashed_password: hashed } } } }
        })
        expect(r.status).toBe(201)
      }
      const hook = yield* call(u, "POST", "/admin/identities", {
        json: { traits: { email: "hook@b.co" }, credentials: { password: { config: { use_password_migration_hook: true } } } }
      })
      const hooked = yield* call(u, "GET", `/admin/identities/${hook.body.id}?include_credential=password`)
      expect(hooked.body.credentials.password.config).toEqual({ hashed_password: "", use_password_migration_hook: true })
    }))
})
