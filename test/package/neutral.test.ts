/**
 * The client modules run beyond Node (Bun, Deno, edge runtimes with `FetchHttpClient`): bundled
 * for a neutral platform, with their dependencies, they import no Node built-in. And importing
 * the package's entry points loads no native addon, no sandbox and no importer: what an entry
 * point loads before any code runs is its static import graph (a dynamic `import()` loads later,
 * on use), which esbuild reports per output when it splits on dynamic imports.
 */
import { describe, expect, it } from "@effect/vitest"
import * as esbuild from "esbuild"
import { builtinModules } from "node:module"
import * as path from "node:path"
import { root } from "../support/bin.js"

/** The modules a user of the client imports (its service, policies, schemas and errors). */
const clientModules = [
  "index",
  "IdentityApi",
  "KratosHttpClient",
  "RetryPolicy",
  "AdaptiveRateLimiter",
  "KratosError",
  "GenericError",
  "Identity",
  "IdentitySchema",
  "Session",
  "Recovery",
  "BatchPatch",
  "JsonPatch",
  "Operation",
  "Operations",
  "Pagination"
]

const builtins = new Set(builtinModules)
// a Node built-in, or a native addon (which only Node loads)
const isNodeOnly = (spec: string) =>
  spec.startsWith("node:") || builtins.has(spec) || builtins.has(spec.split("/")[0]!) || spec === "@node-rs/bcrypt"

const bundle = (entries: ReadonlyArray<string>, platform: esbuild.Platform) => {
  const nodeImports: Array<string> = []
  return esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(entries.map((m) => [m, path.join(root, "src", `${m}.ts`)])),
    bundle: true,
    splitting: true,
    format: "esm",
    platform,
    // as Deno and bundlers for browsers and workers resolve packages
    mainFields: ["module", "main"],
    conditions: ["import", "default"],
    outdir: path.join(root, "dist", ".neutral"),
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [{
      name: "node-builtins",
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => {
          if (!isNodeOnly(args.path)) return undefined
          nodeImports.push(`${args.path} imported by ${path.relative(root, args.importer)}`)
          return { path: args.path, external: true }
        })
      }
    }]
  }).then((result) => ({ result, nodeImports }))
}

describe("the client modules", () => {
  it("import no Node built-in, dependencies included (bundled for a neutral platform)", async () => {
    const { nodeImports, result } = await bundle(clientModules, "neutral")
    expect(result.errors).toEqual([])
    expect(nodeImports).toEqual([])
  })

  it("load no native addon, sandbox, importer or ajv when imported", async () => {
    const { result } = await bundle(["index", "IdentityApi"], "node")
    for (const entry of ["index", "IdentityApi"]) {
      const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint === `src/${entry}.ts`)!
      // the entry's own file and the chunks it imports statically
      const loaded = new Set<string>()
      const visit = (file: string) => {
        const out = result.metafile.outputs[file]!
        for (const input of Object.keys(out.inputs)) loaded.add(input)
        for (const imported of out.imports) {
          if (imported.kind === "import-statement" && result.metafile.outputs[imported.path] !== undefined) visit(imported.path)
          if (imported.external) loaded.add(imported.path)
        }
      }
      visit(Object.keys(result.metafile.outputs).find((k) => result.metafile.outputs[k] === output)!)
      const unwanted = [...loaded].filter((m) =>
        /@node-rs\/bcrypt|src\/Sandbox|internal\/sandbox|src\/Import|internal\/import|node_modules\/ajv|undici/.test(m)
      )
      expect(unwanted, `effect-kratos/${entry}`).toEqual([])
      expect(loaded.size).toBeGreaterThan(10)
    }
  })
})
