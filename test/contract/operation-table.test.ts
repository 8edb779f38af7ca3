/**
 * The operation table against the official OpenAPI document: every operation's method, path template,
 * rate-limit bucket (`x-ory-ratelimit-bucket`) and query parameters are the document's. Needs
 * KRATOS_OPENAPI; skipped without it.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { operations } from "../../src/Operations.js"

const specPath = process.env.KRATOS_OPENAPI

interface SpecOperation {
  readonly operationId?: string
  readonly "x-ory-ratelimit-bucket"?: string
  readonly parameters?: ReadonlyArray<{ readonly in: string; readonly name: string }>
}

describe.skipIf(!specPath)("the operation table matches the OpenAPI document", () => {
  const doc = specPath
    ? (JSON.parse(readFileSync(specPath, "utf8")) as { paths: Record<string, Record<string, SpecOperation>> })
    : { paths: {} }
  const byId = new Map<string, { method: string; path: string; op: SpecOperation }>()
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op?.operationId) byId.set(op.operationId, { method: method.toUpperCase(), path, op })
    }
  }

  for (const op of Object.values(operations)) {
    it(op.name, () => {
      const spec = byId.get(op.name)
      expect(spec, `${op.name} is in the document`).toBeDefined()
      expect({ method: op.method, path: op.path, bucket: op.bucket }).toEqual({
        method: spec!.method,
        path: spec!.path,
        bucket: spec!.op["x-ory-ratelimit-bucket"]
      })
      const documented = (spec!.op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name).sort()
      expect([...op.params.query].sort()).toEqual(documented)
    })
  }
})
