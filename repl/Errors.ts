/**
 * CLI-level failures (besides the client's `KratosError`s): a usage error (exit 2) and a failure
 * that was already reported line by line (exit 1, nothing more to print).
 */
import * as Schema from "effect/Schema"

/** Bad input from the user: unknown flag, unreadable file, missing confirmation. Exit code 2. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  message: Schema.String,
  /** The usage line of the command, printed after the message. */
  usage: Schema.optional(Schema.String)
}) {}

/** Some items failed and each failure was already printed (multi-id get/delete). Exit code 1. */
export class Reported extends Schema.TaggedError<Reported>()("Reported", {
  message: Schema.String
}) {}

/** The user declined a confirmation. Exit code 3 (nothing was done; 1 is for API failures). */
export class Declined extends Schema.TaggedError<Declined>()("Declined", {
  message: Schema.String
}) {}
