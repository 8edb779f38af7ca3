/**
 * The binary end to end: `node dist/bin/kratos-admin.js ...` (the built binary) as a child process against a sandbox
 * started here (one-shot commands, output formats, exit codes, stdin bodies, confirmation refusal).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFile } from "node:child_process"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"

const bin = binPath
let scope: Scope.CloseableScope
let url = ""

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const sandbox = await Effect.runPromise(Scope.extend(Sandbox.make({ demo: true }), scope))
  url = sandbox.url
})
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const cli = (args: ReadonlyArray<string>, options: { input?: string; env?: Record<string, string> } = {}) =>
  new Promise<Result>((resolve) => {
    const child = execFile("node", [bin, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KRATOS_ADMIN_URL: url,
        ...options.env
      },
      timeout: 60_000
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end(options.input ?? "")
  })

describe("kratos-admin (child process)", () => {
  it("prints JSON when piped, JSONL and tables on request, without colour", async () => {
    const [json, table] = await Promise.all([
      cli(["identities", "list", "--page-size", "2"]),
      cli(["identities", "list", "--page-size", "2", "-o", "table"])
    ])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toHaveLength(2)
    expect(json.stderr).toMatch(/next page token/)
    expect(table.stdout).toMatch(/^ID\s+IDENTIFIER\s+STATE/)
    expect(table.stdout).not.toMatch(/\x1b/)
  })

  it("exit codes: 0 success, 1 API failure, 2 usage error", async () => {
    const [notFound, typo, unconfigured] = await Promise.all([
      cli(["identities", "get", "00000000-0000-4000-8000-000000000001"]),
      cli(["identities", "lst"]),
      cli(["identities", "list"], { env: { KRATOS_ADMIN_URL: "" } })
    ])
    expect(notFound.code).toBe(1)
    expect(notFound.stderr.trim().split("\n")).toHaveLength(1)
    expect(notFound.stderr).toMatch(/^error: 404 NotFound in getIdentity: .*; request id \S+/)
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain("Did you mean 'list'?")
    expect(unconfigured.code).toBe(2)
    expect(unconfigured.stderr).toContain("no server configured")
  })

  it("creates from stdin (--file -), refuses to delete without --yes when not a terminal", async () => {
    const created = await cli(["identities", "create", "--file", "-"], {
      input: JSON.stringify({ schema_id: "default", traits: { email: "stdin-e2e@example.com" } })
    })
    expect(created.code).toBe(0)
    const identity = JSON.parse(created.stdout)
    expect(identity.traits.email).toBe("stdin-e2e@example.com")
    const refused = await cli(["identities", "delete", identity.id])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("pass --yes")
    const deleted = await cli(["identities", "delete", identity.id, "--yes"])
    expect(deleted.code).toBe(0)
    const badJson = await cli(["identities", "create", "--file", "-"], { input: "{nope" })
    expect(badJson.code).toBe(2)
    expect(badJson.stderr).toContain("stdin is not valid JSON")
  })

  it("never prints a password hash; --url beats the environment", async () => {
    const created = await cli([
      "--url",
      url,
      "identities",
      "create",
      "--trait",
      "email=hash-e2e@example.com",
      "--password",
      "pw-e2e-123456"
    ], { env: { KRATOS_ADMIN_URL: "http://127.0.0.1:9" } })
    expect(created.code).toBe(0)
    const id = JSON.parse(created.stdout).id
    const got = await cli(["identities", "get", id, "--include-credential", "password"])
    expect(got.code).toBe(0)
    expect(got.stdout).not.toMatch(/\$2[aby]\$/)
    expect(got.stdout).not.toContain("pw-e2e-123456")
  })
})
