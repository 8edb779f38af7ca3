/**
 * Bulk changes: a plan (the selected identities, fixed once) and its execution in journaled waves.
 *
 * The journal is the importer's (`internal/import/journal.ts`): a plan's position stands for a
 * record's line. A wave is journaled `sent` and fsynced before any of its writes goes out, `done`
 * when they are settled, so a resume after a kill skips what was done and looks at what was in
 * flight instead of writing it again. The plan's ids sit next to the journal (`<journal>.plan`);
 * the action itself is not stored (a patch may carry secrets), only its digest, which a resume
 * must match.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import type { Identity, IdentityId } from "../../Identity.js"
import type { Service } from "../../IdentityApi.js"
import type { KratosJsonPatchDocument } from "../../JsonPatch.js"
import type { KratosError } from "../../KratosError.js"
import type { DoneItem } from "../import/journal.js"
import { JournalWriter, load } from "../import/journal.js"
import { select, type Selector, selectorIds } from "./selector.js"
import { WorkflowError } from "./sink.js"

/** @since 0.1.0 @category models */
export type BulkAction =
  | { readonly _tag: "Delete" }
  | { readonly _tag: "Patch"; readonly patch: typeof KratosJsonPatchDocument.Encoded }
  | { readonly _tag: "SetState"; readonly state: "active" | "inactive" }
  | { readonly _tag: "DeleteSessions" }
  | { readonly _tag: "DisableSessions" }

/** What a bulk change needs of the client (`IdentityApi` provides it). @since 0.1.0 @category models */
export type BulkClient = Pick<
  Service,
  "listIdentitiesStream" | "getIdentity" | "deleteIdentity" | "deleteIdentitySessions" | "listIdentitySessionsStream" | "disableSession" | "encoded"
>

/** @since 0.1.0 @category models */
export interface BulkPlan {
  readonly action: BulkAction
  /** The identities to change, in order. */
  readonly ids: ReadonlyArray<IdentityId>
  /** Selected, but already as the action would leave them (e.g. deactivating an inactive identity). */
  readonly unchanged: number
  /** The first few identities to change, to show before asking. */
  readonly sample: ReadonlyArray<Identity>
  /** Ids the selector named that no identity has (left out; empty for other selectors and on resume). */
  readonly notFound: ReadonlyArray<string>
}

/** @since 0.1.0 @category models */
export interface BulkOptions {
  /** Journal path: without it the change cannot be resumed. */
  readonly journal?: string
  /** Identities changed at once (default 4). */
  readonly concurrency?: number
  /** Identities a journal entry covers (default 50). */
  readonly wave?: number
  /** Time between two `Progress` events at most (default 250 ms). */
  readonly progressInterval?: number
}

/** @since 0.1.0 @category models */
export interface BulkFailure {
  readonly id: string
  /** The HTTP status, when the server answered. */
  readonly code?: number | undefined
  readonly reason: string
}

/** @since 0.1.0 @category models */
export interface BulkReport {
  readonly action: BulkAction["_tag"]
  readonly planned: number
  readonly changed: number
  /** Already as wanted when their turn came (gone before a delete, a resumed write that had landed). */
  readonly alreadyDone: number
  readonly failed: number
  /** Written by an interrupted run with an outcome that cannot be checked (a patch): not sent again. */
  readonly unknown: number
  /** Done by an earlier run of the same journal. */
  readonly resumed: number
  readonly failures: ReadonlyArray<BulkFailure>
  readonly durationMs: number
  readonly journal?: string | undefined
  readonly complete: boolean
}

/** @since 0.1.0 @category models */
export interface BulkProgress {
  readonly planned: number
  readonly done: number
  readonly changed: number
  readonly failed: number
  readonly rate: number
  readonly elapsedMs: number
  readonly etaSeconds?: number | undefined
}

/** @since 0.1.0 @category models */
export type BulkEvent =
  | { readonly _tag: "Started"; readonly action: BulkAction["_tag"]; readonly planned: number; readonly resumed: number }
  | { readonly _tag: "Progress"; readonly progress: BulkProgress }
  | { readonly _tag: "ItemFailed"; readonly failure: BulkFailure }
  | { readonly _tag: "Finished"; readonly report: BulkReport }

// the action's kind for a span (a patch's document may hold secrets: never its content)
const actionName = (a: BulkAction): string =>
  a._tag === "SetState" ? (a.state === "active" ? "activate" : "deactivate") : a._tag

