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
