import { describe, expect, it } from "@effect/vitest"
import * as Option from "effect/Option"
import type * as Operation from "../../src/Operation.js"
import * as Operations from "../../src/Operations.js"
import { allowedMethods, match, resolveRoute } from "../../src/internal/sandbox/router.js"

describe("sandbox router", () => {
  const ops = Object.values(Operations.operations) as ReadonlyArray<Operation.Operation>

  it("routes concrete paths back to their operation", () => {
    for (const op of ops) {
      const path = op.path.replace(/\{[^}]+\}/g, "2ba9d8c4-2c8e-4e02-8f3c-8f7b3c6b7d10")
      const found = match(op.method, path)
      expect(Option.map(found, (m) => m.operation.name)).toEqual(Option.some(op.name))
    }
    expect(match("GET", "/admin/identities/by/external/ext-1").pipe(Option.map((m) => m.params))).toEqual(
      Option.some({ externalID: "ext-1" })
    )
    expect(match("GET", "/admin/unknown")).toEqual(Option.none())
  })

  it("prefixes /admin as the admin port does, and serves schemas under both", () => {
    expect(Option.map(resolveRoute("GET", "/identities"), (r) => r.operation.name)).toEqual(Option.some("listIdentities"))
    expect(Option.map(resolveRoute("GET", "/admin/schemas/default"), (r) => r.operation.name)).toEqual(
      Option.some("getIdentitySchema")
    )
    expect(allowedMethods("/admin/identities")).toEqual(["GET", "POST", "PATCH"])
  })
})
