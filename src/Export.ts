/**
 * Export identities as the create bodies `createIdentity`, the batch and `Import` accept, so an
 * export of one project imports into another as it is.
 *
 * Server fields go (id, schema_url, timestamps, address ids); schema, traits, state, external_id,
 * organization_id, both metadata and the addresses with their verification state stay. Credentials
 * come only when asked (`includeCredentials`, fetched with `include_credential`): password hashes as
 * `hashed_password`, OIDC and SAML providers without their tokens. Pages stream through: memory stays
 * flat whatever the number of identities, and the client's rate limiting and retries apply.
 *
 * ```ts
 * // every identity of an organisation, with password hashes, to a file written 0600
 * Export.toFile("org.jsonl", { filter: { organization_id }, includeCredentials: ["password"] })
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { CreateIdentityBody, CreateIdentityBodyEncoded } from "./Identity.js"
import { IdentityApi } from "./IdentityApi.js"
import type { KratosError } from "./KratosError.js"
import type { ExportClient, ExportEvent, ExportOptions } from "./internal/workflows/export.js"
import * as Engine from "./internal/workflows/export.js"
import { fileSink, type TextSink, WorkflowError, writableSink } from "./internal/workflows/sink.js"

export type {
  /**
   * @since 0.1.0
   * @category models
   */
  ExportableCredential
} from "./internal/workflows/createBody.js"
export type {
  /**
   * @since 0.1.0
   * @category models
   */
  ExportClient,
  /**
   * @since 0.1.0
   * @category models
   */
  ExportEvent,
  /**
   * @since 0.1.0
   * @category models
   */
  ExportFilter,
  /**
   * @since 0.1.0
   * @category models
   */
  ExportOptions,
  /**
   * @since 0.1.0
   * @category models
   */
  ExportProgress,
  /**
   * @since 0.1.0
   * @category models
   */
  ExportReport
} from "./internal/workflows/export.js"
export {
  /**
   * @since 0.1.0
   * @category errors
   */
  WorkflowError
} from "./internal/workflows/sink.js"
export type {
  /**
   * Writes text in order.
   *
   * @since 0.1.0
   * @category models
   */
  TextSink
} from "./internal/workflows/sink.js"

/**
 * The create bodies of the selected identities in their wire form, as `Import.fromValues` takes them.
 * Password hashes are plain strings here: keep these values out of logs.
 *
 * @since 0.1.0
 * @category streams
 */
export const wireBodiesWith = (
  client: ExportClient,
  options: ExportOptions = {}
): Stream.Stream<CreateIdentityBodyEncoded, KratosError | WorkflowError> => Engine.wireBodies(client, options)

/**
 * @since 0.1.0
 * @category streams
 */
export const wireBodies = (options: ExportOptions = {}): Stream.Stream<CreateIdentityBodyEncoded, KratosError | WorkflowError, IdentityApi> =>
  Stream.unwrap(Effect.map(IdentityApi, (api) => wireBodiesWith(api, options)))

/** The hash of a wire body as a `Redacted`, the typed form `createIdentity` takes. */
const typed = (body: CreateIdentityBodyEncoded): CreateIdentityBody => {
  const hash = body.credentials?.password?.config?.hashed_password
  if (hash === undefined || body.credentials === undefined) return body as CreateIdentityBody
  return {
    ...body,
    credentials: {
      ...body.credentials,
      password: { config: { hashed_password: Redacted.make(hash) } }
    }
  } as CreateIdentityBody
}

/**
 * The create bodies of the selected identities, typed (password hashes `Redacted`): what
 * `createIdentity` takes.
 *
 * @since 0.1.0
 * @category streams
 */
export const bodies = (options: ExportOptions = {}): Stream.Stream<CreateIdentityBody, KratosError | WorkflowError, IdentityApi> =>
  Stream.map(wireBodies(options), typed)

/**
 * Runs an export into a sink: `Started`, a `Progress` a page, `Finished` with the report.
 *
 * @since 0.1.0
 * @category running
 */
export const runWith: (
  client: ExportClient,
  sink: TextSink,
  options?: ExportOptions
) => Stream.Stream<ExportEvent, KratosError | WorkflowError> = Engine.run

/**
 * Exports to a file, created (or truncated) with mode 0600: it may hold password hashes. An
 * interrupted export leaves a valid file of the identities exported so far.
 *
 * @since 0.1.0
 * @category running
 */
export const toFileWith = (
  client: ExportClient,
  path: string,
  options: ExportOptions = {}
): Stream.Stream<ExportEvent, KratosError | WorkflowError> =>
  Stream.unwrapScoped(Effect.map(fileSink(path), (sink) => Engine.run(client, sink, { target: path, ...options })))

/**
 * @since 0.1.0
 * @category running
 */
export const toFile = (
  path: string,
  options: ExportOptions = {}
): Stream.Stream<ExportEvent, KratosError | WorkflowError, IdentityApi> =>
  Stream.unwrap(Effect.map(IdentityApi, (api) => toFileWith(api, path, options)))

/**
 * Exports to a Node writable (stdout), waiting for it to drain.
 *
 * @since 0.1.0
 * @category running
 */
export const toWritableWith = (
  client: ExportClient,
  stream: NodeJS.WritableStream,
  options: ExportOptions = {}
): Stream.Stream<ExportEvent, KratosError | WorkflowError> => Engine.run(client, writableSink(stream), options)
