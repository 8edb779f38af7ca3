/**
 * `identities …`: list, get, get-by-external-id, create, update, patch, delete,
 * delete-credentials, sessions, delete-sessions (and `import`, mounted by the caller).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CredentialsType } from "../../src/Identity.js"
import * as Ops from "../../src/Operations.js"
import { Reported, UsageError } from "../Errors.js"
import { Io } from "../Io.js"
import { fetchByIds, namesOfIds } from "./byIds.js"
import * as Input from "../Input.js"
import * as Print from "../Print.js"
import * as Render from "../Render.js"
import { all, file, idArg, yes } from "./flags.js"
import { bodyFlags, bodyFromFlags, hasBodyFlags, readBase } from "./identityBody.js"
import { confirm, forEachId, fromOperation, printList } from "./operation.js"
import { bulkFlags, hasSelector, patchAction, runBulk } from "./bulkCommand.js"
import * as Bulk from "../../src/Bulk.js"

const list = fromOperation("list", Ops.listIdentities, {
  flags: { all },
  run: ({ all, query }, { api, decode, format }) =>
    Effect.flatMap(decode(query), (input) =>
      printList("identity", "identities", all, format, api.listIdentities(input), api.listIdentitiesStream(input, { readAhead: true })))
})

const get = fromOperation("get", Ops.getIdentity, {
  flags: { ids: idArg("id", "Identity id(s)").pipe(Args.atLeast(1)) },
  describe: "; several ids: fetched through the list's ids filter (a call per chunk of ids), missing ones reported per id",
  run: ({ ids, query }, { api, decode, format }) =>
    Effect.gen(function*() {
      // every id checked before any request
      const inputs = yield* Effect.forEach(ids, (id) => decode({ id, ...query }))
      if (ids.length === 1) return yield* Print.one("identity", yield* api.getIdentity(inputs[0]), format)
      const found = yield* fetchByIds(api, ids, query)
      const io = yield* Io
      const printed = new Set<string>()
      const items: Array<unknown> = []
      let missing = 0
      for (const id of ids) {
        const identity = found.get(id.toLowerCase())
        if (identity === undefined) {
          missing++
          yield* io.err(`${id}: error: 404 NotFound in getIdentity: no identity with this id`)
        } else if (!printed.has(id.toLowerCase())) {
          printed.add(id.toLowerCase())
          items.push(identity)
        }
      }
      yield* Print.items("identity", items, format)
      if (missing > 0) return yield* new Reported({ message: `${missing} of ${ids.length} not found` })
    })
})

const getByExternalId = fromOperation("get-by-external-id", Ops.getIdentityByExternalID, {
  flags: { externalID: idArg("external-id", "The external id") },
  run: ({ externalID, query }, { api, decode, format }) =>
    Effect.gen(function*() {
      const input = yield* decode({ externalID, ...query })
      yield* Print.one("identity", yield* api.getIdentityByExternalID(input), format)
    })
})

const create = fromOperation("create", Ops.createIdentity, {
  flags: { file, ...bodyFlags },
  run: (flags, { api, decode, format }) =>
    Effect.gen(function*() {
      if (Option.isNone(flags.file) && flags.traits.length === 0 && flags.traitsJson.length === 0) {
        return yield* new UsageError({
          message: "give the identity with --trait key=value (repeatable) and other flags, or --file body.json ('-' for stdin)"
        })
      }
      const body = yield* bodyFromFlags(yield* readBase(flags.file), flags)
      if (body.traits === undefined) body.traits = {}
      const input = yield* decode({ body })
      yield* Print.one("identity", yield* api.createIdentity(input), format)
    })
})

const update = fromOperation("update", Ops.updateIdentity, {
  flags: { file, ...bodyFlags, id: idArg("id", "Identity id") },
  describe: "; without --file, the current identity with the flags applied",
  run: (flags, { api, decode, format }) =>
    Effect.gen(function*() {
      if (Option.isNone(flags.file) && !hasBodyFlags(flags)) {
        return yield* new UsageError({ message: "give the new identity with --file body.json ('-' for stdin) or flags such as --trait, --state" })
      }
      // Without a file, start from the current identity: PUT clears whatever is omitted.
      let base = yield* readBase(flags.file)
      if (Option.isNone(flags.file)) {
        const current = yield* api.getIdentity(yield* Input.decodeInput(Ops.getIdentity, { id: flags.id }))
        const plain = Render.toPlain(current) as Record<string, unknown>
        base = Input.defined({
          schema_id: plain.schema_id,
          traits: plain.traits,
          state: plain.state,
          external_id: plain.external_id,
          metadata_public: plain.metadata_public ?? undefined,
          metadata_admin: plain.metadata_admin ?? undefined
        })
      }
      const body = yield* bodyFromFlags(base, flags)
      const input = yield* decode({ id: flags.id, body })
      yield* Print.one("identity", yield* api.updateIdentity(input), format)
    })
})

const patch = fromOperation("patch", Ops.patchIdentity, {
  flags: {
    file,
    op: Options.choice("op", ["add", "remove", "replace"]).pipe(
      Options.withDescription("Operation of the next --path (default replace); repeatable"),
      Options.repeated
    ),
    path: Options.text("path").pipe(Options.withDescription("JSON pointer, e.g. /traits/email; repeatable"), Options.repeated),
    value: Options.text("value").pipe(
      Options.withDescription("Value for add/replace, parsed as JSON when it parses, else a string; repeatable"),
      Options.repeated
    ),
    id: idArg("id", "Identity id").pipe(Args.optional),
    yes,
    ...bulkFlags
  },
  describe: "; ops from --op/--path/--value or --file; many identities with --all, --organization-id, --ids-from ...",
  run: (flags, { api, decode, format }) =>
    Effect.gen(function*() {
      const body = Option.isSome(flags.file)
        ? yield* Input.readJson(flags.file.value)
        : yield* Input.patchFromFlags(flags.op, flags.path, flags.value)
      if (Option.isNone(flags.id)) return yield* runBulk("patch", "patch", yield* patchAction(body), flags, flags.yes, format)
      if (hasSelector(flags)) return yield* new UsageError({ message: "give an identity id or a selector, not both" })
      const input = yield* decode({ id: flags.id.value, body })
      yield* Print.one("identity", yield* api.patchIdentity(input), format)
    })
})

const del = fromOperation("delete", Ops.deleteIdentity, {
  flags: { yes, ids: idArg("id", "Identity id(s)").pipe(Args.repeated), ...bulkFlags },
  describe: "; many identities with --all, --organization-id, --ids-from ...",
  run: ({ ids, verbose, yes, ...flags }, { api, decode, format }) =>
    Effect.gen(function*() {
      if (ids.length === 0) return yield* runBulk("delete", "delete", Bulk.deleteIdentities, flags, yes, format)
      if (hasSelector(flags)) return yield* new UsageError({ message: "give identity ids or a selector, not both" })
      const inputs = yield* Effect.forEach(ids, (id) => decode({ id }))
      // the question names the identities (one list call), only when somebody is asked
      const io = yield* Io
      const about = yes || !io.canConfirm ? "" : ` (${yield* namesOfIds(api, ids)})`
      yield* confirm(ids.length === 1 ? `delete identity ${ids[0]}${about}?` : `delete ${ids.length} identities${about}?`, yes)
      yield* forEachId(
        ids,
        verbose,
        (id, i) => Effect.zipRight(api.deleteIdentity(inputs[i]), Print.notice(`deleted identity ${id}`, format)),
        () => Effect.void
      )
    })
})

const deleteCredentials = fromOperation("delete-credentials", Ops.deleteIdentityCredentials, {
  flags: {
    yes,
    id: idArg("id", "Identity id"),
    type: Args.choice(CredentialsType.literals.map((l) => [l, l] as const), { name: "type" }).pipe(
      Args.withDescription("Credential type: password, oidc, totp, lookup_secret, webauthn, passkey, saml, ...")
    )
  },
  run: ({ id, query, type, yes }, { api, decode, format }) =>
    Effect.gen(function*() {
      const input = yield* decode({ id, type, ...query })
      yield* confirm(`delete the ${type} credential of identity ${id}?`, yes)
      yield* api.deleteIdentityCredentials(input)
      yield* Print.notice(`deleted ${type} credential of identity ${id}`, format)
    })
})

const sessions = fromOperation("sessions", Ops.listIdentitySessions, {
  flags: { all, id: idArg("id", "Identity id") },
  run: ({ all, id, query }, { api, decode, format }) =>
    Effect.flatMap(decode({ id, ...query }), (input) =>
      printList("session", "sessions", all, format, api.listIdentitySessions(input), api.listIdentitySessionsStream(input, { readAhead: true })))
})

const deleteSessions = fromOperation("delete-sessions", Ops.deleteIdentitySessions, {
  flags: { yes, id: idArg("id", "Identity id").pipe(Args.optional), ...bulkFlags },
  describe: "; of many identities with --all, --organization-id, --ids-from ...",
  run: ({ id: given, yes, ...flags }, { api, decode, format }) =>
    Effect.gen(function*() {
      if (Option.isNone(given)) {
        return yield* runBulk("delete-sessions", "delete the sessions of", Bulk.deleteSessions, flags, yes, format)
      }
      if (hasSelector(flags)) return yield* new UsageError({ message: "give an identity id or a selector, not both" })
      const id = given.value
      const input = yield* decode({ id })
      yield* confirm(`delete all sessions of identity ${id}?`, yes)
      yield* api.deleteIdentitySessions(input)
      yield* Print.notice(`deleted the sessions of identity ${id}`, format)
    })
})

/** Builds `identities`; `extra` are commands owned elsewhere (the importer's). */
export const identities = <Extra extends ReadonlyArray<Command.Command<any, any, any, any>>>(extra: Extra) =>
  Command.make("identities").pipe(
    Command.withDescription("Manage identities"),
    Command.withSubcommands([list, get, getByExternalId, create, update, patch, del, deleteCredentials, sessions, deleteSessions, ...extra])
  )
