/**
 * The stand-ins the binary's bundle has for some Node built-ins (scripts/lazy-builtins.mjs): the
 * same properties with the same values as the module they stand for, which is loaded on the first
 * read only; `node:assert`'s is called like it.
 */
import { createRequire } from "node:module"
import { describe, expect, it } from "vitest"
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { lazyBuiltins, lazyBuiltinSource } from "../../scripts/lazy-builtins.mjs"

const nodeRequire = createRequire(import.meta.url)

/** Evaluates a stand-in's source as the bundle would, recording what it requires. */
const standIn = (name: string) => {
  const required: Array<string> = []
  const module = { exports: {} as unknown }
  const source = (lazyBuiltinSource as (name: string) => string)(name)
  new Function("require", "module", source)((id: string) => (required.push(id), nodeRequire(id)), module)
  return { value: module.exports as Record<string, unknown>, required }
}

describe("lazy built-ins", () => {
  for (const name of lazyBuiltins as ReadonlyArray<string>) {
    it(`${name}: loaded on first read, then the same values under the same names`, () => {
      const { value, required } = standIn(name)
      expect(required).toEqual([])
      const real = nodeRequire(name) as Record<string, unknown>
      expect(Object.keys(value).sort()).toEqual(Object.keys(real).filter((k) => k !== "default").sort())
      for (const key of Object.keys(value)) expect(value[key], key).toBe(real[key])
      expect(required).toEqual([name])
    })
  }

  it("node:assert: passes a truthy value without loading it, fails like it otherwise", () => {
    const { value, required } = standIn("node:assert")
    const assert = value as unknown as (...args: ReadonlyArray<unknown>) => void
    const real = nodeRequire("node:assert") as (...args: ReadonlyArray<unknown>) => void
    expect(assert(1)).toBe(real(1))
    expect(assert(true, "message")).toBe(undefined)
    expect(required).toEqual([])
    const thrown = (f: () => void) => {
      try {
        f()
      } catch (e) {
        return e as { name: string; code: string; message: string }
      }
      throw new Error("did not throw")
    }
    for (const args of [[0, "zero"], [false, "false"], [undefined, "nothing"], [null, new TypeError("mine")]]) {
      const a = thrown(() => assert(...args))
      const b = thrown(() => real(...args))
      expect([a.name, a.code, a.message]).toEqual([b.name, b.code, b.message])
    }
    expect(thrown(() => assert()).code).toBe(thrown(() => real()).code)
    expect(required).toEqual(["node:assert"])
  })
})
