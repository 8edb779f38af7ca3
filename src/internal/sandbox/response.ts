/**
 * The sandbox's transport-agnostic request/response shapes and Kratos-shaped error bodies.
 *
 * Handlers are plain synchronous code for speed; they signal an HTTP error by throwing a
 * `KratosHttpError`, which `core.ts` turns into a response at a single place. Nothing throws
 * past the internal sandbox modules.
 */
import { defaultMessage, statusText } from "../../GenericError.js"

/** @internal */
export interface SandboxRequest {
  readonly method: string
  /** Path plus query, e.g. `/admin/identities?page_size=2`. */
  readonly url: string
  /** Lowercase header names. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Uint8Array
  /** The body was over the server's limit and was not kept (`body` is then empty). */
  readonly bodyTooLarge?: boolean | undefined
}

/** @internal */
export interface SandboxResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body?: string | undefined
  /** Destroy the connection instead of answering (scripted resets). */
  readonly reset?: boolean | undefined
}

/** @internal */
export interface ErrorFields {
  readonly message?: string | undefined
  readonly reason?: string | undefined
  readonly id?: string | undefined
  readonly headers?: Record<string, string> | undefined
  /** The body's `code` (and `status` text) when it is not the HTTP status. */
  readonly bodyCode?: number | undefined
}

/** @internal */
export class KratosHttpError {
  readonly _tag = "KratosHttpError"
  constructor(readonly status: number, readonly fields: ErrorFields = {}) {}
}

/** @internal */
export const fail = (status: number, fields: ErrorFields = {}): never => {
  throw new KratosHttpError(status, fields)
}

/** herodot's inner error object (flat DefaultError). @internal */
export const errorObject = (status: number, fields: ErrorFields, requestId?: string): Record<string, unknown> => {
  const code = fields.bodyCode ?? status
  const out: Record<string, unknown> = { code, status: statusText[code] ?? "Error" }
  if (fields.id) out.id = fields.id
  if (requestId) out.request = requestId
  if (fields.reason) out.reason = fields.reason
  out.message = fields.message ?? defaultMessage[code] ?? statusText[code] ?? "Error"
  return out
}

/**
 * An error answer: herodot writes errors as `application/json` (no charset) and fills `request`
 * only from a caller's `X-Request-ID` (`requestId` undefined otherwise).
 * @internal
 */
export const errorResponse = (status: number, fields: ErrorFields, requestId: string | undefined): SandboxResponse => ({
  status,
  headers: { "content-type": "application/json", ...fields.headers },
  body: JSON.stringify({ error: errorObject(status, fields, requestId) })
})

/** @internal */
export const json = (status: number, value: unknown, headers: Record<string, string> = {}): SandboxResponse => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(value)
})

/** @internal */
export const noContent = (headers: Record<string, string> = {}): SandboxResponse => ({ status: 204, headers })

/** The DB-miss 404 every "not found" row lookup gives. @internal */
export const notFoundRow = (): never => fail(404, { message: "Unable to locate the resource" })
