/**
 * Declarative apply: desired identities (create bodies, as `Export` writes them) matched against
 * the server, a plan of creates, updates (a JSON Patch of exactly what differs), identities left as
 * they are and, with `prune`, deletes; then its execution. Creates go through the importer.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import fastJsonPatch from "fast-json-patch"
import type { CreateIdentityBodyEncoded, Identity, IdentityId } from "../../Identity.js"
import type { Service } from "../../IdentityApi.js"
import type { KratosError } from "../../KratosError.js"
import * as Engine from "../import/engine.js"
import type { ImportReport } from "../import/model.js"
import { toCreateBody } from "./createBody.js"
import { WorkflowError } from "./sink.js"
import { valueAt } from "../jsonPointer.js"

/** How desired records find their identity. @since 0.1.0 @category models */
export type MatchBy = "external_id" | "identifier"

/** @since 0.1.0 @category models */
export interface ApplyOptions {
  /** `external_id` (default: by external_id when the record has one, else by identifier) or `identifier` only. */
  readonly match?: MatchBy
  /** Delete the identities no desired record matches. */
  readonly prune?: boolean
  /** Change credentials of existing identities (password hash, OIDC/SAML providers; sent with PUT). */
  readonly updateCredentials?: boolean
  /** Identities looked up at once (default 4). */
  readonly concurrency?: number
}

/** What an apply needs of the client (`IdentityApi` provides it). @since 0.1.0 @category models */
export type ApplyClient = Pick<
  Service,
  "listIdentitiesStream" | "listIdentities" | "getIdentityByExternalID" | "getIdentity" | "deleteIdentity" | "encoded" | "getIdentitySchema"
>

/** One JSON Patch operation, with the value it replaces (for `diff`). @since 0.1.0 @category models */
export interface Change {
  readonly op: "add" | "remove" | "replace"
  readonly path: string
  readonly value?: unknown
  readonly old?: unknown
}

/** @since 0.1.0 @category models */
export type PlannedItem =
  | { readonly _tag: "Create"; readonly index: number; readonly key: string; readonly body: CreateIdentityBodyEncoded }
  | {
    readonly _tag: "Update"
    readonly index: number
    readonly key: string
    readonly id: IdentityId
    readonly changes: ReadonlyArray<Change>
    /** Credentials differ and `updateCredentials` is on: sent with PUT (`body.credentials` holds only those the identity lacks). */
    readonly credentials: boolean
    readonly body: CreateIdentityBodyEncoded
  }
  | { readonly _tag: "Unchanged"; readonly index: number; readonly key: string; readonly id: IdentityId }
  | { readonly _tag: "Delete"; readonly key: string; readonly id: IdentityId }
  | { readonly _tag: "Invalid"; readonly index: number; readonly reason: string }

/** @since 0.1.0 @category models */
export interface ApplyPlan {
  readonly items: ReadonlyArray<PlannedItem>
  readonly creates: number
  readonly updates: number
  readonly unchanged: number
  readonly deletes: number
  readonly invalid: number
}

/** @since 0.1.0 @category models */
export interface ApplyFailure {
  readonly key: string
  readonly action: "create" | "update" | "delete"
  readonly code?: number | undefined
  readonly reason: string
}

/** @since 0.1.0 @category models */
export interface ApplyReport {
  readonly created: number
  readonly updated: number
  readonly unchanged: number
  readonly deleted: number
  readonly invalid: number
  readonly failed: number
  readonly failures: ReadonlyArray<ApplyFailure>
  readonly durationMs: number
  readonly complete: boolean
}

/** How far a run is: the writes of the plan with an outcome so far. @since 0.1.0 @category models */
export interface ApplyProgress {
  /** Creates, updates and deletes with an outcome (done or failed). */
  readonly done: number
  /** Creates, updates and deletes in the plan. */
  readonly total: number
  readonly created: number
  readonly updated: number
  readonly deleted: number
  readonly failed: number
  readonly elapsedMs: number
}

/** @since 0.1.0 @category models */
export type ApplyEvent =
  | { readonly _tag: "Started"; readonly plan: ApplyPlan }
  | { readonly _tag: "Applied"; readonly item: PlannedItem }
  | { readonly _tag: "ItemFailed"; readonly failure: ApplyFailure }
  | { readonly _tag: "Progress"; readonly progress: ApplyProgress }
  | { readonly _tag: "Finished"; readonly report: ApplyReport }

const isObject = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === "object" && !Array.isArray(u)

/** The identifier a record is matched by: its email, username or phone trait. */
export const identifierOf = (traits: unknown): string | undefined => {
  if (!isObject(traits)) return undefined
  for (const k of ["email", "username", "phone"]) {
    const v = traits[k]
    if (typeof v === "string" && v !== "") return v
  }
  return undefined
}

