/**
 * The REPL in a pseudo-terminal (python3's pty module drives it): banner, tab completion, an API
 * error that leaves it alive, a slow `identities list --all` cancelled by Ctrl-C, multi-line input,
 * the idle Ctrl-C hint, Ctrl-D, and a history file without secrets.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { drive } from "../support/pty.js"

const prompt = "kratos\\(sandbox\\)> "

describe("REPL in a pty", () => {
  it("completes, survives errors and Ctrl-C, keeps secrets out of history, exits on Ctrl-D", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-pty-"))
    const history = path.join(dir, "history")
    const result = await drive([
      { expect: "embedded sandbox", timeout: 60 },
      { expect: "connect --url https://<slug>\\.projects\\.oryapis\\.com" },
      { expect: prompt },
      // tab completion of command, subcommand and flag
      { send: "ident\t" },
      { expect: "identities " },
      { send: "li\t" },
      { expect: "list " },
      { send: "--page-si\t" },
      { expect: "--page-size " },
      { send: "2\r" },
      { expect: "IDENTIFIER" },
      { expect: prompt },
      // an API error leaves the REPL alive
      { send: "identities get 00000000-0000-4000-8000-000000000001\r" },
      { expect: "error: 404 NotFound in getIdentity" },
      { expect: prompt },
      // a typo gets a suggestion
      { send: "sesions list\r" },
      { expect: "Did you mean 'sessions'\\?" },
      { expect: prompt },
      // secrets typed at the prompt
      { send: "connect --url http://127.0.0.1:9 --api-key ory_pat_TOPSECRET\r" },
      { expect: "kratos\\(127\\.0\\.0\\.1:9\\)> " },
      { send: "status\r" },
      { expect: "authConfigured\\s+true" },
      { send: "connect sandbox\r" },
      { expect: prompt },
      // a slow list, cancelled by Ctrl-C; the REPL answers afterwards
      { send: "identities list --all --page-size 1 -o jsonl\r" },
      { sleep: 1.5 },
      { send: "\u0003" },
      { expect: "cancelled" },
      { expect: prompt },
      { send: "status\r" },
      { expect: "target\\s+sandbox" },
      { expect: prompt },
      // multi-line input: an unclosed brace continues with "..."
      { send: "identities create --trait email=multi@example.com --password hunter2-pw --metadata-public {\"a\":\r" },
      { expect: "\\.\\.\\. " },
      { send: " 1} -o json\r" },
      { expect: "\"email\": \"multi@example.com\"" },
      { expect: prompt },
      // Ctrl-C at an empty prompt hints how to leave; Ctrl-D leaves
      { send: "\u0003" },
      { expect: "To exit, press Ctrl-D or type exit" },
      { expect: prompt },
      { eof: true }
    ], { KRATOS_ADMIN_HISTORY: history, KRATOS_ADMIN_SANDBOX_LATENCY: "100 millis", NO_COLOR: "1" })
    const where = result.failed_step === null ? "" : `failed at step ${result.failed_step}:\n${result.output.slice(-3000)}`
    expect(where).toBe("")
    expect(result.ok).toBe(true)
    expect(result.exit).toBe(0)
    // only the terminal's echo of what was typed: the REPL never prints the key back
    expect(result.output.split("TOPSECRET").length - 1).toBe(1)
    const saved = fs.readFileSync(history, "utf8")
    expect(saved).toContain("identities list --page-size 2")
    expect(saved).toContain("connect --url http://127.0.0.1:9 --api-key ***")
    expect(saved).not.toContain("TOPSECRET")
    expect(saved).not.toContain("hunter2-pw")
    expect(saved).toContain("--password ***")
  }, 180_000)
})
