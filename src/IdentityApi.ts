/**
 * The admin Identity API client: one method per operationId, derived from the declarations in
 * `Operations` by a single interpreter, plus a `Stream` per list operation and the client's status.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { IdentityApi } from "effect-kratos/IdentityApi"
 * import * as UndiciHttpClient from "effect-kratos/UndiciHttpClient"
 *
 * const program = Effect.gen(function*() {
 *   const api = yield* IdentityApi
 *   const page = yield* api.listIdentities({ page_size: 100 })
 *   return { ids: page.items.map((identity) => identity.id), next: Option.getOrUndefined(page.nextPageToken) }
 * })
 *
 * program.pipe(
 *   Effect.provide(IdentityApi.layer({ baseUrl: "http://127.0.0.1:4434" })),
 *   // the leanest transport; any HttpClient works
 *   Effect.provide(UndiciHttpClient.layer())
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { compile } from "./internal/client/interpreter.js"
import * as KratosHttpClient from "./KratosHttpClient.js"
import type * as Operation from "./Operation.js"
import { type ListOperationName, operations, type Operations } from "./Operations.js"
import type { Page, StreamOptions } from "./Pagination.js"

export {
  /** @since 0.1.0 */
  operations
}

/**
 * @since 0.1.0
 * @category models
 */
export type ClientOptions = KratosHttpClient.ClientOptions
/**
 * @since 0.1.0
 * @category models
 */
export type ClientStatus = KratosHttpClient.ClientStatus

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  ListOperationName
} from "./Operations.js"

/**
 * What a call returns: a `Page` for list operations, `void` for 204-only operations, otherwise the
 * decoded body (with `undefined` for a 204 among other success statuses, e.g. extendSession).
 *
 * @since 0.1.0
 * @category models
 */
export type Result<Op> = unknown extends Operation.Item<Op>
  ? [Operation.Success<Op>] extends [undefined] ? void : Operation.Success<Op>
  : Page<Operation.Item<Op>>

/**
 * A method of the service; the input may be omitted when all its fields are optional.
 *
 * @since 0.1.0
 * @category models
 */
export type Method<Op> = Operation.InputOptional<Op> extends true
  ? (input?: Operation.Input<Op>) => Effect.Effect<Result<Op>, Operation.Failure<Op>>
  : (input: Operation.Input<Op>) => Effect.Effect<Result<Op>, Operation.Failure<Op>>

/**
 * A method taking the input in its wire form (`Schema.Encoded`, e.g. records parsed from a JSON
 * file and already validated), sent without encoding it through the schema again, or with its
 * body as `Operation.JsonText`: the bulk importer's path. The server validates it; responses and
 * errors are the same as `Method`'s.
 *
 * @since 0.1.0
 * @category models
 */
export type EncodedMethod<Op> = Operation.InputEncodedOptional<Op> extends true
  ? (input?: Operation.WireInput<Op>) => Effect.Effect<Result<Op>, Operation.Failure<Op>>
  : (input: Operation.WireInput<Op>) => Effect.Effect<Result<Op>, Operation.Failure<Op>>

/**
 * @since 0.1.0
 * @category models
 */
export type EncodedMethods = { readonly [K in keyof Operations]: EncodedMethod<Operations[K]> }

/**
 * A stream over every page of a list operation (`options.readAhead`: fetch the next page while this one is consumed).
 *
 * @since 0.1.0
 * @category models
 */
export type StreamMethod<Op> = Operation.InputOptional<Op> extends true
  ? (input?: Operation.Input<Op>, options?: StreamOptions) => Stream.Stream<Operation.Item<Op>, Operation.Failure<Op>>
  : (input: Operation.Input<Op>, options?: StreamOptions) => Stream.Stream<Operation.Item<Op>, Operation.Failure<Op>>

/**
 * @since 0.1.0
 * @category models
 */
export type Methods = { readonly [K in keyof Operations]: Method<Operations[K]> }

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Methods {
  readonly listIdentitiesStream: StreamMethod<Operations["listIdentities"]>
  readonly listSessionsStream: StreamMethod<Operations["listSessions"]>
  readonly listIdentitySessionsStream: StreamMethod<Operations["listIdentitySessions"]>
  readonly listIdentitySchemasStream: StreamMethod<Operations["listIdentitySchemas"]>
  readonly status: Effect.Effect<ClientStatus>
  /** Every operation again, for inputs already in their wire form. */
  readonly encoded: EncodedMethods
}

const streamNames: { readonly [K in ListOperationName]: `${K}Stream` } = {
  listIdentities: "listIdentitiesStream",
  listSessions: "listSessionsStream",
  listIdentitySessions: "listIdentitySessionsStream",
  listIdentitySchemas: "listIdentitySchemasStream"
}

/** A property whose value is computed on its first read, then kept as a plain data property. */
const lazyProperty = (target: Record<string, unknown>, key: string, value: () => unknown): void => {
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: true,
    get: () => {
      const v = value()
      Object.defineProperty(target, key, { configurable: true, enumerable: true, writable: true, value: v })
      return v
    },
    set: (v: unknown) => {
      Object.defineProperty(target, key, { configurable: true, enumerable: true, writable: true, value: v })
    }
  })
}

