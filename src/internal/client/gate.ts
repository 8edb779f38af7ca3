/**
 * The concurrency cap of the attempt layer: a counting gate with the three moves that layer makes
 * inside its own uninterruptible region (take a free permit synchronously, or wait for one; release
 * it in the handler that also settles the attempt). Waiters queue in FIFO order and a released
 * permit is handed to the first of them. `Effect.Semaphore` costs a region of its own per request.
 */
import * as Effect from "effect/Effect"
import { keepHiddenClass } from "../hiddenClass.js"

export class Gate {
  private available: number
  private readonly waiters: Array<() => void> = []

  constructor(permits: number) {
    this.available = permits
  }

  /** Permits not held. */
  get free(): number {
    return this.available
  }

  /** Fibers waiting for a permit. */
  get waiting(): number {
    return this.waiters.length
  }

  /** Takes a free permit, if there is one. */
  tryTake(): boolean {
    if (this.available === 0) return false
    this.available--
    return true
  }

  /** Waits for a released permit (after `tryTake` failed); interruptible. */
  readonly take: Effect.Effect<void> = Effect.async<void>((resume) => {
    let granted = false
    const waiter = () => {
      granted = true
      resume(Effect.void)
    }
    this.waiters.push(waiter)
    return Effect.sync(() => {
      // interrupted: leave the queue, or pass on a permit handed over meanwhile
      if (granted) this.release()
      else {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
      }
    })
  })

  release(): void {
    const next = this.waiters.shift()
    if (next !== undefined) next()
    else this.available++
  }
}

// one instance of each class an import makes afresh (see hiddenClass.ts)
keepHiddenClass(new Gate(1))
