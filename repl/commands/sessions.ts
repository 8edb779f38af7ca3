/** `sessions …`: list, get, extend, disable. */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Ops from "../../src/Operations.js"
import * as Print from "../Print.js"
import { all, idArg, yes } from "./flags.js"
import { confirm, fromOperation, printList } from "./operation.js"
import * as Args from "@effect/cli/Args"
import * as Option from "effect/Option"
import * as Bulk from "../../src/Bulk.js"
import { UsageError } from "../Errors.js"
import { bulkFlags, hasSelector, runBulk } from "./bulkCommand.js"

const sessionId = idArg("id", "Session id")

const list = fromOperation("list", Ops.listSessions, {
  flags: { all },
  run: ({ all, query }, { api, decode, format }) =>
    Effect.flatMap(decode(query), (input) =>
      printList("session", "sessions", all, format, api.listSessions(input), api.listSessionsStream(input, { readAhead: true })))
})

const get = fromOperation("get", Ops.getSession, {
  flags: { id: sessionId },
  run: ({ id, query }, { api, decode, format }) =>
    Effect.gen(function*() {
      const input = yield* decode({ id, ...query })
      yield* Print.one("session", yield* api.getSession(input), format)
    })
})

const extend = fromOperation("extend", Ops.extendSession, {
  flags: { id: sessionId },
  run: ({ id }, { api, decode, format }) =>
    Effect.gen(function*() {
      const session = yield* api.extendSession(yield* decode({ id }))
      if (session === undefined) return yield* Print.notice(`extended session ${id}`, format)
      yield* Print.one("session", session, format)
    })
})

const disable = fromOperation("disable", Ops.disableSession, {
  flags: { yes, id: sessionId.pipe(Args.optional), ...bulkFlags },
  describe: "; every active session of many identities with --all, --organization-id, --ids-from ...",
  run: ({ id: given, yes, ...flags }, { api, decode, format }) =>
    Effect.gen(function*() {
      if (Option.isNone(given)) {
        return yield* runBulk("disable-sessions", "disable the sessions of", Bulk.disableSessions, flags, yes, format)
      }
      if (hasSelector(flags)) return yield* new UsageError({ message: "give a session id or a selector, not both" })
      const id = given.value
      const input = yield* decode({ id })
      yield* confirm(`disable session ${id}?`, yes)
      yield* api.disableSession(input)
      yield* Print.notice(`disabled session ${id}`, format)
    })
})

/** `sessions` */
export const sessions = Command.make("sessions").pipe(
  Command.withDescription("Manage sessions"),
  Command.withSubcommands([list, get, extend, disable])
)
