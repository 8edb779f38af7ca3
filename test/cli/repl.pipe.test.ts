/**
 * The REPL fed by a pipe (a script): no prompt or banner in the output, bodies for `--file -`
 * taken from the following lines, and an exit code that says whether a line failed.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { binPath } from "../support/bin.js"

const repl = (script: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-pipe-"))
    const child = spawn(process.execPath, [binPath, "repl"], {
      env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: "1", KRATOS_ADMIN_HISTORY: path.join(dir, "history") },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(script)
  })

const missing = "00000000-0000-4000-8000-000000000001"

describe("REPL with piped input", () => {
  it("prints only command output and exits 0 when every line succeeds", async () => {
    const r = await repl("status -o json\nschemas list -o jsonl\n")
    expect(r.code).toBe(0)
    expect(r.stdout).not.toContain("kratos(")
    expect(r.stdout).not.toContain("Type help")
    // JSON is one line when stdout is not a terminal
    expect(JSON.parse(r.stdout.split("\n")[0]).target).toBe("sandbox")
  }, 60_000)

  it("runs every line and exits with the code of the last line that failed", async () => {
    const api = await repl(`identities get ${missing}\nstatus -o json\n`)
    expect(api.code).toBe(1)
    expect(api.stdout).toContain("\"target\":\"sandbox\"")
    expect(api.stderr).toContain("404")
    const usage = await repl(`identities get ${missing}\nidentities lst\nstatus -o json\n`)
    expect(usage.code).toBe(2)
    expect(usage.stdout).toContain("\"target\":\"sandbox\"")
  }, 60_000)

  it("takes a --file - body from the lines that follow, up to a lone '.' or the end", async () => {
    const r = await repl(
      "identities create --file - -o jsonl\n{\"traits\":\n {\"email\": \"piped@example.com\"}}\n.\n" +
        "identities create --file - -o jsonl\n{\"traits\": {\"email\": \"last@example.com\"}}\n"
    )
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const created = r.stdout.trim().split("\n").map((l) => JSON.parse(l).traits.email)
    expect(created).toEqual(["piped@example.com", "last@example.com"])
  }, 60_000)
})
