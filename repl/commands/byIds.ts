/**
 * Fetching many identities by id through the list's `ids` filter: one list call per chunk of ids
 * (its pages followed), instead of one GET per id against a rate-limited project. Also the names a
 * confirmation shows for the identities it is about.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Identity } from "../../src/Identity.js"
import type { IdentityApi } from "../../src/IdentityApi.js"
import type { KratosError } from "../../src/KratosError.js"
import * as Ops from "../../src/Operations.js"
import type { UsageError } from "../Errors.js"
import * as Input from "../Input.js"
import * as Render from "../Render.js"
import { idChunks } from "../../src/internal/workflows/selector.js"

/** The `ids` filter takes at most this many ids (the operation table's limit). */
export const maxIdsPerCall = Ops.listIdentities.pagination?.maxPageSize ?? 500

/** `ids` split into list calls: at most 500 each, each under 8 KB of query (the selector's own split). */
export const chunksOf = (ids: ReadonlyArray<string>): ReadonlyArray<ReadonlyArray<string>> => idChunks(ids, maxIdsPerCall)

/** The identities among `ids` that exist, by lower-case id; one list call per chunk of ids. */
export const fetchByIds = (
  api: Context.Tag.Service<IdentityApi>,
  ids: ReadonlyArray<string>,
  query: Record<string, unknown> = {}
): Effect.Effect<ReadonlyMap<string, Identity>, KratosError | UsageError> =>
  Effect.gen(function*() {
    const found = new Map<string, Identity>()
    for (const chunk of chunksOf(Array.from(new Set(ids.map((id) => id.toLowerCase()))))) {
      const input = yield* Input.decodeInput(Ops.listIdentities, { ...query, ids: chunk, page_size: maxIdsPerCall })
      // once every id of the chunk is in, no call for a next (empty) page
      yield* Stream.runForEach(Stream.take(api.listIdentitiesStream(input), chunk.length), (identity) =>
        Effect.sync(() => void found.set(String(identity.id).toLowerCase(), identity)))
    }
    return found
  })

/** `a@x, b@y, c@z` or `a@x, b@y, c@z, … and 7 more`: the identities a confirmation is about ("" for none). */
export const names = (identities: ReadonlyArray<unknown>, total = identities.length, shown = 3): string => {
  const sample = identities.slice(0, shown).map((i) => Render.identifierOf(i) || idOf(i))
  const more = total - sample.length
  if (sample.length === 0) return ""
  return more > 0 ? `${sample.join(", ")}, … and ${more} more` : sample.join(", ")
}

const idOf = (u: unknown): string =>
  u !== null && typeof u === "object" && "id" in u ? String(u.id) : ""

/**
 * The names of the identities with these ids, for a question; falls back to the ids themselves
 * when they cannot be fetched (the action reports what is wrong).
 */
export const namesOfIds = (api: Context.Tag.Service<IdentityApi>, ids: ReadonlyArray<string>): Effect.Effect<string> =>
  fetchByIds(api, ids.slice(0, 3)).pipe(
    Effect.map((found) => names(ids.slice(0, 3).map((id) => found.get(id.toLowerCase()) ?? { id }), ids.length)),
    Effect.orElseSucceed(() => names(ids.slice(0, 3).map((id) => ({ id })), ids.length))
  )
