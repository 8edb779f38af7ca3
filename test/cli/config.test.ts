/**
 * Configuration errors are usage errors (exit 2, a clear message), never transport errors, and
 * user info in --url is never printed.
 */
import { describe, expect, it } from "@effect/vitest"
import * as dns from "node:dns/promises"
import { run } from "./binary.js"

describe("configuration errors", () => {
  it("--url notaurl, --url ftp://…, a key over plain http to another host: exit 2 with the reason", async () => {
    const [bad, ftp, insecure] = await Promise.all([
      run(["identities", "list", "--url", "notaurl"]),
      run(["identities", "list", "--url", "ftp://kratos.example.com"]),
      run(["identities", "list", "--url", "http://kratos.example.com:4434", "--api-key", "k-123-secret"])
    ])
    for (const r of [bad, ftp, insecure]) {
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).not.toContain("TransportError")
      expect(r.stderr).toMatch(/^error: /)
    }
    expect(bad.stderr).toContain("notaurl")
    expect(ftp.stderr).toContain("http(s)")
    expect(insecure.stderr).toContain("plain http")
    expect(insecure.stderr).not.toContain("k-123-secret")
  }, 60_000)

  it("a key over http to *.localhost is refused unless that name resolves to loopback", async () => {
    const host = "kratos.invalid-name-for-test.localhost"
    // whether the resolver maps *.localhost to loopback depends on the machine
    const loopback = await dns.lookup(host, { all: true }).then(
      (all) => all.every((a) => a.address.startsWith("127.") || a.address === "::1"),
      () => false
    )
    const r = await run(["identities", "list", "--url", `http://${host}:4434`, "--api-key", "k"])
    if (loopback) expect(r.stderr).not.toContain("plain http")
    else {
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("plain http")
    }
  }, 60_000)

  it("user info in --url is refused and never printed", async () => {
    const r = await run(["identities", "list", "--url", "http://admin:hunter2-secret@127.0.0.1:9"])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/user info/)
    expect(r.stderr + r.stdout).not.toContain("hunter2-secret")
  }, 60_000)
})
