/**
 * Bulk changes by selector: delete, patch, deactivate or activate identities, delete their sessions
 * or disable them, over every identity, a list filter or a list of ids, narrowed by a predicate.
 *
 * Always a plan first (`plan`: the selected ids, a sample, nothing written), then `run`: waves of
 * changes journaled like the importer's batches (fsynced before they go out), so `resume` after a
 * crash or a kill neither repeats a write that landed nor loses one; a report with every failure.
 * The client's rate limiting and retries apply to every call.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const plan = yield* Bulk.plan({ filter: { organization_id } }, Bulk.deactivate)
 *   // show plan.ids.length and plan.sample, ask, then:
 *   return yield* Bulk.report(Bulk.run(plan, { journal: "deactivate.journal.jsonl" }))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { IdentityApi } from "./IdentityApi.js"
import type { KratosJsonPatchDocument } from "./JsonPatch.js"
import type { KratosError } from "./KratosError.js"
import * as Engine from "./internal/workflows/bulk.js"
import type { BulkAction, BulkClient, BulkEvent, BulkOptions, BulkPlan, BulkReport } from "./internal/workflows/bulk.js"
import { parseIds, type Selector } from "./internal/workflows/selector.js"
import { WorkflowError } from "./internal/workflows/sink.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  BulkAction,
  /**
   * @since 0.1.0
   * @category models
   */
  BulkClient,
  /**
   * @since 0.1.0
   * @category models
   */
  BulkEvent,
  /**
   * @since 0.1.0
   * @category models
   */
  BulkFailure,
  /**
   * @since 0.1.0
   * @category models
   */
  BulkOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  BulkPlan,
  /**
   * @since 0.1.0
   * @category models
   */
  BulkProgress,
  /**
   * @since 0.1.0
   * @category models
   */
  BulkReport
} from "./internal/workflows/bulk.js"
export type {
  /**
   * @since 0.1.0
   * @category models
   */
  Selector
} from "./internal/workflows/selector.js"
export {
  /**
   * @since 0.1.0
   * @category errors
   */
  WorkflowError
} from "./internal/workflows/sink.js"

/**
 * @since 0.1.0
 * @category actions
 */
export const deleteIdentities: BulkAction = { _tag: "Delete" }
/**
 * @since 0.1.0
 * @category actions
 */
export const deactivate: BulkAction = { _tag: "SetState", state: "inactive" }
/**
 * @since 0.1.0
 * @category actions
 */
export const activate: BulkAction = { _tag: "SetState", state: "active" }
/**
 * @since 0.1.0
 * @category actions
 */
export const deleteSessions: BulkAction = { _tag: "DeleteSessions" }
/**
 * Disables each active session of the identities (they stay listed, inactive).
 *
 * @since 0.1.0
 * @category actions
 */
export const disableSessions: BulkAction = { _tag: "DisableSessions" }
/**
 * A JSON Patch (add, remove, replace) applied to each identity. Not idempotent in general: after
 * an interruption a patch whose outcome was not seen is reported `unknown`, never sent twice.
 *
 * @since 0.1.0
 * @category actions
 */
export const patch = (document: typeof KratosJsonPatchDocument.Encoded): BulkAction => ({ _tag: "Patch", patch: document })

/**
 * Ids from text: one a line (or separated by commas or spaces), `#` comments ignored.
 *
 * @since 0.1.0
 * @category selectors
 */
export const idsFromText: (text: string) => ReadonlyArray<string> = parseIds

/**
 * @since 0.1.0
 * @category planning
 */
export const planWith: (
  client: BulkClient,
  selector: Selector,
  action: BulkAction,
  sampleSize?: number
) => Effect.Effect<BulkPlan, KratosError | WorkflowError> = Engine.plan

/**
 * Selects the identities an action would change (those already as it would leave them are
 * counted apart); writes nothing.
 *
 * @since 0.1.0
 * @category planning
 */
export const plan = (
  selector: Selector,
  action: BulkAction,
  sampleSize?: number
): Effect.Effect<BulkPlan, KratosError | WorkflowError, IdentityApi> =>
  Effect.flatMap(IdentityApi, (api) => Engine.plan(api, selector, action, sampleSize))

/**
 * The plan an interrupted run left beside its journal; fails unless `action` is the same.
 *
 * @since 0.1.0
 * @category planning
 */
export const loadPlan: (journal: string, action: BulkAction) => Effect.Effect<BulkPlan, WorkflowError> = Engine.loadPlan

/**
 * Where a journal's plan is kept.
 *
 * @since 0.1.0
 * @category running
 */
export const planPathOf: (journal: string) => string = Engine.planPath

/**
 * @since 0.1.0
 * @category running
 */
export const runWith = (
  client: BulkClient,
  plan: BulkPlan,
  options?: BulkOptions & { readonly resume?: boolean }
): Stream.Stream<BulkEvent, WorkflowError> => Engine.run(client, plan, options)

/**
 * Runs a plan. With `journal` it can be resumed: `resume(journal, action)`.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (plan: BulkPlan, options?: BulkOptions): Stream.Stream<BulkEvent, WorkflowError, IdentityApi> =>
  Stream.unwrap(Effect.map(IdentityApi, (api) => Engine.run(api, plan, options)))

/**
 * Continues the run of a journal: what it finished is skipped, what it had in flight is checked
 * before it is written (or reported unknown, for a patch).
 *
 * @since 0.1.0
 * @category running
 */
export const resumeWith = (
  client: BulkClient,
  journal: string,
  action: BulkAction,
  options: Omit<BulkOptions, "journal"> = {}
): Stream.Stream<BulkEvent, WorkflowError> =>
  Stream.unwrap(Effect.map(Engine.loadPlan(journal, action), (plan) => Engine.run(client, plan, { ...options, journal, resume: true })))

/**
 * @since 0.1.0
 * @category running
 */
export const resume = (
  journal: string,
  action: BulkAction,
  options?: Omit<BulkOptions, "journal">
): Stream.Stream<BulkEvent, WorkflowError, IdentityApi> =>
  Stream.unwrap(Effect.map(IdentityApi, (api) => resumeWith(api, journal, action, options)))

/**
 * Not every planned identity was changed; the report lists each failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class BulkIncomplete extends Schema.TaggedError<BulkIncomplete>()("BulkIncomplete", {
  message: Schema.String,
  failed: Schema.Number,
  unknown: Schema.Number
}) {}

/**
 * The final report of a run (progress ignored); fails with `BulkIncomplete` when an identity was
 * not changed.
 *
 * @since 0.1.0
 * @category running
 */
export const report = <E, R>(
  events: Stream.Stream<BulkEvent, E, R>
): Effect.Effect<BulkReport, E | WorkflowError | BulkIncomplete, R> =>
  Effect.gen(function*() {
    let last: BulkReport | undefined
    yield* Stream.runForEach(events, (e) => Effect.sync(() => {
      if (e._tag === "Finished") last = e.report
    }))
    if (last === undefined) return yield* new WorkflowError({ message: "the change ended without a report" })
    if (!last.complete) {
      return yield* new BulkIncomplete({
        message: `${last.failed + last.unknown} of ${last.planned} identities not changed` +
          (last.journal !== undefined ? ` (journal ${last.journal})` : ""),
        failed: last.failed,
        unknown: last.unknown
      })
    }
    return last
  })
