import { describe, expect, it } from "@effect/vitest"
import { uuidV5 } from "../../src/internal/import/keys.js"
import { newId } from "../../src/internal/sandbox/ids.js"

describe("UUID text", () => {
  it("sandbox ids are random RFC 9562 version 4 UUIDs", () => {
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    const ids = Array.from({ length: 5_000 }, newId)
    for (const id of ids) expect(id).toMatch(v4)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("version and variant replace their digits, the rest is the input", () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, "example.com"): the SHA-1 hex has 3 where the version goes, 5 where the variant goes
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "example.com")).toBe("cfbff0d1-9375-5685-968c-48ce8b15ae17")
  })
})
