/**
 * Which identities a workflow acts on: every identity, one list filter, or a list of ids, each
 * narrowed by an optional client-side predicate over the identity JSON.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type Identity, IdentityId } from "../../Identity.js"
import type { KratosError } from "../../KratosError.js"
import type { ExportClient, ExportFilter } from "./export.js"
import { WorkflowError } from "./sink.js"

/** @since 0.1.0 @category models */
export interface Selector {
  /** Every identity. */
  readonly all?: boolean
  /** One list filter (Kratos combines none). */
  readonly filter?: ExportFilter
  /** These ids (any number: looked up 500 at a time; unknown ids are left out). */
  readonly ids?: ReadonlyArray<string>
  /** Keeps only the identities it holds for, over the identity as listed. */
  readonly where?: (identity: Identity) => boolean
}

const decodeId = Schema.decodeUnknownEither(IdentityId)

/** The selected identities, streamed: a page at a time. */
export const select = (
  client: ExportClient,
  selector: Selector,
  pageSize = 500
): Stream.Stream<Identity, KratosError | WorkflowError> => {
  const kinds = [selector.all === true, selector.filter !== undefined, selector.ids !== undefined].filter(Boolean).length
  if (kinds !== 1) {
    return Stream.fail(new WorkflowError({ message: "select identities with exactly one of: all, a list filter, ids" }))
  }
  const where = selector.where
  const narrowed = (s: Stream.Stream<Identity, KratosError | WorkflowError>) => (where === undefined ? s : Stream.filter(s, where))
  if (selector.ids !== undefined) {
    const ids: Array<IdentityId> = []
    for (const raw of selector.ids) {
      const id = decodeId(raw.trim())
      if (Either.isLeft(id)) return Stream.fail(new WorkflowError({ message: `not an identity id: ${JSON.stringify(raw).slice(0, 60)}` }))
      ids.push(id.right)
    }
    const unique = [...new Set(ids.map((id) => id.toLowerCase() as IdentityId))]
    const chunks: Array<ReadonlyArray<IdentityId>> = []
    for (let i = 0; i < unique.length; i += 500) chunks.push(unique.slice(i, i + 500))
    return narrowed(Stream.flatMap(Stream.fromIterable(chunks), (chunk) => client.listIdentitiesStream({ ids: chunk, page_size: 500 })))
  }
  return narrowed(client.listIdentitiesStream({ ...(selector.filter ?? {}), page_size: pageSize }))
}

/** Reads ids from text: one a line (or separated by commas or spaces), `#` comments ignored. */
export const parseIds = (text: string): ReadonlyArray<string> =>
  text.split("\n").map((l) => l.replace(/#.*$/, "")).flatMap((l) => l.split(/[\s,]+/)).filter((s) => s !== "")

export const selectAll = (client: ExportClient, selector: Selector) =>
  Effect.map(Stream.runCollect(select(client, selector)), (c) => Array.from(c))
