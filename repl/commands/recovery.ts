/** `recovery …`: link, code. These print the link/code: that is their purpose. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ops from "../../src/Operations.js"
import * as Input from "../Input.js"
import * as Print from "../Print.js"
import { idArg } from "./flags.js"
import { fromOperation } from "./operation.js"

const expiresIn = Options.text("expires-in").pipe(
  Options.withDescription("Lifetime as a Go duration, e.g. 1h, 30m (default: the project's setting)"),
  Options.optional
)
const identityId = idArg("identity-id", "Identity id")

const link = fromOperation("link", Ops.createRecoveryLinkForIdentity, {
  flags: { expiresIn, id: identityId },
  describe: "; prints the link",
  run: ({ expiresIn, id, query }, { api, decode, format }) =>
    Effect.gen(function*() {
      const input = yield* decode({
        ...query,
        body: Input.defined({ identity_id: id, expires_in: Option.getOrUndefined(expiresIn) })
      })
      yield* Print.one("value", yield* api.createRecoveryLinkForIdentity(input), format, true)
    })
})

const code = fromOperation("code", Ops.createRecoveryCodeForIdentity, {
  flags: { expiresIn, flowType: Options.choice("flow-type", ["browser", "api"]).pipe(Options.optional), id: identityId },
  describe: "; prints the code and link",
  run: ({ expiresIn, flowType, id }, { api, decode, format }) =>
    Effect.gen(function*() {
      const input = yield* decode({
        body: Input.defined({
          identity_id: id,
          expires_in: Option.getOrUndefined(expiresIn),
          flow_type: Option.getOrUndefined(flowType)
        })
      })
      yield* Print.one("value", yield* api.createRecoveryCodeForIdentity(input), format, true)
    })
})

/** `recovery` */
export const recovery = Command.make("recovery").pipe(
  Command.withDescription("Recovery links and codes for an identity (prints the secret: share it carefully)"),
  Command.withSubcommands([link, code])
)
