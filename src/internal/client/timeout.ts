/**
 * A cheaper `Effect.timeoutFail` for the per-attempt timer, which runs on every request.
 *
 * `Effect.timeoutFail` races two forked fibers (the effect and a sleep), about 40 µs a call on the
 * project's 2-core machines, more than the rest of the client stack. With the live clock, one
 * fiber suffices, started at once (a plain fork waits for a scheduler tick to start, and its exit
 * for another to resume us): the effect runs in a detached fiber that is interrupted with us, so it
 * cannot outlive the attempt, and the timer is a plain scheduled callback of the clock's own
 * scheduler. Any other clock (`TestClock`, a custom one) gets `Effect.timeoutFail`, so virtual
 * time keeps working in tests.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Runtime from "effect/Runtime"

type WithScheduler = Clock.Clock & { readonly scheduler?: () => Effect.Effect<Clock.ClockScheduler> }

/** The live clock (wall time, with a scheduler); `TestClock` and custom clocks are not. */
export const isLiveClock = (
  clock: Clock.Clock
): clock is Clock.Clock & { readonly scheduler: () => Effect.Effect<Clock.ClockScheduler> } =>
  typeof (clock as WithScheduler).scheduler === "function"

export const timeoutFail = <A, E, R, E1>(
  effect: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E1
): Effect.Effect<A, E | E1, R> =>
  Effect.clockWith((clock) => {
    if (!isLiveClock(clock)) {
      return Effect.timeoutFail(effect, { duration: Duration.millis(millis), onTimeout })
    }
    return Effect.flatMap(clock.scheduler(), (scheduler) =>
      // the child sees our context, fiber refs and runtime flags, as a fork would
      Effect.flatMap(Effect.runtime<R>(), (runtime) =>
        Effect.async<A, E | E1>((resume) => {
          let settled = false
          const fiber = Runtime.runFork(runtime, effect)
          const cancel = scheduler.unsafeSchedule(() => {
            if (settled) return
            settled = true
            resume(Effect.zipRight(Fiber.interrupt(fiber), Effect.fail(onTimeout())))
          }, Duration.millis(millis))
          // registered after the start: an effect that finished synchronously calls back at once
          fiber.addObserver((exit) => {
            if (settled) return
            settled = true
            cancel()
            resume(exit)
          })
          // we were interrupted: so is the request
          return Effect.suspend(() => {
            settled = true
            cancel()
            return Fiber.interrupt(fiber)
          })
        })))
  })
