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

describe("History: secrets", () => {
  const secrets = new Set([...History.defaultSecretFlags, "--client-secret"])

  it("masks every --value of a patch touching /credentials, whatever the order of the flags", () => {
    const line = `identities patch X --value '{"password":{"config":{"password":"pw1"}}}' --op add --path /credentials`
    expect(History.scrub(line)).toBe("identities patch X --value *** --op add --path /credentials")
    expect(History.scrub("identities patch X --path=/credentials/oidc --value=abc")).toBe("identities patch X --path=/credentials/oidc --value=***")
  })

  it("masks flags the command tree marks secret, and password-like traits", () => {
    expect(History.scrub("thing --client-secret s3 --x y", secrets)).toBe("thing --client-secret *** --x y")
    expect(History.scrub("identities create --trait-json password=\"x\" --trait email=a@b.c")).toBe(
      "identities create --trait-json password=*** --trait email=a@b.c"
    )
    expect(History.scrub("identities create --trait=password=x")).toBe("identities create --trait=password=***")
  })

  it("refuses a line holding the mask where a secret goes, and only there", () => {
    const refused = (line: string) => History.refusal(line.split(" "), secrets)
    expect(refused("identities create --password ***")).toContain("--password holds '***'")
    expect(refused("identities create --password=***")).toContain("--password")
    expect(refused("connect --url http://x --api-key ory_pat_***")).toContain("--api-key")
    expect(refused("identities patch X --path /credentials --value ***")).toContain("--value")
    expect(refused("identities create --trait password=***")).toContain("--trait password")
    expect(refused("thing --client-secret ***")).toContain("--client-secret")
    expect(refused("identities create --password real --trait nick=***")).toBeUndefined()
    expect(refused("identities list --page-token ***")).toBeUndefined()
  })

  it("keeps an in-memory history of scrubbed entries, newest first, without duplicates", () => {
    const h: Array<string> = []
    History.remember(h, "a")
    History.remember(h, "b\nc")
    History.remember(h, "a")
    History.remember(h, "  ")
    expect(h).toEqual(["a", "b c"])
    for (let i = 0; i < 5; i++) History.remember(h, `x${i}`, 3)
    expect(h).toEqual(["x4", "x3", "x2"])
  })

  it("scrubs what it loads (a file written before a flag was known to be secret)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-"))
    const file = path.join(dir, "history")
    fs.writeFileSync(file, "identities create --password old-pw\nstatus\n")
    expect(History.load(file)).toEqual(["status", "identities create --password ***"])
  })
})
