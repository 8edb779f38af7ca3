import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as BatchPatch from "../../src/BatchPatch.js"
import * as Identity from "../../src/Identity.js"
import { schemaUrlPath } from "../../src/IdentitySchema.js"
import * as JsonPatch from "../../src/JsonPatch.js"
import * as KratosError from "../../src/KratosError.js"
import * as Operation from "../../src/Operation.js"
import * as Operations from "../../src/Operations.js"
import * as Pagination from "../../src/Pagination.js"
import * as Recovery from "../../src/Recovery.js"

describe("Identity wire schema", () => {
  const wire = {
    id: "2ba9d8c4-2c8e-4e02-8f3c-8f7b3c6b7d10",
    schema_id: "default",
    schema_url: "http://x/schemas/ZGVmYXVsdA",
    state: "active",
    traits: { email: "a@b.c" },
    metadata_public: null,
    organization_id: null,
    a_field_kratos_adds_later: 1
  }

  it("decodes a Kratos identity and tolerates unknown fields", () => {
    const decoded = Schema.decodeUnknownSync(Identity.Identity)(wire)
    expect(decoded.id).toBe(wire.id)
    expect(decoded.traits).toEqual({ email: "a@b.c" })
  })

  it("refuses a malformed id", () => {
    const r = Schema.decodeUnknownEither(Identity.Identity)({ ...wire, id: "nope" })
    expect(Either.isLeft(r)).toBe(true)
  })

  it("keeps passwords redacted in the decoded body and plain on the wire", () => {
    const body = Schema.decodeUnknownSync(Identity.CreateIdentityBody)({
      schema_id: "default",
      traits: { email: "a@b.c" },
      credentials: { password: { config: { password: "hunter2" } } }
    })
    const pw = body.credentials?.password?.config?.password
    expect(pw && Redacted.isRedacted(pw)).toBe(true)
    expect(JSON.stringify(body)).not.toContain("hunter2")
    const encoded = Schema.encodeSync(Identity.CreateIdentityBody)(body)
    expect(encoded.credentials?.password?.config?.password).toBe("hunter2")
    expect(Identity.hasPlaintextPassword(body)).toBe(true)
    expect(Identity.hasPlaintextPassword(encoded)).toBe(true)
    expect(Identity.hasPlaintextPassword({ credentials: { password: { config: { password: "" } } } })).toBe(false)
  })

  it("strict decoding names the unknown field", () => {
    const r = Schema.decodeUnknownEither(Identity.CreateIdentityBody, { onExcessProperty: "error" })({
      schema_id: "default",
      traits: {},
      schema_url: "x"
    })
    expect(Either.isLeft(r)).toBe(true)
    if (Either.isLeft(r)) expect(String(r.left)).toContain("schema_url")
  })

  it("schema_url is base64url-raw of the schema id", () => {
    expect(schemaUrlPath("default")).toBe("/schemas/ZGVmYXVsdA")
  })
})

describe("Pagination", () => {
  it("parses Kratos' relative Link header", () => {
    const header =
      '</admin/identities?page_size=250&page_token=00000000-0000-0000-0000-000000000000>; rel="first",' +
      '</admin/identities?page_size=250&page_token=3f1c9a8e-0000-4000-8000-000000000001>; rel="next"'
    expect(Pagination.nextPageToken(header)).toEqual(Option.some("3f1c9a8e-0000-4000-8000-000000000001"))
    expect(Pagination.parseLinkHeader(header).get("first")?.params.get("page_size")).toBe("250")
  })

  it("has no next page on the last page, and never throws on garbage", () => {
    expect(Pagination.nextPageToken('</admin/identities?page_size=2>; rel="first"')).toEqual(Option.none())
    expect(Pagination.nextPageToken(undefined)).toEqual(Option.none())
    FastCheck.assert(
      FastCheck.property(FastCheck.string(), (s) => {
        Pagination.parseLinkHeader(s)
        return true
      })
    )
  })

  it("round-trips what it formats, with sorted keys", () => {
    const header = Pagination.formatLinkHeader("/admin/sessions", [
      { rel: "first", params: { page_token: "a b", page_size: "2" } },
      { rel: "next", params: { page_token: "c+d/=", page_size: "2", expand: ["identity", "devices"] } }
    ])
    expect(header.startsWith("</admin/sessions?page_size=2&page_token=a+b>")).toBe(true)
    expect(Pagination.nextPageToken(header)).toEqual(Option.some("c+d/="))
  })
})

