/**
 * Help pages and parse errors as users meet them: full usage lines, no filler, optional flags
 * shown optional, the global flags, examples, `help <command>` in the shell; one error format
 * with the flag named and limits from the operation table.
 */
import { describe, expect, it } from "@effect/vitest"
import { run } from "./binary.js"

describe("help pages", () => {
  it("identities create: full usage, optional repeatable flags, global flags, examples, no filler", async () => {
    const [page, viaHelp] = await Promise.all([run(["identities", "create", "--help"]), run(["help", "identities", "create"])])
    expect(page.code).toBe(0)
    expect(viaHelp.code).toBe(0)
    expect(viaHelp.stdout).toBe(page.stdout)
    const text = page.stdout
    expect(text).toMatch(/^Usage: kratos-admin identities create \[flags\]/)
    expect(text).not.toContain("$ create")
    expect(text).not.toContain("A user-defined piece of text")
    expect(text).not.toContain("This setting is optional")
    expect(text).toMatch(/--trait KEY=VALUE\s+.*\(repeatable\)/)
    expect(text).not.toMatch(/--trait KEY=VALUE\s+.*required/)
    expect(text).toContain("Global flags:")
    expect(text).toContain("--url URL")
    expect(text).toContain("--debug")
    expect(text).toMatch(/Examples:\n {2}kratos-admin identities create /)
  }, 60_000)

  it("a group's page lists its commands a line each, with examples; the overview names every command", async () => {
    const [identities, viaHelp, overview] = await Promise.all([
      run(["identities", "--help"]),
      run(["help", "identities"]),
      run(["--help"])
    ])
    expect(identities.code).toBe(0)
    expect(viaHelp.stdout).toBe(identities.stdout)
    const text = identities.stdout
    expect(text).toMatch(/^Usage: kratos-admin identities <command> \[flags\]\n/)
    expect(text).toMatch(/\n {2}list +List identities\n/)
    expect(text).toMatch(/\n {2}get +Get an identity\n/)
    expect(text).toMatch(/\n {2}deactivate +Deactivate the selected identities\n/)
    // one line each, no HTTP route nor flag list
    const commandLines = text.slice(text.indexOf("Commands:\n") + 10, text.indexOf("\n\nExamples:")).split("\n")
    expect(commandLines.length).toBeGreaterThanOrEqual(16)
    for (const line of commandLines) {
      expect(line.length).toBeLessThanOrEqual(100)
      expect(line).not.toMatch(/\/admin\//)
    }
    expect(text).toMatch(/Examples:\n {2}kratos-admin identities /)
    for (const word of ["completion", "context", "--jq", "--where", "--debug", "--timeout"]) expect(overview.stdout).toContain(word)
  }, 60_000)

  it("every command page has a usage line naming the command, global flags and at least one example", async () => {
    const commands = [
      ["identities", "list"],
      ["identities", "get"],
      ["identities", "delete-credentials"],
      ["sessions", "list"],
      ["schemas", "get"],
      ["recovery", "code"],
      ["status"]
    ]
    const pages = await Promise.all(commands.map((c) => run([...c, "--help"])))
    pages.forEach((p, i) => {
      expect(p.code).toBe(0)
      expect(p.stdout).toMatch(new RegExp(`^Usage: kratos-admin ${commands[i].join(" ")}`))
      expect(p.stdout).toContain("Global flags:")
      expect(p.stdout).toMatch(/Examples:\n {2}kratos-admin /)
    })
    expect(pages[2].stdout).toMatch(/^Usage: kratos-admin identities delete-credentials \[flags\] <id> <type>\n/)
    expect(pages[0].stdout).toMatch(/--ids VALUE\s+.*\(repeatable\)/)
  }, 90_000)
})

describe("parse errors", () => {
  it("one format, the flag named, limits from the operation table", async () => {
    const env = { KRATOS_ADMIN_URL: "http://127.0.0.1:9" }
    const [abc, zero, huge, sessions] = await Promise.all([
      run(["identities", "list", "--page-size", "abc"], { env }),
      run(["identities", "list", "--page-size", "0"], { env }),
      run(["identities", "list", "--page-size", "100000"], { env }),
      run(["sessions", "list", "--page-size=1001"], { env })
    ])
    for (const r of [abc, zero, huge]) {
      expect(r.code).toBe(2)
      expect(r.stderr.split("\n")[0]).toBe("error: --page-size: must be an integer from 1 to 500")
    }
    expect(sessions.code).toBe(2)
    expect(sessions.stderr.split("\n")[0]).toBe("error: --page-size: must be an integer from 1 to 1000")
  }, 60_000)
})
