import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Apply from "../../src/Apply.js"
import * as Export from "../../src/Export.js"
import { fullRecord, hashOf, http, sandboxWithClient } from "./helpers.js"

const writes = (log: ReadonlyArray<{ readonly method: string; readonly operation?: string }>) => log.filter((r) => r.method !== "GET")

describe("Apply", () => {
  it.scopedLive("plans creates, updates of exactly what differs and prunes; a second apply writes nothing", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      const hash = hashOf("pw")
      yield* sandbox.insertIdentities(Array.from({ length: 20 }, (_, k) => fullRecord(k + 1, hash)))
      const exported = Chunk.toArray(yield* Stream.runCollect(Export.wireBodiesWith(api))) as Array<Record<string, any>>
      const desired = exported
        .filter((b) => b.external_id !== "ext-19" && b.external_id !== "ext-20")
        .map((b) => {
          if (b.external_id === "ext-1") return { ...b, traits: { ...b.traits, name: { ...b.traits.name, first: "Ada" } } }
          if (b.external_id === "ext-2") return { ...b, metadata_public: { plan: "enterprise", n: 2 } }
          if (b.external_id === "ext-4") return { ...b, state: "inactive", metadata_admin: undefined }
          return b
        })
      desired.push(fullRecord(101, hash), { traits: { email: "new@example.com", name: { first: "N", last: "W" } } })

      const before = (yield* sandbox.requests).length
      const plan = yield* Apply.planWith(api, desired, { prune: true })
      expect(writes((yield* sandbox.requests).slice(before))).toEqual([])
      expect({ c: plan.creates, u: plan.updates, n: plan.unchanged, d: plan.deletes, i: plan.invalid }).toEqual({ c: 2, u: 3, n: 15, d: 2, i: 0 })
      const updates = plan.items.filter((i) => i._tag === "Update")
      const ops = Object.fromEntries(updates.map((u) => [u.key, u._tag === "Update" ? u.changes.map((c) => ({ op: c.op, path: c.path, value: c.value })) : []]))
      expect(ops["ext-1"]).toEqual([{ op: "replace", path: "/traits/name/first", value: "Ada" }])
      expect(ops["ext-2"]).toEqual([{ op: "replace", path: "/metadata_public/plan", value: "enterprise" }])
      expect(ops["ext-4"]).toEqual(expect.arrayContaining([
        { op: "replace", path: "/state", value: "inactive" },
        { op: "replace", path: "/metadata_admin", value: null }
      ]))
      const diff = Apply.renderDiff(plan)
      expect(diff).toContain(`~ /traits/name/first: "U" -> "Ada"`)
      expect(diff).toContain("+ create ext-101 (with credentials)")
      expect(diff).toContain("- delete ext-19")
      expect(diff).not.toContain(hash)

      const events = Chunk.toArray(yield* Stream.runCollect(Apply.runWith(api, plan, { prune: true })))
      const finished = events.find((e) => e._tag === "Finished")
      const report = finished?._tag === "Finished" ? finished.report : undefined
      expect(report).toMatchObject({ created: 2, updated: 3, deleted: 2, failed: 0, complete: true })
      // progress after every write, counting up to the plan's seven changes
      const progress = events.flatMap((e) => (e._tag === "Progress" ? [e.progress] : []))
      expect(progress.length).toBeGreaterThanOrEqual(6)
      expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b))
      expect(progress.at(-1)).toMatchObject({ done: 7, total: 7, created: 2, updated: 3, deleted: 2, failed: 0 })
      const applied = writes((yield* sandbox.requests).slice(before))
      expect(applied.filter((r) => r.operation === "patchIdentity")).toHaveLength(3)
      expect(applied.filter((r) => r.operation === "deleteIdentity")).toHaveLength(2)
      expect(applied.filter((r) => r.operation === "batchPatchIdentities")).toHaveLength(1)
      expect(applied).toHaveLength(6)
      const ada = (yield* sandbox.identities).find((i) => i.external_id === "ext-1")!
      expect((ada.traits as { name: { first: string } }).name.first).toBe("Ada")

      const mark = (yield* sandbox.requests).length
      const again = yield* Apply.planWith(api, desired, { prune: true })
      expect({ c: again.creates, u: again.updates, d: again.deletes, n: again.unchanged }).toEqual({ c: 0, u: 0, d: 0, n: 20 })
      yield* Apply.report(Apply.runWith(api, again, { prune: true }))
      expect(writes((yield* sandbox.requests).slice(mark))).toEqual([])
    }).pipe(Effect.provide(http)))

  it.scopedLive("credentials of existing identities change only with updateCredentials", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      yield* sandbox.insertIdentities([fullRecord(1, hashOf("old"))])
      const newHash = hashOf("new")
      const desired = [{ ...fullRecord(1, newHash), credentials: { password: { config: { hashed_password: newHash } } } }]
      const without = yield* Apply.planWith(api, desired)
      expect(without.unchanged).toBe(1)
      const withCreds = yield* Apply.planWith(api, desired, { updateCredentials: true })
      expect(withCreds.updates).toBe(1)
      expect(Apply.renderDiff(withCreds)).toContain("credentials: differ")
      yield* Apply.report(Apply.runWith(api, withCreds))
      const back = Chunk.toArray(yield* Stream.runCollect(Export.wireBodiesWith(api, { includeCredentials: ["password"] })))
      expect(back[0].credentials?.password?.config?.hashed_password).toBe(newHash)
      const second = yield* Apply.planWith(api, desired, { updateCredentials: true })
      expect(second.unchanged).toBe(1)
    }).pipe(Effect.provide(http)))

  // Kratos appends the providers of a PUT to the stored ones and answers 409 for one already there,
  // so an exported record (every provider) with a new hash must send only what the identity lacks.
  it.scopedLive("updateCredentials on an exported record sends only the credentials the identity lacks", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      yield* sandbox.insertIdentities([fullRecord(1, hashOf("old"))])
      const [exported] = Chunk.toArray(yield* Stream.runCollect(Export.wireBodiesWith(api, { includeCredentials: ["password", "oidc", "saml"] }))) as Array<Record<string, any>>
      const newHash = hashOf("new")
      const providers = [...exported.credentials.oidc.config.providers, { provider: "gitlab", subject: "l-1" }]
      const desired = [{ ...exported, credentials: { password: { config: { hashed_password: newHash } }, oidc: { config: { providers } } } }]
      const plan = yield* Apply.planWith(api, desired, { updateCredentials: true })
      expect(plan.updates).toBe(1)
      const report = yield* Apply.report(Apply.runWith(api, plan))
      expect(report.failures).toEqual([])
      const [back] = Chunk.toArray(yield* Stream.runCollect(Export.wireBodiesWith(api, { includeCredentials: ["password", "oidc"] })))
      expect(back.credentials?.password?.config?.hashed_password).toBe(newHash)
      expect(back.credentials?.oidc?.config?.providers?.map((p) => `${p.provider}:${p.subject}`).sort()).toEqual(["github:h-1", "gitlab:l-1", "google:g-1"])
      expect((yield* Apply.planWith(api, desired, { updateCredentials: true })).unchanged).toBe(1)
    }).pipe(Effect.provide(http)))

  it.scopedLive("organization_id and the verification of existing addresses are applied; a second plan is unchanged", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      const hash = hashOf("pw")
      // user1: no organization, address unverified (pending); user2: verified (completed)
      yield* sandbox.insertIdentities([fullRecord(1, hash), fullRecord(2, hash)])
      const org = "0d6a4d1c-2b1f-4c1e-9a55-3f1b2c3d4e60"
      const one = fullRecord(1, hash)
      const two = fullRecord(2, hash)
      const desired = [
        { ...one, organization_id: org, verifiable_addresses: [{ ...one.verifiable_addresses[0], verified: true, status: "completed" }] },
        { ...two, verifiable_addresses: [{ ...two.verifiable_addresses[0], verified: false, status: "pending" }] }
      ]
      const plan = yield* Apply.planWith(api, desired)
      expect(plan.updates).toBe(2)
      const changes = Object.fromEntries(
        plan.items.flatMap((i) => (i._tag === "Update" ? [[i.key, i.changes.map((c) => [c.path, c.value])]] : []))
      )
      expect(changes["ext-1"]).toEqual([
        ["/organization_id", org],
        ["/verifiable_addresses/0/verified", true],
        ["/verifiable_addresses/0/status", "completed"]
      ])
      expect(changes["ext-2"]).toEqual([
        ["/verifiable_addresses/0/verified", false],
        ["/verifiable_addresses/0/status", "pending"]
      ])
      expect(Apply.renderDiff(plan)).toContain("/verifiable_addresses/0/verified: false -> true")
      expect(yield* Apply.report(Apply.runWith(api, plan))).toMatchObject({ updated: 2, failed: 0, complete: true })
      const after = yield* sandbox.identities
      const first = after.find((i) => i.external_id === "ext-1")!
      expect(first.organization_id).toBe(org)
      expect(first.verifiable_addresses?.[0]).toMatchObject({ verified: true, status: "completed" })
      expect(first.verifiable_addresses?.[0].verified_at).toBeDefined()
      const second = after.find((i) => i.external_id === "ext-2")!
      expect(second.verifiable_addresses?.[0]).toMatchObject({ verified: false, status: "pending" })
      const again = yield* Apply.planWith(api, desired)
      expect({ u: again.updates, n: again.unchanged }).toEqual({ u: 0, n: 2 })
    }).pipe(Effect.provide(http)))

  it.scopedLive("matching by identifier; records without a key or twice in the file are invalid", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      yield* sandbox.insertIdentities([fullRecord(1, hashOf("pw"))])
      const { external_id: _drop, ...rest } = fullRecord(1, hashOf("pw"))
      const plan = yield* Apply.planWith(api, [
        { ...rest, traits: { ...rest.traits, name: { first: "By", last: "Email" } } },
        { traits: { nickname: "x" } },
        { traits: { email: "user1@example.com" } },
        42
      ], { match: "identifier" })
      expect(plan.updates).toBe(1)
      expect(plan.invalid).toBe(3)
    }).pipe(Effect.provide(http)))
})
