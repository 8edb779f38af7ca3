/**
 * The package's manifest: every public module (a file directly under src/) is reachable through
 * `exports` with its types, and nothing else is published but the build.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { root } from "../support/bin.js"

const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  readonly exports: Record<string, unknown>
  readonly files: ReadonlyArray<string>
  readonly bin: Record<string, string>
  readonly sideEffects: unknown
  readonly dependencies: Record<string, string>
}

describe("package.json", () => {
  it("maps every public module with types and import conditions", () => {
    const modules = fs.readdirSync(path.join(root, "src")).filter((f) => f.endsWith(".ts") && f !== "index.ts")
    const subpath = (m: string) => `./${m.replace(/\.ts$/, "")}`
    expect(modules.filter((m) => manifest.exports[subpath(m)] === undefined), "add them to exports in package.json").toEqual([])
    for (const m of modules) {
      const name = m.replace(/\.ts$/, "")
      expect(manifest.exports[subpath(m)]).toEqual({ types: `./dist/${name}.d.ts`, import: `./dist/${name}.js` })
    }
    expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", import: "./dist/index.js" })
  })

  it("publishes the build only, declares no side effects, runs the built binary", () => {
    expect(manifest.files).toEqual(["dist"])
    expect(manifest.sideEffects).toBe(false)
    expect(manifest.bin).toEqual({ "kratos-admin": "dist/bin/kratos-admin.js" })
    // compiled ahead: no bundler or TypeScript loader when it runs
    expect(Object.keys(manifest.dependencies)).not.toContain("esbuild")
    expect(Object.keys(manifest.dependencies)).not.toContain("tsx")
  })
})
