/**
 * The ajv fast path of response decoding: for a schema that only validates, JSON that ajv accepts
 * must be exactly what the Effect decoder makes of it, and JSON the decoder refuses must never
 * pass ajv.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { BatchPatchIdentitiesResponse } from "../../src/BatchPatch.js"
import { CreateIdentityBody, Identity } from "../../src/Identity.js"
import { isPlainValidation, wireCheck } from "../../src/internal/wireCheck.js"
import * as Operation from "../../src/Operation.js"
import { operations } from "../../src/Operations.js"

const plainSchemas = Object.values(operations as Record<string, Operation.Operation>).flatMap((op) =>
  Object.entries(op.success).flatMap(([status, s]) =>
    s !== Operation.NoContent && isPlainValidation(s.ast) ? [[`${op.name} ${status}`, s] as const] : []
  )
)

describe("wireCheck", () => {
  it("knows which schemas only validate", () => {
    expect(isPlainValidation(BatchPatchIdentitiesResponse.ast)).toBe(true)
    expect(isPlainValidation(Identity.ast)).toBe(true)
    // passwords become Redacted: a transformation
    expect(isPlainValidation(CreateIdentityBody.ast)).toBe(false)
    expect(isPlainValidation(Schema.Date.ast)).toBe(false)
    expect(isPlainValidation(Schema.String.pipe(Schema.filter((s) => s.length > 2)).ast)).toBe(false)
    expect(isPlainValidation(Schema.String.pipe(Schema.minLength(2)).ast)).toBe(true)
    expect(plainSchemas.map(([name]) => name)).toContain("batchPatchIdentities 200")
  })

  it.each(plainSchemas)("%s: JSON ajv accepts decodes to itself", (_, schema) => {
    const check = wireCheck(schema)
    const decode = Schema.decodeUnknownEither(schema)
    let accepted = 0
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(schema), (value) => {
        // (a round trip through JSON text: NaN becomes null and the like, which may then be invalid)
        const text = JSON.stringify(value)
        // A "__proto__" key is an own property after JSON.parse, which the Effect decoder's copy
        // turns into a prototype (or drops): the fast path keeps the server's data as sent.
        if (text.includes('"__proto__"')) return
        const json: unknown = JSON.parse(text)
        if (!check(json)) return
        accepted++
        const decoded = decode(json)
        expect(Either.isRight(decoded)).toBe(true)
        expect(Either.getOrThrow(decoded)).toEqual(json)
      }),
      { numRuns: 60 }
    )
    expect(accepted).toBeGreaterThan(10)
  })

  it.each(plainSchemas)("%s: nothing the decoder refuses passes ajv", (_, schema) => {
    const check = wireCheck(schema)
    const decode = Schema.decodeUnknownEither(schema)
    FastCheck.assert(
      FastCheck.property(FastCheck.jsonValue(), (json) => {
        if (check(json)) expect(Either.isRight(decode(json))).toBe(true)
      }),
      { numRuns: 200 }
    )
  })

  it("refuses near misses", () => {
    const check = wireCheck(BatchPatchIdentitiesResponse)
    expect(check({ identities: [{ action: "create", identity: "8f2b8a3e-2f5a-4c7e-9d1a-1b2c3d4e5f60" }, null] })).toBe(true)
    expect(check({ identities: [{ action: "created" }] })).toBe(false)
    expect(check({ identities: [{ action: "create", identity: "not-a-uuid" }] })).toBe(false)
    expect(check({ identities: [{ action: "create", extra: 1 }] })).toBe(false)
    expect(check({ identities: [{ action: "error", error: { code: "409" } }] })).toBe(false)
  })
})
