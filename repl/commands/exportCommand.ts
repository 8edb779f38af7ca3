/**
 * `identities export [filters] [--include-credentials[=password,oidc,saml]] [-o jsonl|json] [--file F]`:
 * create bodies that `identities import` takes as they are, streamed a page at a time (to a 0600 file
 * or stdout), progress on a terminal, a one-line summary on stderr. Ctrl-C leaves a valid file.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Export from "../../src/Export.js"
import type { Identity, IdentityId } from "../../src/Identity.js"
import { IdentityApi } from "../../src/IdentityApi.js"
import { UsageError } from "../Errors.js"
import { Io } from "../Io.js"
import { wherePredicate } from "./bulkCommand.js"
import { filterOptions, type Filters, progressReporter } from "./workflowOptions.js"

const credentialTypes = ["password", "oidc", "saml"] as const

const includeCredentials = Options.text("include-credentials").pipe(
  Options.withDescription(
    "Export credentials too: password hashes (hashed_password), OIDC and SAML providers; all three, or =password,oidc,saml"
  ),
  Options.optional
)
const format = Options.choice("output", ["jsonl", "json"]).pipe(
  Options.withAlias("o"),
  Options.withDescription("jsonl (default): one create body a line; json: one array"),
  Options.withDefault("jsonl" as const)
)
const file = Options.text("file").pipe(
  Options.withAlias("f"),
  Options.withDescription("Write here (created 0600) instead of stdout"),
  Options.optional
)
const pageSize = Options.integer("page-size").pipe(
  Options.withDescription("Identities per list request (1-500, default 500)"),
  Options.withDefault(500)
)
const where = Options.text("where").pipe(
  Options.withDescription("Only the identities this jq expression holds for, e.g. '.state == \"active\"'"),
  Options.optional
)

const quiet = Options.boolean("quiet").pipe(Options.withAlias("q"), Options.withDescription("No progress or summary"))

/** `--include-credentials` alone means every type; the value is a comma-separated list otherwise. */
export const parseCredentialTypes = (
  value: Option.Option<string>
): Effect.Effect<ReadonlyArray<Export.ExportableCredential>, UsageError> => {
  if (Option.isNone(value)) return Effect.succeed([])
  const parts = value.value.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "")
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "all")) return Effect.succeed(credentialTypes)
  const unknown = parts.filter((p) => !(credentialTypes as ReadonlyArray<string>).includes(p))
  if (unknown.length > 0) {
    return Effect.fail(
      new UsageError({ message: `--include-credentials: unknown type ${unknown.join(", ")} (password, oidc, saml)` })
    )
  }
  return Effect.succeed(credentialTypes.filter((t) => parts.includes(t)))
}

const exportFilter = (filters: Filters): Export.ExportFilter => ({
  ...(filters.ids.length > 0 ? { ids: filters.ids as ReadonlyArray<IdentityId> } : {}),
  ...(Option.isSome(filters.credentialsIdentifier) ? { credentials_identifier: filters.credentialsIdentifier.value } : {}),
  ...(Option.isSome(filters.organizationId) ? { organization_id: filters.organizationId.value } : {})
})

/** @since 0.1.0 */
export const exportCommand = Command.make(
  "export",
  { filters: filterOptions, includeCredentials, format, file, pageSize, quiet, where },
  (o) =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const io = yield* Io
      const credentials = yield* parseCredentialTypes(o.includeCredentials)
      const selected = [o.filters.ids.length > 0, Option.isSome(o.filters.credentialsIdentifier), Option.isSome(o.filters.organizationId)]
      if (selected.filter(Boolean).length > 1) {
        return yield* new UsageError({ message: "Kratos takes one list filter at a time: --ids, --credentials-identifier or --organization-id" })
      }
      if (o.filters.ids.length > 500) return yield* new UsageError({ message: "--ids: at most 500" })
      if (o.pageSize < 1 || o.pageSize > 500) return yield* new UsageError({ message: "--page-size must be 1..500" })
      if (Option.isNone(o.file) && io.stdoutIsTTY && credentials.length > 0) {
        return yield* new UsageError({
          message: "--include-credentials exports password hashes: write them to a file (--file F) or a pipe, not the terminal"
        })
      }
      // compiled before any request: a syntax error is a usage error
      let whereFailed: UsageError | undefined
      const where = Option.isSome(o.where) ? yield* wherePredicate(o.where.value) : undefined
      const wherePage = where === undefined ? {} : {
        wherePage: (page: ReadonlyArray<Identity>) =>
          Effect.tapError(where(page), (e) => Effect.sync(() => void (whereFailed = new UsageError({ message: e.message }))))
      }
      const options: Export.ExportOptions = {
        ...wherePage,
        filter: exportFilter(o.filters),
        includeCredentials: credentials,
        pageSize: o.pageSize,
        format: o.format
      }
      const events = Option.isSome(o.file)
        ? Export.toFileWith(api, o.file.value, options)
        : io.stdoutIsTTY
        ? Export.runWith(api, (text) => io.out(text.endsWith("\n") ? text.slice(0, -1) : text), options)
        : Export.toWritableWith(api, process.stdout, options)
      const progress = progressReporter(io, o.quiet, "export")
      let named = 0
      const report = yield* events.pipe(
        Stream.runFoldEffect(undefined as Export.ExportReport | undefined, (acc, event) => {
          if (event._tag === "Progress") {
            const p = event.progress
            return Effect.as(progress(`${p.exported} exported, ${p.pages} pages, ${Math.round(p.rate)}/s`), acc)
          }
          if (event._tag === "Warning") {
            named++
            return Effect.as(io.err(`warning: ${event.message}`), acc)
          }
          return Effect.succeed(event._tag === "Finished" ? event.report : acc)
        }),
        Effect.ensuring(io.progress(undefined)),
        // a jq error of --where is the user's: a usage error, as jq's syntax errors are
        Effect.catchTag("WorkflowError", (e) => Effect.fail(whereFailed ?? e))
      )
      if (report !== undefined && !o.quiet) {
        yield* io.err(
          `exported ${report.exported} identities${report.target !== undefined ? ` to ${report.target}` : ""}` +
            (report.credentials.length > 0 ? ` with ${report.credentials.join(", ")} credentials` : "") +
            ` in ${(report.durationMs / 1000).toFixed(1)}s`
        )
      }
      // the export names the first ones; the report's last warning counts the rest
      if (report !== undefined && report.inexactNumbers > named) yield* io.err(`warning: ${report.warnings.at(-1)}`)
    })
).pipe(
  Command.withDescription(
    "Export identities as create bodies that `identities import` takes: identities export [--organization-id ID] [--include-credentials[=password,oidc,saml]] [-o jsonl|json] [--file F]"
  )
)
