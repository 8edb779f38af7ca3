/**
 * The wire slots of batch requests, through the importer's one hook into the generic client:
 * `currentCallObserver` (internal/client/context.ts), whose `responded` the interpreter runs when a
 * call's final response has arrived, before its body is read. `concurrency` batch requests are on
 * the wire; one waiting here is encoded and ready. Its slot is freed there (or, failing that, when
 * the call ends), and the waiting request is then handed the turn (`handOff`) so it is on the
 * socket before this one's results are decoded. (The observer's `waiting` is the engine's: waits
 * inside a call are shown in the progress line.)
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { currentCallObserver } from "../client/context.js"
import { Gate } from "../client/gate.js"
import { handOff } from "../eventLoop.js"

export type OnWire = <A, E>(request: Effect.Effect<A, E>) => Effect.Effect<A, E>

export const makeWire = (concurrency: number): OnWire => {
  const wire = new Gate(concurrency)
  return <A, E>(request: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        wire.tryTake() ? Effect.void : restore(wire.take),
        Effect.suspend(() => {
          let held = true
          const free = (): boolean => {
            if (!held) return false
            held = false
            const waiting = wire.waiting > 0
            wire.release()
            return waiting
          }
          const arrived = () => (free() ? handOff : Effect.void)
          return FiberRef.getWith(currentCallObserver, (outer) =>
            restore(Effect.locally(request, currentCallObserver, { ...outer, responded: arrived })).pipe(
              Effect.ensuring(Effect.suspend(arrived))
            ))
        })
      )
    )
}