/** A digest of the action, journaled instead of the action (a patch may hold secrets). */
export const actionDigest = (action: BulkAction): string =>
  createHash("sha256").update(JSON.stringify(action)).digest("hex").slice(0, 32)

/** Selects the identities to change; nothing is written. */
export const plan = (
  client: BulkClient,
  selector: Selector,
  action: BulkAction,
  sampleSize = 5
): Effect.Effect<BulkPlan, KratosError | WorkflowError> =>
  Effect.suspend(() => {
    const ids: Array<IdentityId> = []
    const sample: Array<Identity> = []
    let unchanged = 0
    const found = new Set<string>()
    const listed = selector.ids === undefined ? undefined : (page: ReadonlyArray<Identity>) => {
      for (const identity of page) found.add(identity.id.toLowerCase())
    }
    const notFound = () => selector.ids === undefined ? [] : selectorIds(selector.ids).filter((id) => !found.has(id))
    return Stream.runForEach(select(client, selector, 500, listed), (identity) =>
      Effect.sync(() => {
        if (action._tag === "SetState" && identity.state === action.state) {
          unchanged++
          return
        }
        ids.push(identity.id)
        if (sample.length < sampleSize) sample.push(identity)
      })).pipe(
        Effect.map((): BulkPlan => ({ action, ids, unchanged, sample, notFound: notFound() })),
        Effect.tap((plan) => Effect.annotateCurrentSpan({ "kratos.bulk.planned": plan.ids.length, "kratos.bulk.unchanged": plan.unchanged })),
        Effect.withSpan("kratos.bulk.plan", { attributes: { "kratos.bulk.action": actionName(action) } })
      )
  })

/** The plan's ids beside the journal, written once (a resume reads them back rather than selecting again). */
export const planPath = (journal: string) => `${journal}.plan`

const savePlan = (path: string, plan: BulkPlan) =>
  Effect.try({
    try: () => {
      const header = JSON.stringify({ t: "plan", v: 1, action: plan.action._tag, digest: actionDigest(plan.action), count: plan.ids.length, unchanged: plan.unchanged })
      fs.writeFileSync(path, header + "\n" + plan.ids.join("\n") + (plan.ids.length > 0 ? "\n" : ""), { mode: 0o600 })
    },
    catch: (cause) => new WorkflowError({ message: `cannot write ${path}: ${String(cause)}`, cause })
  })

/** The plan of an earlier run, for `resume`: the same action (by digest) or a typed error. */
export const loadPlan = (journal: string, action: BulkAction): Effect.Effect<BulkPlan, WorkflowError> =>
  Effect.try({
    try: () => fs.readFileSync(planPath(journal), "utf8"),
    catch: (cause) => new WorkflowError({ message: `nothing to resume: cannot read ${planPath(journal)}`, cause })
  }).pipe(
    Effect.flatMap((text) => {
      const [first, ...rest] = text.split("\n")
      let header: { digest?: unknown; unchanged?: unknown; action?: unknown }
      try {
        header = JSON.parse(first)
      } catch {
        return Effect.fail(new WorkflowError({ message: `${planPath(journal)} is not a plan` }))
      }
      if (header.digest !== actionDigest(action)) {
        return Effect.fail(
          new WorkflowError({ message: `the journal is of another change (${String(header.action)}, other arguments): resume it with the same command` })
        )
      }
      return Effect.succeed<BulkPlan>({
        action,
        ids: rest.filter((l) => l !== "") as Array<IdentityId>,
        unchanged: typeof header.unchanged === "number" ? header.unchanged : 0,
        sample: [],
        notFound: []
      })
    })
  )

type Outcome =
  | { readonly kind: "c" }
  | { readonly kind: "p" }
  | { readonly kind: "u" }
  | { readonly kind: "f"; readonly code?: number | undefined; readonly reason: string }

const statusOf = (e: KratosError): number | undefined => ("status" in e && typeof e.status === "number" ? e.status : undefined)
const reasonOf = (e: KratosError): string => ("reason" in e && typeof e.reason === "string" && e.reason !== "" ? e.reason : e.message)
const failed = (e: KratosError): Outcome => ({ kind: "f", code: statusOf(e), reason: reasonOf(e) })
const isNotFound = (e: KratosError) => e._tag === "NotFound"

