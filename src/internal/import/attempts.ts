/**
 * What a failed call means to the importer, in the client's retry vocabulary (`RetryPolicy`): whether
 * the server may have acted (ambiguous), refused before acting (retryable), what a batch attempt
 * leads to next, how long to wait before the next one, and how large the next batch is.
 */
import * as Duration from "effect/Duration"
import { type KratosError, TransportError } from "../../KratosError.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import { keepHiddenClass } from "../hiddenClass.js"

/** The error of a call (all its attempts) that did not end within `after`: sent, so ambiguous. */
export const timedOut = (operation: string, after: Duration.Duration) =>
  new TransportError({ operation, reason: "Timeout", message: `no complete answer within ${Duration.format(after)}`, sent: true, attempts: 1 })

export const isTimeout = (e: KratosError): boolean => e._tag === "TransportError" && e.reason === "Timeout"

/** The server may have acted: a gateway gave up, the answer was lost or unreadable. */
export const isAmbiguous = (e: KratosError): boolean =>
  e._tag === "GatewayTimeout" ||
  e._tag === "ResponseDecodeError" ||
  (e._tag === "TransportError" && e.sent)

/** Refused before acting, or failing for a while (a resend of a 502/500 is checked on a 409). */
export const isRetryable = (e: KratosError): boolean =>
  e._tag === "TooManyRequests" ||
  e._tag === "BadGateway" ||
  e._tag === "ServiceUnavailable" ||
  e._tag === "InternalServerError" ||
  (e._tag === "TransportError" && !e.sent)

/**
 * What a failed batch attempt leads to: `reconcile` when the server may have acted (look the records
 * up, send the missing ones), `resend` after a wait when it refused before acting, `giveUp` when
 * those attempts are used up, `bisect` when the request was refused for some of its records (down
 * to the records at fault), `stop` when no record could get through (401, 403, ...).
 */
export type Decision = "reconcile" | "resend" | "giveUp" | "bisect" | "stop"

export const decide = (e: KratosError, attempt: number, maxAttempts: number): Decision => {
  if (isAmbiguous(e)) return "reconcile"
  if (isRetryable(e)) return attempt < maxAttempts ? "resend" : "giveUp"
  if (e._tag === "BadRequest" || e._tag === "Conflict" || (e._tag === "UnexpectedStatus" && e.status === 413)) return "bisect"
  return "stop"
}

export const errorStatus = (e: KratosError): number => ("status" in e ? e.status : 0)

export const errorReason = (e: KratosError): string => {
  const reason = "reason" in e && typeof e.reason === "string" && e.reason.length > 0 ? e.reason : undefined
  return reason ?? e.message
}

/**
 * The wait before batch attempt `attempt + 1`: `RetryPolicy`'s jittered backoff, raised to the
 * server's hint; a hint beyond `retryAfterCap` is waited for up to the cap (the importer goes on
 * trying where a single call would give up), and the reason says so.
 */
export const backoff = (
  retry: RetryPolicy.ResolvedRetryOptions,
  attempt: number,
  e: KratosError,
  random: number
): { readonly millis: number; readonly reason: string } => {
  const hint = "retryAfter" in e && e.retryAfter !== undefined ? Duration.toMillis(e.retryAfter) : 0
  const cap = Duration.toMillis(retry.retryAfterCap)
  const exp = Duration.toMillis(RetryPolicy.backoff(retry, attempt, random))
  const what = `${errorStatus(e) || e._tag}`
  if (hint > cap) return { millis: Math.max(cap, exp), reason: `${what}, the server asked for ${Math.round(hint / 1000)} s: capped` }
  if (hint > exp) return { millis: hint, reason: `${what}, as the server asked` }
  return { millis: exp, reason: `${what}, backing off` }
}

/** AIMD batch size: halve on a gateway timeout, grow back by a tenth of the maximum per success. */
export class Sizer {
  current: number
  constructor(readonly max: number) {
    this.current = max
  }
  shrink(): void {
    this.current = Math.max(1, Math.floor(this.current / 2))
  }
  grow(): void {
    this.current = Math.min(this.max, this.current + Math.max(1, Math.ceil(this.max / 10)))
  }
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new Sizer(1))
