/**
 * effect-kratos: an Effect client, REPL and Kratos-compatible sandbox for the Ory Identities
 * (Kratos) admin Identity API.
 *
 * @since 0.1.0
 */
export * as BatchPatch from "./BatchPatch.js"
export * as GenericError from "./GenericError.js"
export * as Identity from "./Identity.js"
export * as IdentitySchema from "./IdentitySchema.js"
export * as JsonPatch from "./JsonPatch.js"
export * as KratosError from "./KratosError.js"
export * as Operation from "./Operation.js"
export * as Operations from "./Operations.js"
export * as Pagination from "./Pagination.js"
export * as Recovery from "./Recovery.js"
export * as Session from "./Session.js"
export * as AdaptiveRateLimiter from "./AdaptiveRateLimiter.js"
export * as IdentityApi from "./IdentityApi.js"
export * as KratosHttpClient from "./KratosHttpClient.js"
export * as UndiciHttpClient from "./UndiciHttpClient.js"
export * as RetryPolicy from "./RetryPolicy.js"
export * as Import from "./Import.js"
export * as Export from "./Export.js"
export * as Bulk from "./Bulk.js"
export * as Apply from "./Apply.js"
export * as Migrate from "./Migrate.js"