const ifPresent = (client: BulkClient, id: IdentityId, write: Effect.Effect<Outcome>, gone: Outcome): Effect.Effect<Outcome> =>
  client.getIdentity({ id }).pipe(
    Effect.matchEffect({
      onFailure: (e) => Effect.succeed(isNotFound(e) ? gone : failed(e)),
      onSuccess: () => write
    })
  )

/** One identity's change; `ambiguous` when an interrupted run may have made it already. */
const apply = (client: BulkClient, action: BulkAction, id: IdentityId, ambiguous: boolean): Effect.Effect<Outcome> => {
  const done: Outcome = { kind: "c" }
  const already: Outcome = { kind: "p" }
  switch (action._tag) {
    case "Delete": {
      const write = client.deleteIdentity({ id }).pipe(
        Effect.as(done),
        Effect.catchAll((e) => Effect.succeed(isNotFound(e) ? already : failed(e)))
      )
      // looked up first: a delete that landed before the interruption is not sent again
      return ambiguous ? ifPresent(client, id, write, already) : write
    }
    case "SetState": {
      const write = client.encoded.patchIdentity({ id, body: [{ op: "replace", path: "/state", value: action.state }] }).pipe(
        Effect.as(done),
        Effect.catchAll((e) => Effect.succeed(failed(e)))
      )
      if (!ambiguous) return write
      return client.getIdentity({ id }).pipe(
        Effect.matchEffect({
          onFailure: (e) => Effect.succeed(failed(e)),
          onSuccess: (identity) => (identity.state === action.state ? Effect.succeed(already) : write)
        })
      )
    }
    case "Patch":
      // a JSON patch may not be idempotent (an add to an array): after an interruption it is left alone
      if (ambiguous) return Effect.succeed<Outcome>({ kind: "u" })
      return client.encoded.patchIdentity({ id, body: action.patch }).pipe(
        Effect.as(done),
        Effect.catchAll((e) => Effect.succeed(failed(e)))
      )
    case "DeleteSessions": {
      const write = client.deleteIdentitySessions({ id }).pipe(
        Effect.as(done),
        // no sessions left is what was asked
        Effect.catchAll((e) => Effect.succeed(isNotFound(e) ? already : failed(e)))
      )
      if (!ambiguous) return write
      return client.listIdentitySessionsStream({ id }).pipe(
        Stream.take(1),
        Stream.runCount,
        Effect.matchEffect({
          onFailure: (e) => Effect.succeed(isNotFound(e) ? already : failed(e)),
          onSuccess: (n) => (n === 0 ? Effect.succeed(already) : write)
        })
      )
    }
    case "DisableSessions":
      return client.listIdentitySessionsStream({ id, active: true }).pipe(
        Stream.mapEffect((session) =>
          client.disableSession({ id: session.id }).pipe(Effect.catchIf(isNotFound, () => Effect.void)), { concurrency: 1 }),
        Stream.runDrain,
        Effect.as(done),
        Effect.catchAll((e) => Effect.succeed(isNotFound(e) ? already : failed(e)))
      )
  }
}

const outcomeItem = (line: number, o: Outcome): DoneItem =>
  o.kind === "f" ? [line, "f", o.code ?? 0, o.reason] : [line, o.kind]

