/**
 * What the HTTP layers know about the call they serve: the operation (for its retry safety) and
 * how many attempts were made. The interpreter sets it per call; requests sent outside the
 * interpreter get a safety derived from their method.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import type { Safety } from "../../Operation.js"

export interface CallContext {
  operation: string
  safety: Safety
  attempts: number
  /** When the whole call must be over (Clock millis; `Infinity` for none). */
  deadlineAt: number
  /** The status of the last response, for the span. */
  status: number | undefined
  /**
   * The timer of the next attempt, for a transport that arms it itself (`NativeAttemptTimer`):
   * set by the attempt layer, taken by the transport when it dispatches.
   */
  attemptTimer: AttemptTimeout | undefined
  /** An earlier attempt got an answer other than 429, or failed after connecting. */
  mayHaveActed: boolean
  /** Whether a native transport opens the platform's `http.client` span for the next attempt. */
  attemptSpan: boolean
  /**
   * The call is over. The context stays on the fiber, and the fiber's next call reuses it: setting
   * a fiber ref copies the fiber's whole map of them, so it is set once per fiber, not per call,
   * and never restored. Layers treat a finished context as absent.
   */
  done: boolean
  /** The fiber that set it; a fiber forked meanwhile inherits the context but sets its own. */
  readonly owner: unknown
}

/**
 * The context of a new call on `fiber`: the fiber's finished one, reset, or a new one to set.
 */
export const enterCall = (
  fiber: { getFiberRef<A>(ref: FiberRef.FiberRef<A>): A; id(): unknown },
  operation: string,
  safety: Safety,
  deadlineAt: number
): { readonly ctx: CallContext; readonly fresh: boolean } => {
  const owner = fiber.id()
  const previous = fiber.getFiberRef(currentCall)
  if (previous !== undefined && previous.done && previous.owner === owner) {
    previous.operation = operation
    previous.safety = safety
    previous.attempts = 0
    previous.deadlineAt = deadlineAt
    previous.status = undefined
    previous.attemptTimer = undefined
    previous.mayHaveActed = false
    previous.attemptSpan = true
    previous.done = false
    return { ctx: previous, fresh: false }
  }
  const ctx: CallContext = {
    operation,
    safety,
    attempts: 0,
    deadlineAt,
    status: undefined,
    attemptTimer: undefined,
    mayHaveActed: false,
    attemptSpan: true,
    done: false,
    owner
  }
  return { ctx, fresh: true }
}

/** The call the fiber is in, if any. */
export const activeCall = (fiber: { getFiberRef<A>(ref: FiberRef.FiberRef<A>): A }): CallContext | undefined => {
  const call = fiber.getFiberRef(currentCall)
  return call === undefined || call.done ? undefined : call
}

/**
 * Marks a transport that honours `CallContext.attemptTimer` in its own callback, so the attempt
 * layer need not race the request against a timer in a second fiber (about 40 µs a request).
 */
export const NativeAttemptTimer: unique symbol = Symbol.for("effect-kratos/NativeAttemptTimer")

export const hasNativeAttemptTimer = (client: object): boolean =>
  (client as { readonly [NativeAttemptTimer]?: unknown })[NativeAttemptTimer] === true

export const currentCall: FiberRef.FiberRef<CallContext | undefined> = globalValue(
  "effect-kratos/internal/client/currentCall",
  () => FiberRef.unsafeMake<CallContext | undefined>(undefined)
)

/**
 * Run when a call's final response has arrived, before its body is read: the import engine frees
 * its wire slot there, so the next batch is on the socket while this one's results are decoded.
 */
export const currentResponseListener: FiberRef.FiberRef<((status: number) => Effect.Effect<void>) | undefined> =
  globalValue(
    "effect-kratos/internal/client/currentResponseListener",
    () => FiberRef.unsafeMake<((status: number) => Effect.Effect<void>) | undefined>(undefined)
  )

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
