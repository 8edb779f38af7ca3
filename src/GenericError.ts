/**
 * Kratos' error envelope (`errorGeneric`): `{"error":{code,status,message,reason,...}}`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { wireOptional } from "./internal/wire.js"

/**
 * The inner error object (herodot's DefaultError). Only `message` is required.
 *
 * @since 0.1.0
 * @category models
 */
export const GenericError = Schema.Struct({
  code: wireOptional(Schema.Number),
  status: wireOptional(Schema.String),
  message: Schema.String,
  reason: wireOptional(Schema.String),
  id: wireOptional(Schema.String),
  details: wireOptional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  request: wireOptional(Schema.String),
  debug: wireOptional(Schema.String)
}).annotations({ identifier: "GenericError" })
/**
 * @since 0.1.0
 * @category models
 */
export type GenericError = typeof GenericError.Type

/**
 * @since 0.1.0
 * @category models
 */
export const ErrorGeneric = Schema.Struct({ error: GenericError }).annotations({ identifier: "ErrorGeneric" })
/**
 * @since 0.1.0
 * @category models
 */
export type ErrorGeneric = typeof ErrorGeneric.Type

/**
 * HTTP reason phrases as herodot writes them in `status`.
 *
 * @since 0.1.0
 */
export const statusText: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

/**
 * herodot's default messages per status (what `message` says when Kratos adds only a `reason`).
 *
 * @since 0.1.0
 */
export const defaultMessage: Readonly<Record<number, string>> = {
  400: "The request was malformed or contained invalid parameters",
  401: "The request could not be authorized",
  403: "The requested action was forbidden",
  404: "The requested resource could not be found",
  409: "The resource could not be created due to a conflict",
  500: "An internal server error occurred, please contact the system administrator"
}
