/**
 * Which identities a workflow acts on: every identity, one list filter, or a list of ids, each
 * narrowed by an optional client-side predicate over the identity JSON.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type Identity, IdentityId } from "../../Identity.js"
import type { KratosError } from "../../KratosError.js"
import { type ExportClient, type ExportFilter, keepWhere } from "./export.js"
import { WorkflowError } from "./sink.js"

/** @since 0.1.0 @category models */
export interface Selector {
  /** Every identity. */
  readonly all?: boolean
  /** One list filter (Kratos combines none). */
  readonly filter?: ExportFilter
  /** These ids (any number: looked up a list call per `idChunks`; ids no identity has are left out, and a plan names them). */
  readonly ids?: ReadonlyArray<string>
  /** Keeps only the identities it holds for, over the identity as listed. */
  readonly where?: (identity: Identity) => boolean
  /**
   * Keeps only the identities it answers `true` for, a page at a time (an evaluator that is costly
   * to call, such as an expression language's interpreter, answers a whole page at once): one
   * answer per identity, in order. Its failure ends the selection.
   */
  readonly wherePage?: (identities: ReadonlyArray<Identity>) => Effect.Effect<ReadonlyArray<boolean>, WorkflowError>
}

/**
 * Characters of `ids=` parameters one list call carries: 500 UUIDs make a 20 KB request line,
 * over nginx's default 8 KB and Node's 16 KB header limits; a call stays under 8 KB (about 185 ids).
 */
export const idsQueryBudget = 7_600

/** Ids split into list calls: at most 500 each, and no more than fit in `idsQueryBudget`. */
export const idChunks = <A extends string>(ids: ReadonlyArray<A>, max = 500): ReadonlyArray<ReadonlyArray<A>> => {
  const chunks: Array<Array<A>> = []
  let current: Array<A> = []
  let size = 0
  for (const id of ids) {
    const cost = `ids=${encodeURIComponent(id)}&`.length
    if (current.length > 0 && (current.length >= max || size + cost > idsQueryBudget)) {
      chunks.push(current)
      current = []
      size = 0
    }
    current.push(id)
    size += cost
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

const decodeId = Schema.decodeUnknownEither(IdentityId)

/** The ids a selector names, as `select` looks them up: trimmed, lower-case, each once. */
export const selectorIds = (ids: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(ids.map((id) => id.trim().toLowerCase()))]

/**
 * The selected identities, streamed: a page at a time. `listed` sees each page as listed, before
 * `where` narrows it (what `ids` found, for telling which ids found nothing).
 */
export const select = (
  client: ExportClient,
  selector: Selector,
  pageSize = 500,
  listed?: (page: ReadonlyArray<Identity>) => void
): Stream.Stream<Identity, KratosError | WorkflowError> => {
  const kinds = [selector.all === true, selector.filter !== undefined, selector.ids !== undefined].filter(Boolean).length
  if (kinds !== 1) {
    return Stream.fail(new WorkflowError({ message: "select identities with exactly one of: all, a list filter, ids" }))
  }
  const { where, wherePage } = selector
  const narrowed = (stream: Stream.Stream<Identity, KratosError | WorkflowError>) => {
    const s = listed === undefined ? stream : Stream.mapChunks(stream, (page) => {
      listed(Chunk.toReadonlyArray(page))
      return page
    })
    return keepWhere(where === undefined ? s : Stream.filter(s, where), wherePage)
  }
  if (selector.ids !== undefined) {
    const ids: Array<IdentityId> = []
    for (const raw of selector.ids) {
      const id = decodeId(raw.trim())
      if (Either.isLeft(id)) return Stream.fail(new WorkflowError({ message: `not an identity id: ${JSON.stringify(raw).slice(0, 60)}` }))
      ids.push(id.right)
    }
    const unique = selectorIds(ids) as ReadonlyArray<IdentityId>
    return narrowed(
      Stream.flatMap(Stream.fromIterable(idChunks(unique)), (chunk) => client.listIdentitiesStream({ ids: chunk, page_size: 500 }))
    )
  }
  // bulk changes do a write per identity: the next page is fetched meanwhile
  return narrowed(client.listIdentitiesStream({ ...(selector.filter ?? {}), page_size: pageSize }, { readAhead: true }))
}

/** Reads ids from text: one a line (or separated by commas or spaces), `#` comments ignored. */
export const parseIds = (text: string): ReadonlyArray<string> =>
  text.split("\n").map((l) => l.replace(/#.*$/, "")).flatMap((l) => l.split(/[\s,]+/)).filter((s) => s !== "")

export const selectAll = (client: ExportClient, selector: Selector) =>
  Effect.map(Stream.runCollect(select(client, selector)), (c) => Array.from(c))