const keyOf = (body: CreateIdentityBodyEncoded): string => body.external_id ?? identifierOf(body.traits) ?? "(no key)"

/**
 * The managed part of an identity: traits and both metadata always (absent is null), state
 * (absent is active, Kratos' default), schema, external_id and organization_id when the desired
 * record names them. Addresses are not here: Kratos derives them from the traits, and their
 * verification is compared address by address (`addressChanges`).
 */
const managed = (body: CreateIdentityBodyEncoded, desired: CreateIdentityBodyEncoded): Record<string, unknown> => {
  const out: Record<string, unknown> = {
    traits: body.traits ?? {},
    metadata_public: body.metadata_public ?? null,
    metadata_admin: body.metadata_admin ?? null,
    state: body.state ?? "active"
  }
  if (desired.schema_id !== undefined && desired.schema_id !== "") out.schema_id = body.schema_id
  if (desired.external_id !== undefined) out.external_id = body.external_id ?? null
  if (desired.organization_id !== undefined) out.organization_id = body.organization_id ?? null
  return out
}

/**
 * The verification state the desired record gives an address the identity already has (matched by
 * value and channel), as replacements at that address' index in the identity. Addresses the identity
 * lacks are not added: Kratos creates them from the traits, unverified, when the traits change.
 */
const addressChanges = (current: CreateIdentityBodyEncoded, desired: CreateIdentityBodyEncoded): Array<Change> => {
  const want = desired.verifiable_addresses
  const have = current.verifiable_addresses
  if (want === undefined || have === undefined) return []
  const out: Array<Change> = []
  have.forEach((address, index) => {
    const target = want.find((w) => w.value.toLowerCase() === address.value.toLowerCase() && (w.via ?? "email") === address.via)
    if (target === undefined) return
    if (target.verified !== undefined && target.verified !== address.verified) {
      out.push({ op: "replace", path: `/verifiable_addresses/${index}/verified`, value: target.verified, old: address.verified })
    }
    if (target.status !== undefined && target.status !== address.status) {
      out.push({ op: "replace", path: `/verifiable_addresses/${index}/status`, value: target.status, old: address.status })
    }
  })
  return out
}

/** The JSON Patch from what the identity is to what the record wants, only where they differ. */
export const changesOf = (current: CreateIdentityBodyEncoded, desired: CreateIdentityBodyEncoded): ReadonlyArray<Change> => {
  const from = managed(current, desired)
  const to = managed(desired, desired)
  const fields = fastJsonPatch.compare(from, to).map((op): Change => {
    const o = op as { op: string; path: string; value?: unknown }
    const kind = o.op === "remove" ? "remove" : o.op === "add" ? "add" : "replace"
    return {
      op: kind,
      path: o.path,
      ...(kind !== "remove" ? { value: o.value } : {}),
      ...(kind !== "add" ? { old: valueAt(from, o.path) } : {})
    }
  })
  return [...fields, ...addressChanges(current, desired)]
}

const providerId = (p: unknown) => (isObject(p) ? `${String(p.provider)}:${String(p.subject)}` : "")

const providersOf = (c: unknown): ReadonlyArray<unknown> =>
  isObject(c) && isObject(c.config) && Array.isArray(c.config.providers) ? c.config.providers : []

type Credentials = NonNullable<CreateIdentityBodyEncoded["credentials"]>

/**
 * The desired credentials the identity lacks (another password hash, the providers it does not
 * have), or `undefined` when it lacks none. Only these go into the PUT: Kratos appends every
 * provider of an update to the stored ones, and one already there is a 409 (its identifier index
 * is unique), so a record naming all of an identity's providers could never be applied whole.
 */
const lackingCredentials = (current: CreateIdentityBodyEncoded, desired: CreateIdentityBodyEncoded): Credentials | undefined => {
  const want = desired.credentials
  if (want === undefined) return undefined
  const have = current.credentials
  const out: { -readonly [K in keyof Credentials]: Credentials[K] } = {}
  const pw = want.password?.config
  if (pw !== undefined) {
    const havePw = have?.password?.config
    if (
      (pw.hashed_password !== undefined && pw.hashed_password !== havePw?.hashed_password) ||
      pw.password !== undefined ||
      (pw.use_password_migration_hook === true && havePw?.use_password_migration_hook !== true)
    ) out.password = want.password
  }
  for (const t of ["oidc", "saml"] as const) {
    const present = new Set(providersOf(have?.[t]).map(providerId))
    const missing = providersOf(want[t]).filter((p) => !present.has(providerId(p)))
    if (missing.length > 0) out[t] = { ...want[t], config: { ...want[t]?.config, providers: missing } } as Credentials[typeof t]
  }
  return Object.keys(out).length > 0 ? out : undefined
}

