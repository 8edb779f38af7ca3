/**
 * Flags where people put them: after `-` (stdin), and a command's own flag never taken by the
 * global one of the same name.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { run, sandbox } from "./binary.js"

let sb: Awaited<ReturnType<typeof sandbox>>
beforeAll(async () => {
  sb = await sandbox()
})
afterAll(() => sb.close())

describe("flags", () => {
  it("`import - --dry-run` is a dry run of stdin: nothing created, no stray files", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ka-dash-"))
    const r = await run(["identities", "import", "-", "--dry-run", "-o", "json"], {
      input: JSON.stringify({ schema_id: "default", traits: { email: "dash-dry@example.com" } }) + "\n",
      env: { KRATOS_ADMIN_URL: sb.url },
      cwd: dir
    })
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.dryRun).toBe(true)
    expect(report.created).toBe(0)
    const found = await fetch(`${sb.url}/admin/identities?credentials_identifier=dash-dry@example.com`).then((res) => res.json())
    expect(found).toEqual([])
    expect(fs.readdirSync(dir)).toEqual([])
  }, 60_000)

  it("`create --file - -o table` reads stdin and takes the flag after it", async () => {
    const r = await run(["identities", "create", "--file", "-", "-o", "jsonl"], {
      input: JSON.stringify({ schema_id: "default", traits: { email: "dash-file@example.com" } }),
      env: { KRATOS_ADMIN_URL: sb.url }
    })
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split("\n")).toHaveLength(1)
    expect(JSON.parse(r.stdout).traits.email).toBe("dash-file@example.com")
  }, 60_000)

  it("`sandbox --api-key K` requires the key (the global --api-key does not take it)", async () => {
    const { spawn } = await import("node:child_process")
    const { binPath } = await import("./binary.js")
    const port = 20000 + Math.floor(Math.random() * 20000)
    const child = spawn(process.execPath, [binPath, "sandbox", "--port", String(port), "--api-key", "own-key-123"], {
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      let out = ""
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          out += d
          if (out.includes("listening")) resolve()
        })
        child.on("exit", () => reject(new Error(`sandbox exited: ${out}`)))
      })
      expect(out).toContain("API key required")
      const without = await fetch(`http://127.0.0.1:${port}/admin/identities`)
      expect(without.status).toBe(401)
      const withKey = await fetch(`http://127.0.0.1:${port}/admin/identities`, { headers: { authorization: "Bearer own-key-123" } })
      expect(withKey.status).toBe(200)
    } finally {
      child.kill("SIGINT")
    }
  }, 60_000)

  it("the global --url still works before and after the command", async () => {
    const [before, after] = await Promise.all([
      run(["--url", sb.url, "schemas", "list", "-o", "json"]),
      run(["schemas", "list", "-o", "json", "--url", sb.url])
    ])
    expect(before.code).toBe(0)
    expect(after.code).toBe(0)
    expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout))
  }, 60_000)
})
