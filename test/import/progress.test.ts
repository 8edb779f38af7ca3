/**
 * The progress model under `TestClock`: progress counts finished records (not records read), and
 * the ETA follows finished records. The importer runs against a stub client whose batches take one
 * (test) second each: a model test, the wire is not what is tested here.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Import from "../../src/Import.js"
import { progressOf } from "../../src/internal/import/tally.js"
import { records } from "./helpers.js"

const schema = {
  type: "object",
  properties: { traits: { type: "object", properties: { email: { type: "string" }, name: { type: "object" } } } }
}

/** A server that takes one second per batch of `size` records and creates them all. */
const slowServer = (size: number): Import.ImportClient => ({
  getIdentitySchema: () => Effect.succeed(schema as never),
  encoded: {
    batchPatchIdentities: () =>
      Effect.as(
        Effect.sleep("1 second"),
        { identities: Array.from({ length: size }, () => ({ action: "create" as const })) }
      ),
    updateIdentity: () => Effect.die("not used")
  },
  getIdentityByExternalID: () => Effect.die("not used"),
  listIdentities: () => Effect.die("not used")
})

describe("import progress", () => {
  it("the model: an input read ahead of the server counts finished records; the ETA is left records at the finished rate", () => {
    // everything read (100% of the bytes) while 30 of 100 records are finished in 3 s
    const p = progressOf({ records: 100, done: 30, imported: 30, failed: 0, retried: 0, inFlight: 1, bytes: 5000 }, 3000, 5000, 10, undefined)
    expect(p).toMatchObject({ read: 100, done: 30, fraction: 0.3, rate: 10, etaSeconds: 7 })
    // half of the input read, 25 finished in 5 s: 100 records expected, 75 left at 5/s
    expect(progressOf({ records: 50, done: 25, imported: 25, failed: 0, retried: 0, inFlight: 1, bytes: 2500 }, 5000, 5000, 10, undefined))
      .toMatchObject({ fraction: 0.25, rate: 5, etaSeconds: 15 })
    // nothing read yet: 0%, no ETA; no size known: no share at all
    expect(progressOf({ records: 0, done: 0, imported: 0, failed: 0, retried: 0, inFlight: 0, bytes: 0 }, 0, 5000, 10, undefined))
      .toMatchObject({ fraction: 0, etaSeconds: undefined })
    expect(progressOf({ records: 50, done: 25, imported: 25, failed: 0, retried: 0, inFlight: 1, bytes: 2500 }, 5000, undefined, 10, undefined).fraction)
      .toBeUndefined()
  })

  it.effect("a run under TestClock: each second one batch of 10 finishes; done, rate and ETA follow the finished records", () =>
    Effect.gen(function*() {
      const text = records(100).map((r) => JSON.stringify(r)).join("\n") + "\n"
      const bytes = Buffer.from(text)
      const events = Import.runWith(slowServer(10), Import.readSource(Stream.make(bytes)), {
        batchSize: 10,
        totalBytes: bytes.length,
        progressInterval: 100
      })
      const progress = events.pipe(
        Stream.filter((e): e is Extract<Import.ImportEvent, { _tag: "Progress" }> => e._tag === "Progress"),
        Stream.map((e) => e.progress)
      )
      const fiber = yield* Effect.fork(Stream.runCollect(progress))
      // the engine yields to the event loop between slices: let it reach its next sleep before the clock moves
      const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))
      for (let s = 0; s < 12; s++) {
        yield* settle
        yield* TestClock.adjust("1 second")
      }
      const seen = [...(yield* Fiber.join(fiber))]
      // once a batch is back: its records counted, the input read long before
      for (let k = 1; k <= 9; k++) {
        const p = seen.find((x) => x.done === 10 * k)
        expect(p, `done ${10 * k}`).toBeDefined()
        expect(p!.read).toBe(100)
        expect(p!.imported).toBe(10 * k)
        expect(p!.elapsedMs).toBe(1000 * k)
        expect(p!.rate).toBeCloseTo(10)
        expect(p!.etaSeconds).toBeCloseTo(10 - k)
        // the share shown follows the finished records, though every byte was read long before
        expect(p!.fraction).toBeCloseTo(k / 10)
      }
      expect(seen.at(-1)).toMatchObject({ done: 100, etaSeconds: 0, fraction: 1 })
      // never more done than finished: no event counted records still on the wire
      for (const p of seen) expect(p.done % 10).toBe(0)
    }))
})
