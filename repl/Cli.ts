/**
 * The `kratos-admin` command tree, one @effect/cli tree for the shell and the REPL. Descriptions,
 * query flags and page-size limits come from the operation table (`src/Operations.ts`); every
 * handler decodes its input with the operation's own schema before calling `IdentityApi`.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Stream from "effect/Stream"
import { CredentialsType } from "../src/Identity.js"
import { IdentityApi } from "../src/IdentityApi.js"
import type * as Operation from "../src/Operation.js"
import * as Ops from "../src/Operations.js"
import type { Page } from "../src/Pagination.js"
import { SessionExpand } from "../src/Session.js"
import { Declined, Reported, UsageError } from "./Errors.js"
import * as Input from "./Input.js"
import { Io } from "./Io.js"
import * as Print from "./Print.js"
import * as Render from "./Render.js"
import { ReplControl } from "./ReplControl.js"

// ---------------------------------------------------------------------------------------------
// Shared options

const output = Options.choice("output", ["table", "json", "jsonl"]).pipe(
  Options.withAlias("o"),
  Options.withDescription("Output format (default: table on a terminal, json otherwise)"),
  Options.optional
)
const verbose = Options.boolean("verbose").pipe(
  Options.withDescription("On failure, also print the error details and the number of attempts")
)
const common = { output, verbose }

const yes = Options.boolean("yes").pipe(
  Options.withAlias("y"),
  Options.withDescription("Do not ask for confirmation (required when stdin is not a terminal)")
)
const all = Options.boolean("all").pipe(Options.withDescription("Follow every page (progress on a terminal)"))
const file = Options.text("file").pipe(
  Options.withAlias("f"),
  Options.withDescription("Read the JSON body from this file ('-' for stdin)"),
  Options.optional
)

const describe = (op: Operation.Operation, extra = ""): string =>
  `${op.summary} (${op.method} ${op.path})${extra}`

/** Flags of the query parameters, by wire name (the deprecated page/per_page pair is left out). */
const queryFlags: Readonly<Record<string, (op: Operation.Operation) => Options.Options<unknown>>> = {
  page_size: (op) =>
    Options.integer("page-size").pipe(
      Options.withDescription(
        `Items per page (1-${op.pagination?.maxPageSize ?? 1000}, server default ${op.pagination?.defaultPageSize ?? 250})`
      ),
      Options.optional
    ),
  page_token: () =>
    Options.text("page-token").pipe(Options.withDescription("Continue from this page token"), Options.optional),
  consistency: () =>
    Options.choice("consistency", ["strong", "eventual"]).pipe(
      Options.withDescription("Read consistency (Ory Network)"),
      Options.optional
    ),
  ids: () =>
    Options.text("ids").pipe(
      Options.withDescription("Only these identity ids (repeatable, or comma-separated; at most 500)"),
      Options.repeated
    ),
  credentials_identifier: () =>
    Options.text("credentials-identifier").pipe(
      Options.withDescription("Only the identity with this credential identifier (e.g. an email)"),
      Options.optional
    ),
  preview_credentials_identifier_similar: () =>
    Options.text("credentials-identifier-similar").pipe(
      Options.withDescription("Identities whose identifier is similar to this (preview)"),
      Options.optional
    ),
  include_credential: () =>
    Options.choice("include-credential", CredentialsType.literals).pipe(
      Options.withDescription("Include this credential type's config (repeatable); secrets stay redacted"),
      Options.repeated
    ),
  organization_id: () =>
    Options.text("organization-id").pipe(Options.withDescription("Only identities of this organization"), Options.optional),
  active: () =>
    Options.choice("active", ["true", "false"]).pipe(
      Options.withDescription("Only active (true) or inactive (false) sessions"),
      Options.optional
    ),
  expand: () =>
    Options.choice("expand", SessionExpand.literals).pipe(
      Options.withDescription("Expand these relations (repeatable)"),
      Options.repeated
    ),
  return_to: () =>
    Options.text("return-to").pipe(Options.withDescription("Where to send the user after recovery"), Options.optional),
  identifier: () =>
    Options.text("identifier").pipe(
      Options.withDescription("The credential identifier to delete (required for oidc/saml: provider:subject)"),
      Options.optional
    )
}

