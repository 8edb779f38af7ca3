/** Child of bench/import.ts: a dry run over a file, printing its peak RSS (sampled every 20 ms). */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Import from "../src/Import.js"

const schema = JSON.parse(process.env.SCHEMA ?? "{}")
const client: Import.ImportClient = {
  getIdentitySchema: () => Effect.succeed(schema),
  encoded: { batchPatchIdentities: () => Effect.die("dry run"), updateIdentity: () => Effect.die("dry run") },
  getIdentityByExternalID: () => Effect.die("dry run"),
  listIdentities: () => Effect.die("dry run")
}
let peak = 0
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss)
}
setInterval(sample, 20).unref()
const t0 = performance.now()
Effect.runPromise(
  Stream.runForEach(Import.importFileWith(client, process.argv[2], { dryRun: true }), (e) =>
    Effect.sync(() => {
      if (e._tag === "Finished") {
        sample()
        console.log(JSON.stringify({ peakMb: Math.round(peak / 1048576), ms: performance.now() - t0, valid: e.report.valid }))
      }
    }))
).then(() => process.exit(0))
