import { execFile } from "node:child_process"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"

const runBin = (args: ReadonlyArray<string>) =>
  Effect.async<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = execFile("node", [binPath, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resume(Effect.succeed({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }))
    )
    return Effect.sync(() => child.kill())
  })

const refusal = (options: Sandbox.MakeOptions) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.scoped(Sandbox.make(options)))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isSuccess(exit)) return ""
    const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    expect(error?._tag).toBe("SandboxError")
    return error?.message ?? ""
  })

describe("sandbox options", () => {
  it.effect("out-of-range options are refused with the option named", () =>
    Effect.gen(function*() {
      expect(yield* refusal({ faults: { rate: 1.5 } })).toContain("faults.rate must be a probability from 0 to 1 (got 1.5)")
      expect(yield* refusal({ gatewayTimeout: "-1 millis" })).toContain("gatewayTimeout must not be negative")
      expect(yield* refusal({ gatewayTimeout: 0 })).toContain("gatewayTimeout must be longer than zero")
      expect(yield* refusal({ hashCost: 99 })).toContain("hashCost must be a bcrypt cost, an integer from 4 to 31 (got 99)")
      expect(yield* refusal({ latency: -5 })).toContain("latency must not be negative")
      expect(yield* refusal({ maxBodyBytes: 0 })).toContain("maxBodyBytes")
      expect(yield* refusal({ faults: { statuses: [200] } })).toContain("faults.statuses")
      expect(yield* refusal({ rateLimit: { buckets: { "kratos-admin-low": { burst: 0, perSecond: 1 } } } })).toContain(
        "rateLimit.buckets.kratos-admin-low.burst"
      )
    }))

  it.effect("the in-process layer and setOptions refuse them too, changing nothing", () =>
    Effect.gen(function*() {
      const built = yield* Effect.exit(Layer.build(Sandbox.layerInProcess({ hashCost: 3 })).pipe(Effect.scoped))
      expect(Exit.isFailure(built)).toBe(true)
      const sandbox = yield* Sandbox.Sandbox
      const refused = yield* Effect.flip(sandbox.setOptions({ faults: { rate: 2 } }))
      expect(refused.message).toContain("faults.rate")
      yield* sandbox.setOptions({ faults: { rate: 0.5 } })
    }).pipe(Effect.provide(Sandbox.layerInProcess())))

  it.live("the CLI refuses --faults 1.5, --gateway-timeout -1 and --hash-cost 99 without serving", () =>
    Effect.gen(function*() {
      for (const [flag, value, text] of [
        ["--faults", "1.5", "faults.rate"],
        ["--gateway-timeout", "-1", "gatewayTimeout"],
        ["--hash-cost", "99", "hashCost"]
      ] as const) {
        const out = yield* runBin(["sandbox", "--port", "0", flag, value])
        expect(out.code).not.toBe(0)
        expect(out.stdout + out.stderr).toContain(text)
        expect(out.stdout).not.toContain("listening")
      }
    }), 120_000)
})
