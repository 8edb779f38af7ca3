/**
 * The exit-code table (README): 0 success, 1 API or network failure, 2 usage error, 3 declined
 * confirmation, 130 interrupted; and trait values as strings unless asked as JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { pty, run, sandbox, server, sh } from "./binary.js"

let sb: Awaited<ReturnType<typeof sandbox>>
beforeAll(async () => {
  sb = await sandbox({ demo: true })
})
afterAll(() => sb.close())

describe("exit codes", () => {
  it("0 success, 1 API failure, 2 usage error, 2 with usage when no command and no terminal", async () => {
    const env = { KRATOS_ADMIN_URL: sb.url }
    const [ok, notFound, typo, badValue, none] = await Promise.all([
      run(["schemas", "list"], { env }),
      run(["identities", "get", "00000000-0000-4000-8000-000000000001"], { env }),
      run(["identities", "lst"], { env }),
      run(["identities", "list", "--consistency", "sometimes"], { env }),
      sh(`$KA < /dev/null | cat`, { env })
    ])
    expect(ok.code).toBe(0)
    expect(notFound.code).toBe(1)
    expect(typo.code).toBe(2)
    expect(badValue.code).toBe(2)
    expect(none.code).toBe(2)
    expect(none.stdout).toBe("")
    expect(none.stderr).toContain("Usage: kratos-admin")
  }, 60_000)

  it("3 when a confirmation is declined on a terminal, and nothing is deleted", async () => {
    const created = await run(["identities", "create", "--trait", "email=decline@example.com", "-o", "json"], { env: { KRATOS_ADMIN_URL: sb.url } })
    const id = JSON.parse(created.stdout).id as string
    const r = await pty([{ expect: "\\[y/N\\]" }, { send: "n\r" }], ["identities", "delete", id], { KRATOS_ADMIN_URL: sb.url })
    expect(r.ok).toBe(true)
    expect(r.exit).toBe(3)
    expect(r.output).toContain("cancelled")
    const still = await run(["identities", "get", id], { env: { KRATOS_ADMIN_URL: sb.url } })
    expect(still.code).toBe(0)
  }, 90_000)

  it("130 when interrupted while waiting for a server", async () => {
    const stall = await server(() => {/* never answers */})
    try {
      const r = await pty([{ expect: "waiting for 127\\.0\\.0\\.1", timeout: 30 }, { send: "\x03" }], ["identities", "list", "--url", stall.url])
      expect(r.ok).toBe(true)
      expect(r.exit).toBe(130)
    } finally {
      await stall.close()
    }
  }, 90_000)
})

describe("trait values", () => {
  it("--trait k=v is a string, --trait-json k=v is JSON", async () => {
    const r = await run([
      "identities",
      "create",
      "--schema-id",
      "customer",
      "--trait",
      "email=strings@example.com",
      "--trait",
      "username=12345",
      "--trait-json",
      "plan=\"pro\"",
      "-o",
      "json"
    ], { env: { KRATOS_ADMIN_URL: sb.url } })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const traits = JSON.parse(r.stdout).traits
    expect(traits.username).toBe("12345")
    expect(traits.plan).toBe("pro")
    const bad = await run(["identities", "create", "--trait-json", "email=not-json"], { env: { KRATOS_ADMIN_URL: sb.url } })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--trait-json email")
  }, 60_000)
})
