/**
 * What the workflows show an OpenTelemetry exporter (an in-memory span exporter behind
 * `@effect/opentelemetry`'s SDK layer): a span per export page, per bulk plan and wave, per apply
 * plan and per apply write, with their counts as attributes and the client's operation spans under
 * the step that sent them; no API key or password hash in any attribute or event.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Apply from "../../src/Apply.js"
import * as Bulk from "../../src/Bulk.js"
import * as Export from "../../src/Export.js"
import * as IdentityApi from "../../src/IdentityApi.js"
import * as Sandbox from "../../src/Sandbox.js"
import { fullRecord, hashOf, http } from "./helpers.js"

const apiKey = "ory_pat_workflow-telemetry-key-5c2e"

describe("workflow spans", () => {
  const exporter = new InMemorySpanExporter()
  const tracing = NodeSdk.layer(() => ({
    resource: { serviceName: "workflows-test" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))

  it.scopedLive("export pages, bulk plan and waves, apply plan and writes: named, counted, parents of their requests, no secret", () =>
    Effect.gen(function*() {
      const sandbox = yield* Sandbox.make({ hashCost: 4, apiKey })
      const api = yield* IdentityApi.make({ baseUrl: sandbox.url, apiKey: Redacted.make(apiKey), rateLimit: false })
      const hash = hashOf("workflow telemetry password")
      yield* sandbox.insertIdentities(Array.from({ length: 12 }, (_, k) => fullRecord(k + 1, hash)))

      const written: Array<string> = []
      yield* Stream.runDrain(
        Export.runWith(api, (text) => Effect.sync(() => void written.push(text)), { pageSize: 5, includeCredentials: ["password"] })
      )
      expect(written.join("")).toContain(hash)

      const plan = yield* Bulk.planWith(api, { all: true }, Bulk.deactivate)
      yield* Stream.runDrain(Bulk.runWith(api, plan, { wave: 3 }))

      const desired = Chunk.toArray(yield* Stream.runCollect(Export.wireBodiesWith(api)))
        .map((b) => (b.external_id === "ext-1" ? { ...b, metadata_public: { plan: "enterprise" } } : b))
        .filter((b) => b.external_id !== "ext-2")
      const applyPlan = yield* Apply.planWith(api, desired, { prune: true })
      yield* Stream.runDrain(Apply.runWith(api, applyPlan, { prune: true }))

      const spans = exporter.getFinishedSpans()
      const named = (name: string) => spans.filter((s) => s.name === name)
      const childrenOf = (parent: ReadableSpan) => spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)

      const pages = named("kratos.export.page")
      expect(pages.map((s) => [s.attributes["kratos.export.page.number"], s.attributes["kratos.export.page.identities"]])).toEqual([[1, 5], [2, 5], [3, 2]])

      const [bulkPlan] = named("kratos.bulk.plan")
      expect(bulkPlan?.attributes).toMatchObject({ "kratos.bulk.action": "deactivate", "kratos.bulk.planned": plan.ids.length })
      expect(childrenOf(bulkPlan!).map((s) => s.name)).toContain("Kratos.listIdentities")
      const waves = named("kratos.bulk.wave")
      expect(waves.map((s) => s.attributes["kratos.bulk.wave.size"]).reduce((a, b) => Number(a) + Number(b), 0)).toBe(plan.ids.length)
      expect(waves.at(-1)?.attributes["kratos.bulk.done"]).toBe(plan.ids.length)
      for (const wave of waves) expect(childrenOf(wave).every((s) => s.name === "Kratos.patchIdentity")).toBe(true)
      expect(waves.flatMap(childrenOf)).toHaveLength(plan.ids.length)

      const [applyPlanSpan] = named("kratos.apply.plan")
      expect(applyPlanSpan?.attributes).toMatchObject({ "kratos.apply.updates": 1, "kratos.apply.deletes": 1, "kratos.apply.creates": 0 })
      const [update] = named("kratos.apply.update")
      const ext1 = (yield* sandbox.identities).find((i) => i.external_id === "ext-1")!
      expect(update?.attributes).toMatchObject({ "kratos.identity.id": ext1.id, "kratos.apply.operation": "patchIdentity" })
      expect(childrenOf(update!).map((s) => s.name)).toEqual(["Kratos.patchIdentity"])
      const [del] = named("kratos.apply.delete")
      expect(childrenOf(del!).map((s) => s.name)).toEqual(["Kratos.deleteIdentity"])

      const exported = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })))
      expect(exported).not.toContain(apiKey)
      expect(exported).not.toContain(hash)
    }).pipe(Effect.provide(http), Effect.provide(tracing)))
})
