/**
 * The binary against small hostile loopback servers: refusals (401, 403, 429) are reported by
 * their tag and status, whatever the bundler renamed the classes to.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { kratosError, run, server } from "./binary.js"

let forbidden: Awaited<ReturnType<typeof server>>
let unauthorized: Awaited<ReturnType<typeof server>>
let limited: Awaited<ReturnType<typeof server>>

beforeAll(async () => {
  forbidden = await server((_, res) => kratosError(res, 403, "Forbidden", { "x-request-id": "req-403" }))
  unauthorized = await server((_, res) => kratosError(res, 401, "Unauthorized"))
  limited = await server((_, res) =>
    kratosError(res, 429, "Too Many Requests", { "retry-after": "0", "x-ratelimit-remaining": "0", "x-request-id": "req-429" }))
})
afterAll(() => Promise.all([forbidden.close(), unauthorized.close(), limited.close()]))

describe("hostile servers", () => {
  it("a 403 is reported as `403 Forbidden` by the shipped binary, exit 1", async () => {
    const r = await run(["identities", "list", "--url", forbidden.url])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(/^error: 403 Forbidden in listIdentities: .*request id req-403/)
  }, 60_000)

  it("a 401 is reported as `401 Unauthorized`, exit 1", async () => {
    const r = await run(["identities", "get", "00000000-0000-4000-8000-000000000001", "--url", unauthorized.url])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: 401 Unauthorized in getIdentity/)
  }, 60_000)

  it("a server that always answers 429 is reported as `429 TooManyRequests` after the retries, exit 1", async () => {
    const r = await run(["schemas", "list", "--url", limited.url], { timeout: 120_000 })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: 429 TooManyRequests in listIdentitySchemas/)
  }, 130_000)

  it("--debug: every attempt on stderr (method, path and query, status, attempt, rate-limit headers, request id), never the key", async () => {
    const r = await run(["identities", "list", "--page-size", "3", "--debug", "--url", limited.url, "--api-key", "k-debug-secret"], {
      timeout: 120_000
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("debug: "))
    expect(lines.length).toBeGreaterThan(1)
    expect(lines[0]).toMatch(/^debug: GET \/admin\/identities\?page_size=3 -> 429 \d+ms attempt 1 .*x-ratelimit-remaining=0.*retry-after=0|^debug: GET \/admin\/identities\?page_size=3 -> 429 \d+ms attempt 1 .*retry-after=0.*x-ratelimit-remaining=0/)
    expect(lines[0]).toContain("request-id=req-429")
    expect(lines[0]).toContain("authorization=<redacted>")
    expect(lines[1]).toContain("attempt 2")
    expect(r.stderr).not.toContain("k-debug-secret")
  }, 130_000)

  it("--timeout and --deadline bound a server that never answers", async () => {
    const stall = await server(() => {/* never answers */})
    try {
      const r = await run(["schemas", "list", "--url", stall.url, "--timeout", "300ms", "--deadline", "2s"], { timeout: 60_000 })
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/TransportError \((Timeout|Deadline)\)/)
      const bad = await run(["schemas", "list", "--url", stall.url, "--timeout", "soon"])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain("--timeout")
    } finally {
      await stall.close()
    }
  }, 60_000)
})
