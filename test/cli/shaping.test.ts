/**
 * Output shaping through the built binary and real pipes: `--jq` (jq itself, as WebAssembly),
 * `-o yaml`, `-o wide`, `-q` for xargs, `--columns`, JSON pretty on a terminal and one line when
 * piped; jq errors are usage errors (exit 2) with jq's message, sent before any request.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { parse as parseYaml } from "yaml"
import { pty, run, sandbox, sh } from "./binary.js"

let sb: Awaited<ReturnType<typeof sandbox>>
let env: Record<string, string>
let identities: Array<{ id: string; state: string; traits: { email: string } }>
beforeAll(async () => {
  sb = await sandbox({ demo: true })
  env = { KRATOS_ADMIN_URL: sb.url }
  const r = await run(["identities", "list", "--page-size", "20", "-o", "json"], { env })
  identities = JSON.parse(r.stdout)
})
afterAll(() => sb.close())

describe("--jq", () => {
  it("has jq's semantics: select, map, raw strings, several results a line each", async () => {
    const [selected, mapped, raw] = await Promise.all([
      sh(`$KA identities list --page-size 20 --jq '.[] | select(.state=="active") | .id' | cat`, { env }),
      sh(`$KA identities list --page-size 20 --jq 'map(.traits.email)' | cat`, { env }),
      sh(`$KA identities list --page-size 20 --jq '.[0].traits.email, (.[0:2] | length)' | cat`, { env })
    ])
    expect(selected.code).toBe(0)
    const active = identities.filter((i) => i.state === "active").map((i) => i.id)
    expect(active.length).toBeGreaterThan(0)
    expect(active.length).toBeLessThan(identities.length)
    expect(selected.stdout).toBe(active.join("\n") + "\n")
    // piped: one compact line
    expect(mapped.stdout).toBe(JSON.stringify(identities.map((i) => i.traits.email)) + "\n")
    // strings raw (as jq -r), other values as JSON
    expect(raw.stdout).toBe(`${identities[0].traits.email}\n2\n`)
  }, 60_000)

  it("a syntax error is a usage error (exit 2) with jq's message, and no request is sent", async () => {
    const before = (await sb.requests()).length
    const r = await run(["identities", "list", "--jq", ".[] | select(.state ==)"], { env })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("error: --jq: jq: error: syntax error")
    expect(r.stdout).toBe("")
    expect((await sb.requests()).length).toBe(before)
    const runtime = await run(["identities", "list", "--jq", ".[0].traits.email | ltrimstr(1) | startswith(2)"], { env })
    expect(runtime.code).toBe(2)
    expect(runtime.stderr).toContain("startswith() requires string inputs")
    const combined = await run(["identities", "list", "--jq", ".", "-o", "yaml"], { env })
    expect(combined.code).toBe(2)
    expect(combined.stderr).toContain("--jq works on the JSON output")
  }, 60_000)

  it("works on one item, on --all and on status", async () => {
    const [one, all, status] = await Promise.all([
      run(["identities", "get", identities[0].id, "--jq", ".traits.email"], { env }),
      run(["identities", "list", "--all", "--page-size", "7", "--jq", "length"], { env }),
      run(["status", "--jq", ".reachable"], { env })
    ])
    expect(one.stdout).toBe(`${identities[0].traits.email}\n`)
    expect(Number(all.stdout)).toBeGreaterThanOrEqual(identities.length)
    expect(status.stdout).toBe("true\n")
  }, 60_000)

  it("shows what the recovery commands reveal: --jq .recovery_link prints the link itself", async () => {
    const r = await run(["recovery", "link", identities[0].id, "--jq", ".recovery_link"], { env })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^https?:\/\/\S+\n$/)
    expect(r.stdout).not.toContain("redacted")
  }, 60_000)
})

describe("-o yaml, -o wide, -q, --columns", () => {
  it("yaml is the JSON as YAML; -q prints ids for xargs; --columns picks table columns and JSON fields", async () => {
    const [yaml, ids, xargs, table, picked] = await Promise.all([
      run(["identities", "list", "--page-size", "20", "-o", "yaml"], { env }),
      sh(`$KA identities list --page-size 5 -q | cat`, { env }),
      sh(`$KA identities list --page-size 3 -q | xargs $KA identities get -o json`, { env }),
      run(["identities", "list", "--page-size", "3", "-o", "table", "--columns", "id,traits.email,state"], { env }),
      run(["identities", "list", "--page-size", "3", "-o", "jsonl", "--columns", "id", "--columns", "traits.email"], { env })
    ])
    expect(yaml.code).toBe(0)
    expect(parseYaml(yaml.stdout)).toEqual(identities)
    expect(ids.stdout).toBe(identities.slice(0, 5).map((i) => i.id).join("\n") + "\n")
    expect(xargs.code).toBe(0)
    expect((JSON.parse(xargs.stdout) as Array<{ id: string }>).map((i) => i.id)).toEqual(identities.slice(0, 3).map((i) => i.id))
    const [header, first] = table.stdout.split("\n")
    expect(header).toMatch(/^ID\s+TRAITS\.EMAIL\s+STATE$/)
    expect(first).toContain(identities[0].traits.email)
    expect(picked.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))).toEqual(
      identities.slice(0, 3).map((i) => ({ id: i.id, traits: { email: i.traits.email } }))
    )
  }, 60_000)

  it("-o wide adds columns and cuts nothing; -q streams ids of --all", async () => {
    const [wide, table, all] = await Promise.all([
      run(["identities", "list", "--page-size", "20", "-o", "wide", "--include-credential", "password"], { env }),
      run(["identities", "list", "--page-size", "20", "-o", "table"], { env }),
      sh(`$KA identities list --all --page-size 4 -q | wc -l`, { env })
    ])
    expect(wide.stdout.split("\n")[0]).toContain("CREDENTIALS")
    expect(wide.stdout).not.toContain("…")
    for (const i of identities) expect(wide.stdout).toContain(i.traits.email)
    expect(table.stdout.split("\n")[0]).not.toContain("CREDENTIALS")
    expect(Number(all.stdout.trim())).toBeGreaterThanOrEqual(identities.length)
  }, 60_000)

  it("JSON is pretty on a terminal and one line when piped", async () => {
    const [tty, piped] = await Promise.all([
      pty([{ expect: "\\]" }], ["identities", "list", "--page-size", "2", "-o", "json"], env),
      run(["identities", "list", "--page-size", "2", "-o", "json"], { env })
    ])
    expect(tty.output).toContain(`[\r\n  {\r\n    "id": "${identities[0].id}"`)
    expect(piped.stdout.trim().split("\n")).toHaveLength(1)
  }, 60_000)
})
