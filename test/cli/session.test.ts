import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { replRoot } from "../../repl/Commands.js"
import { makeSession } from "../../repl/Repl.js"
import * as Sandbox from "../../src/Sandbox.js"
import { testIo } from "./helpers.js"
import type { IoService } from "../../repl/Io.js"

/** A REPL session (the in-process line evaluator) against a real loopback sandbox. */
const setup = (overrides: Partial<IoService> = {}, apiKey?: string) =>
  Effect.gen(function*() {
    const sandbox = yield* Sandbox.make({ demo: true, ...(apiKey ? { apiKey } : {}) })
    const t = testIo(overrides)
    const session = yield* makeSession({
      initial: { url: sandbox.url, kind: "remote", apiKey: apiKey ? Redacted.make(apiKey) : undefined },
      io: t.io,
      root: replRoot
    })
    const run = (line: string) =>
      Effect.map(session.evalLine(line), (r) => (r._tag === "Done" ? r.code : r._tag))
    return { sandbox, session, t, run }
  })

describe("command handlers (through the REPL evaluator)", () => {
  it.scopedLive("list: json, jsonl and table, remembering ids for completion", () =>
    Effect.gen(function*() {
      const { run, session, t } = yield* setup()
      expect(yield* run("identities list --page-size 3 -o json")).toBe(0)
      const list = JSON.parse(t.out()) as Array<{ id: string }>
      expect(list).toHaveLength(3)
      expect(t.err()).toMatch(/next page token: \S+/)
      expect(session.seen.get("identity")).toEqual(list.map((i) => i.id))
      t.clear()
      expect(yield* run("identities list --page-size 2 --output jsonl")).toBe(0)
      expect(t.out().split("\n").map((l) => JSON.parse(l).id)).toHaveLength(2)
      t.clear()
      expect(yield* run("identities list --all -o jsonl")).toBe(0)
      const all = (yield* Effect.map(Effect.void, () => t.out())).split("\n")
      expect(all.length).toBeGreaterThan(10)
      t.clear()
      expect(yield* run("sessions list --page-size 2 -o table")).toBe(0)
      // no IDENTITY column: without --expand identity the sessions carry none
      expect(t.out()).toMatch(/^ID\s+ACTIVE\s+AAL/)
    }))

  it.scopedLive("create from flags, patch from triples, update keeps what the flags do not change", () =>
    Effect.gen(function*() {
      const { run, t } = yield* setup()
      expect(
        yield* run(
          `identities create --schema-id default --trait email=ann@example.com --trait name.first=Ann --external-id X-1 --password 'correct horse' --metadata-public '{"tier":"gold"}' -o json`
        )
      ).toBe(0)
      const created = JSON.parse(t.out())
      expect(created.traits).toEqual({ email: "ann@example.com", name: { first: "Ann" } })
      expect(created.external_id).toBe("X-1")
      expect(created.metadata_public).toEqual({ tier: "gold" })
      expect(t.out()).not.toContain("correct horse")
      t.clear()
      expect(
        yield* run(`identities patch ${created.id} --op replace --path /traits/name/first --value Bea --op add --path /metadata_admin --value {"n": 1} -o json`)
      ).toBe(0)
      const patched = JSON.parse(t.out())
      expect(patched.traits.name.first).toBe("Bea")
      expect(patched.metadata_admin).toEqual({ n: 1 })
      t.clear()
      expect(yield* run(`identities update ${created.id} --state inactive -o json`)).toBe(0)
      const updated = JSON.parse(t.out())
      expect(updated.state).toBe("inactive")
      expect(updated.external_id).toBe("X-1")
      expect(updated.traits.name.first).toBe("Bea")
      t.clear()
      expect(yield* run(`identities get-by-external-id X-1 -o json`)).toBe(0)
      expect(JSON.parse(t.out()).id).toBe(created.id)
      t.clear()
      // a duplicate identifier: API failure, exit 1, one line
      expect(yield* run(`identities create --trait email=ann@example.com`)).toBe(1)
      expect(t.err()).toMatch(/^error: 409 Conflict in createIdentity: .*request id/)
      expect(t.err().split("\n")).toHaveLength(1)
    }))

  it.scopedLive("multi-id get/delete report each failure and exit 1; destructive commands need --yes", () =>
    Effect.gen(function*() {
      const { run, t } = yield* setup()
      yield* run("identities list --page-size 2 -o json")
      const [a, b] = (JSON.parse(t.out()) as Array<{ id: string }>).map((i) => i.id)
      const missing = "00000000-0000-4000-8000-000000000001"
      t.clear()
      expect(yield* run(`identities get ${a} ${missing} ${b} -o json`)).toBe(1)
      expect((JSON.parse(t.out()) as Array<{ id: string }>).map((i) => i.id)).toEqual([a, b])
      expect(t.err()).toContain(`${missing}: error: 404 NotFound`)
      expect(t.err()).toContain("1 of 3 not found")
      t.clear()
      expect(yield* run(`identities delete ${a}`)).toBe(2)
      expect(t.err()).toContain("pass --yes")
      t.clear()
      expect(yield* run(`identities delete ${a} ${missing} --yes`)).toBe(1)
      expect(t.err()).toContain(`${missing}: error: 404`)
      t.clear()
      expect(yield* run(`identities get ${a}`)).toBe(1)
      expect(yield* run(`identities get not-a-uuid`)).toBe(2)
    }))

  it.scopedLive("confirmation on a terminal: yes proceeds, no cancels", () =>
    Effect.gen(function*() {
      let answer = false
      const questions: Array<string> = []
      const { run, t } = yield* setup({
        canConfirm: true,
        confirm: (q) => Effect.sync(() => (questions.push(q), answer))
      })
      yield* run("sessions list --page-size 1 -o json")
      const id = (JSON.parse(t.out()) as Array<{ id: string }>)[0].id
      t.clear()
      expect(yield* run(`sessions disable ${id}`)).toBe(3)
      expect(t.err()).toBe("cancelled: nothing was done")
      answer = true
      expect(yield* run(`sessions disable ${id}`)).toBe(0)
      expect(questions[0]).toBe(`disable session ${id}? [y/N] `)
    }))

  it.scopedLive("recovery reveals the code; status never shows the key; connect swaps the client", () =>
    Effect.gen(function*() {
      const { run, session, t } = yield* setup({}, "the-secret-key")
      yield* run("identities list --page-size 1 -o json")
      const id = (JSON.parse(t.out()) as Array<{ id: string }>)[0].id
      t.clear()
      expect(yield* run(`recovery code ${id} --expires-in 1h -o json`)).toBe(0)
      const code = JSON.parse(t.out())
      expect(code.recovery_code).toMatch(/^\d+$/)
      t.clear()
      expect(yield* run(`recovery link ${id} --expires-in 0s`)).toBe(2)
      t.clear()
      expect(yield* run("status -o json")).toBe(0)
      expect(t.out()).not.toContain("the-secret-key")
      expect(JSON.parse(t.out()).authConfigured).toBe(true)
      t.clear()
      expect(yield* run("connect --url http://127.0.0.1:9")).toBe(0)
      expect(session.label()).toBe("127.0.0.1:9")
      expect(yield* run("identities list")).toBe(1)
      expect(t.err()).toMatch(/TransportError/)
      expect(yield* run("connect --url not a url")).toBe(2)
    }))

  it.scopedLive("typos, missing arguments and REPL built-ins", () =>
    Effect.gen(function*() {
      const { run, t } = yield* setup()
      expect(yield* run("identites list")).toBe(2)
      expect(t.err()).toContain("Did you mean 'identities'?")
      t.clear()
      expect(yield* run("sessions get")).toBe(2)
      expect(t.err()).toMatch(/usage: kratos-admin sessions get/)
      t.clear()
      expect(yield* run("help")).toBe(0)
      expect(t.out()).toContain("identities")
      expect(yield* run(`identities create --trait "email=x`)).toBe("Incomplete")
      expect(yield* run("exit")).toBe("Exit")
      expect(yield* run("")).toBe(0)
    }))
})
