/**
 * Keep a project in line with a file: the desired identities (create bodies, what `Export`
 * writes) are matched against the server by external_id, else by identifier (email, username or
 * phone trait); the plan says which to create, update, leave and, with `prune`, delete. An update
 * sends a JSON Patch of only what differs (nothing when nothing differs, so applying twice changes
 * nothing); credentials of existing identities change only with `updateCredentials`. Creates go
 * through the importer (batches, retries, reconciliation).
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const desired = yield* Apply.readDesired("users.jsonl")
 *   const plan = yield* Apply.plan(desired, { prune: true })
 *   console.log(Apply.renderDiff(plan))
 *   return yield* Apply.report(Apply.run(plan))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { IdentityApi } from "./IdentityApi.js"
import * as Import from "./Import.js"
import type { KratosError } from "./KratosError.js"
import { inexactNumberReason } from "./internal/exactJson.js"
import * as Engine from "./internal/workflows/apply.js"
import type { ApplyClient, ApplyEvent, ApplyOptions, ApplyPlan, ApplyReport, Change } from "./internal/workflows/apply.js"
import { WorkflowError } from "./internal/workflows/sink.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  ApplyClient,
  /**
   * @since 0.1.0
   * @category models
   */
  ApplyEvent,
  /**
   * @since 0.1.0
   * @category models
   */
  ApplyFailure,
  /**
   * @since 0.1.0
   * @category models
   */
  ApplyOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  ApplyPlan,
  /**
   * @since 0.1.0
   * @category models
   */
  ApplyProgress,
  /**
   * @since 0.1.0
   * @category models
   */
  ApplyReport,
  /**
   * @since 0.1.0
   * @category models
   */
  Change,
  /**
   * @since 0.1.0
   * @category models
   */
  MatchBy,
  /**
   * @since 0.1.0
   * @category models
   */
  PlannedItem
} from "./internal/workflows/apply.js"
export {
  /**
   * @since 0.1.0
   * @category errors
   */
  WorkflowError
} from "./internal/workflows/sink.js"

/**
 * The records of a file (JSON Lines, a JSON array or concatenated objects; `-` for stdin).
 *
 * @since 0.1.0
 * @category sources
 */
export const readDesired = (path: string): Effect.Effect<ReadonlyArray<unknown>, WorkflowError> =>
  Import.readFile(path).pipe(
    Stream.mapError((e) => new WorkflowError({ message: e.message, cause: e })),
    Stream.mapEffect((item) => {
      switch (item._tag) {
        case "Value":
          return Effect.succeed(item.value)
        case "Text":
          return Effect.flatMap(
            Effect.try({
              try: () => JSON.parse(item.text) as unknown,
              catch: () => new WorkflowError({ message: `${path}: line ${item.line} is not JSON` })
            }),
            (value) => {
              // applied, a number JSON.parse rounded would be stored rounded: refused (by its path, not its value)
              const inexact = inexactNumberReason(item.text)
              return inexact === undefined ? Effect.succeed(value) : Effect.fail(
                new WorkflowError({ message: `${path}: line ${item.line}: ${inexact}: applied, it would be stored rounded. Write it as a string` })
              )
            }
          )
        case "Malformed":
          return Effect.fail(new WorkflowError({ message: `${path}: line ${item.line}: ${item.reason}` }))
      }
    }),
    Stream.runCollect,
    Effect.map((c) => Array.from(c))
  )

/**
 * @since 0.1.0
 * @category planning
 */
export const planWith: (
  client: ApplyClient,
  desired: ReadonlyArray<unknown>,
  options?: ApplyOptions
) => Effect.Effect<ApplyPlan, KratosError | WorkflowError> = Engine.plan

/**
 * Matches the desired records against the server; writes nothing.
 *
 * @since 0.1.0
 * @category planning
 */
export const plan = (
  desired: ReadonlyArray<unknown>,
  options?: ApplyOptions
): Effect.Effect<ApplyPlan, KratosError | WorkflowError, IdentityApi> =>
  Effect.flatMap(IdentityApi, (api) => Engine.plan(api, desired, options))

/**
 * @since 0.1.0
 * @category running
 */
export const runWith: (client: ApplyClient, plan: ApplyPlan, options?: ApplyOptions) => Stream.Stream<ApplyEvent, WorkflowError> =
  Engine.run

/**
 * @since 0.1.0
 * @category running
 */
export const run = (plan: ApplyPlan, options?: ApplyOptions): Stream.Stream<ApplyEvent, WorkflowError, IdentityApi> =>
  Stream.unwrap(Effect.map(IdentityApi, (api) => Engine.run(api, plan, options)))

/**
 * Not every planned change was made; the report lists each failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class ApplyIncomplete extends Schema.TaggedError<ApplyIncomplete>()("ApplyIncomplete", {
  message: Schema.String,
  failed: Schema.Number,
  invalid: Schema.Number
}) {}

/**
 * The final report of a run; fails with `ApplyIncomplete` when a change failed or a record was
 * invalid.
 *
 * @since 0.1.0
 * @category running
 */
export const report = <E, R>(
  events: Stream.Stream<ApplyEvent, E, R>
): Effect.Effect<ApplyReport, E | WorkflowError | ApplyIncomplete, R> =>
  Effect.gen(function*() {
    let last: ApplyReport | undefined
    yield* Stream.runForEach(events, (e) => Effect.sync(() => {
      if (e._tag === "Finished") last = e.report
    }))
    if (last === undefined) return yield* new WorkflowError({ message: "the apply ended without a report" })
    if (!last.complete) {
      return yield* new ApplyIncomplete({
        message: `${last.failed} change(s) failed, ${last.invalid} record(s) invalid`,
        failed: last.failed,
        invalid: last.invalid
      })
    }
    return last
  })

const show = (v: unknown): string => (v === undefined ? "(none)" : JSON.stringify(v))

const changeLine = (c: Change): string =>
  c.op === "remove"
    ? `    - ${c.path}: ${show(c.old)}`
    : c.op === "add"
    ? `    + ${c.path}: ${show(c.value)}`
    : `    ~ ${c.path}: ${show(c.old)} -> ${show(c.value)}`

/**
 * The plan as a readable diff, one block per identity: `+ create`, `~ update` with each changed
 * path (old -> new), `- delete`, `! invalid`. Credentials are never shown, only that they change.
 *
 * @since 0.1.0
 * @category rendering
 */
export const renderDiff = (plan: ApplyPlan, options: { readonly unchanged?: boolean } = {}): string => {
  const lines: Array<string> = []
  for (const item of plan.items) {
    switch (item._tag) {
      case "Create":
        lines.push(`+ create ${item.key}${item.body.credentials !== undefined ? " (with credentials)" : ""}`)
        break
      case "Update":
        lines.push(`~ update ${item.key} (${item.id})`)
        for (const c of item.changes) lines.push(changeLine(c))
        if (item.credentials) lines.push("    ~ credentials: differ (sent, never shown)")
        break
      case "Unchanged":
        if (options.unchanged === true) lines.push(`= ${item.key} (${item.id})`)
        break
      case "Delete":
        lines.push(`- delete ${item.key} (${item.id})`)
        break
      case "Invalid":
        lines.push(`! record ${item.index + 1}: ${item.reason}`)
    }
  }
  lines.push(
    `${plan.creates} to create, ${plan.updates} to update, ${plan.unchanged} unchanged, ${plan.deletes} to delete` +
      (plan.invalid > 0 ? `, ${plan.invalid} invalid` : "")
  )
  return lines.join("\n")
}
