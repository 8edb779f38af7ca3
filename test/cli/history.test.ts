import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { historyPath } from "../../repl/Config.js"
import * as History from "../../repl/History.js"

describe("History", () => {
  it("scrubs keys and passwords before anything is stored", () => {
    expect(History.scrub("connect --url https://a.projects.oryapis.com --api-key ory_pat_abc123")).toBe(
      "connect --url https://a.projects.oryapis.com --api-key ***"
    )
    expect(History.scrub("connect --api-key=sekrit --url u")).toBe("connect --api-key=*** --url u")
    expect(History.scrub("identities create --trait email=a@b.c --password 'hunter 2'")).toBe(
      "identities create --trait email=a@b.c --password ***"
    )
    expect(History.scrub("identities create --password-hash '$2a$12$xyz'")).not.toContain("$2a$12$xyz")
    expect(History.scrub("identities patch X --op replace --path /credentials/password/config/password --value p4ss")).not.toContain("p4ss")
    expect(History.scrub("identities patch X --path /traits/email --value a@b.c")).toBe("identities patch X --path /traits/email --value a@b.c")
    expect(History.scrub("connect https://x.example ory_pat_zzz")).not.toContain("zzz")
    expect(History.scrub("echo ory_apikey_abcdef 'unclosed")).not.toContain("abcdef")
    expect(History.scrub("identities list --page-size 3")).toBe("identities list --page-size 3")
  })

  it("appends and loads newest first; a bad path is ignored", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-"))
    const file = path.join(dir, "nested", "history")
    History.append(file, "one")
    History.append(file, "two\nlines")
    expect(History.load(file)).toEqual(["two lines", "one"])
    expect(() => History.append(path.join(file, "not-a-dir", "history"), "x")).not.toThrow() // parent is a file
    expect(History.load("/nonexistent/history")).toEqual([])
  })

  it("lives in the state dir unless overridden", () => {
    expect(historyPath({ KRATOS_ADMIN_HISTORY: "/tmp/h" })).toBe("/tmp/h")
    expect(historyPath({ XDG_STATE_HOME: "/s" })).toBe("/s/kratos-admin/history")
    expect(historyPath({})).toBe(path.join(os.homedir(), ".local", "state", "kratos-admin", "history"))
  })
})
