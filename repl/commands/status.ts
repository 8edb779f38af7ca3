/**
 * `status`: the endpoint, whether a key is set (never the key), what one cheap request found
 * (reachable, auth accepted or refused, latency), rate-limit and retry state. `--check` makes an
 * unreachable target or a refused key a failure (exit 1), for scripts and health checks.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { IdentityApi } from "../../src/IdentityApi.js"
import { Reported } from "../Errors.js"
import * as Print from "../Print.js"
import * as Probe from "../Probe.js"
import * as Render from "../Render.js"
import { ReplControl } from "../ReplControl.js"
import { output, shaping } from "./flags.js"
import { withShaping } from "./operation.js"

const check = Options.boolean("check").pipe(
  Options.withDescription("Exit 1 unless the server answers and accepts the key")
)

/** Numbers rounded to `digits` decimals, everywhere in a plain value (rates and delays print as 0.54, not 0.5386666666666666). */
export const rounded = (value: unknown, digits = 2): unknown => {
  if (typeof value === "number") return Number.isInteger(value) ? value : Number(value.toFixed(digits))
  if (Array.isArray(value)) return value.map((v) => rounded(v, digits))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v, digits)]))
  }
  return value
}

/** `status` */
export const status = Command.make("status", { output, check, ...shaping }, (flags) =>
  withShaping(flags, false, Effect.gen(function*() {
    const { check, output } = flags
    const api = yield* IdentityApi
    const format = yield* Print.resolveFormat(output)
    const found = yield* Probe.probe(api)
    const st = Render.toPlain(yield* api.status) as Record<string, unknown>
    const repl = yield* Effect.serviceOption(ReplControl)
    const target = Option.isSome(repl) ? { target: yield* repl.value.label } : {}
    yield* Print.one("value", rounded({ ...target, ...found, ...st }), format)
    if (check && !Probe.healthy(found)) return yield* new Reported({ message: `check failed: ${Probe.summary(found)}` })
  }))).pipe(
    Command.withDescription("Endpoint, key set or not (never the key), one request's result (reachable, auth, latency), rate-limit and retry state")
  )
