/**
 * Bulk changes from the command line: the selector flags, the plan (count and sample), the
 * confirmation, the journaled run with progress, the report. `identities delete|patch|
 * delete-sessions` and `sessions disable` take these flags instead of ids; `identities deactivate`
 * and `identities activate` are bulk only.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { formatParseError } from "../../src/internal/parseIssues.js"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as Bulk from "../../src/Bulk.js"
import type { Identity } from "../../src/Identity.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import { KratosJsonPatchDocument } from "../../src/JsonPatch.js"
import { UsageError } from "../Errors.js"
import { Io, readFileOrStdin } from "../Io.js"
import * as Print from "../Print.js"
import * as Shape from "../Shape.js"
import type * as Render from "../Render.js"
import { output, yes } from "./flags.js"
import { names } from "./byIds.js"
import { confirm } from "./operation.js"
import { filterOptions, type Filters, progressReporter } from "./workflowOptions.js"

/** The selector and run flags of a bulk change (`--yes` and `-o` come with the command). */
export const bulkFlags = {
  all: Options.boolean("all").pipe(Options.withDescription("Select every identity")),
  filters: filterOptions,
  idsFrom: Options.text("ids-from").pipe(
    Options.withDescription("Select the ids in this file (one a line, # comments), - for stdin"),
    Options.optional
  ),
  where: Options.text("where").pipe(
    Options.withDescription("Only the identities this jq expression holds for, e.g. '.traits.email | endswith(\"@old.example\")'"),
    Options.optional
  ),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the count and a sample; change nothing")),
  journal: Options.text("journal").pipe(
    Options.withDescription("Journal path (default kratos-admin-<command>.journal.jsonl; kept until the change is complete)"),
    Options.optional
  ),
  resume: Options.boolean("resume").pipe(
    Options.withDescription("Continue the journal's change (same command and arguments, no selector)")
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription("Identities changed at once (default 4)"),
    Options.withDefault(4)
  ),
  quiet: Options.boolean("quiet").pipe(Options.withAlias("q"), Options.withDescription("No progress output"))
}

export interface BulkFlags {
  readonly all: boolean
  readonly filters: Filters
  readonly idsFrom: Option.Option<string>
  readonly where: Option.Option<string>
  readonly dryRun: boolean
  readonly journal: Option.Option<string>
  readonly resume: boolean
  readonly concurrency: number
  readonly quiet: boolean
}

/** True when a selector flag is given (the command then changes many identities, not its ids). */
export const hasSelector = (f: BulkFlags): boolean =>
  f.all || f.resume || Option.isSome(f.idsFrom) || Option.isSome(f.where) || f.filters.ids.length > 0 ||
  Option.isSome(f.filters.credentialsIdentifier) || Option.isSome(f.filters.organizationId)

const selectorOf = (f: BulkFlags): Effect.Effect<Bulk.Selector, UsageError, Io> =>
  Effect.gen(function*() {
    const given = [
      f.all,
      Option.isSome(f.idsFrom),
      f.filters.ids.length > 0,
      Option.isSome(f.filters.credentialsIdentifier),
      Option.isSome(f.filters.organizationId)
    ].filter(Boolean).length
    if (given !== 1) {
      return yield* new UsageError({
        message: "select with exactly one of --all, --ids, --ids-from, --credentials-identifier, --organization-id (--where narrows it)"
      })
    }
    const where = Option.isSome(f.where) ? { wherePage: yield* wherePredicate(f.where.value) } : {}
    if (f.all) return { all: true, ...where }
    if (Option.isSome(f.idsFrom)) return { ids: Bulk.idsFromText(yield* readFileOrStdin(f.idsFrom.value)), ...where }
    if (f.filters.ids.length > 0) return { ids: f.filters.ids, ...where }
    if (Option.isSome(f.filters.credentialsIdentifier)) {
      return { filter: { credentials_identifier: f.filters.credentialsIdentifier.value }, ...where }
    }
    return { filter: { organization_id: Option.getOrThrow(f.filters.organizationId) }, ...where }
  })

/**
 * `--where EXPR` as the selector's page predicate: jq over each identity as listed (compiled
 * first: a syntax error is a usage error before any request); a jq error ends the selection.
 */
export const wherePredicate = (expr: string) =>
  Effect.map(
    Shape.jqPredicate(expr),
    (evaluate) => (identities: ReadonlyArray<Identity>) =>
      Effect.mapError(evaluate(identities), (e) => new Bulk.WorkflowError({ message: e.message }))
  )

const identifierOf = (i: Identity): string => {
  const traits = i.traits as { email?: unknown; username?: unknown; phone?: unknown } | null
  const t = traits?.email ?? traits?.username ?? traits?.phone
  return typeof t === "string" ? t : i.external_id ?? ""
}

const usage = (e: Bulk.WorkflowError) => new UsageError({ message: e.message })

