/**
 * The binary's V8 code cache (repl/CodeCache.ts): a run from the cache prints what a run compiled
 * from source prints; the cache is written in the user's cache directory (never beside the
 * package), extended for a command it has not seen, replaced when V8 rejects it, and a cache
 * directory that cannot be used changes nothing but the speed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { binPath } from "../support/bin.js"
import { sandboxPerFile } from "../support/sandbox.js"

let url = ""
sandboxPerFile({ demo: true }, (sandbox) => {
  url = sandbox.url
})

let dir = ""
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-codecache-"))
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const run = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const { stderr, stdout } = await promisify(execFile)(process.execPath, [binPath, ...args], {
    env: { ...process.env, NO_COLOR: "1", KRATOS_ADMIN_NO_COMPILE_CACHE: "", ...env }
  })
  return { stdout, stderr }
}
const list = () => ["--url", url, "identities", "list", "--page-size", "2", "-o", "json"]
const cacheFiles = (home: string) => {
  const cache = path.join(home, "effect-kratos")
  return fs.existsSync(cache) ? fs.readdirSync(cache).map((f) => path.join(cache, f)) : []
}
const fresh = (name: string) => {
  const home = path.join(dir, name)
  fs.mkdirSync(home)
  return home
}

describe("the code cache", () => {
  it("a run from the cache prints what a run compiled from source prints", async () => {
    const home = fresh("same")
    const plain = await run(list(), { XDG_CACHE_HOME: home, KRATOS_ADMIN_NO_COMPILE_CACHE: "1" })
    expect(cacheFiles(home)).toEqual([])
    const first = await run(list(), { XDG_CACHE_HOME: home })
    const [file] = cacheFiles(home)
    expect(file).toMatch(/kratos-admin-[0-9a-f]{16}-v[\d.]+-\w+-[0-9a-f]{8}\.v8cache$/)
    const written = fs.statSync(file!).mtimeMs
    const cached = await run(list(), { XDG_CACHE_HOME: home })
    expect(first).toEqual(plain)
    expect(cached).toEqual(plain)
    // the same command again: the cache is read, not written
    expect(fs.statSync(file!).mtimeMs).toBe(written)
    expect(cacheFiles(home)).toHaveLength(1)
  })

  it("is extended for a command it has not seen, once", async () => {
    const home = fresh("extend")
    await run(["--help"], { XDG_CACHE_HOME: home })
    const [file] = cacheFiles(home)
    const afterHelp = fs.readFileSync(file!)
    await run(list(), { XDG_CACHE_HOME: home })
    const afterList = fs.readFileSync(file!)
    expect(afterList.equals(afterHelp)).toBe(false)
    await run(list(), { XDG_CACHE_HOME: home })
    await run(["--help"], { XDG_CACHE_HOME: home })
    expect(fs.readFileSync(file!).equals(afterList)).toBe(true)
  })

  it("a damaged or foreign cache is replaced, and the run is unaffected", async () => {
    const home = fresh("damaged")
    const plain = await run(list(), { XDG_CACHE_HOME: home, KRATOS_ADMIN_NO_COMPILE_CACHE: "1" })
    await run(list(), { XDG_CACHE_HOME: home })
    const [file] = cacheFiles(home)
    const good = fs.readFileSync(file!)
    // V8 data that is not V8's, under a valid header
    const damaged = Buffer.from(good)
    damaged.fill(7, damaged.length - 4096)
    fs.writeFileSync(file!, damaged)
    expect(await run(list(), { XDG_CACHE_HOME: home })).toEqual(plain)
    expect(fs.readFileSync(file!).equals(damaged)).toBe(false)
    // not a cache at all
    fs.writeFileSync(file!, "garbage")
    expect(await run(list(), { XDG_CACHE_HOME: home })).toEqual(plain)
    expect(fs.readFileSync(file!).subarray(0, 4).toString()).toBe("KAC1")
  })

  it("a cache directory that cannot be written or is not the user's own is left alone", async () => {
    const plain = await run(["--help"], { KRATOS_ADMIN_NO_COMPILE_CACHE: "1" })
    // a file where the directory should be
    const blocked = path.join(dir, "blocked")
    fs.writeFileSync(blocked, "")
    expect(await run(["--help"], { XDG_CACHE_HOME: blocked })).toEqual(plain)
    // a directory others may write to: a cache there could be anyone's code
    if (typeof process.getuid === "function") {
      const shared = fresh("shared")
      fs.mkdirSync(path.join(shared, "effect-kratos"))
      fs.chmodSync(path.join(shared, "effect-kratos"), 0o777)
      expect(await run(["--help"], { XDG_CACHE_HOME: shared })).toEqual(plain)
      expect(cacheFiles(shared)).toEqual([])
    }
  })

  it("is turned off by KRATOS_ADMIN_NO_COMPILE_CACHE, and never written beside the package", async () => {
    const home = fresh("off")
    const before = fs.readdirSync(path.dirname(binPath)).sort()
    await run(["--help"], { XDG_CACHE_HOME: home, KRATOS_ADMIN_NO_COMPILE_CACHE: "1" })
    expect(cacheFiles(home)).toEqual([])
    await run(["--help"], { XDG_CACHE_HOME: home })
    expect(cacheFiles(home)).toHaveLength(1)
    expect(fs.readdirSync(path.dirname(binPath)).sort()).toEqual(before)
  })
})
