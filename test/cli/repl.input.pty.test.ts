/**
 * The REPL's input in a pty: history that never keeps nor replays a secret, Ctrl-R, `clear`,
 * a body pasted for `--file -`, completion of `help`, `connect` and file paths, and a 1000-line
 * paste arriving while a command runs.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { drive, failure } from "../support/pty.js"

const prompt = "kratos\\(sandbox\\)> "
const up = "\u001b[A"

describe("REPL input in a pty", () => {
  it("keeps secrets out of history (file and memory) and refuses a recalled mask", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-pty-"))
    const history = path.join(dir, "history")
    const result = await drive([
      { expect: prompt, timeout: 60 },
      { send: "identities create --trait email=recall@example.com --password hunter2-secret -o json\r" },
      { expect: "recall@example\\.com" },
      { expect: prompt },
      // recalled: the mask, not the password; Enter refuses it and nothing is created
      { send: up },
      { expect: "--password \\*\\*\\*" },
      { send: "\r" },
      { expect: "error: --password holds '\\*\\*\\*'.*type the secret itself" },
      { expect: prompt },
      // a multi-line entry holding a key, cancelled: not in the in-memory history
      { send: "connect --url http://127.0.0.1:9 --api-key ory_pat_CANCELLEDKEY --metadata {\r" },
      { expect: "\\.\\.\\. " },
      { send: "\u0003" },
      { expect: prompt },
      { send: up },
      { expect: "--password \\*\\*\\*" },
      { send: "\u0003" },
      { expect: prompt },
      // a password inside --value under --path /credentials (the value comes before the path)
      { send: "identities patch 00000000-0000-4000-8000-000000000001 --value {\"password\":{\"config\":{\"password\":\"json-pw-77\"}}} --op add --path /credentials\r" },
      { expect: "error" },
      { expect: prompt },
      { send: "identities create --trait email=k@example.com --password=inline-pw-88 -o json\r" },
      { expect: prompt },
      { send: "connect --url http://127.0.0.1:9 --api-key ory_pat_TOPSECRET\r" },
      { expect: "kratos\\(127\\.0\\.0\\.1:9\\)> " },
      { send: "connect sandbox\r" },
      { expect: prompt },
      { eof: true }
    ], { KRATOS_ADMIN_HISTORY: history, NO_COLOR: "1" })
    expect(failure(result)).toBe("")
    expect(result.exit).toBe(0)
    expect(result.output).not.toContain("CANCELLEDKEY\r\n") // only ever echoed as typed, never recalled
    expect(result.output.split("CANCELLEDKEY").length - 1).toBe(1)
    expect(result.output.split("hunter2-secret").length - 1).toBe(1)
    const saved = fs.readFileSync(history, "utf8")
    for (const secret of ["hunter2-secret", "CANCELLEDKEY", "json-pw-77", "inline-pw-88", "TOPSECRET"]) {
      expect(saved).not.toContain(secret)
    }
    expect(saved).toContain("--password ***")
    expect(saved).toContain("--password=***")
    expect(saved).toContain("--value *** --op add --path /credentials")
    // the refused recall ran nothing: one identity with that email
    expect(result.output.match(/"email": "recall@example\.com"/g)?.length).toBe(1)
  }, 180_000)

  it("searches history with Ctrl-R, clears the screen, reads a pasted body, completes help/connect/paths", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-pty-"))
    fs.writeFileSync(path.join(dir, "history"), "identities list --page-size 2\nschemas list\n")
    fs.mkdirSync(path.join(dir, "bodies"))
    fs.writeFileSync(path.join(dir, "bodies", "alice.json"), JSON.stringify({ traits: { email: "file-body@example.com" } }))
    const result = await drive([
      { expect: prompt, timeout: 60 },
      // Ctrl-R: "page" finds the older entry; Enter runs it
      { send: "\u0012" },
      { expect: "\\(reverse-i-search\\)`': " },
      { send: "page" },
      { expect: "\\(reverse-i-search\\)`page': identities list --page-size 2" },
      { send: "\r" },
      { expect: "IDENTIFIER" },
      { expect: prompt },
      // a search that finds nothing says so; Ctrl-G gives the line back
      { send: "sta\u0012zzz" },
      { expect: "failed reverse-i-search" },
      { send: "\u0007" },
      { send: "tus -o json\r" },
      { expect: "\"authConfigured\": false" },
      { expect: prompt },
      { send: "clear\r" },
      { expect: "\u001b\\[H\u001b\\[2J" },
      { expect: prompt },
      // --file -: a pasted body ended by a lone '.'
      { send: "identities create --file - -o json\r" },
      { expect: "paste the body" },
      { send: "{\"traits\": {\r\"email\": \"pasted@example.com\"}}\r.\r" },
      { expect: "\"email\": \"pasted@example\\.com\"" },
      { expect: prompt },
      // ... or by Ctrl-D, which ends the body and not the REPL
      { send: "identities create --file - -o json\r" },
      { expect: "paste the body" },
      { send: "{\"traits\": {\"email\": \"ctrl-d@example.com\"}}\r\u0004" },
      { expect: "\"email\": \"ctrl-d@example\\.com\"" },
      { expect: prompt },
      // completion: help <command>, connect <target>, file paths
      { send: "help ident\t" },
      { expect: "help identities " },
      { send: "pat\t" },
      { expect: "patch " },
      { send: "\r" },
      { expect: "--path" },
      { expect: prompt },
      { send: "connect sand\t" },
      { expect: "connect sandbox " },
      { send: "\r" },
      { expect: "connected to sandbox" },
      { expect: prompt },
      { send: `identities create -o json --file ${dir}/bod\t` },
      { expect: "bodies/" },
      { send: "al\t" },
      { expect: "alice\\.json " },
      { send: "\r" },
      { expect: "file-body@example\\.com" },
      { expect: prompt },
      { eof: true }
    ], { KRATOS_ADMIN_HISTORY: path.join(dir, "history"), NO_COLOR: "1" })
    expect(failure(result)).toBe("")
    expect(result.exit).toBe(0)
    // a pasted body is not history
    expect(fs.readFileSync(path.join(dir, "history"), "utf8")).not.toContain("pasted@example.com")
  }, 180_000)

  it("queues a 1000-line paste that arrives while a command runs, and runs it in order", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-pty-"))
    const paste = Array.from({ length: 1000 }, (_, i) => `nosuch-${String(i + 1).padStart(4, "0")}\r`).join("")
    const result = await drive([
      { expect: prompt, timeout: 60 },
      { send: "identities list --all --page-size 1 -o jsonl\r" },
      { sleep: 0.5 },
      { send: paste },
      { expect: "unknown command 'nosuch-1000'", timeout: 120 },
      { expect: prompt },
      { eof: true }
    ], { KRATOS_ADMIN_HISTORY: path.join(dir, "history"), KRATOS_ADMIN_SANDBOX_LATENCY: "50 millis", NO_COLOR: "1" })
    expect(failure(result)).toBe("")
    const ran = Array.from(result.output.matchAll(/unknown command 'nosuch-(\d{4})'/g), (m) => Number(m[1]))
    expect(ran).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
    // each queued line is shown with its prompt when it runs, after the list's output
    const lastIdentity = result.output.lastIndexOf("\"schema_id\"")
    expect(result.output.indexOf("kratos(sandbox)> nosuch-0001")).toBeGreaterThan(lastIdentity)
  }, 180_000)

  it("Ctrl-C cancels the running command and discards what was pasted after it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-pty-"))
    const result = await drive([
      { expect: prompt, timeout: 60 },
      { send: "identities list --all --page-size 1 -o jsonl\r" },
      { sleep: 0.5 },
      { send: "nosuch-a\rnosuch-b\r" },
      { send: "\u0003" },
      { expect: "cancelled" },
      { expect: "\\(2 lines typed or pasted after it discarded\\)" },
      { expect: prompt },
      { send: "status -o json\r" },
      { expect: "\"authConfigured\"" },
      { eof: true }
    ], { KRATOS_ADMIN_HISTORY: path.join(dir, "history"), KRATOS_ADMIN_SANDBOX_LATENCY: "100 millis", NO_COLOR: "1" })
    expect(failure(result)).toBe("")
    expect(result.output).not.toContain("unknown command 'nosuch")
  }, 180_000)
})