/** Runs a bulk change: plan, dry run or confirmation, the journaled run, the report. */
export const runBulk = (
  name: string,
  verb: string,
  action: Bulk.BulkAction,
  flags: BulkFlags,
  assumeYes: boolean,
  format: Render.Format
) =>
  Effect.gen(function*() {
    const api = yield* IdentityApi
    const io = yield* Io
    if (flags.concurrency < 1 || flags.concurrency > 64) return yield* new UsageError({ message: "--concurrency must be 1..64" })
    const journal = Option.getOrElse(flags.journal, () => `kratos-admin-${name}.journal.jsonl`)
    if (flags.resume && hasSelectorOtherThanResume(flags)) {
      return yield* new UsageError({ message: "--resume continues the journal's own selection: give no selector" })
    }
    const plan = flags.resume
      ? yield* Effect.mapError(Bulk.loadPlan(journal, action), usage)
      : yield* Effect.flatMap(selectorOf(flags), (s) =>
        Bulk.planWith(api, s, action).pipe(Effect.catchTag("WorkflowError", (e) => Effect.fail(usage(e)))))
    if (plan.notFound.length > 0) {
      const shown = plan.notFound.slice(0, 5).join(", ")
      yield* io.err(
        `warning: ${plan.notFound.length} of the ids given ${plan.notFound.length === 1 ? "matches" : "match"} no identity ` +
          `(left out): ${shown}${plan.notFound.length > 5 ? `, … and ${plan.notFound.length - 5} more` : ""}`
      )
    }
    const summary = {
      [flags.dryRun ? `would ${verb}` : verb]: plan.ids.length,
      ...(plan.unchanged > 0 ? { "already so": plan.unchanged } : {}),
      ...(plan.notFound.length > 0 ? { "not found": plan.notFound.length } : {}),
      ...(plan.sample.length > 0 ? { sample: plan.sample.map((i) => `${i.id} ${identifierOf(i)}`.trim()) } : {})
    }
    if (flags.dryRun) {
      yield* Print.one("value", { ...summary, "dry run": "nothing sent" }, format)
      return
    }
    if (plan.ids.length === 0) {
      yield* io.err(`nothing to ${verb}`)
      return
    }
    if (!flags.resume && fs.existsSync(journal)) {
      return yield* new UsageError({
        message: `${journal} holds an unfinished change: continue it with --resume, or give another --journal`
      })
    }
    if (!flags.quiet) {
      for (const line of plan.sample.map((i) => `  ${i.id} ${identifierOf(i)}`)) yield* io.err(line)
      if (plan.ids.length > plan.sample.length) yield* io.err(`  … and ${plan.ids.length - plan.sample.length} more`)
    }
    const named = names(plan.sample, plan.ids.length)
    yield* confirm(
      `${verb} ${plan.ids.length} ${plan.ids.length === 1 ? "identity" : "identities"}${named === "" ? "" : ` (${named})`}?`,
      assumeYes || flags.resume
    )
    const progress = progressReporter(io, flags.quiet, name)
    const report = yield* Bulk.runWith(api, plan, { journal, concurrency: flags.concurrency, resume: flags.resume }).pipe(
      Stream.runFoldEffect(undefined as Bulk.BulkReport | undefined, (acc, e) => {
        switch (e._tag) {
          case "Progress": {
            const p = e.progress
            return Effect.as(progress(`${p.done}/${p.planned} done (${p.changed} changed, ${p.failed} failed) ${Math.round(p.rate)}/s`), acc)
          }
          case "ItemFailed":
            return Effect.as(io.err(`failed ${e.failure.id}: ${failureText(e.failure)}`), acc)
          case "Finished":
            return Effect.succeed(e.report)
          default:
            return Effect.succeed(acc)
        }
      }),
      Effect.ensuring(io.progress(undefined))
    )
    if (report === undefined) return
    yield* Print.one("value", reportView(verb, report), format)
    if (report.complete) {
      // a complete change leaves nothing to resume
      yield* Effect.sync(() => {
        for (const f of [journal, Bulk.planPathOf(journal)]) fs.rmSync(f, { force: true })
      })
      return
    }
    return yield* new Bulk.BulkIncomplete({
      message: `${report.failed + report.unknown} of ${report.planned} identities not changed (journal ${journal}; --resume does not retry failures)`,
      failed: report.failed,
      unknown: report.unknown
    })
  })

/** A patch from the command line, checked as Kratos would before anything is selected. */
export const patchAction = (body: unknown): Effect.Effect<Bulk.BulkAction, UsageError> =>
  Schema.decodeUnknown(KratosJsonPatchDocument)(body).pipe(
    Effect.mapError((e) => new UsageError({ message: `invalid patch: ${formatParseError(e)}` })),
    Effect.map(() => Bulk.patch(body as typeof KratosJsonPatchDocument.Encoded))
  )

const hasSelectorOtherThanResume = (f: BulkFlags) => hasSelector({ ...f, resume: false })

const reportView = (verb: string, r: Bulk.BulkReport) => ({
  planned: r.planned,
  [verb === "delete" ? "deleted" : "changed"]: r.changed,
  ...(r.alreadyDone > 0 ? { "already done": r.alreadyDone } : {}),
  failed: r.failed,
  ...(r.unknown > 0 ? { unknown: r.unknown } : {}),
  ...(r.resumed > 0 ? { "resumed (done before)": r.resumed } : {}),
  duration: `${(r.durationMs / 1000).toFixed(1)}s`,
  ...(r.failures.length > 0 ? { failures: r.failures.map((f) => `${f.id}: ${failureText(f)}`) } : {})
})

// Kratos' reason is shown as it came: a schema violation's reason is several lines, each
// indented by two spaces, and no space inside it may be taken for a missing status's gap
const failureText = (f: Bulk.BulkFailure): string => f.code === undefined ? f.reason : `${f.code} ${f.reason}`

const stateCommand = (name: "deactivate" | "activate", action: Bulk.BulkAction) =>
  Command.make(name, { ...bulkFlags, yes, output }, (flags) =>
    Effect.gen(function*() {
      const format = yield* Print.resolveFormat(flags.output)
      yield* runBulk(name, name, action, flags, flags.yes, format)
    })).pipe(
      Command.withDescription(
        `${name === "deactivate" ? "Deactivate" : "Activate"} the selected identities: --all, --organization-id, --credentials-identifier, --ids, --ids-from FILE; --dry-run first`
      )
    )

/** `identities deactivate` */
export const deactivateCommand = stateCommand("deactivate", Bulk.deactivate)
/** `identities activate` */
export const activateCommand = stateCommand("activate", Bulk.activate)
