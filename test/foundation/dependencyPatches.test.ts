/**
 * The patches the binary's bundle applies to its dependencies' sources (scripts/dependency-patches.mjs):
 * each applies to the installed version, and code bundled with them behaves as code bundled
 * without: Effect's clock reads the same time, @effect/cli parses and shows help the same.
 */
import * as esbuild from "esbuild"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { applyPatches, dependencyPatchesPlugin, patches } from "../../scripts/dependency-patches.mjs"

const root = path.resolve(import.meta.dirname, "../..")
const nodeRequire = createRequire(import.meta.url)
const temp = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-dependency-patches-"))
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }))

/** `source` bundled as the binary is (CommonJS, node), with or without the patches, then required. */
const bundled = async <A>(name: string, source: string, patched: boolean): Promise<A> => {
  const outfile = path.join(temp, `${name}-${patched ? "patched" : "plain"}.cjs`)
  await esbuild.build({
    stdin: { contents: source, resolveDir: root, loader: "ts" },
    outfile,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    plugins: patched ? [dependencyPatchesPlugin] : [],
    logLevel: "silent"
  })
  return nodeRequire(outfile) as A
}

describe("dependency patches", () => {
  it("each applies to the installed dependency exactly once", () => {
    for (const patch of patches as ReadonlyArray<{ file: string; find: string; replace: string }>) {
      const file = path.join(root, "node_modules", patch.file)
      const patchedSource = (applyPatches as (file: string, source: string) => string)(file, fs.readFileSync(file, "utf8"))
      expect(patchedSource, patch.file).toContain(patch.replace)
      expect(patchedSource, patch.file).not.toContain(patch.find)
    }
  })

  it("effect/Utils: the plain module finds its frame in a stack trace, the answer the patch writes", () => {
    // internalCall is the plain function exactly when that test succeeded
    const Utils = nodeRequire("effect/Utils") as { internalCall: (body: () => unknown) => unknown }
    expect(Utils.internalCall.toString()).not.toContain("try")
  })

  it("effect's clock: the same wall-clock time, nanoseconds, advancing the same", async () => {
    const source = `import * as Clock from "effect/Clock"
const clock = Clock.make()
module.exports = () => [clock.unsafeCurrentTimeNanos(), BigInt(Date.now()) * 1000000n]`
    type Now = () => [bigint, bigint]
    const [plain, patched] = await Promise.all([bundled<Now>("clock", source, false), bundled<Now>("clock", source, true)])
    for (const now of [plain, patched]) {
      const [nanos, wall] = now()
      expect(Number(nanos - wall) / 1e6).toBeGreaterThan(-5)
      expect(Number(nanos - wall) / 1e6).toBeLessThan(5)
    }
    const a = patched()[0]
    const b = plain()[0]
    const c = patched()[0]
    expect(b >= a - 2_000_000n && c >= b - 2_000_000n).toBe(true)
  })

  it("@effect/cli: the same parse, and the same help, with and without --help", async () => {
    const source = `import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
const list = Command.make("list", { size: Options.integer("page-size").pipe(Options.withDefault(250)), name: Args.text({ name: "name" }).pipe(Args.optional) },
  (a) => Console.log("list " + a.size + " " + JSON.stringify(a.name)))
  .pipe(Command.withDescription("List identities"))
const app = Command.make("app").pipe(Command.withSubcommands([list]))
const run = Command.run(app, { name: "app", version: "1.0.0" })
module.exports = async (argv) => {
  const lines = []
  const saved = [console.log, console.error]
  console.log = (...xs) => lines.push(xs.join(" "))
  console.error = (...xs) => lines.push("E " + xs.join(" "))
  try {
    const r = await Effect.runPromise(run(argv).pipe(Effect.provide(NodeContext.layer), Effect.provide(Logger.remove(Logger.defaultLogger)), Effect.either))
    return [r._tag, lines.join("\\n")]
  } finally {
    [console.log, console.error] = saved
  }
}`
    type Run = (argv: ReadonlyArray<string>) => Promise<[string, string]>
    const [plain, patched] = await Promise.all([bundled<Run>("cli", source, false), bundled<Run>("cli", source, true)])
    const lines = [
      ["list", "--page-size", "3", "x"],
      ["list"],
      ["list", "--help"],
      ["list", "-h"],
      ["--help"],
      ["list", "--page-size", "nope"],
      ["list", "--version"]
    ]
    for (const line of lines) {
      const argv = ["node", "app", ...line]
      const [a, b] = [await plain(argv), await patched(argv)]
      expect(b, line.join(" ")).toEqual(a)
    }
    const [, help] = await plain(["node", "app", "list", "--help"])
    expect(help).toContain("List identities")
  }, 30_000)
})
