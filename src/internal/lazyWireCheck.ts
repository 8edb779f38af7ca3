/**
 * `wireCheck` for the client's response decoding, built once a schema has proven busy: the first
 * responses go through the Effect decoder, and ajv is loaded and compiled for the schema only
 * from the `warmup`-th on. Compiling a validator costs more than decoding a few pages, so a
 * one-shot command never loads ajv, while a long listing or an import gets the fast check.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"

const warmup = 3

/** @internal */
export const lazyWireCheck = <A, I>(
  schema: Schema.Schema<A, I, never>
): Effect.Effect<((u: unknown) => u is I) | undefined> => {
  let uses = 0
  let check: ((u: unknown) => u is I) | undefined
  const load = Effect.map(
    Effect.promise(() => import("./wireCheck.js")),
    (module) => (check ??= module.wireCheck(schema))
  )
  const notYet = Effect.succeed(undefined)
  return Effect.suspend(() => (check !== undefined ? Effect.succeed(check) : ++uses < warmup ? notYet : load))
}
