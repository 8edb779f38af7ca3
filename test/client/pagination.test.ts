/**
 * Pages and streams over the sandbox on real loopback: the next-page token from `Link`,
 * `X-Total-Count`, streams across page boundaries and on empty lists.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { IdentityApi } from "../../src/IdentityApi.js"
import * as Sandbox from "../../src/Sandbox.js"
import { clientFor } from "./helpers.js"

const seed = (n: number) =>
  Effect.flatMap(Sandbox.Sandbox, (sb) =>
    Effect.zipRight(
      sb.reset,
      sb.insertIdentities(Array.from({ length: n }, (_, i) => ({ traits: { email: `p${i}@example.com` } })))
    ))

layer(
  clientFor({ retry: false }).pipe(Layer.provideMerge(Layer.merge(Sandbox.layer(), NodeHttpClient.layerUndici))),
  { excludeTestServices: true }
)("pagination", (it) => {
  it.effect("a page exposes the next page token from Link; following it reaches every item once", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const inserted = yield* seed(7)
      const first = yield* api.listIdentities({ page_size: 3 })
      expect(first.items).toHaveLength(3)
      expect(Option.isSome(first.nextPageToken)).toBe(true)
      const ids = new Set(first.items.map((i) => i.id))
      let token = first.nextPageToken
      while (Option.isSome(token)) {
        const page = yield* api.listIdentities({ page_size: 3, page_token: token.value })
        page.items.forEach((i) => ids.add(i.id))
        token = page.nextPageToken
      }
      expect(ids.size).toBe(inserted.length)
    }))

  it.effect("listIdentitiesStream crosses page boundaries", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      yield* seed(11)
      const all = yield* Stream.runCollect(api.listIdentitiesStream({ page_size: 4 }))
      expect(Chunk.size(all)).toBe(11)
      expect(new Set(Chunk.toReadonlyArray(all).map((i) => i.id)).size).toBe(11)
      const pages = (yield* sb.requests).filter((r) => r.operation === "listIdentities").length
      expect(pages).toBeGreaterThanOrEqual(3)
      // early exit stops fetching
      const before = (yield* sb.requests).length
      const two = yield* Stream.runCollect(Stream.take(api.listIdentitiesStream({ page_size: 2 }), 2))
      expect(Chunk.size(two)).toBe(2)
      expect((yield* sb.requests).length - before).toBe(1)
    }))

  it.effect("streams on empty lists end at once", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      yield* seed(0)
      expect(Chunk.size(yield* Stream.runCollect(api.listIdentitiesStream()))).toBe(0)
      expect(Chunk.size(yield* Stream.runCollect(api.listSessionsStream({ page_size: 2 })))).toBe(0)
      const id = (yield* api.createIdentity({ body: { traits: { email: "lonely@example.com" } } })).id
      expect(Chunk.size(yield* Stream.runCollect(api.listIdentitySessionsStream({ id })))).toBe(0)
    }))

  it.effect("sessions streams and X-Total-Count", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const sb = yield* Sandbox.Sandbox
      const [identity] = yield* seed(1)
      for (let i = 0; i < 5; i++) yield* Effect.orDie(sb.createSession(identity.id))
      const page = yield* api.listIdentitySessions({ id: identity.id, page_size: 2 })
      expect(page.items).toHaveLength(2)
      expect(page.totalCount).toEqual(Option.some(5))
      const all = yield* Stream.runCollect(api.listIdentitySessionsStream({ id: identity.id, page_size: 2 }))
      expect(Chunk.size(all)).toBe(5)
      const sessions = yield* Stream.runCollect(api.listSessionsStream({ page_size: 2 }))
      expect(Chunk.size(sessions)).toBe(5)
      const schemas = yield* Stream.runCollect(api.listIdentitySchemasStream({ page_size: 1 }))
      expect(Chunk.size(schemas)).toBeGreaterThanOrEqual(1)
    }))

  it.effect("a stream fails with the list's typed error", () =>
    Effect.gen(function*() {
      const api = yield* IdentityApi
      const error = yield* Effect.flip(Stream.runCollect(api.listIdentitiesStream({ page_token: "garbage!" })))
      expect(error._tag).toBe("BadRequest")
    }))
})