describe("Go durations", () => {
  const ms = (s: string) => Option.map(Recovery.parseGoDuration(s), Duration.toMillis)
  it("parses what time.ParseDuration parses", () => {
    expect(ms("1h")).toEqual(Option.some(3_600_000))
    expect(ms("1m30s")).toEqual(Option.some(90_000))
    expect(ms("1.5h")).toEqual(Option.some(5_400_000))
    expect(ms("500ms")).toEqual(Option.some(500))
    expect(ms("0")).toEqual(Option.some(0))
  })
  it("refuses the rest", () => {
    for (const bad of ["", "1", "h", "abc", "1h2", "1 h", "."]) expect(ms(bad)).toEqual(Option.none())
  })
  it("the body schema refuses zero and negative durations before a request", () => {
    const decode = Schema.decodeUnknownEither(Recovery.CreateRecoveryLinkForIdentityBody)
    const id = "2ba9d8c4-2c8e-4e02-8f3c-8f7b3c6b7d10"
    expect(Either.isRight(decode({ identity_id: id, expires_in: "1h" }))).toBe(true)
    expect(Either.isLeft(decode({ identity_id: id, expires_in: "-1h" }))).toBe(true)
    expect(Either.isLeft(decode({ identity_id: id, expires_in: "soon" }))).toBe(true)
  })
})

describe("JSON Patch rules", () => {
  it("accepts add/remove/replace on allowed paths", () => {
    expect(
      JsonPatch.kratosRefusal([
        { op: "replace", path: "/traits/email", value: "x@y.z" },
        { op: "add", path: "/metadata_admin/tier", value: 1 },
        { op: "remove", path: "/metadata_public" },
        { op: "replace", path: "/credentials/password/config/hashed_password", value: "$2a$..." }
      ])
    ).toEqual(Option.none())
  })
  it("refuses what Kratos refuses", () => {
    expect(JsonPatch.kratosRefusal([{ op: "move", path: "/traits/a", from: "/traits/b" }])).toEqual(
      Option.some("unsupported operation: move")
    )
    expect(JsonPatch.kratosRefusal([{ op: "replace", path: "/id", value: "x" }])).toEqual(
      Option.some("patch includes denied path: /id")
    )
    expect(Option.isSome(JsonPatch.kratosRefusal([{ op: "add", path: "/credentials/oidc/config", value: {} }]))).toBe(true)
    expect(Option.isSome(JsonPatch.kratosRefusal([{ op: "remove", path: "/StateChangedAt" }]))).toBe(true)
  })
})

describe("Batch limits", () => {
  const item = (password?: string) => ({
    create: {
      schema_id: "default",
      traits: {},
      ...(password ? { credentials: { password: { config: { password: Redacted.make(password) } } } } : {})
    }
  })
  it("allows 1000 items, or 200 with plaintext passwords", () => {
    expect(BatchPatch.limitViolation({ identities: Array.from({ length: 1000 }, () => item()) })).toEqual(Option.none())
    expect(BatchPatch.limitViolation({ identities: Array.from({ length: 1001 }, () => item()) })).toEqual(
      Option.some(BatchPatch.limitReasons.items)
    )
    const mixed = [...Array.from({ length: 201 }, () => item("pw")), ...Array.from({ length: 10 }, () => item())]
    expect(BatchPatch.limitViolation({ identities: mixed })).toEqual(Option.some(BatchPatch.limitReasons.plaintext))
  })
})

describe("Operations table", () => {
  const ops = Object.values(Operations.operations) as ReadonlyArray<Operation.Operation>
  it("declares the 19 operations of the identity tag, each once", () => {
    expect(ops.length).toBe(19)
    expect(new Set(ops.map((o) => `${o.method} ${o.path}`)).size).toBe(19)
    for (const [name, op] of Object.entries(Operations.operations)) expect(op.name).toBe(name)
  })

  it("marks only the non-repeatable writes unsafe", () => {
    const unsafe = ops.filter((o) => o.safety === "unsafe").map((o) => o.name).sort()
    expect(unsafe).toEqual([
      "batchPatchIdentities",
      "createIdentity",
      "createRecoveryCodeForIdentity",
      "createRecoveryLinkForIdentity",
      "patchIdentity"
    ])
    for (const op of ops) if (op.method === "GET") expect(op.safety).toBe("safe")
  })

  it("catches input Kratos would refuse before any request", () => {
    const encode = (op: Operation.Operation, input: unknown) => Schema.encodeUnknownEither(op.input)(input)
    expect(Either.isLeft(encode(Operations.getIdentity, { id: "not-a-uuid" }))).toBe(true)
    expect(Either.isLeft(encode(Operations.listIdentities, { ids: [], credentials_identifier: "a" }))).toBe(true)
    expect(
      Either.isLeft(encode(Operations.deleteIdentityCredentials, { id: "2ba9d8c4-2c8e-4e02-8f3c-8f7b3c6b7d10", type: "oidc" }))
    ).toBe(true)
    expect(Either.isRight(encode(Operations.listIdentities, { page_size: 10 }))).toBe(true)
  })
})

describe("KratosError", () => {
  it("builds the declared class, or UnexpectedStatus", () => {
    const props = { operation: "getIdentity", status: 404, message: "Unable to locate the resource", attempts: 1 }
    expect(KratosError.fromStatus(props, new Set([404]))._tag).toBe("NotFound")
    expect(KratosError.fromStatus({ ...props, status: 409 }, new Set([404]))._tag).toBe("UnexpectedStatus")
    expect(KratosError.isKratosError(new KratosError.Conflict({ ...props, status: 409 }))).toBe(true)
    expect(KratosError.isKratosError(new Error("x"))).toBe(false)
  })
})
