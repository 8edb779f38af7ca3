/**
 * Bulk changes through `kratos-admin` as users run it: child processes against a loopback sandbox,
 * its request log as the witness of what was written.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"
import { sandboxPerFile } from "../support/sandbox.js"
import { fullRecord, hashOf, tmpDir } from "./helpers.js"

let sb: Sandbox.SandboxService
const org = "5f4b0c1e-6a57-4c3b-9d45-0a1b2c3d4e5f"
const hash = hashOf("pw")

sandboxPerFile({ hashCost: 4 }, (s) => {
  sb = s
})

const run = <A>(e: Effect.Effect<A>) => Effect.runPromise(e)
const seed = async (n: number) => {
  await run(sb.reset)
  return run(sb.insertIdentities(Array.from({ length: n }, (_, k) => fullRecord(k + 1, hash))))
}

const cli = (args: ReadonlyArray<string>, cwd: string, input = "") =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile("node", [binPath, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: sb.url },
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end(input)
  })

const writesSince = async (n: number) => (await run(sb.requests)).slice(n).filter((r) => r.method !== "GET")

describe("bulk changes (child process)", () => {
  it("--dry-run prints the count and a sample and writes nothing; without a terminal a change needs --yes", async () => {
    await seed(120)
    const dir = tmpDir()
    const before = (await run(sb.requests)).length
    const dry = await cli(["identities", "deactivate", "--organization-id", org, "--dry-run", "-o", "json"], dir)
    expect(dry.code).toBe(0)
    const plan = JSON.parse(dry.stdout)
    expect(plan["would deactivate"]).toBe(20)
    expect(plan["already so"]).toBe(10)
    expect(plan.sample).toHaveLength(5)
    const refused = await cli(["identities", "deactivate", "--organization-id", org], dir)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/pass --yes/)
    const noSelector = await cli(["identities", "delete"], dir)
    expect(noSelector.code).toBe(2)
    expect(await writesSince(before)).toEqual([])

    const done = await cli(["identities", "deactivate", "--organization-id", org, "--yes", "-o", "json"], dir)
    expect(done.code).toBe(0)
    expect(JSON.parse(done.stdout)).toMatchObject({ planned: 20, changed: 20, failed: 0 })
    const writes = await writesSince(before)
    expect(writes).toHaveLength(20)
    expect(writes.every((w) => w.method === "PATCH" && w.status === 200)).toBe(true)
    const inactive = (await run(sb.identities)).filter((i) => i.organization_id === org && i.state === "inactive")
    expect(inactive).toHaveLength(30)
    // complete: nothing left to resume
    expect(fs.readdirSync(dir)).toEqual([])
  }, 180_000)

  it("patch a trait everywhere from --ids-from stdin; failures are reported and exit 1", async () => {
    const ids = (await seed(30)).map((i) => i.id)
    const dir = tmpDir()
    await run(sb.script("patchIdentity", [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]))
    const out = await cli(
      ["identities", "patch", "--ids-from", "-", "--path", "/traits/name/first", "--value", "Patched", "--yes", "-o", "json", "--concurrency", "1"],
      dir,
      ids.join("\n") + "\n"
    )
    expect(out.code).toBe(1)
    const report = JSON.parse(out.stdout)
    expect(report.planned).toBe(30)
    expect(report.failed + report.changed).toBe(30)
    expect(report.failed).toBeGreaterThanOrEqual(1)
    expect(out.stderr).toMatch(/failed [0-9a-f-]{36}: 500/)
    const patched = (await run(sb.identities)).filter((i) => (i.traits as { name: { first: string } }).name.first === "Patched")
    expect(patched).toHaveLength(report.changed)
    // the journal stays for an incomplete change
    expect(fs.existsSync(path.join(dir, "kratos-admin-patch.journal.jsonl"))).toBe(true)
  }, 180_000)

  it("a refused patch is reported with Kratos' reason as it came, every line and space of it", async () => {
    const ids = (await seed(3)).map((i) => i.id)
    const dir = tmpDir()
    // the reason Kratos v26.2.0 gives a PATCH that sets /traits/email to "not-an-email"
    const reason = [
      `I[#/traits/email] S[#/properties/traits/properties/email] validation failed`,
      `  I[#/traits/email] S[#/properties/traits/properties/email/format] "not-an-email" is not valid "email"`,
      `  I[#/traits/email] S[#/properties/traits/properties/email/format] "not-an-email" is not valid "email"`
    ].join("\n")
    await run(sb.script("patchIdentity", ids.map(() => ({ status: 400, reason }))))
    const out = await cli(
      ["identities", "patch", "--ids-from", "-", "--path", "/traits/email", "--value", "not-an-email", "--yes", "-o", "json"],
      dir,
      ids.join("\n") + "\n"
    )
    expect(out.code).toBe(1)
    const report = JSON.parse(out.stdout)
    expect(report).toMatchObject({ planned: 3, changed: 0, failed: 3 })
    expect([...report.failures].sort()).toEqual(ids.map((id) => `${id}: 400 ${reason}`).sort())
    for (const id of ids) expect(out.stderr).toContain(`failed ${id}: 400 ${reason}\n`)
  }, 180_000)

  it("killed mid-run (SIGKILL), --resume finishes the deletes without repeating one", async () => {
    await seed(300)
    const dir = tmpDir()
    const before = (await run(sb.requests)).length
    await run(Effect.orDie(sb.setOptions({ latency: "15 millis" })))
    const child = spawn("node", [binPath, "identities", "delete", "--all", "--yes", "--concurrency", "4"], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: sb.url },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()))
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && (await run(sb.identities)).length > 180) await new Promise((r) => setTimeout(r, 10))
    child.kill("SIGKILL")
    await exited
    await run(Effect.orDie(sb.setOptions({ latency: 0 })))
    const left = (await run(sb.identities)).length
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThan(300)

    const again = await cli(["identities", "delete", "--all", "--yes"], dir)
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/unfinished change: continue it with --resume/)

    const resumed = await cli(["identities", "delete", "--resume", "-o", "json"], dir)
    expect(resumed.code).toBe(0)
    const report = JSON.parse(resumed.stdout)
    expect(report.planned).toBe(300)
    expect(report.deleted + (report["already done"] ?? 0)).toBe(300)
    expect(await run(sb.identities)).toHaveLength(0)
    const deletes = (await writesSince(before)).filter((w) => w.method === "DELETE")
    const perPath = new Map<string, number>()
    for (const d of deletes) perPath.set(d.path, (perPath.get(d.path) ?? 0) + 1)
    expect(perPath.size).toBe(300)
    expect([...perPath.values()].filter((n) => n > 1)).toEqual([])
    expect(deletes.every((d) => d.status === 204)).toBe(true)
  }, 180_000)

  it("ids given that no identity has are named on stderr (left out); the others are deleted", async () => {
    const ids = (await seed(5)).map((i) => i.id)
    const unknown = ["0b5e7a4c-0000-4000-8000-00000000aaaa", "0b5e7a4c-0000-4000-8000-00000000bbbb"]
    const dir = tmpDir()
    const dry = await cli(["identities", "delete", "--ids-from", "-", "--dry-run", "-o", "json"], dir, [...ids.slice(0, 3), ...unknown].join("\n") + "\n")
    expect(dry.code).toBe(0)
    expect(JSON.parse(dry.stdout)).toMatchObject({ "would delete": 3, "not found": 2 })
    expect(dry.stderr).toContain(`warning: 2 of the ids given match no identity (left out): ${unknown.join(", ")}`)
    const out = await cli(["identities", "delete", "--ids-from", "-", "--yes", "-o", "json"], dir, [ids[0].toUpperCase(), unknown[0]].join("\n") + "\n")
    expect(out.code).toBe(0)
    expect(out.stderr).toContain(`warning: 1 of the ids given matches no identity (left out): ${unknown[0]}`)
    expect(JSON.parse(out.stdout)).toMatchObject({ planned: 1, deleted: 1 })
    expect((await run(sb.identities)).map((i) => i.id).sort()).toEqual(ids.slice(1).sort())
  }, 120_000)

  it("sessions disable and identities delete-sessions over a selector", async () => {
    const ids = (await seed(12)).map((i) => i.id)
    for (const id of ids) {
      await run(Effect.orDie(sb.createSession(id)))
      await run(Effect.orDie(sb.createSession(id)))
    }
    const dir = tmpDir()
    const disabled = await cli(["sessions", "disable", "--ids", ids.slice(0, 4).join(","), "--yes", "-o", "json"], dir)
    expect(disabled.code).toBe(0)
    expect(JSON.parse(disabled.stdout)).toMatchObject({ planned: 4, changed: 4 })
    const deleted = await cli(["identities", "delete-sessions", "--organization-id", org, "--yes", "-o", "json"], dir)
    expect(deleted.code).toBe(0)
    expect(JSON.parse(deleted.stdout)).toMatchObject({ planned: 3, changed: 3 })
    const log = await run(sb.requests)
    expect(log.filter((r) => r.operation === "disableSession" && r.status === 204)).toHaveLength(8)
    expect(log.filter((r) => r.operation === "deleteIdentitySessions" && r.status === 204)).toHaveLength(3)
  }, 180_000)
})
