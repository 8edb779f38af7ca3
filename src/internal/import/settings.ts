/**
 * `ImportOptions` resolved once, defaults applied and bounds enforced: what every stage of a run
 * reads instead of the raw options.
 */
import * as Duration from "effect/Duration"
import * as os from "node:os"
import { maxItems } from "../../BatchPatch.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import { defaultNamespace, PatchIds } from "./keys.js"
import { importDefaults, type ImportOptions } from "./model.js"

export interface Settings {
  readonly sourceName: string
  readonly dryRun: boolean
  /** Batch requests on the wire. */
  readonly concurrency: number
  /** One batch journaled and encoded ahead of those on the wire. */
  readonly lookAhead: boolean
  readonly batchMax: number
  readonly namespace: string
  readonly patchIds: PatchIds
  readonly defaultSchemaId: string
  readonly validateSchema: boolean
  /**
   * Attempts of a batch answered 429/5xx (the client's own retries come on top) and the waits
   * between them, in the client's vocabulary.
   */
  readonly retry: RetryPolicy.ResolvedRetryOptions
  /** Bound on one call with all its attempts: a server that trickles its answers is given up on. */
  readonly requestTimeout: Duration.Duration
  readonly progressInterval: number
  readonly prehash: { readonly cost: number; readonly concurrency: number } | undefined
}

export const settings = (options: ImportOptions): Settings => {
  const sourceName = options.source ?? "input"
  const dryRun = options.dryRun === true
  const namespace = options.namespace ?? defaultNamespace
  const prehash = options.prehash === undefined || options.prehash === false ? undefined : options.prehash === true ? {} : options.prehash
  return {
    sourceName,
    dryRun,
    concurrency: Math.max(1, options.concurrency ?? importDefaults.concurrency),
    lookAhead: !dryRun && (options.lookAhead ?? true),
    batchMax: Math.max(1, Math.min(maxItems, options.batchSize ?? importDefaults.batchSize)),
    namespace,
    patchIds: new PatchIds(namespace, sourceName),
    defaultSchemaId: options.defaultSchemaId ?? "default",
    validateSchema: options.validateSchema !== false,
    // capped exponential backoff with full jitter; a server's hint honoured up to `retryAfterCap`
    retry: RetryPolicy.resolve({
      maxAttempts: options.maxBatchAttempts ?? 6,
      base: Duration.millis(options.retryBase ?? 1000),
      cap: "30 seconds",
      retryAfterCap: options.retryAfterCap ?? "60 seconds"
    }),
    requestTimeout: Duration.decode(options.requestTimeout ?? "2 minutes"),
    progressInterval: options.progressInterval ?? 250,
    prehash: prehash === undefined ? undefined : {
      cost: prehash.cost ?? importDefaults.prehashCost,
      concurrency: prehash.concurrency ?? Math.max(1, os.availableParallelism())
    }
  }
}
