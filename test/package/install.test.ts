/**
 * The package as users get it: `npm pack`, then `npm install --offline <tarball>` into a fresh
 * project outside the checkout (dependencies from the npm cache, which `npm ci` filled), then
 * plain Node ESM, TypeScript consumers (NodeNext and Bundler resolution) and the installed
 * `kratos-admin` against a sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFile, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { root } from "../support/bin.js"

let dir = ""
let project = ""
let tarball = ""
let installedFiles = ""

/** Every file of the installed package with its size and modification time. */
const listing = () =>
  execFileSync("find", [path.join(project, "node_modules/effect-kratos"), "-printf", "%P %s %T@\\n"], { encoding: "utf8" })

const run = (file: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string | undefined> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }))
  })

/**
 * A lockfile for the fresh project naming the versions the checkout's lockfile resolved (with
 * their integrity, so npm takes them from its cache): an offline install cannot ask the registry
 * which versions the package's ranges allow. Development-only packages are left out, except the
 * Node types the TypeScript consumer needs.
 */
const seedLockfile = () => {
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean }>
  }
  const typesNode = lock.packages["node_modules/@types/node"]!.version!
  const keepDev = new Set(["node_modules/@types/node", "node_modules/undici-types"])
  const packages: Record<string, unknown> = { "": { name: "consumer", dependencies: { "@types/node": typesNode } } }
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith("node_modules/") || (entry.dev === true && !keepDev.has(key))) continue
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry
    packages[key] = rest
  }
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { "@types/node": typesNode } }, null, 2)
  )
  fs.writeFileSync(path.join(project, "package-lock.json"), JSON.stringify({ name: "consumer", lockfileVersion: 3, requires: true, packages }, null, 2))
}

beforeAll(async () => {
  // what `prepack` runs, skipped when the build is newer than every source
  // (asynchronously: a worker blocked for minutes misses vitest's RPC deadlines)
  const built = await run(process.execPath, [path.join(root, "scripts/build.mjs"), "--if-stale"], root)
  if (built.code !== 0) throw new Error(`build failed:\n${built.stdout}${built.stderr}`)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-kratos-package-"))
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], root)
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`)
  tarball = path.join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename)
  project = path.join(dir, "project")
  fs.mkdirSync(project)
  seedLockfile()
  const installed = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], project)
  if (installed.code !== 0) throw new Error(`npm install --offline failed:\n${installed.stderr}`)
  installedFiles = listing()
  for (const file of ["consumer.mjs", "consumer.ts"]) fs.copyFileSync(path.join(root, "test/package/consumer", file), path.join(project, file))
}, 900_000)

afterAll(() => {
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true })
})

describe("the packed package", () => {
  it("contains the build, the README and the licence, nothing else", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""))
    expect(files.filter((f) => !f.startsWith("dist/")).sort()).toEqual(["LICENSE", "README.md", "package.json"])
    expect(files).toContain("dist/index.js")
    expect(files).toContain("dist/index.d.ts")
    expect(files).toContain("dist/index.d.ts.map")
    expect(files).toContain("dist/IdentityApi.js.map")
    expect(files).toContain("dist/bin/kratos-admin.js")
    expect(files).toContain("dist/bin/main.cjs")
  })

  it("runs from plain Node ESM: the client against the sandbox, no native addon loaded by the client", async () => {
    const r = await run(process.execPath, ["consumer.mjs"], project)
    expect(r.stderr).toBe("")
    const out = JSON.parse(r.stdout.trim()) as Record<string, unknown>
    expect(out).toMatchObject({ listed: 2, missingTag: "NotFound", isKratosError: true, addonsLoadedByClient: 0 })
    expect(out.rootExports).toContain("IdentityApi")
    expect(out.rootExports).not.toContain("Import")
  }, 300_000)

  it.each(["NodeNext", "Bundler"])("type-checks a TypeScript consumer with exact error channels (moduleResolution %s)", async (resolution) => {
    const config = `tsconfig.${resolution}.json`
    fs.writeFileSync(
      path.join(project, config),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: resolution === "NodeNext" ? "NodeNext" : "ESNext",
          moduleResolution: resolution,
          strict: true,
          noEmit: true,
          // the package's declarations are checked too (once: checking every library's is slow)
          skipLibCheck: resolution === "Bundler",
          types: ["node"]
        },
        files: ["consumer.ts"]
      })
    )
    const r = await run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", config], project)
    expect(r.stdout + r.stderr).toBe("")
    expect(r.code).toBe(0)
  }, 600_000)

  it("installs a kratos-admin that runs against a sandbox from outside the checkout", async () => {
    const bin = path.join(project, "node_modules/.bin/kratos-admin")
    const sandbox = spawn(bin, ["sandbox", "--port", "0", "--demo"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ""
        sandbox.stdout!.on("data", (d: Buffer) => {
          out += d.toString()
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        sandbox.on("exit", (code) => reject(new Error(`sandbox exited ${code}`)))
      })
      const list = await run(bin, ["--url", url, "identities", "list", "--page-size", "3"], project)
      expect(list.code).toBe(0)
      expect(JSON.parse(list.stdout)).toHaveLength(3)
      const missing = await run(bin, ["--url", url, "identities", "get", "00000000-0000-4000-8000-000000000001"], project)
      expect(missing.code).toBe(1)
      expect(missing.stderr).toMatch(/^error: 404 NotFound in getIdentity/)
    } finally {
      sandbox.kill("SIGINT")
    }
    // nothing was written inside the installed package (a global or read-only install works)
    expect(listing()).toBe(installedFiles)
  }, 300_000)
})
