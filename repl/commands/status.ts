/** `status`: the endpoint, whether a key is set (never the key), rate-limit and retry state. */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as Print from "../Print.js"
import * as Render from "../Render.js"
import { ReplControl } from "../ReplControl.js"
import { output } from "./flags.js"

/** `status` */
export const status = Command.make("status", { output }, ({ output }) =>
  Effect.gen(function*() {
    const api = yield* IdentityApi
    const format = yield* Print.resolveFormat(output)
    const st = yield* api.status
    const repl = yield* Effect.serviceOption(ReplControl)
    const target = Option.isSome(repl) ? { target: yield* repl.value.label } : {}
    yield* Print.one("value", { ...target, ...(Render.toPlain(st) as object) }, format)
  })).pipe(Command.withDescription("Endpoint, whether an API key is set (never the key), rate-limit and retry state"))
