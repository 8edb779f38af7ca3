/**
 * A cheaper `Effect.timeoutFail` for the per-attempt timer, which runs on every request.
 *
 * `Effect.timeoutFail` races two forked fibers (the effect and a sleep), about 40 µs a call on the
 * project's 2-core machines, more than the rest of the client stack. With the live clock, one fork
 * suffices: the effect runs in a daemon child (interrupted with us, so it cannot outlive the
 * attempt) and the timer is a plain scheduled callback of the clock's own scheduler. Any other clock (`TestClock`, a custom one) gets `Effect.timeoutFail`, so
 * virtual time keeps working in tests.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

type WithScheduler = Clock.Clock & { readonly scheduler?: () => Effect.Effect<Clock.ClockScheduler> }

export const timeoutFail = <A, E, R, E1>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E1
): Effect.Effect<A, E | E1, R> =>
  Effect.clockWith((clock: WithScheduler) => {
    if (typeof clock.scheduler !== "function") {
      return Effect.timeoutFail(effect, { duration: Duration.millis(millis), onTimeout })
    }
    return Effect.flatMap(clock.scheduler(), (scheduler) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.forkDaemon(restore(effect)), (fiber) =>
          Effect.onInterrupt(
            restore(
              Effect.async<A, E | E1>((resume) => {
                let timedOut = false
                const cancel = scheduler.unsafeSchedule(() => {
                  timedOut = true
                  resume(Effect.zipRight(Fiber.interrupt(fiber), Effect.fail(onTimeout())))
                }, Duration.millis(millis))
                fiber.addObserver((exit) => {
                  if (timedOut) return
                  cancel()
                  resume(exit)
                })
              })
            ),
            () => Fiber.interrupt(fiber)
          ))
      ))
  })
