/**
 * What an import shows an OpenTelemetry exporter (an in-memory span exporter behind
 * `@effect/opentelemetry`'s SDK layer): a span per batch attempt, per lookup round and per journal
 * flush, with sizes, attempts and outcome counts as attributes; the `kratos.import.records` counter
 * by outcome; no password hash anywhere.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as IdentityApi from "../../src/IdentityApi.js"
import * as Import from "../../src/Import.js"
import { importRecords } from "../../src/internal/client/metrics.js"
import * as Sandbox from "../../src/Sandbox.js"
import { cheapHash, record, records, tmpDir, writeJsonl } from "./helpers.js"

const counted = (outcome: string) =>
  Effect.map(Metric.value(Metric.taggedWithLabels(importRecords, [MetricLabel.make("outcome", outcome)])), (s) => s.count)

describe("import telemetry", () => {
  const exporter = new InMemorySpanExporter()
  const tracing = NodeSdk.layer(() => ({ resource: { serviceName: "import-test" }, spanProcessor: new SimpleSpanProcessor(exporter) }))

  it.scopedLive("spans per batch attempt, lookup and journal flush with their counts; records counted by outcome; no hash", () =>
    Effect.gen(function*() {
      const sandbox = yield* Sandbox.make({ hashCost: 4 })
      const api = yield* IdentityApi.make({ baseUrl: sandbox.url, rateLimit: false })
      // the second batch's answer is lost after the server committed it; line 31 is refused
      yield* sandbox.script("batchPatchIdentities", [{}, { status: 504, afterCommit: true }])
      const file = writeJsonl(tmpDir(), "otel.jsonl", [...records(30, 800), record(831, { traits: { email: "nope" } })])
      const before = { created: yield* counted("created"), present: yield* counted("already_present"), invalid: yield* counted("invalid") }
      const report = yield* Effect.flip(Import.report(Import.importFileWith(api, file, { batchSize: 10, retryBase: 10 })))
      expect(report._tag).toBe("ImportIncomplete")
      expect(yield* counted("created")).toBe(before.created + 20)
      expect(yield* counted("already_present")).toBe(before.present + 10)
      expect(yield* counted("invalid")).toBe(before.invalid + 1)

      const spans = exporter.getFinishedSpans()
      const named = (name: string) => spans.filter((s) => s.name === name)
      const batches = named("kratos.import.batch")
      // 10, 10 (lost), then the last records in batches the sizer halved after the loss
      expect(batches.map((s) => s.attributes["kratos.import.batch.attempt"])).toEqual(batches.map(() => 1))
      expect(batches.slice(0, 2).map((s) => s.attributes["kratos.import.batch.size"])).toEqual([10, 10])
      expect(batches.slice(2).reduce((n, s) => n + Number(s.attributes["kratos.import.batch.size"]), 0)).toBe(10)
      expect(batches[0].attributes).toMatchObject({ "kratos.import.batch.created": 10, "kratos.import.batch.failed": 0 })
      expect(batches[1].attributes).toMatchObject({ "kratos.import.batch.error": "GatewayTimeout", "kratos.import.batch.decision": "reconcile" })
      expect(batches.reduce((n, s) => n + Number(s.attributes["kratos.import.batch.created"] ?? 0), 0)).toBe(20)
      const [lookup] = named("kratos.import.lookup")
      expect(lookup.attributes).toMatchObject({ "kratos.import.lookup.records": 10, "kratos.import.lookup.found": 10, "kratos.import.lookup.missing": 0 })
      // the lookup's requests are its children, and so is the journal flush of what it found
      const lookupChildren = spans.filter((s) => s.parentSpanContext?.spanId === lookup.spanContext().spanId)
      expect(lookupChildren.filter((s) => !s.name.startsWith("kratos.import.")).length).toBe(10)
      expect(lookupChildren.filter((s) => s.name === "kratos.import.journal.flush").length).toBe(1)
      const flushes = named("kratos.import.journal.flush")
      expect(flushes.reduce((n, s) => n + Number(s.attributes["kratos.import.journal.created"]), 0)).toBe(20)
      expect(flushes.reduce((n, s) => n + Number(s.attributes["kratos.import.journal.outcomes"]), 0)).toBe(10)
      // the client's request spans sit under the batch that sent them
      const batchChildren = spans.filter((s) => s.parentSpanContext?.spanId === batches[0].spanContext().spanId)
      expect(batchChildren.length).toBeGreaterThan(0)
      for (const s of spans) {
        const text = JSON.stringify([s.name, s.attributes, s.events.map((e) => [e.name, e.attributes])])
        expect(text).not.toContain(cheapHash)
        expect(text).not.toContain("$2")
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(tracing)))
})
