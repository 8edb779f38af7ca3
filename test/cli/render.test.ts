import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Redacted from "effect/Redacted"
import { NotFound, TransportError } from "../../src/KratosError.js"
import * as Render from "../../repl/Render.js"

const identity = (n: number) => ({
  id: `0000000${n}-1111-4111-8111-111111111111`,
  external_id: n % 2 === 0 ? `crm-${n}` : undefined,
  schema_id: "default",
  state: "active",
  traits: { email: `user${n}@a-rather-long-domain-name.example.com`, name: { first: "Ann" } },
  created_at: "2026-11-23T10:31:02.123Z",
  updated_at: "2026-11-23T11:00:00Z"
})

describe("Render", () => {
  it("redacts secrets unless revealed", () => {
    const value = {
      tokenized: Redacted.make("tok"),
      credentials: { password: { type: "password", config: { hashed_password: "$2a$12$abc" } } },
      recovery_link: "https://x/recovery?token=abc",
      nested: [{ password: "hunter2" }]
    }
    const plain = JSON.stringify(Render.toPlain(value))
    expect(plain).not.toContain("tok\"")
    expect(plain).not.toContain("$2a$12$abc")
    expect(plain).not.toContain("hunter2")
    expect(plain).not.toContain("token=abc")
    expect(plain).toContain(`"type":"password"`) // the credentials object itself stays
    expect(Render.json(value, true)).toContain("token=abc")
  })

  it("fits identity tables into the width: shrinks flexible columns, then drops the least important", () => {
    const rows = [identity(1), identity(2)]
    const wide = Render.table(Render.identityColumns(rows), { width: 200, color: false })
    expect(wide.split("\n")[0]).toMatch(/^ID\s+IDENTIFIER\s+STATE\s+EXTERNAL ID\s+SCHEMA\s+CREATED\s+UPDATED$/)
    expect(wide).toContain("user1@a-rather-long-domain-name.example.com")
    expect(wide).toContain("2026-11-23 10:31")
    for (const width of [60, 80, 100]) {
      const t = Render.table(Render.identityColumns(rows), { width, color: false })
      for (const line of t.split("\n")) expect(line.length).toBeLessThanOrEqual(width)
      expect(t).toContain(rows[0].id) // the id is never truncated nor dropped
    }
    const narrow = Render.table(Render.identityColumns(rows), { width: 60, color: false })
    expect(narrow).not.toContain("UPDATED")
    expect(narrow).toContain("…")
  })

  it("colours only when asked", () => {
    expect(Render.table(Render.identityColumns([identity(1)]), { width: 200, color: false })).not.toMatch(/\x1b/)
    expect(Render.table(Render.identityColumns([identity(1)]), { width: 200, color: true })).toMatch(/\x1b\[1m/)
  })

  it("renders sessions with identity, active, aal and expiry", () => {
    const t = Render.table(
      Render.sessionColumns([{
        id: "s1",
        active: true,
        authenticator_assurance_level: "aal2",
        expires_at: "2026-12-01T00:00:00Z",
        identity: identity(3)
      }]),
      { width: 200, color: false }
    )
    expect(t).toMatch(/s1\s+user3@\S+\s+yes\s+aal2\s+2026-12-01 00:00/)
  })

  it("describes an error on one line with status, tag, message, reason and request id", () => {
    const e = new NotFound({
      operation: "getIdentity",
      status: 404,
      message: "Unable to locate the resource",
      reason: "no such identity",
      requestId: "req-1",
      attempts: 1,
      details: { hint: "x" },
      retryAfter: Duration.seconds(2)
    })
    const line = Render.errorLine(e)
    expect(line).toBe("error: 404 NotFound in getIdentity: Unable to locate the resource — no such identity; request id req-1; retry after Duration(2s)")
    expect(line.split("\n")).toHaveLength(1)
    expect(Render.errorLine(e, true)).toContain("attempts 1; details {\"hint\":\"x\"}")
    const t = new TransportError({ operation: "listIdentities", reason: "ConnectionRefused", message: "ECONNREFUSED", sent: false, attempts: 4 })
    expect(Render.errorLine(t)).toBe("error: TransportError (ConnectionRefused) in listIdentities: ECONNREFUSED")
  })

  it("identifies identities by email, username or credential identifier", () => {
    expect(Render.identifierOf({ traits: { username: "ann" } })).toBe("ann")
    expect(Render.identifierOf({ traits: {}, credentials: { password: { identifiers: ["x@y"] } } })).toBe("x@y")
    expect(Render.identifierOf(null)).toBe("")
  })
})