const statusOf = (e: KratosError): number | undefined => ("status" in e && typeof e.status === "number" ? e.status : undefined)
const reasonOf = (e: KratosError): string => ("reason" in e && typeof e.reason === "string" && e.reason !== "" ? e.reason : e.message)

const find = (
  client: ApplyClient,
  body: CreateIdentityBodyEncoded,
  match: MatchBy | undefined,
  include: ReadonlyArray<"password" | "oidc" | "saml">
): Effect.Effect<Identity | undefined | string, KratosError> => {
  const byExternal = match !== "identifier" && body.external_id !== undefined && body.external_id !== ""
  if (byExternal) {
    return client.getIdentityByExternalID({ externalID: body.external_id!, ...(include.length > 0 ? { include_credential: include } : {}) }).pipe(
      Effect.map((i): Identity | undefined => i),
      Effect.catchTag("NotFound", () => Effect.succeed(undefined))
    )
  }
  const identifier = identifierOf(body.traits)
  if (identifier === undefined) return Effect.succeed("no external_id and no email, username or phone trait to match by")
  return Effect.map(
    client.listIdentities({ credentials_identifier: identifier, ...(include.length > 0 ? { include_credential: include } : {}) }),
    (page) => page.items[0]
  )
}

/** Matches each desired record against the server; nothing is written. */
export const plan = (
  client: ApplyClient,
  desired: ReadonlyArray<unknown>,
  options: ApplyOptions = {}
): Effect.Effect<ApplyPlan, KratosError | WorkflowError> =>
  Effect.gen(function*() {
    const include = options.updateCredentials === true ? (["password", "oidc", "saml"] as const) : ([] as const)
    const all = new Set(["password", "oidc", "saml"] as const)
    const seen = new Set<string>()
    const matched = new Set<string>()
    const planOne = (raw: unknown, index: number): Effect.Effect<PlannedItem, KratosError> => {
      if (!isObject(raw) || !isObject(raw.traits)) {
        return Effect.succeed({ _tag: "Invalid", index, reason: "not a create body (an object with traits)" })
      }
      const body = raw as unknown as CreateIdentityBodyEncoded
      const key = keyOf(body)
      if (seen.has(key)) return Effect.succeed({ _tag: "Invalid", index, reason: `${key} is in the file twice` })
      seen.add(key)
      return Effect.map(find(client, body, options.match, include), (found): PlannedItem => {
        if (typeof found === "string") return { _tag: "Invalid", index, reason: found }
        if (found === undefined) return { _tag: "Create", index, key, body }
        matched.add(found.id)
        const current = toCreateBody(found, all)
        const changes = changesOf(current, body)
        const lacking = options.updateCredentials === true ? lackingCredentials(current, body) : undefined
        if (changes.length === 0 && lacking === undefined) return { _tag: "Unchanged", index, key, id: found.id }
        return lacking === undefined
          ? { _tag: "Update", index, key, id: found.id, changes, credentials: false, body }
          : { _tag: "Update", index, key, id: found.id, changes, credentials: true, body: { ...body, credentials: lacking } }
      })
    }
    const items = yield* Effect.forEach(desired, planOne, { concurrency: options.concurrency ?? 4 })
    const out: Array<PlannedItem> = [...items]
    if (options.prune === true) {
      yield* Stream.runForEach(client.listIdentitiesStream({ page_size: 500 }, { readAhead: true }), (i) =>
        Effect.sync(() => {
          if (!matched.has(i.id)) out.push({ _tag: "Delete", id: i.id, key: i.external_id ?? identifierOf(i.traits) ?? i.id })
        }))
    }
    const count = (tag: PlannedItem["_tag"]) => out.filter((i) => i._tag === tag).length
    return {
      items: out,
      creates: count("Create"),
      updates: count("Update"),
      unchanged: count("Unchanged"),
      deletes: count("Delete"),
      invalid: count("Invalid")
    }
  }).pipe(
    Effect.tap((plan) =>
      Effect.annotateCurrentSpan({
        "kratos.apply.creates": plan.creates,
        "kratos.apply.updates": plan.updates,
        "kratos.apply.unchanged": plan.unchanged,
        "kratos.apply.deletes": plan.deletes,
        "kratos.apply.invalid": plan.invalid
      })
    ),
    Effect.withSpan("kratos.apply.plan")
  )

const updateBody = (body: CreateIdentityBodyEncoded) => ({
  ...(body.schema_id !== undefined ? { schema_id: body.schema_id } : {}),
  traits: body.traits,
  ...(body.state !== undefined ? { state: body.state } : {}),
  ...(body.external_id !== undefined ? { external_id: body.external_id } : {}),
  metadata_public: body.metadata_public ?? null,
  metadata_admin: body.metadata_admin ?? null,
  ...(body.credentials !== undefined ? { credentials: body.credentials } : {})
})

