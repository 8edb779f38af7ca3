/**
 * `kratos-admin schemas` against a self-hosted Kratos: its admin port redirects the schema routes to
 * the public API (307), and the binary follows, leaving the key behind.
 */
import { describe, expect, it } from "vitest"
import { run, server } from "./binary.js"

describe("kratos-admin schemas against a self-hosted Kratos' admin port (binary)", () => {
  it("follows its redirect of /schemas to the public API, without the key", async () => {
    const publicKeys: Array<string | undefined> = []
    const pub = await server((req, res) => {
      publicKeys.push(req.headers.authorization)
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" })
      res.end(req.url === "/schemas" ? JSON.stringify([{ id: "default", schema: { type: "object" } }]) : JSON.stringify({ type: "object" }))
    })
    const adminKeys: Array<string | undefined> = []
    const admin = await server((req, res) => {
      adminKeys.push(req.headers.authorization)
      res.writeHead(307, { location: `${pub.url}${req.url}`, "content-type": "text/html; charset=utf-8" })
      res.end(`<a href="${pub.url}${req.url}">Temporary Redirect</a>.\n`)
    })
    try {
      const listed = await run(["--url", admin.url, "--api-key", "ory_pat_k", "schemas", "list", "-o", "json"])
      expect(listed.code).toBe(0)
      expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((s) => s.id)).toEqual(["default"])
      const one = await run(["--url", admin.url, "--api-key", "ory_pat_k", "schemas", "get", "default", "-o", "json"])
      expect([one.code, JSON.parse(one.stdout)]).toEqual([0, { type: "object" }])
      expect(adminKeys).toEqual(["Bearer ory_pat_k", "Bearer ory_pat_k"])
      expect(publicKeys).toEqual([undefined, undefined])
    } finally {
      await admin.close()
      await pub.close()
    }
  }, 60_000)
})
