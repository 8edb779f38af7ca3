/**
 * `format: "email"` as Kratos v26.2.0 checks it. Each verdict was Kratos v26.2.0's own answer to a
 * create with that email trait (the default email schema): 201 (true) or its 400 "is not valid
 * \"email\"" (false).
 */
import { describe, expect, it } from "@effect/vitest"
import { isGoEmail, isGoEmailPlain } from "../../src/internal/goEmailFormat.js"
import { compileSchema, defaultIdentitySchema, validateTraits } from "../../src/internal/sandbox/schemas.js"
import * as ImportSchema from "../../src/internal/import/schema.js"

const kratos: ReadonlyArray<readonly [string, boolean]> = [
  ["ann@example.com", true],
  ["ab@b", true],
  ["ann@localhost", true],
  ["\"q\"@x", true],
  ["\"a b\"@x.org", true],
  ["\"\"@x.org", false],
  ["\"a\\\"b\"@x.org", true],
  ["a@-b", false],
  ["a@b-", false],
  ["a@b..c", false],
  ["a@b.", false],
  ["a@[1.2.3.4]", false],
  ["Ann <a@b.c>", false],
  ["a.@b.c", false],
  [".a@b.c", false],
  ["a..b@c.d", false],
  ["a@b_c.d", false],
  ["a+tag@x.io", true],
  ["a!#$%&'*+/=?^_`{|}~-@x.io", true],
  ["\u00fc@x.io", true],
  ["a@\u00fc.io", false],
  [" a@x.io", true],
  ["a @x.io", false],
  ["a@x.io ", false],
  ["a(c)@x.io", false],
  ["a@x-.io", false],
  ["a@x.-io", true],
  ["x@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.io", true],
  ["x@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.io", false],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.io", true],
  ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.io", false],
  ["a@b@c.io", false],
  ["\"a@b\"@c.io", true],
  ["a\tb@c.io", false],
  ["a,b@c.io", false],
  ["a;b@c.io", false],
  ["a@1.2.3.4", true],
  ["a@123", true],
  ["@x.io", false],
  ["a@", false],
  ["\u00c4\u00e9@x.io", true],
  ["a\u2003b@x.io", true],
]

describe("the email format Kratos v26.2.0 applies", () => {
  it.each(kratos)("%j: Kratos says %s", (email, valid) => {
    expect(isGoEmail(email)).toBe(valid)
  })

  it("the fast path for common addresses answers as the plain check, on Kratos' table and on generated addresses", () => {
    for (const [email] of kratos) expect([email, isGoEmail(email)]).toEqual([email, isGoEmailPlain(email)])
    // generated near the fast path's edges: lengths, hyphens, dots, specials, non-ASCII
    const pieces = ["a", "Z9", "-", ".", "..", "_", "+", "!", "é", " ", "\"", "@", "x".repeat(63), "y".repeat(64), "1"]
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    const part = () => Array.from({ length: 1 + Math.floor(next() * 4) }, () => pieces[Math.floor(next() * pieces.length)]).join("")
    for (let i = 0; i < 20_000; i++) {
      const email = `${part()}@${part()}${next() < 0.5 ? "." + part() : ""}`
      expect([email, isGoEmail(email)]).toEqual([email, isGoEmailPlain(email)])
    }
    for (const email of ["a@" + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63) + "." + "e".repeat(61), "l".repeat(64) + "@x.io", "l".repeat(65) + "@x.io"]) {
      expect([email, isGoEmail(email)]).toEqual([email, isGoEmailPlain(email)])
    }
  })

  it("the sandbox takes what Kratos takes and refuses what it refuses", () => {
    const entry = compileSchema("default", defaultIdentitySchema)
    for (const [email, valid] of kratos) {
      const accepted = (() => {
        try {
          validateTraits(entry, { email })
          return true
        } catch {
          return false
        }
      })()
      expect([email, accepted]).toEqual([email, valid && email.length >= 3])
    }
  })

  it("the importer checks records against the same format (its --dry-run predicts Kratos' answer)", () => {
    const schema = ImportSchema.compile("default", defaultIdentitySchema)
    for (const [email, valid] of kratos) {
      expect([email, ImportSchema.check(schema, { email }) === undefined]).toEqual([email, valid && email.length >= 3])
    }
  })
})
