/**
 * `identities apply FILE` and `identities diff FILE`: keep a project in line with a file of desired
 * identities (what `identities export` writes). The plan is printed as a readable diff; apply asks
 * before writing (or needs --yes) and reports each failure.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Apply from "../../src/Apply.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import { UsageError } from "../Errors.js"
import { Io } from "../Io.js"
import * as Print from "../Print.js"
import { output, yes } from "./flags.js"
import { confirm } from "./operation.js"
import { progressReporter } from "./workflowOptions.js"

const file = Args.text({ name: "file" }).pipe(
  Args.withDescription("The desired identities: create bodies as JSONL, a JSON array or concatenated objects; - for stdin")
)
const planFlags = {
  file,
  prune: Options.boolean("prune").pipe(Options.withDescription("Delete identities no record of the file matches")),
  match: Options.choice("match", ["external_id", "identifier"]).pipe(
    Options.withDescription("Match by external_id (default; records without one by identifier) or by identifier (email, username or phone trait)"),
    Options.optional
  ),
  updateCredentials: Options.boolean("update-credentials").pipe(
    Options.withDescription("Also change credentials of existing identities (password hash, OIDC/SAML providers)")
  )
}

const optionsOf = (f: { readonly prune: boolean; readonly match: import("effect/Option").Option<"external_id" | "identifier">; readonly updateCredentials: boolean }): Apply.ApplyOptions => ({
  prune: f.prune,
  updateCredentials: f.updateCredentials,
  ...(f.match._tag === "Some" ? { match: f.match.value } : {})
})

const planOf = (path: string, options: Apply.ApplyOptions) =>
  Effect.gen(function*() {
    const api = yield* IdentityApi
    const desired = yield* Effect.mapError(Apply.readDesired(path), (e) => new UsageError({ message: e.message }))
    return yield* Apply.planWith(api, desired, options)
  })

/** `identities diff FILE` */
export const diffCommand = Command.make("diff", planFlags, (f) =>
  Effect.gen(function*() {
    const io = yield* Io
    const plan = yield* planOf(f.file, optionsOf(f))
    yield* io.out(Apply.renderDiff(plan))
  })).pipe(
    Command.withDescription("Show what `identities apply FILE` would change, per identity (old -> new); writes nothing")
  )

/** `identities apply FILE` */
export const applyCommand = Command.make(
  "apply",
  {
    ...planFlags,
    dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the plan; change nothing")),
    yes,
    output
  },
  (f) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const io = yield* Io
      const format = yield* Print.resolveFormat(f.output)
      const options = optionsOf(f)
      const plan = yield* planOf(f.file, options)
      if (f.dryRun) {
        yield* io.out(Apply.renderDiff(plan))
        return
      }
      const writes = plan.creates + plan.updates + plan.deletes
      if (writes === 0) {
        yield* io.err(`nothing to change (${plan.unchanged} identities as the file wants them)`)
        if (plan.invalid > 0) yield* io.err(Apply.renderDiff(plan))
      } else {
        yield* io.err(Apply.renderDiff(plan))
        yield* confirm(
          `apply: create ${plan.creates}, update ${plan.updates}, delete ${plan.deletes} identities?`,
          f.yes
        )
      }
      const progress = progressReporter(io, false, "apply")
      const report = yield* Apply.runWith(api, plan, options).pipe(
        Stream.runFoldEffect(undefined as Apply.ApplyReport | undefined, (acc, e) => {
          switch (e._tag) {
            case "ItemFailed":
              return Effect.as(io.err(`failed to ${e.failure.action} ${e.failure.key}: ${e.failure.code ?? ""} ${e.failure.reason}`), acc)
            case "Progress": {
              const p = e.progress
              return Effect.as(
                progress(`${p.done}/${p.total} changes: ${p.created} created, ${p.updated} updated, ${p.deleted} deleted, ${p.failed} failed`),
                acc
              )
            }
            case "Finished":
              return Effect.succeed(e.report)
            default:
              return Effect.succeed(acc)
          }
        }),
        Effect.ensuring(io.progress(undefined))
      )
      if (report === undefined) return
      yield* Print.one("value", report, format)
      if (!report.complete) {
        return yield* new Apply.ApplyIncomplete({
          message: `${report.failed} change(s) failed, ${report.invalid} record(s) invalid`,
          failed: report.failed,
          invalid: report.invalid
        })
      }
    })
).pipe(
  Command.withDescription(
    "Make the project match FILE (create, update only what differs, --prune deletes the rest): identities apply FILE [--dry-run] [--prune] [--match external_id|identifier] [--update-credentials]"
  )
)
