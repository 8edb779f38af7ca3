/**
 * `kratos-admin sandbox` as users start it: the built binary, serving on loopback until SIGINT.
 */
import { describe, expect, it } from "vitest"
import { sandboxBinary as serve } from "./binary.js"

const json = { "content-type": "application/json" }

/** The same three requests against either kind of sandbox: a miss, a create, a batch whose items all conflict. */
const exchanges = async (base: string) => {
  const missing = await fetch(`${base}/admin/identities/00000000-0000-4000-8000-000000000000`)
  const missingBody = (await missing.json()) as { error: { request?: string } }
  const created = await fetch(`${base}/admin/identities`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ traits: { email: "one@b.co" } })
  })
  const batch = await fetch(`${base}/admin/identities`, {
    method: "PATCH",
    headers: json,
    body: JSON.stringify({ identities: [{ create: { traits: { email: "one@b.co" } } }, { create: { traits: { email: "one@b.co" } } }] })
  })
  return { missing, missingBody, created, batch }
}

describe("kratos-admin sandbox (binary)", () => {
  it("--ory-network answers as an Ory Network project: request ids in errors, 409 for an all-failed batch", async () => {
    const sb = await serve(["--ory-network"])
    try {
      expect(sb.out).toContain("answers as Ory Network")
      const { batch, created, missing, missingBody } = await exchanges(sb.base)
      expect(missing.status).toBe(404)
      expect(missingBody.error.request).toBe(missing.headers.get("x-request-id"))
      expect(created.status).toBe(201)
      expect(created.headers.get("x-ratelimit-limit")).not.toBeNull()
      expect(batch.status).toBe(409)
    } finally {
      expect(await sb.stop()).not.toBe(null)
    }
  }, 60_000)

  it("without it, Kratos' own answers: no request id unless sent, 200 for an all-failed batch, no rate limits", async () => {
    const sb = await serve([])
    try {
      const { batch, created, missingBody } = await exchanges(sb.base)
      expect(missingBody.error.request).toBeUndefined()
      expect(created.headers.get("x-ratelimit-limit")).toBeNull()
      expect(batch.status).toBe(200)
    } finally {
      await sb.stop()
    }
  }, 60_000)
})