/** The query-parameter flags of an operation, parsed into wire-named fields (absent → undefined). */
const queryOptions = (op: Operation.Operation): Options.Options<Record<string, unknown>> => {
  const entries = op.params.query.filter((q) => q in queryFlags).map((q) => [q, queryFlags[q](op)] as const)
  return Options.all(Object.fromEntries(entries) as Record<string, Options.Options<unknown>>).pipe(
    Options.map((parsed) => {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(parsed)) {
        if (Option.isOption(v)) {
          if (Option.isSome(v)) out[k] = k === "active" ? v.value === "true" : v.value
        } else if (Array.isArray(v)) {
          const flat = k === "ids" ? v.flatMap((x) => String(x).split(",")).filter((x) => x !== "") : v
          if (flat.length > 0) out[k] = flat
        } else if (v !== undefined) out[k] = v
      }
      return out
    })
  )
}

const idArg = (name: string, description: string) => Args.text({ name }).pipe(Args.withDescription(description))

// ---------------------------------------------------------------------------------------------
// Helpers of the handlers

/** Asks before a destructive action; refuses (usage error) when nobody can answer. */
const confirm = (question: string, assumeYes: boolean): Effect.Effect<void, UsageError | Declined, Io> =>
  Effect.gen(function*() {
    if (assumeYes) return
    const io = yield* Io
    if (!io.canConfirm) {
      return yield* new UsageError({ message: `refusing to ${question.replace(/\?$/, "")} without confirmation: pass --yes` })
    }
    const ok = yield* io.confirm(`${question} [y/N] `)
    if (!ok) return yield* new Declined({ message: "cancelled" })
  })

/**
 * Runs `f` for each id, then `done` with the successes. With several ids, a failure is printed as
 * one line and the others go on; the whole fails with `Reported` if any failed.
 */
const forEachId = <A, E, R, E2, R2>(
  ids: ReadonlyArray<string>,
  verboseErrors: boolean,
  f: (id: string) => Effect.Effect<A, E, R>,
  done: (results: ReadonlyArray<A>) => Effect.Effect<void, E2, R2>
): Effect.Effect<void, E | E2 | Reported, R | R2 | Io> =>
  ids.length === 1
    ? Effect.flatMap(f(ids[0]), (a) => done([a]))
    : Effect.gen(function*() {
      const io = yield* Io
      const results: Array<A> = []
      let failed = 0
      for (const id of ids) {
        const r = yield* Effect.either(f(id))
        if (r._tag === "Right") results.push(r.right)
        else {
          failed++
          yield* io.err(`${id}: ${Render.errorLine(r.left, verboseErrors)}`)
        }
      }
      yield* done(results)
      if (failed > 0) return yield* new Reported({ message: `${failed} of ${ids.length} failed` })
    })

const nextPageHint = (token: Option.Option<string>, format: Render.Format) =>
  Option.match(token, {
    onNone: () => Effect.void,
    onSome: (t) => Effect.flatMap(Io, (io) => (format === "table" ? io.err(`more: --page-token ${t} (or --all)`) : io.err(`next page token: ${t}`)))
  })

/** One page (with the next-page hint), or with `--all` every page, of a list operation. */
const printList = <A, E>(
  kind: Print.Kind,
  noun: string,
  all: boolean,
  format: Render.Format,
  page: Effect.Effect<Page<A>, E>,
  stream: Stream.Stream<A, E>
) =>
  all
    ? Print.stream(kind, stream, format, noun)
    : Effect.flatMap(page, (p) => Effect.zipRight(Print.items(kind, p.items, format), nextPageHint(p.nextPageToken, format)))

