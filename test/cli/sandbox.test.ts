/**
 * `kratos-admin sandbox` as users start it: the built binary, serving on loopback until SIGINT.
 */
import { describe, expect, it } from "vitest"
import { sandboxBinary as serve } from "./binary.js"

describe("kratos-admin sandbox (binary)", () => {
  it("--ory-network answers as an Ory Network project: request ids in errors, 409 for an all-failed batch", async () => {
    const sb = await serve(["--ory-network"])
    try {
      expect(sb.out).toContain("answers as Ory Network")
      const missing = await fetch(`${sb.base}/admin/identities/00000000-0000-4000-8000-000000000000`)
      expect(missing.status).toBe(404)
      const body = (await missing.json()) as { error: { request?: string } }
      expect(body.error.request).toBe(missing.headers.get("x-request-id"))
      const created = await fetch(`${sb.base}/admin/identities`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ traits: { email: "one@b.co" } })
      })
      expect(created.status).toBe(201)
      expect(created.headers.get("x-ratelimit-limit")).not.toBeNull()
      const batch = await fetch(`${sb.base}/admin/identities`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ identities: [{ create: { traits: { email: "one@b.co" } } }, { create: { traits: { email: "one@b.co" } } }] })
      })
      expect(batch.status).toBe(409)
    } finally {
      expect(await sb.stop()).not.toBe(null)
    }
  }, 60_000)

  it("without it, Kratos' own answers: no request id unless sent, 200 for an all-failed batch, no rate limits", async () => {
    const sb = await serve([])
    try {
      const missing = await fetch(`${sb.base}/admin/identities/00000000-0000-4000-8000-000000000000`)
      expect(((await missing.json()) as { error: { request?: string } }).error.request).toBeUndefined()
      const created = await fetch(`${sb.base}/admin/identities`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ traits: { email: "one@b.co" } })
      })
      expect(created.headers.get("x-ratelimit-limit")).toBeNull()
      const batch = await fetch(`${sb.base}/admin/identities`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ identities: [{ create: { traits: { email: "one@b.co" } } }, { create: { traits: { email: "one@b.co" } } }] })
      })
      expect(batch.status).toBe(200)
    } finally {
      await sb.stop()
    }
  }, 60_000)
})
