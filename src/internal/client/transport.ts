/**
 * What the layers of the client share about transports: the marker of a transport that arms the
 * attempt timer itself, the timeout that marks a cut-short attempt, how a failure is sorted, and
 * the retry safety of a request sent outside the interpreter.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { Safety } from "../../Operation.js"

/**
 * Marks a transport that honours `CallContext.attemptTimer` in its own callback, so the attempt
 * layer need not race the request against a timer in a second fiber (about 40 µs a request).
 */
export const NativeAttemptTimer: unique symbol = Symbol.for("effect-kratos/NativeAttemptTimer")

export const hasNativeAttemptTimer = (client: object): boolean =>
  (client as { readonly [NativeAttemptTimer]?: unknown })[NativeAttemptTimer] === true

export const safetyOfMethod = (method: HttpClientRequest.HttpClientRequest["method"]): Safety =>
  method === "GET" || method === "HEAD" || method === "OPTIONS"
    ? "safe"
    : method === "PUT" || method === "DELETE"
    ? "idempotent"
    : "unsafe"

/** Marks a per-attempt timeout inside a `RequestError`'s cause. */
export class AttemptTimeout {
  readonly _tag = "AttemptTimeout"
  /** `byDeadline`: the attempt was cut short by the call's deadline rather than its own timeout. */
  constructor(readonly millis: number, readonly byDeadline: boolean) {}
  toString(): string {
    return this.byDeadline ? `the call's deadline passed` : `attempt timed out after ${this.millis} ms`
  }
}

/** True when a failure is an attempt cut short by the call's deadline. */
export const isDeadline = (error: { readonly cause?: unknown }): boolean =>
  error.cause instanceof AttemptTimeout && error.cause.byDeadline

export type TransportReason = "ConnectionRefused" | "ConnectionReset" | "Timeout" | "Other"

const resetCodes = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "ECONNABORTED", "UND_ERR_CLOSED"])
const timeoutCodes = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"])

/**
 * Sorts a transport failure by walking its cause chain (undici and fetch nest the system error,
 * and happy-eyeballs connects wrap several in an AggregateError).
 */
export const classifyTransport = (cause: unknown): TransportReason => {
  const seen = new Set<unknown>()
  let refused = false
  const visit = (u: unknown): TransportReason | undefined => {
    if (u === null || typeof u !== "object" || seen.has(u)) return undefined
    seen.add(u)
    if (u instanceof AttemptTimeout) return "Timeout"
    const record = u as {
      code?: unknown
      cause?: unknown
      errors?: unknown
      name?: unknown
      message?: unknown
      description?: unknown
    }
    const code = typeof record.code === "string" ? record.code : undefined
    if (code !== undefined) {
      if (code === "ECONNREFUSED") refused = true
      else if (resetCodes.has(code)) return "ConnectionReset"
      else if (timeoutCodes.has(code)) return "Timeout"
    }
    if (record.name === "TimeoutError") return "Timeout"
    for (const text of [record.description, record.message]) {
      if (typeof text === "string" && /other side closed|socket hang up|connection reset/i.test(text)) {
        return "ConnectionReset"
      }
    }
    if (Array.isArray(record.errors)) {
      for (const e of record.errors) {
        const r = visit(e)
        if (r !== undefined) return r
      }
    }
    return visit(record.cause)
  }
  const found = visit(cause)
  return found ?? (refused ? "ConnectionRefused" : "Other")
}
