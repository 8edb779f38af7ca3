/**
 * A turn of the event loop. `Effect.yieldNow` resumes on a microtask for up to thousands of yields
 * before the scheduler lets I/O in; this waits for the loop's check phase (setImmediate, or a
 * zero timer where there is none), after the I/O callbacks already due.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

const schedule: (f: () => void) => () => void = typeof setImmediate === "function"
  ? (f) => {
    const handle = setImmediate(f)
    return () => clearImmediate(handle)
  }
  : (f) => {
    const handle = setTimeout(f, 0)
    return () => clearTimeout(handle)
  }

/** @internal */
export const yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const cancel = schedule(() => resume(Effect.void))
  return Effect.sync(cancel)
})

/**
 * For a fiber that just released a permit another fiber waits for: two scheduler turns let the
 * waiter take it and dispatch its request, a turn of the event loop lets the transport put that
 * request on the socket (undici writes a reused connection's next request in the next check phase).
 * Only then does the caller go on, e.g. to decode its own response, which so no longer delays the
 * next request (the importer's wire slots, `internal/import/wire.ts`).
 *
 * @internal
 */
export const handOff: Effect.Effect<void> = Effect.yieldNow().pipe(
  Effect.zipRight(Effect.yieldNow()),
  Effect.zipRight(yieldToEventLoop)
)