/** Builds a create/update body: `--file` as the base, flags on top. */
const bodyFromFlags = (
  base: Record<string, unknown>,
  flags: {
    readonly schemaId: Option.Option<string>
    readonly traits: ReadonlyArray<string>
    readonly externalId: Option.Option<string>
    readonly state: Option.Option<string>
    readonly password: Option.Option<Redacted.Redacted<string>>
    readonly passwordHash: Option.Option<Redacted.Redacted<string>>
    readonly metadataPublic: Option.Option<string>
    readonly metadataAdmin: Option.Option<string>
  }
): Effect.Effect<Record<string, unknown>, UsageError> =>
  Effect.gen(function*() {
    const body: Record<string, unknown> = { ...base }
    if (Option.isSome(flags.schemaId)) body.schema_id = flags.schemaId.value
    if (flags.traits.length > 0) {
      const traits = { ...(typeof body.traits === "object" && body.traits !== null ? body.traits as Record<string, unknown> : {}) }
      const assigned = yield* Input.parseAssignments(flags.traits)
      for (const [k, v] of Object.entries(assigned)) {
        traits[k] = v !== null && typeof v === "object" && !Array.isArray(v) && typeof traits[k] === "object" && traits[k] !== null
          ? { ...(traits[k] as Record<string, unknown>), ...(v as Record<string, unknown>) }
          : v
      }
      body.traits = traits
    }
    if (Option.isSome(flags.externalId)) body.external_id = flags.externalId.value
    if (Option.isSome(flags.state)) body.state = flags.state.value
    if (Option.isSome(flags.metadataPublic)) body.metadata_public = yield* Input.jsonObject(flags.metadataPublic.value, "--metadata-public")
    if (Option.isSome(flags.metadataAdmin)) body.metadata_admin = yield* Input.jsonObject(flags.metadataAdmin.value, "--metadata-admin")
    if (Option.isSome(flags.password) || Option.isSome(flags.passwordHash)) {
      if (Option.isSome(flags.password) && Option.isSome(flags.passwordHash)) {
        return yield* new UsageError({ message: "give --password or --password-hash, not both" })
      }
      body.credentials = {
        password: {
          config: Option.isSome(flags.password)
            ? { password: Redacted.value(flags.password.value) }
            : { hashed_password: Redacted.value(Option.getOrThrow(flags.passwordHash)) }
        }
      }
    }
    return body
  })

const bodyFlags = {
  schemaId: Options.text("schema-id").pipe(Options.withDescription("Identity schema id (default: the project's default)"), Options.optional),
  traits: Options.text("trait").pipe(
    Options.withDescription("A trait as path=value, e.g. email=a@b.c or name.first=Ann (value parsed as JSON when it parses); repeatable"),
    Options.repeated
  ),
  externalId: Options.text("external-id").pipe(Options.withDescription("Your system's id for this identity"), Options.optional),
  state: Options.choice("state", ["active", "inactive"]).pipe(Options.optional),
  password: Options.redacted("password").pipe(Options.withDescription("Import a plaintext password (hashed by Kratos)"), Options.optional),
  passwordHash: Options.redacted("password-hash").pipe(
    Options.withDescription("Import a password hash (bcrypt, argon2, pbkdf2, scrypt, md5, sha...)"),
    Options.optional
  ),
  metadataPublic: Options.text("metadata-public").pipe(Options.withDescription("metadata_public as a JSON object"), Options.optional),
  metadataAdmin: Options.text("metadata-admin").pipe(Options.withDescription("metadata_admin as a JSON object"), Options.optional)
}

const readBase = (f: Option.Option<string>): Effect.Effect<Record<string, unknown>, UsageError, Io> =>
  Option.match(f, {
    onNone: () => Effect.succeed({}),
    onSome: (path) =>
      Effect.flatMap(Input.readJson(path), (v) =>
        v !== null && typeof v === "object" && !Array.isArray(v)
          ? Effect.succeed(v as Record<string, unknown>)
          : Effect.fail(new UsageError({ message: `${path === "-" ? "stdin" : path} must hold a JSON object` })))
  })

const hasBodyFlags = (f: {
  readonly schemaId: Option.Option<string>
  readonly traits: ReadonlyArray<string>
  readonly externalId: Option.Option<string>
  readonly state: Option.Option<string>
  readonly password: Option.Option<unknown>
  readonly passwordHash: Option.Option<unknown>
  readonly metadataPublic: Option.Option<string>
  readonly metadataAdmin: Option.Option<string>
}): boolean =>
  Option.isSome(f.schemaId) || f.traits.length > 0 || Option.isSome(f.externalId) || Option.isSome(f.state) ||
  Option.isSome(f.password) || Option.isSome(f.passwordHash) || Option.isSome(f.metadataPublic) ||
  Option.isSome(f.metadataAdmin)

// ---------------------------------------------------------------------------------------------
// identities

const identitiesList = Command.make(
  "list",
  { ...common, all, query: queryOptions(Ops.listIdentities) },
  ({ all, output, query }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.listIdentities, query)
      yield* printList("identity", "identities", all, format, api.listIdentities(input), api.listIdentitiesStream(input))
    })
).pipe(Command.withDescription(describe(Ops.listIdentities)))

const includeCredential = queryOptions(Ops.getIdentity)

