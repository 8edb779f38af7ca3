/** `identities diff` and `identities apply` as users run them, the sandbox's request log as witness. */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"
import { sandboxPerFile } from "../support/sandbox.js"
import { fullRecord, hashOf, readJsonl, tmpDir } from "./helpers.js"

let sb: Sandbox.SandboxService
sandboxPerFile({ hashCost: 4 }, async (s) => {
  sb = s
  await Effect.runPromise(sb.insertIdentities(Array.from({ length: 10 }, (_, k) => fullRecord(k + 1, hashOf("pw")))))
})

const cli = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile("node", [binPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: sb.url },
      timeout: 90_000
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end()
  })

const writesSince = async (n: number) => (await Effect.runPromise(sb.requests)).slice(n).filter((r) => r.method !== "GET")
const mark = async () => (await Effect.runPromise(sb.requests)).length

describe("identities diff / apply (child process)", () => {
  it("diff shows each change; apply --dry-run writes nothing; apply changes what differs; again changes nothing", async () => {
    const file = path.join(tmpDir(), "desired.jsonl")
    expect((await cli(["identities", "export", "--file", file])).code).toBe(0)
    const desired = readJsonl(file).filter((b) => b.external_id !== "ext-10").map((b) =>
      b.external_id === "ext-3" ? { ...b, traits: { ...(b.traits as object), name: { first: "Grace", last: "3" } } } : b
    )
    desired.push({ traits: { email: "added@example.com", name: { first: "A", last: "D" } } })
    fs.writeFileSync(file, desired.map((d) => JSON.stringify(d)).join("\n") + "\n")

    const m0 = await mark()
    const diff = await cli(["identities", "diff", file, "--prune"])
    expect(diff.code).toBe(0)
    expect(diff.stdout).toContain("~ update ext-3")
    expect(diff.stdout).toContain(`~ /traits/name/first: "U" -> "Grace"`)
    expect(diff.stdout).toContain("+ create added@example.com")
    expect(diff.stdout).toContain("- delete ext-10")
    expect(diff.stdout).toContain("1 to create, 1 to update, 8 unchanged, 1 to delete")
    const dry = await cli(["identities", "apply", file, "--prune", "--dry-run"])
    expect(dry.code).toBe(0)
    const refused = await cli(["identities", "apply", file, "--prune"])
    expect(refused.code).toBe(2)
    expect(await writesSince(m0)).toEqual([])

    const applied = await cli(["identities", "apply", file, "--prune", "--yes", "-o", "json"])
    expect(applied.code).toBe(0)
    expect(JSON.parse(applied.stdout)).toMatchObject({ created: 1, updated: 1, deleted: 1, complete: true })
    expect((await writesSince(m0)).map((w) => w.operation).sort()).toEqual(["batchPatchIdentities", "deleteIdentity", "patchIdentity"])

    const m1 = await mark()
    const again = await cli(["identities", "apply", file, "--prune", "--yes", "-o", "json"])
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/nothing to change \(10 identities/)
    expect(await writesSince(m1)).toEqual([])
  }, 180_000)

  it("a record with a number JSON.parse would round: refused by line and path (never the value), nothing written", async () => {
    const file = path.join(tmpDir(), "big.jsonl")
    fs.writeFileSync(
      file,
      `{"traits":{"email":"big-a@example.com","name":{"first":"A","last":"B"}}}\n` +
        `{"traits":{"email":"big-b@example.com","name":{"first":"A","last":"B"}},"metadata_admin":{"legacy":[7,98765432109876543210]}}\n`
    )
    const m0 = await mark()
    for (const args of [["identities", "diff", file], ["identities", "apply", file, "--yes"]]) {
      const r = await cli(args)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`${file}: line 2: the number at metadata_admin.legacy[1] has more digits than this tool keeps`)
      expect(r.stderr).not.toContain("98765432109876543210")
    }
    expect(await writesSince(m0)).toEqual([])
  })
})
