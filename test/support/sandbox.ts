/**
 * A loopback sandbox shared by the tests of one file: started before the first test (then handed to
 * `ready`, which keeps it and may seed it), closed after the last.
 */
import { afterAll, beforeAll } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Sandbox from "../../src/Sandbox.js"

export const sandboxPerFile = (
  options: Sandbox.MakeOptions,
  ready: (sandbox: Sandbox.SandboxService) => void | Promise<void>
): void => {
  const scope = Effect.runSync(Scope.make())
  beforeAll(async () => {
    await ready(await Effect.runPromise(Scope.extend(Sandbox.make(options), scope)))
  })
  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
}
