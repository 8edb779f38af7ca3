/**
 * What REPL-only commands (`connect`, `status`'s target line) need from the running REPL. Absent in
 * the one-shot CLI.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"

/** Where `connect` should point the session. */
export type ConnectTo =
  | { readonly _tag: "Sandbox" }
  | {
    readonly _tag: "Remote"
    readonly url: string
    readonly apiKey?: Redacted.Redacted<string> | undefined
    /** The context it came from, named by the prompt. */
    readonly context?: string | undefined
  }

/** @category models */
export interface ReplControlService {
  /** Swaps the session's client (closing the old one). Fails with a message when the new one cannot be built. */
  readonly connect: (to: ConnectTo) => Effect.Effect<string, string>
  /** `sandbox` or the host the session talks to. */
  readonly label: Effect.Effect<string>
}

/** @category tags */
export class ReplControl extends Context.Tag("kratos-admin/ReplControl")<ReplControl, ReplControlService>() {}
