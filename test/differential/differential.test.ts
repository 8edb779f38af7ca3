import { readFileSync } from "node:fs"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Sandbox from "../../src/Sandbox.js"
import type { AllowlistEntry, Difference, Exchange, Target } from "./harness.js"
import { allowed, compareExchanges, runScenario } from "./harness.js"
import { scenario } from "./scenario.js"

const read = <A>(file: string): A => JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8")) as A
const recorded = read<{ exchanges: Array<Exchange> }>("./fixtures/kratos-v26.2.0.json").exchanges
const allowlist = read<{ entries: Array<AllowlistEntry> }>("./allowlist.json").entries

const show = (d: Difference) => `${d.exchange} ${d.pointer}: Kratos ${JSON.stringify(d.expected)}, sandbox ${JSON.stringify(d.actual)}`

// The recorded Kratos was told its public URL is this; the sandbox writes the same into its links.
const publicUrl = "http://127.0.0.1:4433"

layer(Sandbox.layer({ publicUrl }), { excludeTestServices: true })("differential: the sandbox answers as Kratos v26.2.0", (it) => {
  it.effect("every recorded exchange is answered alike, or its difference is allowlisted with a reason", () =>
    Effect.gen(function*() {
      const sb = yield* Sandbox.Sandbox
      const target: Target = {
        admin: sb.url,
        public: sb.url,
        publicUrl,
        pause: () => new Promise((r) => setTimeout(r, 5)),
        createSession: (identityId) => Effect.runPromise(Effect.map(sb.createSession(identityId), (s) => s.id))
      }
      const replayed = yield* Effect.promise(() => runScenario(target, scenario))
      expect(replayed.length).toBeGreaterThanOrEqual(150)
      const differences = compareExchanges(recorded, replayed)
      const unexplained = differences.filter((d) => !allowed(d, allowlist))
      expect(unexplained.map(show)).toEqual([])
      const stale = allowlist.filter((e) => !differences.some((d) => allowed(d, [e])))
      expect(stale.map((e) => `${e.exchange} ${e.pointer}`)).toEqual([])
      for (const e of allowlist) expect(e.reason.length).toBeGreaterThan(20)
    }), 240_000)
})