const identitiesGet = Command.make(
  "get",
  { ...common, query: includeCredential, ids: idArg("id", "Identity id(s)").pipe(Args.atLeast(1)) },
  ({ ids, output, query, verbose }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const inputs = yield* Effect.forEach(ids, (id) => Input.decodeInput(Ops.getIdentity, { id, ...query }))
      yield* forEachId(
        ids,
        verbose,
        (id) => api.getIdentity(inputs[ids.indexOf(id)]),
        (found) => (ids.length === 1 ? Print.one("identity", found[0], format) : Print.items("identity", found, format))
      )
    })
).pipe(Command.withDescription(describe(Ops.getIdentity, "; several ids: each is fetched, failures reported per id")))

const identitiesGetByExternalId = Command.make(
  "get-by-external-id",
  { ...common, query: queryOptions(Ops.getIdentityByExternalID), externalID: idArg("external-id", "The external id") },
  ({ externalID, output, query }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.getIdentityByExternalID, { externalID, ...query })
      yield* Print.one("identity", yield* api.getIdentityByExternalID(input), format)
    })
).pipe(Command.withDescription(describe(Ops.getIdentityByExternalID)))

const identitiesCreate = Command.make(
  "create",
  { ...common, file, ...bodyFlags },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(flags.output)
      if (Option.isNone(flags.file) && flags.traits.length === 0) {
        return yield* new UsageError({
          message: "give the identity with --trait key=value (repeatable) and other flags, or --file body.json ('-' for stdin)"
        })
      }
      const body = yield* bodyFromFlags(yield* readBase(flags.file), flags)
      if (body.traits === undefined) body.traits = {}
      const input = yield* Input.decodeInput(Ops.createIdentity, { body })
      const created = yield* api.createIdentity(input)
      yield* Print.one("identity", created, format)
    })
).pipe(Command.withDescription(describe(Ops.createIdentity)))

const identitiesUpdate = Command.make(
  "update",
  { ...common, file, ...bodyFlags, id: idArg("id", "Identity id") },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(flags.output)
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
      const input = yield* Input.decodeInput(Ops.updateIdentity, { id: flags.id, body })
      yield* Print.one("identity", yield* api.updateIdentity(input), format)
    })
).pipe(Command.withDescription(describe(Ops.updateIdentity, "; without --file, the current identity with the flags applied")))

const identitiesPatch = Command.make(
  "patch",
  {
    ...common,
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
    id: idArg("id", "Identity id")
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(flags.output)
      const patch = Option.isSome(flags.file)
        ? yield* Input.readJson(flags.file.value)
        : yield* Input.patchFromFlags(flags.op, flags.path, flags.value)
      const input = yield* Input.decodeInput(Ops.patchIdentity, { id: flags.id, body: patch })
      yield* Print.one("identity", yield* api.patchIdentity(input), format)
    })
).pipe(Command.withDescription(describe(Ops.patchIdentity, "; ops from --op/--path/--value or --file")))

const identitiesDelete = Command.make(
  "delete",
  { ...common, yes, ids: idArg("id", "Identity id(s)").pipe(Args.atLeast(1)) },
  ({ ids, output, verbose, yes }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const inputs = yield* Effect.forEach(ids, (id) => Input.decodeInput(Ops.deleteIdentity, { id }))
      yield* confirm(ids.length === 1 ? `delete identity ${ids[0]}?` : `delete ${ids.length} identities?`, yes)
      yield* forEachId(
        ids,
        verbose,
        (id) => Effect.zipRight(api.deleteIdentity(inputs[ids.indexOf(id)]), Print.notice(`deleted identity ${id}`, format)),
        () => Effect.void
      )
    })
).pipe(Command.withDescription(describe(Ops.deleteIdentity)))

const identitiesDeleteCredentials = Command.make(
  "delete-credentials",
  {
    ...common,
    yes,
    query: queryOptions(Ops.deleteIdentityCredentials),
    id: idArg("id", "Identity id"),
    type: Args.choice(CredentialsType.literals.map((l) => [l, l] as const)).pipe(
      Args.withDescription("Credential type: password, oidc, totp, lookup_secret, webauthn, passkey, saml, ...")
    )
  },
  ({ id, output, query, type, yes }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.deleteIdentityCredentials, { id, type, ...query })
      yield* confirm(`delete the ${type} credential of identity ${id}?`, yes)
      yield* api.deleteIdentityCredentials(input)
      yield* Print.notice(`deleted ${type} credential of identity ${id}`, format)
    })
).pipe(Command.withDescription(describe(Ops.deleteIdentityCredentials)))

