/**
 * effect-kratos: an Effect client for the Ory Identities (Kratos) admin Identity API.
 *
 * This entry point is the client: its service, policies, schemas and errors, none of which
 * needs Node (the client runs wherever Effect runs, with any `HttpClient`). The parts that need
 * Node load only when imported from their own paths: `effect-kratos/UndiciHttpClient`,
 * `effect-kratos/Import`, `effect-kratos/Export`, `effect-kratos/Bulk`, `effect-kratos/Apply`,
 * `effect-kratos/Migrate` and `effect-kratos/Sandbox`.
 *
 * @since 0.1.0
 */
/**
 * The `AdaptiveRateLimiter` module (also importable as `effect-kratos/AdaptiveRateLimiter`).
 *
 * @since 0.1.0
 */
export * as AdaptiveRateLimiter from "./AdaptiveRateLimiter.js"
/**
 * The `BatchPatch` module (also importable as `effect-kratos/BatchPatch`).
 *
 * @since 0.1.0
 */
export * as BatchPatch from "./BatchPatch.js"
/**
 * The `GenericError` module (also importable as `effect-kratos/GenericError`).
 *
 * @since 0.1.0
 */
export * as GenericError from "./GenericError.js"
/**
 * The `Identity` module (also importable as `effect-kratos/Identity`).
 *
 * @since 0.1.0
 */
export * as Identity from "./Identity.js"
/**
 * The `IdentityApi` module (also importable as `effect-kratos/IdentityApi`).
 *
 * @since 0.1.0
 */
export * as IdentityApi from "./IdentityApi.js"
/**
 * The `IdentitySchema` module (also importable as `effect-kratos/IdentitySchema`).
 *
 * @since 0.1.0
 */
export * as IdentitySchema from "./IdentitySchema.js"
/**
 * The `JsonPatch` module (also importable as `effect-kratos/JsonPatch`).
 *
 * @since 0.1.0
 */
export * as JsonPatch from "./JsonPatch.js"
/**
 * The `KratosError` module (also importable as `effect-kratos/KratosError`).
 *
 * @since 0.1.0
 */
export * as KratosError from "./KratosError.js"
/**
 * The `KratosHttpClient` module (also importable as `effect-kratos/KratosHttpClient`).
 *
 * @since 0.1.0
 */
export * as KratosHttpClient from "./KratosHttpClient.js"
/**
 * The `Operation` module (also importable as `effect-kratos/Operation`).
 *
 * @since 0.1.0
 */
export * as Operation from "./Operation.js"
/**
 * The `Operations` module (also importable as `effect-kratos/Operations`).
 *
 * @since 0.1.0
 */
export * as Operations from "./Operations.js"
/**
 * The `Pagination` module (also importable as `effect-kratos/Pagination`).
 *
 * @since 0.1.0
 */
export * as Pagination from "./Pagination.js"
/**
 * The `Recovery` module (also importable as `effect-kratos/Recovery`).
 *
 * @since 0.1.0
 */
export * as Recovery from "./Recovery.js"
/**
 * The `RetryPolicy` module (also importable as `effect-kratos/RetryPolicy`).
 *
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"
/**
 * The `Session` module (also importable as `effect-kratos/Session`).
 *
 * @since 0.1.0
 */
export * as Session from "./Session.js"
