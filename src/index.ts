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
export * as AdaptiveRateLimiter from "./AdaptiveRateLimiter.js"
export * as BatchPatch from "./BatchPatch.js"
export * as GenericError from "./GenericError.js"
export * as Identity from "./Identity.js"
export * as IdentityApi from "./IdentityApi.js"
export * as IdentitySchema from "./IdentitySchema.js"
export * as JsonPatch from "./JsonPatch.js"
export * as KratosError from "./KratosError.js"
export * as KratosHttpClient from "./KratosHttpClient.js"
export * as Operation from "./Operation.js"
export * as Operations from "./Operations.js"
export * as Pagination from "./Pagination.js"
export * as Recovery from "./Recovery.js"
export * as RetryPolicy from "./RetryPolicy.js"
export * as Session from "./Session.js"
