/**
 * Tables and prompts as people meet them, through the built binary: no empty column, ids never
 * cut at 80 columns, confirmations that name the identities, the rows of an `--all` interrupted
 * by Ctrl-C still printed (exit 130), and `identities get a b c` as one list call per chunk of ids.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { chunksOf } from "../../repl/commands/byIds.js"
import { pty, run, sandbox, seed } from "./binary.js"

let sb: Awaited<ReturnType<typeof sandbox>>
let slow: Awaited<ReturnType<typeof sandbox>>
beforeAll(async () => {
  sb = await sandbox({ demo: true })
  slow = await sandbox({ latency: "300 millis" })
  await seed(slow.url, 40, 0, "slow")
})
afterAll(() => Promise.all([sb.close(), slow.close()]))

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/

describe("tables", () => {
  it("sessions list shows no empty IDENTITY column without --expand identity, and the identity with it", async () => {
    const env = { KRATOS_ADMIN_URL: sb.url }
    const [plain, expanded] = await Promise.all([
      run(["sessions", "list", "-o", "table", "--page-size", "5"], { env }),
      run(["sessions", "list", "-o", "table", "--page-size", "5", "--expand", "identity"], { env })
    ])
    expect(plain.code).toBe(0)
    expect(plain.stdout.split("\n")[0]).toMatch(/^ID\s+ACTIVE\s+AAL/)
    expect(plain.stdout).not.toContain("IDENTITY")
    expect(expanded.stdout.split("\n")[0]).toMatch(/^ID\s+IDENTITY\s+ACTIVE/)
    expect(expanded.stdout).toMatch(/@example\.com/)
  }, 60_000)

  it("at 80 columns every id is whole, no line is wider, and no column is empty", async () => {
    const r = await pty([{ expect: "more: --page-token" }], ["identities", "list", "--page-size", "8"], {
      KRATOS_ADMIN_URL: sb.url,
      PTY_COLS: "80",
      NO_COLOR: "1"
    })
    expect(r.ok).toBe(true)
    const rows = r.output.split(/\r?\n/).filter((l) => l.search(uuid) === 0)
    expect(rows).toHaveLength(8)
    for (const line of rows) {
      expect(line.length).toBeLessThanOrEqual(80)
      expect(line).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}  /)
      // the identifier (an email) is printed whole at 80 columns
      expect(line).toMatch(/\S+@example\.com/)
    }
  }, 60_000)
})

describe("confirmations", () => {
  it("name the identities: delete 3 identities (a@x, b@y, c@z)? — declined, nothing deleted", async () => {
    const env = { KRATOS_ADMIN_URL: sb.url }
    const emails = ["ann-c@example.com", "bob-c@example.com", "cat-c@example.com"]
    const ids: Array<string> = []
    for (const email of emails) {
      const created = await run(["identities", "create", "--trait", `email=${email}`, "-o", "json"], { env })
      ids.push(JSON.parse(created.stdout).id)
    }
    const r = await pty([{ expect: "\\[y/N\\]" }, { send: "n\r" }], ["identities", "delete", ...ids], env)
    expect(r.ok).toBe(true)
    expect(r.output).toContain(`delete 3 identities (${emails.join(", ")})? [y/N]`)
    expect(r.exit).toBe(3)
    const one = await pty([{ expect: "\\[y/N\\]" }, { send: "n\r" }], ["identities", "delete", ids[0]], env)
    expect(one.output).toContain(`delete identity ${ids[0]} (ann-c@example.com)? [y/N]`)
    // a bulk change names a sample and how many more
    const bulk = await pty([{ expect: "\\[y/N\\]" }, { send: "n\r" }], ["identities", "deactivate", "--all"], env)
    expect(bulk.ok).toBe(true)
    expect(bulk.output).toMatch(/deactivate \d+ identities \(\S+@\S+, \S+@\S+, \S+@\S+, … and \d+ more\)\? \[y\/N\]/)
    expect(bulk.exit).toBe(3)
    const still = await run(["identities", "get", ...ids, "-o", "json"], { env })
    expect(JSON.parse(still.stdout)).toHaveLength(3)
  }, 90_000)
})

describe("Ctrl-C during --all", () => {
  it("prints the rows already fetched, says so, and exits 130", async () => {
    const r = await pty([{ expect: "fetched 25 identities" , timeout: 30 }, { send: "\x03" }], [
      "identities",
      "list",
      "--all",
      "--page-size",
      "5"
    ], { KRATOS_ADMIN_URL: slow.url, NO_COLOR: "1" })
    expect(r.ok).toBe(true)
    expect(r.exit).toBe(130)
    const rows = r.output.split(/\r?\n/).filter((l) => /^[0-9a-f]{8}-/.test(l))
    expect(rows.length).toBeGreaterThanOrEqual(25)
    expect(rows.length).toBeLessThan(40)
    expect(r.output).toMatch(new RegExp(`interrupted: printed the ${rows.length} identities fetched so far`))
  }, 90_000)
})

describe("identities get a b c", () => {
  it("fetches through the ids filter (one list call per chunk of ids), reports each missing id, exit 1", async () => {
    const many = await sandbox()
    try {
      await seed(many.url, 600, 0, "get")
      const env = { KRATOS_ADMIN_URL: many.url }
      const listed = await run(["identities", "list", "--all", "-o", "json"], { env })
      const ids = (JSON.parse(listed.stdout) as Array<{ id: string }>).map((i) => i.id)
      expect(ids).toHaveLength(600)
      const missing = "00000000-0000-4000-8000-00000000dead"
      const before = (await many.requests()).length
      const r = await run(["identities", "get", ...ids, missing, "-o", "json"], { env })
      const log = (await many.requests()).slice(before)
      // 601 ids: as many calls as chunks (each under 8 KB of query), never one per id
      expect(log.filter((e) => e.method === "GET" && e.path === "/admin/identities")).toHaveLength(chunksOf([...ids, missing]).length)
      expect(chunksOf([...ids, missing]).length).toBe(4)
      expect(log.filter((e) => e.path.startsWith("/admin/identities/"))).toHaveLength(0)
      expect(r.code).toBe(1)
      const printed = JSON.parse(r.stdout) as Array<{ id: string }>
      expect(printed.map((i) => i.id)).toEqual(ids)
      expect(r.stderr).toContain(`${missing}: error: 404 NotFound`)
      expect(r.stderr).toContain("1 of 601 not found")
      // all present: exit 0
      const ok = await run(["identities", "get", ids[0], ids[1], "-o", "json"], { env })
      expect(ok.code).toBe(0)
      expect(JSON.parse(ok.stdout)).toHaveLength(2)
    } finally {
      await many.close()
    }
  }, 120_000)
})
