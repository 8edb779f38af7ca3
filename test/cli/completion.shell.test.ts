/**
 * `kratos-admin completion bash|zsh|fish`: the scripts the binary prints, loaded into real shells.
 * bash runs the completion function as readline would (COMP_WORDS/COMP_CWORD), for every command
 * level and every flag of the tree; fish answers `complete -C`; zsh runs the function with its
 * completion builtins stubbed to print what they are given. A shell that is not installed is
 * skipped (bash always is).
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { shellRoot } from "../../repl/Commands.js"
import * as Tree from "../../repl/Tree.js"
import { binPath } from "../support/bin.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-completion-"))
// all three written first: each test also completes the others' names as files
const scripts = Object.fromEntries(["bash", "zsh", "fish"].map((shell) => {
  const file = path.join(dir, `kratos-admin.${shell}`)
  fs.writeFileSync(file, execFileSync(process.execPath, [binPath, "completion", shell], { encoding: "utf8" }))
  return [shell, file]
}))
const scriptOf = (shell: string): string => scripts[shell]
const has = (shell: string) => spawnSync(shell, ["-c", "exit 0"]).status === 0
const tree = Tree.fromCommand(shellRoot, "kratos-admin")
const nodes: Array<Tree.Node> = []
const walk = (n: Tree.Node): void => {
  nodes.push(n)
  for (const c of n.children.values()) walk(c)
}
walk(tree)

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** Completes each line (words; the last is the one being completed) in one bash. */
const bash = (lines: ReadonlyArray<ReadonlyArray<string>>): Array<Array<string>> => {
  const file = scriptOf("bash")
  const body = [
    `source ${sq(file)}`,
    `complete -p kratos-admin >/dev/null || exit 3`,
    ...lines.map((words) =>
      `COMP_WORDS=(${words.map(sq).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _kratos_admin; ` +
      `printf '%s\\t' "\${COMPREPLY[@]}"; echo`
    )
  ].join("\n")
  const out = execFileSync("bash", ["--norc", "--noprofile", "-i", "-c", body], {
    encoding: "utf8",
    cwd: dir,
    stdio: ["ignore", "pipe", "ignore"]
  })
  return out.split("\n").slice(0, lines.length).map((l) => l.split("\t").filter((w) => w !== ""))
}

describe("shell completion scripts", () => {
  it("bash completes every command level and every flag of the tree", () => {
    const levels = nodes.filter((n) => n.children.size > 0)
    const leaves = nodes.filter((n) => n.children.size === 0)
    const lines = [
      ...levels.map((n) => ["kratos-admin", ...n.path, ""]),
      ...leaves.map((n) => ["kratos-admin", ...n.path, "-"]),
      // flags and their values before the command words are skipped when finding the command
      ["kratos-admin", "--url", "http://127.0.0.1:4434", "--api-key", "k", "identities", "li"],
      ["kratos-admin", "identities", "list", "--output", "j"],
      ["kratos-admin", "identities", "list", "-o", ""],
      ["kratos-admin", "identities", "list", "--output", "=", "t"],
      ["kratos-admin", "sessions", "list", "--expand", ""],
      ["kratos-admin", "identities", "delete-credentials", "some-id", "pa"],
      ["kratos-admin", "completion", ""],
      ["kratos-admin", "identities", "create", "--file", "kratos-admin.b"],
      ["kratos-admin", "identities", "import", "kratos-admin.f"],
      ["kratos-admin", "--co"],
      // a global flag's value is not taken for a command word
      ["kratos-admin", "--timeout", "30s", "identities", "li"],
      ["kratos-admin", "--de"]
    ]
    const got = bash(lines)
    levels.forEach((n, i) => expect(got[i].sort(), n.path.join(" ")).toEqual(Array.from(n.children.keys()).sort()))
    leaves.forEach((n, i) => {
      const words = got[levels.length + i]
      for (const f of n.flags) for (const name of f.names.filter((x) => x.startsWith("-"))) expect(words, `${n.path.join(" ")} ${name}`).toContain(name)
      expect(words).toEqual(expect.arrayContaining(["--help", "--url", "--api-key", "--context", "--debug", "--timeout", "--deadline"]))
    })
    const rest = got.slice(levels.length + leaves.length)
    expect(rest).toEqual([
      ["list"],
      ["json", "jsonl"],
      ["table", "wide", "json", "jsonl", "yaml"],
      ["table"],
      ["identity", "devices"],
      ["password", "passkey"],
      ["bash", "zsh", "fish"],
      ["kratos-admin.bash"],
      ["kratos-admin.fish"],
      ["--context"],
      ["list"],
      ["--deadline", "--debug"]
    ])
  })

  it.skipIf(!has("fish"))("fish completes commands, flags, choices and files", () => {
    const file = scriptOf("fish")
    const complete = (line: string) =>
      execFileSync("fish", ["--no-config", "-c", `source ${sq(file)}; complete -C ${sq(line)}`], {
        encoding: "utf8",
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir }
      }).split("\n").filter((l) => l !== "").map((l) => l.split("\t")[0]).sort()
    expect(complete("kratos-admin ")).toEqual(Array.from(tree.children.keys()).sort())
    expect(complete("kratos-admin --url http://x identities l")).toEqual(["list"])
    expect(complete("kratos-admin identities list --page")).toEqual(["--page-size", "--page-token"])
    expect(complete("kratos-admin identities list -o ")).toEqual(["json", "jsonl", "table", "wide", "yaml"])
    expect(complete("kratos-admin identities delete-credentials x pa")).toEqual(["passkey", "password"])
    expect(complete("kratos-admin identities import kratos-admin.z")).toEqual(["kratos-admin.zsh"])
    expect(complete("kratos-admin sessions get --")).toContain("--context")
  })

  it.skipIf(!has("zsh"))("zsh offers the commands, flags and values of the path typed", () => {
    const file = scriptOf("zsh")
    expect(spawnSync("zsh", ["-n", file]).status).toBe(0)
    const complete = (...words: ReadonlyArray<string>) =>
      execFileSync("zsh", [
        "-f",
        "-c",
        [
          "compdef() { :; }",
          `source ${sq(file)}`,
          // the completion builtins, printing what they would offer
          "compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -l -- \"$@\" }",
          "_describe() { local -a l; l=(\"${(@P)${@[-1]}}\"); print -l -- \"${(@)l%%:*}\" }",
          "_files() { print -- @files }",
          "compset() { : }",
          `words=(${words.map(sq).join(" ")}); CURRENT=${words.length}`,
          "_kratos_admin"
        ].join("\n")
      ], { encoding: "utf8" }).split("\n").filter((l) => l !== "").sort()
    expect(complete("kratos-admin", "")).toEqual(Array.from(tree.children.keys()).sort())
    expect(complete("kratos-admin", "--url", "http://x", "sessions", "")).toEqual(["disable", "extend", "get", "list"])
    expect(complete("kratos-admin", "identities", "list", "-")).toEqual(expect.arrayContaining(["--page-size", "--all", "--context"]))
    expect(complete("kratos-admin", "identities", "list", "--output", "")).toEqual(["json", "jsonl", "table", "wide", "yaml"])
    expect(complete("kratos-admin", "identities", "import", "")).toEqual(["@files"])
  })
})
