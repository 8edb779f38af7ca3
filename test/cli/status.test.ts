/**
 * `status` and `connect` check the target with one cheap request: reachable or not, key accepted
 * or refused, latency; `status --check` exits 1 when the target does not answer or refuses the key.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { kratosError, pty, run, sandbox, server } from "./binary.js"

let sb: Awaited<ReturnType<typeof sandbox>>
let refusing: Awaited<ReturnType<typeof server>>
beforeAll(async () => {
  sb = await sandbox()
  refusing = await server((_, res) => kratosError(res, 401, "Unauthorized"))
})
afterAll(() => Promise.all([sb.close(), refusing.close()]))

describe("status", () => {
  it("reports reachable, auth accepted and a whole-millisecond latency; --check exits 0", async () => {
    const r = await run(["status", "--check", "-o", "json", "--url", sb.url])
    expect(r.code).toBe(0)
    const st = JSON.parse(r.stdout)
    expect(st.reachable).toBe(true)
    expect(st.auth).toBe("accepted")
    expect(Number.isInteger(st.latencyMs)).toBe(true)
    // every number rounded (no 0.5386666666666666)
    expect(r.stdout).not.toMatch(/\d\.\d{3,}/)
  }, 60_000)

  it("a refused key is reported (401) and --check exits 1", async () => {
    const [plain, checked] = await Promise.all([
      run(["status", "-o", "json", "--url", refusing.url, "--api-key", "wrong"]),
      run(["status", "--check", "-o", "json", "--url", refusing.url, "--api-key", "wrong"])
    ])
    expect(plain.code).toBe(0)
    expect(JSON.parse(plain.stdout).auth).toBe("refused (401)")
    expect(checked.code).toBe(1)
    expect(checked.stderr).toContain("check failed")
  }, 60_000)

  it("a target that does not answer: not reachable, --check exits 1", async () => {
    const r = await run(["status", "--check", "-o", "json", "--url", "http://127.0.0.1:1", "--deadline", "2s"])
    expect(r.code).toBe(1)
    const st = JSON.parse(r.stdout)
    expect(st.reachable).toBe(false)
    expect(st.problem).toMatch(/ConnectionRefused|Deadline/)
  }, 60_000)
})

describe("connect (REPL)", () => {
  it("says what it found instead of a bare 'connected'", async () => {
    const r = await pty([
      { expect: "> ", timeout: 30 },
      { send: "connect --url http://127.0.0.1:1\r" },
      { expect: "connected to 127\\.0\\.0\\.1:1: not reachable", timeout: 40 },
      { send: `connect --url ${sb.url}\r` },
      { expect: "reachable, auth accepted, \\d+ ms", timeout: 30 },
      { eof: true }
    ], ["repl"], { KRATOS_ADMIN_HISTORY: "/dev/null" })
    expect(r.ok, r.output).toBe(true)
  }, 120_000)
})
