/**
 * `--where EXPR` on the bulk commands, through the built binary against a sandbox: the plan of a
 * dry run counts exactly the identities the jq expression holds for, a real run writes to exactly
 * those (the sandbox's request log), a bad expression is a usage error before any request.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { run, sandbox } from "./binary.js"

let sb: Awaited<ReturnType<typeof sandbox>>
let env: Record<string, string>
let cwd: string
let all: Array<{ id: string; traits: { email: string }; metadata_public: { tier: string } | null }>

beforeAll(async () => {
  sb = await sandbox()
  env = { KRATOS_ADMIN_URL: sb.url }
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), "ka-where-"))
  const identities = Array.from({ length: 60 }, (_, i) => ({
    create: {
      schema_id: "default",
      traits: { email: `user-${i}@${i % 3 === 0 ? "old" : "new"}.example.com` },
      metadata_public: { tier: i % 4 === 0 ? "gold" : "basic" }
    }
  }))
  const res = await fetch(`${sb.url}/admin/identities`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ identities })
  })
  expect(res.status).toBe(200)
  all = JSON.parse((await run(["identities", "list", "--all", "-o", "json"], { env })).stdout)
  expect(all).toHaveLength(60)
})
afterAll(async () => {
  await sb.close()
  fs.rmSync(cwd, { recursive: true, force: true })
})

const writes = async (since: number) =>
  (await sb.requests()).slice(since).filter((e) => e.method !== "GET")

describe("--where", () => {
  it("a dry run counts exactly the identities the expression holds for, and sends no write", async () => {
    const before = (await sb.requests()).length
    const old = all.filter((i) => i.traits.email.endsWith("@old.example.com"))
    const r = await run(
      ["identities", "deactivate", "--all", "--where", `.traits.email | endswith("@old.example.com")`, "--dry-run", "-o", "json"],
      { env, cwd }
    )
    expect(r.code).toBe(0)
    const plan = JSON.parse(r.stdout)
    expect(plan["would deactivate"]).toBe(old.length)
    for (const line of plan.sample as Array<string>) expect(line).toMatch(/@old\.example\.com$/)
    // narrowing an ids selection: the gold ones among the first 20
    const first = all.slice(0, 20).map((i) => i.id)
    const gold = all.slice(0, 20).filter((i) => i.metadata_public?.tier === "gold")
    const narrowed = await run(
      ["identities", "delete", "--ids-from", "-", "--where", `.metadata_public.tier == "gold"`, "--dry-run", "-o", "json"],
      { env, cwd, input: first.join("\n") }
    )
    expect(JSON.parse(narrowed.stdout)["would delete"]).toBe(gold.length)
    expect(await writes(before)).toEqual([])
  }, 60_000)

  it("a real run changes exactly the selected identities", async () => {
    const gold = all.filter((i) => i.metadata_public?.tier === "gold")
    const before = (await sb.requests()).length
    const r = await run(
      ["identities", "deactivate", "--all", "--where", `.metadata_public.tier == "gold"`, "--yes", "-o", "json"],
      { env, cwd }
    )
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).changed).toBe(gold.length)
    const written = (await writes(before)).map((e) => e.path.split("/").pop())
    expect(new Set(written)).toEqual(new Set(gold.map((i) => i.id)))
    const after = JSON.parse((await run(["identities", "list", "--all", "-o", "json"], { env })).stdout) as Array<{ id: string; state: string }>
    const inactive = after.filter((i) => i.state === "inactive").map((i) => i.id)
    expect(new Set(inactive)).toEqual(new Set(gold.map((i) => i.id)))
  }, 60_000)

  it("identities export --where exports exactly the identities it holds for", async () => {
    const newOnes = all.filter((i) => i.traits.email.endsWith("@new.example.com"))
    const r = await run(["identities", "export", "--where", `.traits.email | test("@new[.]")`, "-o", "jsonl", "-q"], { env, cwd })
    expect(r.code).toBe(0)
    const bodies = r.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { traits: { email: string } })
    expect(bodies.map((b) => b.traits.email).sort()).toEqual(newOnes.map((i) => i.traits.email).sort())
    const bad = await run(["identities", "export", "--where", ".traits.email | ltrimstr(1) | startswith(1)", "-q"], { env, cwd })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("startswith() requires string inputs")
  }, 60_000)

  it("a bad expression is a usage error with jq's message, before any request", async () => {
    const before = (await sb.requests()).length
    const syntax = await run(["identities", "delete", "--all", "--where", ".traits.email | endswith(", "--dry-run"], { env, cwd })
    expect(syntax.code).toBe(2)
    expect(syntax.stderr).toContain("error: --where: jq: error: syntax error")
    expect((await sb.requests()).length).toBe(before)
    // an error while evaluating names the identity
    const runtime = await run(["sessions", "disable", "--all", "--where", ".traits.email | startswith(1)", "--dry-run"], { env, cwd })
    expect(runtime.code).toBe(2)
    expect(runtime.stderr).toMatch(/--where: jq: error \(identity [0-9a-f-]{36}\): startswith\(\) requires string inputs/)
    // --where narrows a selection; it is not one
    const alone = await run(["identities", "delete", "--where", "true", "--dry-run"], { env, cwd })
    expect(alone.code).toBe(2)
    expect(alone.stderr).toContain("--where narrows it")
  }, 60_000)
})
