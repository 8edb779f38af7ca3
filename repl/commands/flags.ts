/**
 * Flags and arguments shared by the operation commands. Query flags are derived from the operation
 * table: an operation gets a flag for each of its query parameters, with limits read from it.
 */
import * as Args from "@effect/cli/Args"
import * as Options from "@effect/cli/Options"
import * as Option from "effect/Option"
import { CredentialsType } from "../../src/Identity.js"
import type * as Operation from "../../src/Operation.js"
import { SessionExpand } from "../../src/Session.js"
import { withLimits } from "../FlagInfo.js"

/** `-o/--output`: absent means table on a terminal, JSON otherwise. */
export const output = Options.choice("output", ["table", "wide", "json", "jsonl", "yaml"]).pipe(
  Options.withAlias("o"),
  Options.withDescription("Output format: table, wide (every column, nothing cut), json, jsonl, yaml (default: table on a terminal, json otherwise)"),
  Options.optional
)

export const verbose = Options.boolean("verbose").pipe(
  Options.withDescription("On failure, also print the error details and the number of attempts")
)

/** `--jq EXPR`: jq over the JSON output. */
export const jq = Options.text("jq").pipe(
  Options.withDescription("Run this jq program over the JSON output (strings print raw), e.g. '.[] | .traits.email'"),
  Options.optional
)

/** `-q/--quiet`: ids only. */
export const quiet = Options.boolean("quiet").pipe(
  Options.withAlias("q"),
  Options.withDescription("Print only the ids, one a line (for xargs)")
)

/** `--columns a,b,c`: table columns (headers or dotted paths), or the fields kept in JSON/YAML. */
export const columns = Options.text("columns").pipe(
  Options.withDescription("Only these columns: headers (id,identifier,state) or JSON paths (traits.email)"),
  Options.repeated
)

/** The output-shaping flags (`Shape`). */
export const shaping = { jq, quiet, columns }

/** The flags every operation command takes. */
export const common = { output, verbose, ...shaping }

export const yes = Options.boolean("yes").pipe(
  Options.withAlias("y"),
  Options.withDescription("Do not ask for confirmation (required when stdin is not a terminal)")
)

export const all = Options.boolean("all").pipe(Options.withDescription("Follow every page (progress on a terminal)"))

export const file = Options.text("file").pipe(
  Options.withAlias("f"),
  Options.withDescription("Read the JSON body from this file ('-' for stdin)"),
  Options.optional
)

export const idArg = (name: string, description: string) => Args.text({ name }).pipe(Args.withDescription(description))

/** Flags of the query parameters, by wire name (the deprecated page/per_page pair is left out). */
const queryFlags: Readonly<Record<string, (op: Operation.Operation) => Options.Options<unknown>>> = {
  page_size: (op) =>
    withLimits(
      Options.integer("page-size").pipe(
        Options.withDescription(`Items per page (server default ${op.pagination?.defaultPageSize ?? 250})`)
      ),
      { min: 1, max: op.pagination?.maxPageSize }
    ).pipe(Options.optional),
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
export const queryOptions = (op: Operation.Operation): Options.Options<Record<string, unknown>> => {
  const entries = op.params.query.filter((q) => q in queryFlags).map((q) => [q, queryFlags[q](op)] as const)
  if (entries.length === 0) return Options.none.pipe(Options.map(() => ({})))
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