/** Runs a plan: updates and deletes one by one, creates through the importer. */
export const run = (client: ApplyClient, plan: ApplyPlan, options: ApplyOptions = {}): Stream.Stream<ApplyEvent, WorkflowError> =>
  Stream.suspend(() => {
    const started = Date.now()
    const failures: Array<ApplyFailure> = []
    let created = 0
    let updated = 0
    let deleted = 0
    // creates the importer has finished (created or failed), from its progress events
    let createsDone = 0
    let createsFailed = 0
    const total = plan.creates + plan.updates + plan.deletes
    const failure = (f: ApplyFailure): ApplyEvent => {
      failures.push(f)
      return { _tag: "ItemFailed", failure: f }
    }
    const progress = (): ApplyEvent => {
      const failed = failures.length
      const writesFailed = failed - createsFailed
      return {
        _tag: "Progress",
        progress: {
          done: updated + deleted + writesFailed + createsDone,
          total,
          created: createsDone - createsFailed,
          updated,
          deleted,
          failed,
          elapsedMs: Date.now() - started
        }
      }
    }
    const writeOne = (item: PlannedItem): Effect.Effect<ApplyEvent | undefined> => {
      switch (item._tag) {
        case "Update": {
          const write = item.credentials
            ? Effect.asVoid(client.encoded.updateIdentity({ id: item.id, body: updateBody(item.body) as never }))
            : Effect.asVoid(client.encoded.patchIdentity({
              id: item.id,
              body: item.changes.map((c) => (c.op === "remove" ? { op: c.op, path: c.path } : { op: c.op, path: c.path, value: c.value })) as never
            }))
          return write.pipe(
            Effect.map((): ApplyEvent => {
              updated++
              return { _tag: "Applied", item }
            }),
            Effect.catchAll((e) => Effect.succeed(failure({ key: item.key, action: "update", code: statusOf(e), reason: reasonOf(e) }))),
            Effect.withSpan("kratos.apply.update", {
              attributes: { "kratos.identity.id": item.id, "kratos.apply.operation": item.credentials ? "updateIdentity" : "patchIdentity" }
            })
          )
        }
        case "Delete":
          return client.deleteIdentity({ id: item.id }).pipe(
            Effect.map((): ApplyEvent => {
              deleted++
              return { _tag: "Applied", item }
            }),
            Effect.catchAll((e) => Effect.succeed(failure({ key: item.key, action: "delete", code: statusOf(e), reason: reasonOf(e) }))),
            Effect.withSpan("kratos.apply.delete", { attributes: { "kratos.identity.id": item.id } })
          )
        default:
          return Effect.succeed(undefined)
      }
    }
    const creates = plan.items.filter((i): i is Extract<PlannedItem, { _tag: "Create" }> => i._tag === "Create")
    const importCreates = creates.length === 0
      ? Stream.empty
      : Engine.run(
        client,
        Stream.fromIterable(creates.map((c, k) => ({ _tag: "Value" as const, line: k + 1, value: c.body, bytes: 0 }))),
        { source: "apply" }
      ).pipe(
        Stream.mapError((e) => new WorkflowError({ message: e.message, cause: e })),
        Stream.mapConcat((e): ReadonlyArray<ApplyEvent> => {
          if (e._tag === "RecordFailed") {
            createsFailed++
            const c = creates[e.failure.line - 1]
            return [failure({ key: c?.key ?? String(e.failure.line), action: "create", code: e.failure.code, reason: e.failure.reason })]
          }
          if (e._tag === "Progress") {
            createsDone = Math.max(createsDone, e.progress.done)
            return [progress()]
          }
          if (e._tag === "Finished") {
            created += createdOf(e.report)
            createsDone = created + createsFailed
            return [progress()]
          }
          return []
        })
      )
    const writes = Stream.fromIterable(plan.items.filter((i) => i._tag === "Update" || i._tag === "Delete")).pipe(
      Stream.mapEffect(writeOne, { concurrency: options.concurrency ?? 4 }),
      Stream.mapConcat((e): ReadonlyArray<ApplyEvent> => (e === undefined ? [] : [e, progress()]))
    )
    const finished = Stream.fromEffect(Effect.sync((): ApplyEvent => ({
      _tag: "Finished",
      report: {
        created,
        updated,
        unchanged: plan.unchanged,
        deleted,
        invalid: plan.invalid,
        failed: failures.length,
        failures,
        durationMs: Date.now() - started,
        complete: failures.length === 0 && plan.invalid === 0
      }
    })))
    return Stream.make<[ApplyEvent]>({ _tag: "Started", plan }).pipe(
      Stream.concat(writes),
      Stream.concat(importCreates),
      Stream.concat(finished)
    )
  })

const createdOf = (r: ImportReport) => r.created + r.alreadyPresent + r.updated
