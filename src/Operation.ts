/**
 * An operation of the admin API, declared as data: method, path, where each input field goes,
 * the success schema per status, the documented error statuses, whether a retry is safe, the
 * rate-limit bucket and how it paginates. The client, the sandbox and the CLI all interpret the
 * same declarations (see `Operations`).
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import type { CommonError, StatusErrorClass } from "./KratosError.js"
import { keepHiddenClass } from "./internal/hiddenClass.js"

/**
 * @since 0.1.0
 * @category models
 */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/**
 * How a retry behaves:
 * - `safe`: a read; retry freely.
 * - `idempotent`: PUT/DELETE and the like; repeating it leaves the same state, so retry on 5xx and timeouts.
 * - `unsafe`: create, batch, recovery, JSON Patch; retry only when the server provably did not act
 *   (429, connection refused), otherwise fail so the caller can reconcile.
 *
 * @since 0.1.0
 * @category models
 */
export type Safety = "safe" | "idempotent" | "unsafe"

/**
 * Ory Network rate-limit buckets (`x-ory-ratelimit-bucket`), named by cost: `kratos-admin-high` holds the
 * expensive operations (every write), `kratos-admin-low` the cheap single reads, and so the smallest
 * allowance belongs to `high`. Each operation's bucket is the Kratos v26.2.0 document's.
 *
 * @since 0.1.0
 * @category models
 */
export type Bucket = "kratos-admin-high" | "kratos-admin-medium" | "kratos-admin-low"

/**
 * A 204 (or any bodiless) success.
 *
 * @since 0.1.0
 * @category models
 */
export const NoContent: unique symbol = Symbol.for("effect-kratos/Operation/NoContent")
/**
 * @since 0.1.0
 * @category models
 */
export type NoContent = typeof NoContent

/**
 * Success statuses to the schema of their body, or `NoContent`.
 *
 * @since 0.1.0
 * @category models
 */
export type SuccessMap = { readonly [status: number]: Schema.Schema<any, any, never> | NoContent }

/**
 * How a list operation pages:
 * - `keyset`: `page_size` + `page_token`, the token being opaque (identities, sessions);
 * - `offset`: the same parameters, but the server also sends `X-Total-Count`.
 * Both are followed through `Link: <...>; rel="next"`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pagination<Item> {
  readonly style: "keyset" | "offset"
  readonly item: Schema.Schema<Item, any, never>
  readonly defaultPageSize: number
  readonly maxPageSize: number
}

/**
 * Where each input field goes on the wire.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParamLocations<I> {
  readonly path: ReadonlyArray<keyof I & string>
  readonly query: ReadonlyArray<keyof I & string>
  /** The field that is the JSON body. */
  readonly body?: keyof I & string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Operation<
  Name extends string = string,
  I = any,
  IE = any,
  S extends SuccessMap = SuccessMap,
  Errs extends ReadonlyArray<StatusErrorClass> = ReadonlyArray<StatusErrorClass>,
  Item = any
> {
  /** The spec's operationId. */
  readonly name: Name
  readonly summary: string
  readonly method: HttpMethod
  /** The path template, `{name}` for path parameters, e.g. `/admin/identities/{id}`. */
  readonly path: string
  /** One object holding every parameter; encoding it is the pre-flight check. */
  readonly input: Schema.Schema<I, IE, never>
  readonly params: ParamLocations<I>
  readonly success: S
  /** The statuses the operation documents (or Kratos really answers), beyond the common ones. */
  readonly errors: Errs
  readonly safety: Safety
  readonly bucket: Bucket
  /** False for the schema endpoints, which Kratos serves without auth. */
  readonly auth: boolean
  readonly pagination?: Pagination<Item> | undefined
  /**
   * A pre-flight check on the input's wire form, beyond its schema: Kratos' reason for refusing it,
   * if any. Whole-input rules (the batch limits) live here rather than in a `Schema.filter`, because
   * encoding through a refinement validates the entire typed input before encoding it again; on the
   * wire form it serves calls that skip encoding too (`IdentityApi`'s `encoded` methods).
   */
  readonly check?: ((input: IE) => string | undefined) | undefined
}

/**
 * Declares an operation, keeping every type parameter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <
  const Name extends string,
  I,
  IE,
  const S extends SuccessMap,
  const Errs extends ReadonlyArray<StatusErrorClass>,
  Item = unknown
>(op: Operation<Name, I, IE, S, Errs, Item>): Operation<Name, I, IE, S, Errs, Item> => op

/**
 * The input an operation takes.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Input<Op> = Op extends Operation<any, infer I, any, any, any, any> ? I : never

/**
 * The input's wire form (what `JSON.parse` of a valid input gives).
 *
 * @since 0.1.0
 * @category type-level
 */
export type InputEncoded<Op> = Op extends Operation<any, any, infer IE, any, any, any> ? IE : never

/**
 * What the success statuses decode to (`undefined` for `NoContent`).
 *
 * @since 0.1.0
 * @category type-level
 */
export type Success<Op> = Op extends Operation<any, any, any, infer S, any, any>
  ? { [K in keyof S]: S[K] extends Schema.Schema<infer A, any, any> ? A : undefined }[keyof S]
  : never

/**
 * The item type of a list operation.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Item<Op> = Op extends Operation<any, any, any, any, any, infer Item> ? Item : never

/**
 * Exactly the errors an operation can fail with.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Failure<Op> = Op extends Operation<any, any, any, any, infer Errs, any>
  ? InstanceType<Errs[number]> | CommonError
  : never

/**
 * True when every input field is optional, so the input object may be omitted.
 *
 * @since 0.1.0
 * @category type-level
 */
export type InputOptional<Op> = {} extends Input<Op> ? true : false

/**
 * The same for the wire form.
 *
 * @since 0.1.0
 * @category type-level
 */
export type InputEncodedOptional<Op> = {} extends InputEncoded<Op> ? true : false

/**
 * A request body already serialized: JSON text sent as it is, for callers that hold their data as
 * text (the importer sends the lines it read). Only the `encoded` methods take it; the server
 * alone validates it, including limits the client would otherwise check first.
 *
 * @since 0.1.0
 * @category models
 */
export class JsonText {
  /** @since 0.1.0 */
  readonly _tag = "JsonText"
  /** The text, or its UTF-8 bytes (encoded ahead of time, they are sent without another copy). */
  constructor(readonly text: string | Uint8Array) {}
}

/**
 * The wire-form input, whose `body` may also be `JsonText`.
 *
 * @since 0.1.0
 * @category type-level
 */
export type WireInput<Op> = InputEncoded<Op> extends infer IE
  ? IE extends { readonly body: infer B } ? Omit<IE, "body"> & { readonly body: B | JsonText } : IE
  : never

/**
 * A renderer of the operation's path, compiled once: the template is split into its literal parts
 * and parameter names, so a call joins strings instead of running a regular expression.
 *
 * @since 0.1.0
 */
export const pathRenderer = (op: Operation): (values: Readonly<Record<string, unknown>>) => string => {
  // odd indexes are parameter names: "/a/{id}/b" -> ["/a/", "id", "/b"]
  const parts = op.path.split(/\{([^}]+)\}/)
  if (parts.length === 1) return () => op.path
  return (values) => {
    let path = parts[0]
    for (let i = 1; i < parts.length; i += 2) path += encodeURIComponent(String(values[parts[i]])) + parts[i + 1]
    return path
  }
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new JsonText(""))
