/**
 * Nothing typed at the prompt crashes the REPL: a few hundred random lines (seeded) through the
 * REPL's line evaluator, in-process, against a loopback sandbox.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { replRoot } from "../../repl/Commands.js"
import { makeSession } from "../../repl/Repl.js"
import * as Sandbox from "../../src/Sandbox.js"
import { testIo } from "./helpers.js"

const vocabulary = [
  "identities", "sessions", "schemas", "recovery", "status", "help", "connect", "list", "get", "create", "update",
  "patch", "delete", "delete-credentials", "delete-sessions", "get-by-external-id", "extend", "disable", "link", "code",
  "--page-size", "--page-token", "--all", "--output", "-o", "json", "jsonl", "table", "--yes", "--file", "-", "--trait",
  "email=a@b.c", "name.first=Ann", "--op", "add", "remove", "replace", "--path", "/traits/email", "--value", "{\"a\":1}",
  "--include-credential", "password", "oidc", "--expand", "identity", "--active", "true", "--ids", "--help", "--wizard",
  "--verbose", "--schema-id", "default", "--state", "inactive", "--expires-in", "1h", "-1s", "0", "-5", "99999999999",
  "00000000-0000-4000-8000-000000000001", "not-a-uuid", "'", "\"", "{", "}", "[", "]", "\\", "''", "--", "--=", "=",
  "--api-key", "ory_pat_x", "--password", "\u0000", "💥", "exit-not"
]

const line = FastCheck.oneof(
  FastCheck.array(FastCheck.constantFrom(...vocabulary), { minLength: 0, maxLength: 8 }).map((ws) => ws.join(" ")),
  FastCheck.string({ maxLength: 40 }),
  FastCheck.tuple(
    FastCheck.constantFrom("identities", "sessions", "schemas", "recovery"),
    FastCheck.string({ maxLength: 20 }),
    FastCheck.string({ maxLength: 20 })
  ).map((ws) => ws.join(" "))
)

describe("REPL fuzz", () => {
  it.scopedLive("survives 300 random lines and still answers", () =>
    Effect.gen(function*() {
      const sandbox = yield* Sandbox.make({ demo: true })
      const t = testIo()
      const session = yield* makeSession({ initial: { url: sandbox.url, kind: "remote" }, io: t.io, root: replRoot })
      const lines = FastCheck.sample(line, { numRuns: 300, seed: 20261123 })
      const outcomes = new Map<string, number>()
      for (const l of lines) {
        // the REPL never evaluates `exit` lines further; skip them like it would stop
        const result = yield* session.evalLine(l).pipe(
          Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(`line hangs: ${JSON.stringify(l)}`) })
        )
        const key = result._tag === "Done" ? `Done ${result.code}` : result._tag
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
        expect(["Done", "Incomplete", "Exit"]).toContain(result._tag)
        if (result._tag === "Done") expect([0, 1, 2]).toContain(result.code)
      }
      t.clear()
      expect(yield* session.evalLine("status -o json")).toEqual({ _tag: "Done", code: 0 })
      expect(JSON.parse(t.out()).baseUrl).toBe(sandbox.url)
      // the run exercised both failures and successes
      expect(outcomes.get("Done 2") ?? 0).toBeGreaterThan(10)
    }), { timeout: 120_000 })
})