const identitiesSessions = Command.make(
  "sessions",
  { ...common, all, query: queryOptions(Ops.listIdentitySessions), id: idArg("id", "Identity id") },
  ({ all, id, output, query }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.listIdentitySessions, { id, ...query })
      yield* printList("session", "sessions", all, format, api.listIdentitySessions(input), api.listIdentitySessionsStream(input))
    })
).pipe(Command.withDescription(describe(Ops.listIdentitySessions)))

const identitiesDeleteSessions = Command.make(
  "delete-sessions",
  { ...common, yes, id: idArg("id", "Identity id") },
  ({ id, output, yes }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.deleteIdentitySessions, { id })
      yield* confirm(`delete all sessions of identity ${id}?`, yes)
      yield* api.deleteIdentitySessions(input)
      yield* Print.notice(`deleted the sessions of identity ${id}`, format)
    })
).pipe(Command.withDescription(describe(Ops.deleteIdentitySessions)))

// ---------------------------------------------------------------------------------------------
// sessions

const sessionsList = Command.make(
  "list",
  { ...common, all, query: queryOptions(Ops.listSessions) },
  ({ all, output, query }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.listSessions, query)
      yield* printList("session", "sessions", all, format, api.listSessions(input), api.listSessionsStream(input))
    })
).pipe(Command.withDescription(describe(Ops.listSessions)))

const sessionsGet = Command.make(
  "get",
  { ...common, query: queryOptions(Ops.getSession), id: idArg("id", "Session id") },
  ({ id, output, query }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.getSession, { id, ...query })
      yield* Print.one("session", yield* api.getSession(input), format)
    })
).pipe(Command.withDescription(describe(Ops.getSession)))

const sessionsExtend = Command.make(
  "extend",
  { ...common, id: idArg("id", "Session id") },
  ({ id, output }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.extendSession, { id })
      const session = yield* api.extendSession(input)
      if (session === undefined) return yield* Print.notice(`extended session ${id}`, format)
      yield* Print.one("session", session, format)
    })
).pipe(Command.withDescription(describe(Ops.extendSession)))

const sessionsDisable = Command.make(
  "disable",
  { ...common, yes, id: idArg("id", "Session id") },
  ({ id, output, yes }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.disableSession, { id })
      yield* confirm(`disable session ${id}?`, yes)
      yield* api.disableSession(input)
      yield* Print.notice(`disabled session ${id}`, format)
    })
).pipe(Command.withDescription(describe(Ops.disableSession)))

// ---------------------------------------------------------------------------------------------
// schemas

const schemasList = Command.make(
  "list",
  { ...common, all, query: queryOptions(Ops.listIdentitySchemas) },
  ({ all, output, query }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.listIdentitySchemas, query)
      yield* printList("schema", "schemas", all, format, api.listIdentitySchemas(input), api.listIdentitySchemasStream(input))
    })
).pipe(Command.withDescription(describe(Ops.listIdentitySchemas)))

const schemasGet = Command.make(
  "get",
  { ...common, id: idArg("id", "Schema id, e.g. default") },
  ({ id, output }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.getIdentitySchema, { id })
      const schema = yield* api.getIdentitySchema(input)
      // A schema is a document, not a record: JSON reads best even for people.
      yield* Effect.flatMap(Io, (io) => io.out(format === "jsonl" ? Render.jsonLine(schema) : Render.json(schema)))
    })
).pipe(Command.withDescription(describe(Ops.getIdentitySchema)))

// ---------------------------------------------------------------------------------------------
// recovery (these reveal the link/code: that is their purpose)

const expiresIn = Options.text("expires-in").pipe(
  Options.withDescription("Lifetime as a Go duration, e.g. 1h, 30m (default: the project's setting)"),
  Options.optional
)

const recoveryLink = Command.make(
  "link",
  { ...common, expiresIn, query: queryOptions(Ops.createRecoveryLinkForIdentity), id: idArg("identity-id", "Identity id") },
  ({ expiresIn, id, output, query }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.createRecoveryLinkForIdentity, {
        ...query,
        body: Input.defined({ identity_id: id, expires_in: Option.getOrUndefined(expiresIn) })
      })
      yield* Print.one("value", yield* api.createRecoveryLinkForIdentity(input), format, true)
    })
).pipe(Command.withDescription(describe(Ops.createRecoveryLinkForIdentity, "; prints the link")))