/**
 * Interprets every declaration of `Operations` against a built client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromHttpClient = (http: KratosHttpClient.Service): Service => {
  const encoded: Record<string, unknown> = {}
  const service: Record<string, unknown> = { status: http.status, encoded }
  // An operation is compiled (its decoders, status table and metric labels built) on the first
  // read of one of its methods, not here: a command calls one or two of the table's operations,
  // and compiling all of them was a start-up cost of every command. The getter replaces itself
  // with the method it read, so each method is one function, read like a plain property after.
  for (const op of Object.values(operations) as ReadonlyArray<Operation.Operation>) {
    let compiled: ReturnType<typeof compile> | undefined
    const compiledOp = () => (compiled ??= compile(op, http))
    lazyProperty(service, op.name, () => compiledOp().call)
    lazyProperty(encoded, op.name, () => compiledOp().callEncoded)
    // the same test as the compiled operation's (`stream` is there exactly for paginated ones)
    if (op.pagination !== undefined) lazyProperty(service, streamNames[op.name as ListOperationName], () => compiledOp().stream)
  }
  // One typed view of the record the loop filled from the table; `Service` is derived from the same table.
  return service as unknown as Service
}

/**
 * Builds the client, failing with `ClientConfigError` on unusable options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: ClientOptions
): Effect.Effect<Service, KratosHttpClient.ClientConfigError, HttpClient.HttpClient> =>
  Effect.map(KratosHttpClient.make(options), fromHttpClient)

/**
 * The options the CLI reads from the environment (`ORY_SDK_URL`, else `KRATOS_ADMIN_URL`;
 * `ORY_API_KEY`, else `ORY_PROJECT_API_KEY`), for `layerConfig`.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<{
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string> | undefined
}> = Config.all({
  baseUrl: Config.string("ORY_SDK_URL").pipe(Config.orElse(() => Config.string("KRATOS_ADMIN_URL"))),
  apiKey: Config.redacted("ORY_API_KEY").pipe(
    Config.orElse(() => Config.redacted("ORY_PROJECT_API_KEY")),
    Config.option,
    Config.map(Option.getOrUndefined)
  )
})

/**
 * The client service. Build its layer once and share it: the rate limiter, concurrency cap and
 * retry budget live in it.
 *
 * @since 0.1.0
 * @category tags
 */
export class IdentityApi extends Context.Tag("effect-kratos/IdentityApi")<IdentityApi, Service>() {
  /**
   * The module's `layer`, on the tag.
   *
   * @since 0.1.0
   */
  static layer(options: ClientOptions): Layer.Layer<IdentityApi, KratosHttpClient.ClientConfigError, HttpClient.HttpClient> {
    return layer(options)
  }

  /**
   * The module's `layerConfig`, on the tag.
   *
   * @since 0.1.0
   */
  static layerConfig(
    config: Config.Config.Wrap<ClientOptions>
  ): Layer.Layer<IdentityApi, ConfigError.ConfigError | KratosHttpClient.ClientConfigError, HttpClient.HttpClient> {
    return layerConfig(config)
  }

  /**
   * The module's `config`, on the tag.
   *
   * @since 0.1.0
   */
  static readonly config = config

  /**
   * The module's `layerWithoutHttpClient`, on the tag.
   *
   * @since 0.1.0
   */
  static get layerWithoutHttpClient(): Layer.Layer<IdentityApi, never, KratosHttpClient.KratosHttpClient> {
    return layerWithoutHttpClient
  }
}

/**
 * A client over the `HttpClient` you provide (`UndiciHttpClient.layer()`, `NodeHttpClient.layerUndici`,
 * `FetchHttpClient.layer`). Unusable options (a bad base URL, user info in it, a key over plain
 * http to a non-loopback host) fail the build with `ClientConfigError`: no request is sent.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: ClientOptions): Layer.Layer<IdentityApi, KratosHttpClient.ClientConfigError, HttpClient.HttpClient> =>
  Layer.effect(IdentityApi, make(options))

/**
 * `layer` with its options read from `Config`: a `Config` per option, or one `Config` of them all
 * (`config` reads the CLI's environment variables).
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import * as IdentityApi from "effect-kratos/IdentityApi"
 *
 * // ORY_SDK_URL / KRATOS_ADMIN_URL and ORY_API_KEY / ORY_PROJECT_API_KEY
 * const FromEnvironment = IdentityApi.layerConfig(IdentityApi.config)
 * // or one Config an option
 * const Custom = IdentityApi.layerConfig({ baseUrl: Config.string("KRATOS_URL"), maxConcurrency: Config.succeed(4) })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ClientOptions>
): Layer.Layer<IdentityApi, ConfigError.ConfigError | KratosHttpClient.ClientConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))

/**
 * A client over a `KratosHttpClient` you built (or layered) yourself.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient: Layer.Layer<IdentityApi, never, KratosHttpClient.KratosHttpClient> = Layer.effect(
  IdentityApi,
  Effect.map(KratosHttpClient.KratosHttpClient, fromHttpClient)
)
