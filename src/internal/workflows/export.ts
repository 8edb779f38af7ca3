/** The export engine: list pages in, one text piece a page out, the framing of the format around them. */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Identity, IdentityId } from "../../Identity.js"
import type { KratosError } from "../../KratosError.js"
import type { StreamOptions } from "../../Pagination.js"
import * as OwnPages from "../client/ownPages.js"
import { type ExportableCredential, exportableCredentials, inexactNumberPaths, toCreateBody } from "./createBody.js"
import type { TextSink, WorkflowError } from "./sink.js"

/** The list filters an export takes; at most one, as Kratos allows. @since 0.1.0 @category models */
export interface ExportFilter {
  readonly ids?: ReadonlyArray<IdentityId>
  readonly credentials_identifier?: string
  readonly preview_credentials_identifier_similar?: string
  readonly organization_id?: string
}

/** @since 0.1.0 @category models */
export interface ExportOptions {
  readonly filter?: ExportFilter
  /** Credential types to export (asked with `include_credential`); none by default: no secrets unless asked. */
  readonly includeCredentials?: ReadonlyArray<ExportableCredential>
  /** Identities per list request (default and maximum 500). */
  readonly pageSize?: number
  readonly consistency?: "strong" | "eventual"
  /** `jsonl` (default): one body a line; `json`: one array, closed even when the export is interrupted. */
  readonly format?: "jsonl" | "json"
  /** Names the target in the report (a file path). */
  readonly target?: string
  /**
   * Exports only the identities it answers `true` for, a page at a time (one answer per identity,
   * in order, over the identity as listed); its failure ends the export.
   */
  readonly wherePage?: (identities: ReadonlyArray<Identity>) => Effect.Effect<ReadonlyArray<boolean>, WorkflowError>
}

/** Keeps the identities `wherePage` answers `true` for, asking it once a page (the export's and the selector's). */
export const keepWhere = <E>(
  identities: Stream.Stream<Identity, E>,
  wherePage: ((identities: ReadonlyArray<Identity>) => Effect.Effect<ReadonlyArray<boolean>, WorkflowError>) | undefined
): Stream.Stream<Identity, E | WorkflowError> =>
  wherePage === undefined ? identities : Stream.mapChunksEffect(identities, (page) => {
    const items = Chunk.toReadonlyArray(page)
    return Effect.map(wherePage(items), (keep) => Chunk.unsafeFromArray(items.filter((_, i) => keep[i] === true)))
  })

/** The listed identities, narrowed by `wherePage`. */
const listed = (client: ExportClient, options: ExportOptions): Stream.Stream<Identity, KratosError | WorkflowError> =>
  // an export does real work per page (decode, render, write): the next page is fetched meanwhile
  keepWhere(client.listIdentitiesStream(listInput(options), { readAhead: true }), options.wherePage)

/** What an export needs of the client (`IdentityApi` provides it). @since 0.1.0 @category models */
export interface ExportClient {
  readonly listIdentitiesStream: (input: {
    readonly page_size?: number
    readonly consistency?: "strong" | "eventual"
    readonly ids?: ReadonlyArray<IdentityId>
    readonly credentials_identifier?: string
    readonly preview_credentials_identifier_similar?: string
    readonly organization_id?: string
    readonly include_credential?: ReadonlyArray<ExportableCredential>
  }, options?: StreamOptions) => Stream.Stream<Identity, KratosError>
}

/** @since 0.1.0 @category models */
export interface ExportProgress {
  readonly exported: number
  readonly pages: number
  /** Identities per second since the start. */
  readonly rate: number
  readonly elapsedMs: number
}

/** @since 0.1.0 @category models */
export interface ExportReport {
  readonly exported: number
  readonly pages: number
  readonly format: "jsonl" | "json"
  readonly credentials: ReadonlyArray<ExportableCredential>
  readonly target?: string | undefined
  readonly durationMs: number
  readonly identitiesPerSecond: number
  /**
   * Identities exported with a number in their traits or metadata that JavaScript's JSON could not
   * keep exactly (an integer beyond ±2^53, or out of range): their exported value may differ from
   * the server's. The first ones are named in `warnings`.
   */
  readonly inexactNumbers: number
  readonly warnings: ReadonlyArray<string>
}

/** @since 0.1.0 @category models */
export type ExportEvent =
  | { readonly _tag: "Started"; readonly credentials: ReadonlyArray<ExportableCredential>; readonly target?: string | undefined }
  | { readonly _tag: "Progress"; readonly progress: ExportProgress }
  | { readonly _tag: "Warning"; readonly message: string }
  | { readonly _tag: "Finished"; readonly report: ExportReport }

/** The list input of an export. */
export const listInput = (options: ExportOptions) => {
  const include = credentialsOf(options)
  const filter = options.filter ?? {}
  return {
    page_size: Math.max(1, Math.min(500, options.pageSize ?? 500)),
    ...(options.consistency !== undefined ? { consistency: options.consistency } : {}),
    ...(filter.ids !== undefined ? { ids: filter.ids } : {}),
    ...(filter.credentials_identifier !== undefined ? { credentials_identifier: filter.credentials_identifier } : {}),
    ...(filter.preview_credentials_identifier_similar !== undefined
      ? { preview_credentials_identifier_similar: filter.preview_credentials_identifier_similar }
      : {}),
    ...(filter.organization_id !== undefined ? { organization_id: filter.organization_id } : {}),
    ...(include.length > 0 ? { include_credential: include } : {})
  }
}

