import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { IdentityApi } from "../../src/IdentityApi.js"
import * as Import from "../../src/Import.js"
import * as Sandbox from "../../src/Sandbox.js"
import { countByExternalId, env, records, tmpDir, writeJsonl } from "./helpers.js"

const big = { burst: 1_000_000, perSecond: 1_000_000 }

/** Runs an import; the most batches the importer had at once, and the report. */
const observe = (events: Stream.Stream<Import.ImportEvent, Import.ImportError, IdentityApi>) =>
  Effect.gen(function*() {
    let maxInFlight = 0
    let report: Import.ImportReport | undefined
    yield* Stream.runForEach(events, (e) =>
      Effect.sync(() => {
        if (e._tag === "Progress") maxInFlight = Math.max(maxInFlight, e.progress.inFlight)
        if (e._tag === "Finished") report = e.report
      }))
    return { maxInFlight, report: report! }
  })

/** Batch requests the sandbox refused as a second concurrent write (Ory Network's inflight rule). */
const inflight429s = Effect.map(
  Effect.flatMap(Sandbox.Sandbox, (sb) => sb.requests),
  (log) => log.filter((r) => r.operation === "batchPatchIdentities" && r.status === 429)
)

// Ory Network's inflight rule on (a 2nd concurrent write to the path → 429) and a client that
// serialises writes per path: the importer looks one batch ahead (`lookAhead: true`).
layer(
  env(
    { rateLimit: { inflight: true, buckets: { "kratos-admin-high": big, "kratos-admin-medium": big, "kratos-admin-low": big } } },
    { rateLimit: false, serializeWritesPerPath: true }
  ),
  { excludeTestServices: true }
)("import look-ahead", (it) => {
  it.effect("one batch encoded ahead, one on the wire; 504s after commit reconciled: each imported exactly once", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const input = records(8_000)
      const file = writeJsonl(tmpDir(), "ahead.jsonl", input)
      // The first batch stays on the server long enough for the next one to be read and encoded.
      yield* sb.script("batchPatchIdentities", [
        { delay: "300 millis" },
        {},
        { status: 504, afterCommit: true },
        {},
        { status: 504, afterCommit: true }
      ])
      const { maxInFlight, report } = yield* observe(
        Import.importFile(file, { retryBase: 20, batchSize: 500, progressInterval: 0, lookAhead: true })
      )
      expect(report.complete).toBe(true)
      expect(report.created + report.alreadyPresent).toBe(8_000)
      expect(report.reconciled).toBeGreaterThan(0)
      // Two batches in the importer at once, never a second write on the wire (no inflight 429).
      expect(maxInFlight).toBe(2)
      expect(yield* inflight429s).toEqual([])
      const all = yield* sb.identities
      expect(all.length).toBe(8_000)
      const counts = countByExternalId(all)
      for (const r of input) expect(counts.get(r.external_id)).toBe(1)
    }))

  it.effect("by default, with concurrency 1: look-ahead on", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const file = writeJsonl(tmpDir(), "auto.jsonl", records(3_000))
      yield* sb.script("batchPatchIdentities", [{ delay: "300 millis" }])
      const { maxInFlight } = yield* observe(Import.importFile(file, { batchSize: 500, progressInterval: 0 }))
      expect(maxInFlight).toBe(2)
      expect(yield* inflight429s).toEqual([])
      expect((yield* sb.identities).length).toBe(3_000)
    }))

  it.effect("lookAhead: false keeps one batch in the importer", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const file = writeJsonl(tmpDir(), "plain.jsonl", records(3_000))
      const { maxInFlight } = yield* observe(Import.importFile(file, { batchSize: 500, progressInterval: 0, lookAhead: false }))
      expect(maxInFlight).toBe(1)
      expect((yield* sb.identities).length).toBe(3_000)
    }))
})

// The same rule with a client that does not serialise writes (self-hosted Kratos): the importer's
// own wire gate keeps one batch request on the wire while the next one waits, ready.
layer(
  env(
    { rateLimit: { inflight: true, buckets: { "kratos-admin-high": big, "kratos-admin-medium": big, "kratos-admin-low": big } } },
    { rateLimit: false }
  ),
  { excludeTestServices: true }
)("import look-ahead without a serialising client", (it) => {
  it.effect("concurrency 1 means one batch request on the wire, one waiting; 2 means two", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      yield* sb.reset
      const file = writeJsonl(tmpDir(), "gate.jsonl", records(4_000))
      yield* sb.script("batchPatchIdentities", [{ delay: "300 millis" }])
      const { maxInFlight } = yield* observe(Import.importFile(file, { batchSize: 500, progressInterval: 0 }))
      expect(maxInFlight).toBe(2)
      expect(yield* inflight429s).toEqual([])
      expect((yield* sb.identities).length).toBe(4_000)

      // two on the wire at once: the sandbox's inflight rule answers the second with a 429
      yield* sb.reset
      const again = writeJsonl(tmpDir(), "gate2.jsonl", records(4_000))
      yield* sb.script("batchPatchIdentities", [{ delay: "300 millis" }])
      const report = yield* Import.report(Import.importFile(again, { batchSize: 500, progressInterval: 0, concurrency: 2, retryBase: 20 }))
      expect(report.created).toBe(4_000)
      expect((yield* inflight429s).length).toBeGreaterThan(0)
    }))
})
