/**
 * The importer's one hook into the generic client: `currentResponseListener` (internal/client/
 * context.ts), which the interpreter runs when a call's final response has arrived, before its body
 * is read. `concurrency` batch requests are on the wire; one waiting here is encoded and ready. Its
 * slot is freed by the listener (or, failing that, when the call ends), and the waiting request is
 * then handed the turn (`handOff`) so it is on the socket before this one's results are decoded.
 */
import * as Effect from "effect/Effect"
import { currentResponseListener } from "../client/context.js"
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
          return restore(Effect.locally(request, currentResponseListener, arrived)).pipe(
            Effect.ensuring(Effect.suspend(arrived))
          )
        })
      )
    )
}
