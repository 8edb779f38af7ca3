/** `connect` (REPL only): swaps the session's client. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as Connection from "../Connection.js"
import * as Contexts from "../Contexts.js"
import { UsageError } from "../Errors.js"
import * as Probe from "../Probe.js"
import { Io } from "../Io.js"
import { ReplControl } from "../ReplControl.js"

/** Probes a target with a short-lived client (the session's client is swapped after the command). */
const probeTarget = (url: string, apiKey: Redacted.Redacted<string> | undefined): Effect.Effect<Probe.Probe> =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(Connection.clientLayer({ url, apiKey, kind: "remote" })),
      (ctx) => Probe.probe(Context.get(ctx, IdentityApi))
    )
  ).pipe(Effect.catchAll((e) => Effect.succeed({ reachable: false, auth: "unknown", problem: e.message } satisfies Probe.Probe)))

/** `connect` */
export const connect = Command.make(
  "connect",
  {
    url: Options.text("url").pipe(Options.withDescription("Admin API base URL, e.g. https://<slug>.projects.oryapis.com"), Options.optional),
    apiKey: Options.redacted("api-key").pipe(Options.withDescription("API key (never echoed nor stored in history)"), Options.optional),
    target: Args.text({ name: "sandbox|url|context" }).pipe(Args.withDescription("'sandbox' for the embedded sandbox, a URL, or a context of the config file"), Args.optional)
  },
  ({ apiKey, target, url }) =>
    Effect.gen(function*() {
      const control = yield* ReplControl
      const io = yield* Io
      const positional = Option.getOrUndefined(target)
      if (positional !== undefined && positional !== "sandbox" && Option.isNone(url) && !positional.includes("://")) {
        // a context of the config file
        const file = Contexts.configPath()
        const config = yield* Contexts.load(file)
        const ctx = yield* Contexts.targetOf(positional, yield* Contexts.find(config, positional, file), apiKey)
        const label = yield* control.connect({ _tag: "Remote", url: ctx.url, apiKey: ctx.apiKey, context: positional }).pipe(
          Effect.mapError((message) => new UsageError({ message }))
        )
        return yield* io.out(`connected to ${label}: ${Probe.summary(yield* probeTarget(ctx.url, ctx.apiKey))}`)
      }
      const to = positional === "sandbox"
        ? { _tag: "Sandbox" as const }
        : Option.isSome(url) || positional !== undefined
        ? { _tag: "Remote" as const, url: Option.getOrElse(url, () => positional!), apiKey: Option.getOrUndefined(apiKey) }
        : undefined
      if (to === undefined) return yield* new UsageError({ message: "connect needs --url URL [--api-key KEY] or 'sandbox'" })
      const label = yield* control.connect(to).pipe(Effect.mapError((message) => new UsageError({ message })))
      if (to._tag === "Sandbox") return yield* io.out(`connected to ${label}`)
      yield* io.out(`connected to ${label}: ${Probe.summary(yield* probeTarget(to.url, to.apiKey))}`)
    })
).pipe(Command.withDescription("Point this session at another server: connect --url U [--api-key K] | connect sandbox"))
