import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Bulk from "../../src/Bulk.js"
import { fullRecord, hashOf, http, sandboxWithClient, tmpDir } from "./helpers.js"

const org = "5f4b0c1e-6a57-4c3b-9d45-0a1b2c3d4e5f"
const writes = (log: ReadonlyArray<{ readonly method: string }>) => log.filter((r) => r.method !== "GET")

describe("Bulk", () => {
  it.scopedLive("a plan writes nothing; deactivate an organisation changes exactly its active identities", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      yield* sandbox.insertIdentities(Array.from({ length: 120 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const before = (yield* sandbox.requests).length
      const plan = yield* Bulk.planWith(api, { filter: { organization_id: org } }, Bulk.deactivate)
      // organisation members: every 4th; a third of those (every 12th) already inactive
      expect(plan.ids.length + plan.unchanged).toBe(30)
      expect(plan.unchanged).toBe(10)
      expect(plan.sample.length).toBe(5)
      expect(writes((yield* sandbox.requests).slice(before))).toEqual([])

      const report = yield* Bulk.report(Bulk.runWith(api, plan))
      expect(report).toMatchObject({ planned: 20, changed: 20, failed: 0, complete: true })
      const all = yield* sandbox.identities
      for (const i of all) {
        const n = Number(i.external_id!.slice(4))
        expect(i.state).toBe(n % 4 === 0 || n % 3 === 0 ? "inactive" : "active")
      }
    }).pipe(Effect.provide(http)))

  it.scopedLive("a plan names the ids no identity has, not those a predicate left out", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      const made = yield* sandbox.insertIdentities(Array.from({ length: 4 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const unknown = "0b5e7a4c-0000-4000-8000-00000000cccc"
      const where = (i: { readonly external_id?: string }) => i.external_id !== "ext-2"
      const plan = yield* Bulk.planWith(
        api,
        { ids: [made[0].id.toUpperCase(), ` ${made[1].id} `, unknown.toUpperCase(), unknown], where },
        Bulk.deactivate
      )
      expect(plan.ids).toEqual([made[0].id])
      expect(plan.notFound).toEqual([unknown])
      const all = yield* Bulk.planWith(api, { all: true }, Bulk.deactivate)
      expect(all.notFound).toEqual([])
    }).pipe(Effect.provide(http)))

  it.scopedLive("a predicate narrows the selection; failures are reported one by one", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      yield* sandbox.insertIdentities(Array.from({ length: 60 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const where = (i: { readonly metadata_public?: unknown }) => (i.metadata_public as { plan?: string } | null)?.plan === "pro"
      const plan = yield* Bulk.planWith(api, { all: true, where }, Bulk.patch([{ op: "replace", path: "/traits/name/first", value: "Pro" }]))
      expect(plan.ids.length).toBe(30)
      yield* sandbox.script("patchIdentity", [{ status: 400 }, { status: 409 }])
      const events = Array.from(yield* Stream.runCollect(Bulk.runWith(api, plan, { concurrency: 1 })))
      const finished = events.find((e) => e._tag === "Finished")
      expect(finished?._tag === "Finished" && finished.report).toMatchObject({ planned: 30, changed: 28, failed: 2, complete: false })
      expect(events.filter((e) => e._tag === "ItemFailed").map((e) => e._tag === "ItemFailed" && e.failure.code)).toEqual([400, 409])
      const pro = (yield* sandbox.identities).filter((i) => (i.traits as { name: { first: string } }).name.first === "Pro")
      expect(pro.length).toBe(28)
      const incomplete = yield* Effect.flip(Bulk.report(Bulk.runWith(api, { ...plan, ids: plan.ids.slice(0, 1) }).pipe(
        Stream.tap(() => sandbox.script("patchIdentity", [{ status: 400 }]))
      )))
      expect(incomplete._tag).toBe("BulkIncomplete")
    }).pipe(Effect.provide(http)))

  it.scopedLive("a page predicate (an effect, answering a page at once) narrows the selection; its failure ends it", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      yield* sandbox.insertIdentities(Array.from({ length: 60 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const pages: Array<number> = []
      const wherePage = (identities: ReadonlyArray<{ readonly metadata_public?: unknown }>) =>
        Effect.sync(() => {
          pages.push(identities.length)
          return identities.map((i) => (i.metadata_public as { plan?: string } | null)?.plan === "pro")
        })
      const plan = yield* Bulk.planWith(api, { all: true, wherePage }, Bulk.deleteIdentities)
      expect(plan.ids.length).toBe(30)
      // called per page, not per identity
      expect(pages.reduce((a, b) => a + b, 0)).toBe(60)
      expect(pages.length).toBeLessThan(60)
      const failed = yield* Effect.flip(
        Bulk.planWith(api, { all: true, wherePage: () => Effect.fail(new Bulk.WorkflowError({ message: "bad predicate" })) }, Bulk.deleteIdentities)
      )
      expect(failed.message).toBe("bad predicate")
    }).pipe(Effect.provide(http)))

  it.scopedLive("ids from text, unknown ids left out, a bad id is a typed error", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      const created = yield* sandbox.insertIdentities(Array.from({ length: 5 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const text = `# to delete\n${created[0].id}\n${created[1].id}, ${created[2].id}\n00000000-0000-4000-8000-000000000001\n`
      const plan = yield* Bulk.planWith(api, { ids: Bulk.idsFromText(text) }, Bulk.deleteIdentities)
      expect([...plan.ids].sort()).toEqual([created[0].id, created[1].id, created[2].id].sort())
      const bad = yield* Effect.flip(Bulk.planWith(api, { ids: ["nope"] }, Bulk.deleteIdentities))
      expect(bad._tag).toBe("WorkflowError")
      const none = yield* Effect.flip(Bulk.planWith(api, {}, Bulk.deleteIdentities))
      expect(none._tag).toBe("WorkflowError")
    }).pipe(Effect.provide(http)))

  it.scopedLive("interrupted mid-run, a resume finishes the plan without repeating a write", () =>
    Effect.gen(function*() {
      const { api, sandbox } = yield* sandboxWithClient()
      yield* sandbox.insertIdentities(Array.from({ length: 200 }, (_, k) => fullRecord(k + 1, hashOf("pw"))))
      const journal = path.join(tmpDir(), "delete.journal.jsonl")
      const plan = yield* Bulk.planWith(api, { all: true }, Bulk.deleteIdentities)
      yield* sandbox.setOptions({ latency: "5 millis" })
      const fiber = yield* Effect.fork(Stream.runDrain(Bulk.runWith(api, plan, { journal, wave: 20, concurrency: 4 })))
      // interrupt once some deletes landed, in the middle of a wave
      while ((yield* sandbox.identities).length > 130) yield* Effect.sleep("2 millis")
      yield* Fiber.interrupt(fiber)
      yield* sandbox.setOptions({ latency: 0 })
      const left = (yield* sandbox.identities).length
      expect(left).toBeGreaterThan(0)
      expect(fs.statSync(journal).mode & 0o777).toBe(0o600)

      const report = yield* Bulk.report(Bulk.resumeWith(api, journal, Bulk.deleteIdentities))
      expect(report.planned).toBe(200)
      expect(report.changed + report.alreadyDone).toBe(200)
      expect(report.resumed).toBeGreaterThan(0)
      expect((yield* sandbox.identities).length).toBe(0)
      const deletes = (yield* sandbox.requests).filter((r) => r.method === "DELETE")
      const byPath = new Map<string, number>()
      for (const d of deletes) byPath.set(d.path, (byPath.get(d.path) ?? 0) + 1)
      expect([...byPath.values()].every((n) => n === 1)).toBe(true)
      expect(deletes.every((d) => d.status === 204)).toBe(true)
      expect(byPath.size).toBe(200)

      const other = yield* Effect.flip(Bulk.report(Bulk.resumeWith(api, journal, Bulk.deactivate)))
      expect(other._tag).toBe("WorkflowError")
    }).pipe(Effect.provide(http)))
})
