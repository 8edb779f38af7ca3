/**
 * `sandbox`: serves the in-memory Kratos admin API until interrupted (Ctrl-C under
 * `NodeRuntime.runMain` closes the server). One line per request goes to stderr.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

const port = Options.integer("port").pipe(Options.withDescription("Port to listen on"), Options.withDefault(4434))
const host = Options.text("host").pipe(Options.withDescription("Interface to bind"), Options.withDefault("127.0.0.1"))
const apiKey = Options.redacted("api-key").pipe(
  Options.withDescription("Require `Authorization: Bearer <key>` on admin routes"),
  Options.optional
)
const demo = Options.boolean("demo").pipe(Options.withDescription("Seed demo identities, schemas and sessions"))
const hashCost = Options.integer("hash-cost").pipe(
  Options.withDescription("bcrypt cost for plaintext password imports (Kratos uses 12)"),
  Options.withDefault(4)
)
const faults = Options.float("faults").pipe(
  Options.withDescription("Probability (0..1) of a random 429/502/503 per admin request"),
  Options.optional
)
const faultSeed = Options.integer("fault-seed").pipe(Options.withDescription("Seed of the fault PRNG"), Options.optional)
const rateLimit = Options.boolean("rate-limit").pipe(
  Options.withDescription("Emulate Ory Network rate-limit buckets, Retry-After and inflight limits")
)
const oryNetwork = Options.boolean("ory-network").pipe(
  Options.withDescription(
    "Answer as an Ory Network project does: rate-limit buckets without Retry-After, in-flight write limits, " +
      "400/409 when every batch item fails, 204 from session extend, a request id in every error"
  )
)
const gatewayTimeout = Options.integer("gateway-timeout").pipe(
  Options.withDescription("Answer 504 when a request's work takes longer than this many ms (the work still commits)"),
  Options.optional
)
const latency = Options.integer("latency").pipe(Options.withDescription("Milliseconds added to every request"), Options.optional)

/** @since 0.1.0 */
export const sandboxCommand = Command.make(
  "sandbox",
  { port, host, apiKey, demo, hashCost, faults, faultSeed, rateLimit, oryNetwork, gatewayTimeout, latency },
  (o) =>
    Effect.scoped(
      Effect.gen(function*() {
        // the sandbox (bcrypt, ajv and its store) loads with the command that serves it
        const Sandbox = yield* Effect.promise(() => import("../../src/Sandbox.js"))
        const sandbox = yield* Sandbox.make({
          ...(o.oryNetwork ? Sandbox.oryNetwork : {}),
          port: o.port,
          host: o.host,
          demo: o.demo,
          hashCost: o.hashCost,
          ...Option.match(o.apiKey, { onNone: () => ({}), onSome: (apiKey) => ({ apiKey }) }),
          ...Option.match(o.faults, {
            onNone: () => ({}),
            onSome: (rate) => ({ faults: { rate, seed: Option.getOrElse(o.faultSeed, () => Date.now() % 2 ** 31) } })
          }),
          ...(o.rateLimit && !o.oryNetwork ? { rateLimit: { retryAfter: true, inflight: true } } : {}),
          ...Option.match(o.gatewayTimeout, { onNone: () => ({}), onSome: (ms) => ({ gatewayTimeout: `${ms} millis` as const }) }),
          ...Option.match(o.latency, { onNone: () => ({}), onSome: (ms) => ({ latency: `${ms} millis` as const }) }),
          log: (line) => process.stderr.write(`${line}\n`)
        })
        const notes = [...(Option.isSome(o.apiKey) ? ["API key required"] : []), ...(o.oryNetwork ? ["answers as Ory Network"] : [])]
        yield* Console.log(`Kratos sandbox listening on ${sandbox.url}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`)
        yield* Console.log(`  admin: ${sandbox.url}/admin/identities   schemas: ${sandbox.url}/schemas   (Ctrl-C to stop)`)
        return yield* Effect.never
      })
    )
).pipe(Command.withDescription("Serve a Kratos-compatible admin API sandbox (in memory) until interrupted"))