/** Runs a plan: `Started`, `Progress`, `ItemFailed` per failure, `Finished` with the report. */
export const run = (
  client: BulkClient,
  plan: BulkPlan,
  options: BulkOptions & { readonly resume?: boolean } = {}
): Stream.Stream<BulkEvent, WorkflowError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const journalPath = options.journal
    const state = journalPath !== undefined && options.resume === true
      ? yield* Effect.tryPromise({
        try: () => load(journalPath),
        catch: (cause) => new WorkflowError({ message: `cannot read the journal ${journalPath}`, cause })
      })
      : undefined
    if (journalPath !== undefined && options.resume !== true) yield* savePlan(planPath(journalPath), plan)
    const journal = journalPath === undefined ? undefined : yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          if (options.resume !== true) fs.writeFileSync(journalPath, "", { mode: 0o600 })
          const w = JournalWriter.open(journalPath)
          w.begin(planPath(journalPath), actionDigest(plan.action))
          return w
        },
        catch: (cause) => new WorkflowError({ message: `cannot write the journal ${journalPath}`, cause })
      }),
      (w) => Effect.sync(() => w.close())
    )
    const concurrency = Math.max(1, options.concurrency ?? 4)
    const waveSize = Math.max(1, options.wave ?? 50)
    const interval = options.progressInterval ?? 250
    const started = Date.now()
    const planned = plan.ids.length
    const failures: Array<BulkFailure> = []
    let changed = 0
    let alreadyDone = 0
    let unknown = 0
    let resumed = 0
    let doneCount = 0
    let lastProgress = 0
    // results of an earlier run: counted, failures kept for the report
    const todo: Array<number> = []
    for (let line = 1; line <= planned; line++) {
      if (state !== undefined && state.doneLines.has(line)) {
        resumed++
        doneCount++
        const item = state.done.get(line)
        if (item === undefined) changed++
        else if (item[1] === "p") alreadyDone++
        else if (item[1] === "u") unknown++
        else if (item[1] === "f") {
          failures.push({ id: plan.ids[line - 1], code: typeof item[2] === "number" && item[2] !== 0 ? item[2] : undefined, reason: item[3] ?? "failed" })
        } else changed++
      } else todo.push(line)
    }
    const progress = (): BulkProgress => {
      const elapsedMs = Date.now() - started
      const fresh = doneCount - resumed
      const rate = elapsedMs > 0 ? (fresh * 1000) / elapsedMs : 0
      return {
        planned,
        done: doneCount,
        changed,
        failed: failures.length,
        rate,
        elapsedMs,
        etaSeconds: rate > 0 ? (planned - doneCount) / rate : undefined
      }
    }
    const waves: Array<ReadonlyArray<number>> = []
    for (let i = 0; i < todo.length; i += waveSize) waves.push(todo.slice(i, i + waveSize))
    let waveNo = 0
    const runWave = (lines: ReadonlyArray<number>) =>
      Effect.gen(function*() {
        waveNo++
        if (journal !== undefined) {
          journal.sent(`${state?.runs ?? 0}-${waveNo}`, lines)
          yield* Effect.mapError(journal.sync, (cause) => new WorkflowError({ message: "cannot write the journal", cause }))
        }
        const outcomes = yield* Effect.forEach(
          lines,
          (line) => apply(client, plan.action, plan.ids[line - 1], state?.pending.has(line) === true),
          { concurrency }
        )
        const created: Array<number> = []
        const items: Array<DoneItem> = []
        const events: Array<BulkEvent> = []
        outcomes.forEach((o, k) => {
          const line = lines[k]
          doneCount++
          if (o.kind === "c") {
            changed++
            created.push(line)
            return
          }
          items.push(outcomeItem(line, o))
          if (o.kind === "p") alreadyDone++
          else if (o.kind === "u") {
            unknown++
            const failure = { id: plan.ids[line - 1], reason: "written by an interrupted run; outcome unknown, not sent again" }
            failures.push(failure)
            events.push({ _tag: "ItemFailed", failure })
          } else {
            const failure = { id: plan.ids[line - 1], code: o.code, reason: o.reason }
            failures.push(failure)
            events.push({ _tag: "ItemFailed", failure })
          }
        })
        journal?.done(created, items)
        const now = Date.now()
        if (now - lastProgress >= interval || doneCount === planned) {
          lastProgress = now
          events.push({ _tag: "Progress", progress: progress() })
        }
        return events
      }).pipe(
        Effect.tap(() => Effect.annotateCurrentSpan({ "kratos.bulk.done": doneCount, "kratos.bulk.failed": failures.length })),
        Effect.withSpan("kratos.bulk.wave", { attributes: { "kratos.bulk.action": actionName(plan.action), "kratos.bulk.wave.size": lines.length } })
      )
    const finished = Effect.sync((): BulkEvent => {
      const failedOnly = failures.length - unknown
      return {
        _tag: "Finished",
        report: {
          action: plan.action._tag,
          planned,
          changed,
          alreadyDone,
          failed: failedOnly,
          unknown,
          resumed,
          failures,
          durationMs: Date.now() - started,
          journal: journalPath,
          complete: failures.length === 0
        }
      }
    })
    return Stream.make<[BulkEvent]>({ _tag: "Started", action: plan.action._tag, planned, resumed }).pipe(
      Stream.concat(Stream.flatMap(Stream.fromIterable(waves), (w) => Stream.fromIterableEffect(runWave(w)))),
      Stream.concat(Stream.fromEffect(finished))
    )
  }))

