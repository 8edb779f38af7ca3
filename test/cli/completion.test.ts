import { describe, expect, it } from "@effect/vitest"
import * as Option from "effect/Option"
import { replRoot } from "../../repl/Commands.js"
import { complete, SeenIds } from "../../repl/Completion.js"
import { extractGlobalFlags, resolveTarget } from "../../repl/Config.js"
import * as Help from "../../repl/Help.js"
import * as Tree from "../../repl/Tree.js"

const tree = Tree.withExtraCommands(Tree.fromCommand(replRoot, "kratos-admin"), ["help", "exit"])
const seen = new SeenIds()
seen.add("identity", ["aaaa-1", "abbb-2"])
seen.add("session", ["5555-1"])
const words = (line: string) => complete(tree, line, seen)[0].map((w) => w.trim())

describe("Completion and the command tree", () => {
  it("knows every operation group and command", () => {
    expect(Array.from(tree.children.keys()).sort()).toEqual(
      ["connect", "context", "exit", "help", "identities", "recovery", "sandbox", "schemas", "sessions", "status"]
    )
    expect(Array.from(tree.children.get("identities")!.children.keys())).toEqual(expect.arrayContaining([
      "list", "get", "get-by-external-id", "create", "update", "patch", "delete", "delete-credentials", "sessions", "delete-sessions"
    ]))
    expect(Array.from(tree.children.get("sessions")!.children.keys()).sort()).toEqual(["disable", "extend", "get", "list"])
  })

  it("describes each command of a group from the operation table", () => {
    const help = Help.groupPage(tree, tree.children.get("sessions")!)
    expect(help).toContain("Usage: kratos-admin sessions <command> [flags]")
    // one line each: the description's first clause
    expect(help).toContain("  disable  Disable (revoke) a session\n")
    expect(help).toContain("Examples:\n  kratos-admin sessions list --expand identity -o wide")
  })

  it("derives list flags from the operation table", () => {
    const list = tree.children.get("identities")!.children.get("list")!
    const names = list.flags.flatMap((f) => f.names)
    for (const f of ["--page-size", "--page-token", "--all", "--ids", "--credentials-identifier", "--include-credential", "--output"]) {
      expect(names).toContain(f)
    }
    const sessions = tree.children.get("sessions")!.children.get("list")!.flags.flatMap((f) => f.names)
    expect(sessions).toEqual(expect.arrayContaining(["--active", "--expand", "--page-size"]))
  })

  it("completes commands, subcommands, flags, choices and seen ids", () => {
    expect(words("ide")).toEqual(["identities"])
    expect(words("identities de")).toEqual(["deactivate", "delete", "delete-credentials", "delete-sessions"])
    expect(words("identities list --page-")).toEqual(["--page-size", "--page-token"])
    expect(words("identities list --output ")).toEqual(["json", "jsonl", "table", "wide", "yaml"])
    expect(words("identities get a")).toEqual(["aaaa-1", "abbb-2"])
    expect(words("identities delete aaaa-1 ")).toEqual(["abbb-2"])
    expect(words("sessions get ")).toEqual(["5555-1"])
    expect(words("identities delete-credentials aaaa-1 pa")).toEqual(["passkey", "password"])
    expect(words(`identities create --trait "x`)).toEqual([])
  })

  it("suggests the closest command or flag for a typo", () => {
    const e1 = Tree.check(tree, ["identites", "list"])
    expect(Option.getOrThrow(e1).message).toBe("unknown command 'identites'. Did you mean 'identities'?")
    const e2 = Tree.check(tree, ["identities", "lst"])
    expect(Option.getOrThrow(e2).message).toContain("Did you mean 'list'?")
    const e3 = Tree.check(tree, ["identities", "list", "--page-sise", "3"])
    expect(Option.getOrThrow(e3).message).toContain("Did you mean '--page-size'?")
    expect(Option.getOrThrow(e3).usage).toContain("identities list")
    expect(Tree.check(tree, ["identities", "list", "--page-size", "3", "--all"])).toEqual(Option.none())
    expect(Tree.check(tree, ["identities", "patch", "x", "--value", "--not-a-flag"])).toEqual(Option.none())
  })

  it("takes --url/--api-key anywhere, flags over environment", () => {
    const flags = extractGlobalFlags(["identities", "--url=http://x", "list", "--api-key", "k"])
    expect(flags.rest).toEqual(["identities", "list"])
    const t = Option.getOrThrow(resolveTarget(flags, { ORY_SDK_URL: "https://env", ORY_API_KEY: "e" }))
    expect(t.url).toBe("http://x")
    expect(String(t.apiKey)).not.toContain("k") // Redacted
    const env = Option.getOrThrow(resolveTarget({}, { KRATOS_ADMIN_URL: "http://127.0.0.1:4434/", ORY_PROJECT_API_KEY: "p" }))
    expect(env.url).toBe("http://127.0.0.1:4434")
    expect(env.apiKey).toBeDefined()
    expect(resolveTarget({}, {})).toEqual(Option.none())
  })
})
