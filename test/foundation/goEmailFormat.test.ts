/**
 * `format: "email"` as Kratos v26.2.0 checks it. Each verdict was Kratos v26.2.0's own answer to a
 * create with that email trait (the default email schema): 201 (true) or its 400 "is not valid
 * \"email\"" (false).
 */
import { describe, expect, it } from "@effect/vitest"
import { isGoEmail } from "../../src/internal/goEmailFormat.js"
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