export const credentialsOf = (options: ExportOptions): ReadonlyArray<ExportableCredential> =>
  exportableCredentials.filter((c) => options.includeCredentials?.includes(c) === true)

/** The create bodies in their wire form (hashes as plain strings), a chunk per page. */
export const wireBodies = (client: ExportClient, options: ExportOptions) => {
  const include = new Set(credentialsOf(options))
  return listed(client, options).pipe(
    Stream.mapChunks((page) => Chunk.map(page, (identity) => toCreateBody(identity, include)))
  )
}

interface Piece {
  readonly text: string
  readonly count: number
  readonly warnings: ReadonlyArray<string>
}

/** Warnings named one by one (as events and in the report); the rest are counted. */
const warningsListed = 20

/**
 * Runs an export into a sink: each page becomes one write, the next pages are fetched and
 * rendered while earlier ones are written. JSON's closing bracket is written by a finalizer, so an
 * interrupted export leaves a valid array of what was exported.
 */
export const run = (
  client: ExportClient,
  sink: TextSink,
  options: ExportOptions = {}
): Stream.Stream<ExportEvent, KratosError | WorkflowError> =>
  Stream.suspend(() => {
    const format = options.format ?? "jsonl"
    const credentials = credentialsOf(options)
    const include = new Set(credentials)
    const started = Date.now()
    let exported = 0
    let pages = 0
    let opened = false
    const progress = (): ExportProgress => {
      const elapsedMs = Date.now() - started
      return { exported, pages, rate: elapsedMs > 0 ? (exported * 1000) / elapsedMs : 0, elapsedMs }
    }
    // A page's text is joined once (one flat string, no tree of small pieces to collect). In JSON
    // every body is preceded by ",\n"; the first write opens the array instead, so whether the
    // array is open follows what was written, never what was only rendered.
    const separator = format === "jsonl" ? "" : ",\n"
    const terminator = format === "jsonl" ? "\n" : ""
    // A page of the client's own list stream is ours alone (ownPages.ts): each identity is let go
    // once rendered, so a minor GC during the page copies only those still to render. A page of
    // any other client is only read.
    const clearRendered = OwnPages.isOwn(client.listIdentitiesStream)
    let inexact = 0
    const warnings: Array<string> = []
    const render = (page: Chunk.Chunk<Identity>): Piece => {
      const items = Chunk.toReadonlyArray(page)
      const parts: Array<string> = []
      let pageWarnings: Array<string> | undefined
      for (let i = 0; i < items.length; i++) {
        const body = toCreateBody(items[i], include)
        const paths = inexactNumberPaths(body)
        if (paths.length > 0 && ++inexact <= warningsListed) {
          const identity = items[i]
          ;(pageWarnings ??= []).push(
            `identity ${identity.id}${identity.external_id ? ` (external_id ${identity.external_id})` : ""}: ` +
              `${paths.join(", ")} ${paths.length > 1 ? "hold numbers" : "holds a number"} JavaScript's JSON cannot keep ` +
              `exactly (an integer beyond ±2^53, or out of range): the exported value may differ from the server's`
          )
        }
        parts.push(separator, JSON.stringify(body), terminator)
        if (clearRendered) (items as Array<Identity | undefined>)[i] = undefined
      }
      return { text: parts.join(""), count: items.length, warnings: pageWarnings ?? [] }
    }
    const write = (text: string) => {
      if (format === "jsonl" || text === "") return sink(text)
      const first = !opened
      opened = true
      return sink(first ? "[\n" + text.slice(separator.length) : text)
    }
    let closed = format !== "json"
    const close = Effect.suspend(() => {
      if (closed) return Effect.void
      closed = true
      return sink(opened ? "\n]\n" : "[]\n")
    })
    // Each page is rendered as soon as it is decoded, and pages are fetched ahead of the writes as
    // text: a decoded page lives only while it is rendered, so the collector never copies pages
    // that wait in the buffer.
    const pieces = listed(client, options).pipe(
      Stream.mapChunks((page) => Chunk.of(render(page))),
      Stream.bufferChunks({ capacity: 2 }),
      Stream.mapConcatEffect((piece) =>
        Effect.map(piece.text.length > 0 ? write(piece.text) : Effect.void, (): Array<ExportEvent> => {
          exported += piece.count
          pages++
          const events: Array<ExportEvent> = piece.warnings.map((message) => ({ _tag: "Warning", message }))
          warnings.push(...piece.warnings)
          events.push({ _tag: "Progress", progress: progress() })
          return events
        }).pipe(Effect.withSpan("kratos.export.page", { attributes: { "kratos.export.page.number": pages + 1, "kratos.export.page.identities": piece.count } }))
      )
    )
    const finished = Stream.fromEffect(Effect.suspend(() => {
      const { elapsedMs, rate } = progress()
      return Effect.as(close, {
        _tag: "Finished",
        report: {
          exported,
          pages,
          format,
          credentials,
          target: options.target,
          durationMs: elapsedMs,
          identitiesPerSecond: Math.round(rate),
          inexactNumbers: inexact,
          warnings: inexact > warnings.length
            ? [...warnings, `… and ${inexact - warnings.length} more identities with such numbers`]
            : [...warnings]
        }
      } satisfies ExportEvent)
    }))
    // interrupted or failed: the array is still closed over what was written
    // (even when stopped before the first page: the file is then an empty array)
    return Stream.concat(
      Stream.make<[ExportEvent]>({ _tag: "Started", credentials, target: options.target }),
      Stream.concat(pieces, finished)
    ).pipe(Stream.ensuring(Effect.ignore(close)))
  })
