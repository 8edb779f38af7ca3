/** Options and output helpers shared by the workflow commands (export, bulk changes, apply). */
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { IoService } from "../Io.js"

/** The list filters a workflow selects identities with (Kratos takes one at a time). */
export interface Filters {
  readonly ids: ReadonlyArray<string>
  readonly credentialsIdentifier: Option.Option<string>
  readonly organizationId: Option.Option<string>
}

export const filterOptions: Options.Options<Filters> = Options.all({
  ids: Options.text("ids").pipe(
    Options.withDescription("Only these identity ids (repeatable, or comma-separated; at most 500)"),
    Options.repeated,
    Options.map((v) => v.flatMap((x) => x.split(",")).map((x) => x.trim()).filter((x) => x !== ""))
  ),
  credentialsIdentifier: Options.text("credentials-identifier").pipe(
    Options.withDescription("Only the identity with this credential identifier (e.g. an email)"),
    Options.optional
  ),
  organizationId: Options.text("organization-id").pipe(
    Options.withDescription("Only identities of this organization"),
    Options.optional
  )
})

const plainInterval = 5_000

/**
 * Progress: a transient line on a terminal's stderr, a plain line every few seconds otherwise,
 * nothing with `quiet`.
 */
export const progressReporter = (io: IoService, quiet: boolean, label: string) => {
  const tty = process.stderr.isTTY === true
  let lastPlain = Date.now()
  return (line: string): Effect.Effect<void> => {
    if (quiet) return Effect.void
    if (tty) return io.progress(line)
    const now = Date.now()
    if (now - lastPlain < plainInterval) return Effect.void
    lastPlain = now
    return io.err(`${label}: ${line}`)
  }
}

/**
 * Flags whose value is optional (`--include-credentials` alone, or `=password,oidc`): @effect/cli
 * wants a value for a text flag, so the bare form is given its meaning, "all", before parsing.
 * A following word is the flag's value only when joined with `=`.
 */
export const optionalValueFlags: ReadonlyArray<string> = ["--include-credentials"]

export const normalizeOptionalValueFlags = (tokens: ReadonlyArray<string>): ReadonlyArray<string> =>
  tokens.map((t) => (optionalValueFlags.includes(t) ? `${t}=all` : t))