const recoveryCode = Command.make(
  "code",
  {
    ...common,
    expiresIn,
    flowType: Options.choice("flow-type", ["browser", "api"]).pipe(Options.optional),
    id: idArg("identity-id", "Identity id")
  },
  ({ expiresIn, flowType, id, output }) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const format = yield* Print.resolveFormat(output)
      const input = yield* Input.decodeInput(Ops.createRecoveryCodeForIdentity, {
        body: Input.defined({
          identity_id: id,
          expires_in: Option.getOrUndefined(expiresIn),
          flow_type: Option.getOrUndefined(flowType)
        })
      })
      yield* Print.one("value", yield* api.createRecoveryCodeForIdentity(input), format, true)
    })
).pipe(Command.withDescription(describe(Ops.createRecoveryCodeForIdentity, "; prints the code and link")))

// ---------------------------------------------------------------------------------------------
// status

const status = Command.make("status", { output }, ({ output }) =>
  Effect.gen(function*() {
    const api = yield* IdentityApi
    const format = yield* Print.resolveFormat(output)
    const st = yield* api.status
    const repl = yield* Effect.serviceOption(ReplControl)
    const target = Option.isSome(repl) ? { target: yield* repl.value.label } : {}
    yield* Print.one("value", { ...target, ...(Render.toPlain(st) as object) }, format)
  })).pipe(Command.withDescription("Endpoint, whether an API key is set (never the key), rate-limit and retry state"))

// ---------------------------------------------------------------------------------------------
// trees

/** Builds `identities`; `importCommand` is mounted when the importer's command is available. */
export const identities = <Extra extends ReadonlyArray<Command.Command<any, any, any, any>>>(extra: Extra) =>
  Command.make("identities").pipe(
    Command.withDescription("Manage identities"),
    Command.withSubcommands([
      identitiesList,
      identitiesGet,
      identitiesGetByExternalId,
      identitiesCreate,
      identitiesUpdate,
      identitiesPatch,
      identitiesDelete,
      identitiesDeleteCredentials,
      identitiesSessions,
      identitiesDeleteSessions,
      ...extra
    ])
  )

/** `sessions` */
export const sessions = Command.make("sessions").pipe(
  Command.withDescription("Manage sessions"),
  Command.withSubcommands([sessionsList, sessionsGet, sessionsExtend, sessionsDisable])
)

/** `schemas` */
export const schemas = Command.make("schemas").pipe(
  Command.withDescription("Identity schemas"),
  Command.withSubcommands([schemasList, schemasGet])
)

/** `recovery` */
export const recovery = Command.make("recovery").pipe(
  Command.withDescription("Recovery links and codes for an identity (prints the secret: share it carefully)"),
  Command.withSubcommands([recoveryLink, recoveryCode])
)

export { status }

/** `connect` (REPL only): swaps the session's client. */
export const connect = Command.make(
  "connect",
  {
    url: Options.text("url").pipe(Options.withDescription("Admin API base URL, e.g. https://<slug>.projects.oryapis.com"), Options.optional),
    apiKey: Options.redacted("api-key").pipe(Options.withDescription("API key (never echoed nor stored in history)"), Options.optional),
    target: Args.text({ name: "sandbox|url" }).pipe(Args.withDescription("'sandbox' for the embedded sandbox, or a URL"), Args.optional)
  },
  ({ apiKey, target, url }) =>
    Effect.gen(function*() {
      const control = yield* ReplControl
      const io = yield* Io
      const positional = Option.getOrUndefined(target)
      const to = positional === "sandbox"
        ? { _tag: "Sandbox" as const }
        : Option.isSome(url) || positional !== undefined
        ? { _tag: "Remote" as const, url: Option.getOrElse(url, () => positional!), apiKey: Option.getOrUndefined(apiKey) }
        : undefined
      if (to === undefined) return yield* new UsageError({ message: "connect needs --url URL [--api-key KEY] or 'sandbox'" })
      const label = yield* control.connect(to).pipe(Effect.mapError((message) => new UsageError({ message })))
      yield* io.out(`connected to ${label}`)
    })
).pipe(Command.withDescription("Point this session at another server: connect --url U [--api-key K] | connect sandbox"))
