/**
 * Flags where people put them: after `-` (stdin), and a command's own flag never taken by the
 * global one of the same name.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { run, sandbox, sandboxBinary } from "./binary.js"

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
    const sb = await sandboxBinary(["--api-key", "own-key-123"])
    try {
      expect(sb.out).toContain("API key required")
      const without = await fetch(`${sb.base}/admin/identities`)
      expect(without.status).toBe(401)
      const withKey = await fetch(`${sb.base}/admin/identities`, { headers: { authorization: "Bearer own-key-123" } })
      expect(withKey.status).toBe(200)
    } finally {
      await sb.stop()
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
