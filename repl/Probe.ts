/**
 * One cheap request (`GET /admin/identities?page_size=1`) that says whether a target answers,
 * whether it accepts the key, and how long it took. `status` and `connect` report it.
 */
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { IdentityApi } from "../src/IdentityApi.js"
import * as KratosError from "../src/KratosError.js"

/** What the probe found. */
export interface Probe {
  /** The server answered (any HTTP status). */
  readonly reachable: boolean
  /** `accepted`, `refused (401)`/`refused (403)`, or `unknown` when there was no answer. */
  readonly auth: string
  /** Milliseconds until the answer (whole milliseconds), when there was one. */
  readonly latencyMs?: number
  /** Why it is not reachable, or the unexpected status. */
  readonly problem?: string
}

/** No answer within this long is "not reachable" (the client's own retries run inside it). */
export const probeLimit = Duration.seconds(10)

/** Probes through `api`; never fails. */
export const probe = (api: Context.Tag.Service<IdentityApi>): Effect.Effect<Probe> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const result = yield* api.listIdentities({ page_size: 1 }).pipe(Effect.timeout(probeLimit), Effect.either)
    const latencyMs = Math.round((yield* Clock.currentTimeMillis) - started)
    if (result._tag === "Right") return { reachable: true, auth: "accepted", latencyMs }
    const e = result.left
    if (e._tag === "TimeoutException") {
      return { reachable: false, auth: "unknown", problem: `no answer within ${Duration.format(probeLimit)}` }
    }
    if (e._tag === "TransportError") return { reachable: false, auth: "unknown", problem: `${e.reason}: ${e.message}` }
    if (e._tag === "Unauthorized" || e._tag === "Forbidden") {
      return { reachable: true, auth: `refused (${e.status})`, latencyMs }
    }
    return {
      reachable: true,
      auth: "unknown",
      latencyMs,
      problem: KratosError.isStatusError(e) ? `${e.status} ${e._tag}` : e._tag
    }
  })

/** One line: `reachable, auth accepted, 12 ms` or `not reachable: ConnectionRefused: …`. */
export const summary = (p: Probe): string =>
  p.reachable
    ? `reachable, auth ${p.auth}, ${p.latencyMs} ms${p.problem !== undefined ? ` (${p.problem})` : ""}`
    : `not reachable: ${p.problem ?? "no answer"}`

/** The probe is a success for `status --check`: an answer, and the key (if any) accepted. */
export const healthy = (p: Probe): boolean => p.reachable && p.auth === "accepted"
