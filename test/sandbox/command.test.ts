import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { sandboxCommand } from "../../repl/commands/SandboxCommand.js"

const cli = Command.run(sandboxCommand, { name: "kratos-admin", version: "0.0.0" })

it.live("`sandbox` serves until interrupted, then the port is closed", () =>
  Effect.gen(function*() {
    const port = 40000 + Math.floor(Math.random() * 20000)
    const fiber = yield* Effect.fork(
      cli(["node", "kratos-admin", "--port", String(port), "--demo", "--api-key", "k", "--latency", "1"]).pipe(Effect.provide(NodeContext.layer))
    )
    const base = `http://127.0.0.1:${port}`
    let status = 0
    for (let n = 0; n < 50 && status === 0; n++) {
      yield* Effect.sleep("100 millis")
      status = yield* Effect.promise(() => fetch(`${base}/admin/identities`, { headers: { authorization: "Bearer k" } }).then((r) => r.status, () => 0))
    }
    expect(status).toBe(200)
    expect(yield* Effect.promise(() => fetch(`${base}/admin/identities`).then((r) => r.status))).toBe(401)
    const exit = yield* Fiber.interrupt(fiber)
    expect(Exit.isInterrupted(exit)).toBe(true)
    const after = yield* Effect.promise(() => fetch(`${base}/schemas`).then(() => "up", () => "down"))
    expect(after).toBe("down")
  }))
