/**
 * `kratos-admin identities export` as users run it: a child process against a loopback sandbox,
 * its file re-imported by `identities import`, Ctrl-C (SIGINT) in the middle of a JSON export.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"
import { sandboxPerFile } from "../support/sandbox.js"
import { fullRecord, hashOf, readJsonl, tmpDir } from "./helpers.js"

let source: Sandbox.SandboxService
let target: Sandbox.SandboxService

sandboxPerFile({ hashCost: 4 }, async (s) => {
  source = s
  const hash = hashOf("known-password")
  await Effect.runPromise(source.insertIdentities(Array.from({ length: 300 }, (_, k) => fullRecord(k + 1, hash))))
})
sandboxPerFile({ hashCost: 4 }, (s) => {
  target = s
})
let inexact: Sandbox.SandboxService
sandboxPerFile({ hashCost: 4 }, async (s) => {
  inexact = s
  const hash = hashOf("known-password")
  await Effect.runPromise(inexact.insertIdentities([{ ...fullRecord(1, hash), metadata_public: { big: 2 ** 60 } }, fullRecord(2, hash)]))
})

const cli = (url: string, args: ReadonlyArray<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile("node", [binPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: url },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end()
  })

describe("identities export (child process)", () => {
  it("exports with credentials to a 0600 file that identities import takes as it is", async () => {
    const file = path.join(tmpDir(), "all.jsonl")
    const out = await cli(source.url, ["identities", "export", "--include-credentials", "--file", file, "--page-size", "70"])
    expect(out.stderr).toMatch(/exported 300 identities to .*all\.jsonl with password, oidc, saml credentials/)
    expect(out.code).toBe(0)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const lines = readJsonl(file)
    expect(lines).toHaveLength(300)
    expect(lines.filter((l) => (l as { credentials?: { password?: unknown } }).credentials?.password !== undefined)).toHaveLength(300)

    const imported = await cli(target.url, ["identities", "import", file, "-o", "json"])
    expect(imported.code).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: 300, complete: true })

    const back = await cli(target.url, ["identities", "export", "--include-credentials=password,oidc,saml"])
    expect(back.code).toBe(0)
    const sort = (xs: Array<Record<string, unknown>>) => xs.sort((a, b) => String(a.external_id).localeCompare(String(b.external_id)))
    expect(sort(back.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)))).toEqual(sort(lines))
  }, 180_000)

  it("names on stderr each identity whose numbers JavaScript's JSON cannot keep exactly, and exports every identity", async () => {
    const file = path.join(tmpDir(), "inexact.jsonl")
    const out = await cli(inexact.url, ["identities", "export", "--file", file])
    expect(out.code).toBe(0)
    expect(out.stderr).toMatch(/warning: identity [0-9a-f-]{36} \(external_id ext-1\): metadata_public\.big holds a number JavaScript's JSON cannot keep exactly/)
    expect(out.stderr.match(/warning:/g)).toHaveLength(1)
    expect(out.stderr).toMatch(/exported 2 identities/)
    expect(readJsonl(file)).toHaveLength(2)
  }, 60_000)

  it("secrets only when asked: no credentials by default, only the types named", async () => {
    const plain = await cli(source.url, ["identities", "export", "--organization-id", "5f4b0c1e-6a57-4c3b-9d45-0a1b2c3d4e5f"])
    expect(plain.code).toBe(0)
    const bodies = plain.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    expect(bodies).toHaveLength(75)
    expect(plain.stdout).not.toContain("credentials")
    const oidc = await cli(source.url, ["identities", "export", "--include-credentials=oidc", "-o", "json"])
    expect(oidc.code).toBe(0)
    expect(oidc.stdout).not.toContain("hashed_password")
    expect((JSON.parse(oidc.stdout) as Array<unknown>).length).toBe(300)
    const bad = await cli(source.url, ["identities", "export", "--include-credentials=totp"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/unknown type totp/)
  }, 180_000)

  it("Ctrl-C in the middle of a JSON export leaves a valid array of what was exported", async () => {
    await Effect.runPromise(source.setOptions({ latency: "150 millis" }))
    try {
      const file = path.join(tmpDir(), "partial.json")
      const child = spawn("node", [binPath, "identities", "export", "-o", "json", "--file", file, "--page-size", "10"], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: source.url },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const code = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)))
      // wait until a few pages are on disk
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline) {
        if (fs.existsSync(file) && fs.readFileSync(file, "utf8").split("\n").length > 30) break
        await new Promise((r) => setTimeout(r, 50))
      }
      child.kill("SIGINT")
      expect(await code).toBe(130)
      const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Array<{ external_id: string }>
      expect(parsed.length).toBeGreaterThanOrEqual(30)
      expect(parsed.length).toBeLessThan(300)
      expect(parsed.length % 10).toBe(0)
    } finally {
      await Effect.runPromise(source.setOptions({ latency: 0 }))
    }
  }, 180_000)
})
