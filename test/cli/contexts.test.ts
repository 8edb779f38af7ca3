/**
 * Contexts through the binary, with a temporary XDG_CONFIG_HOME: add/list/use/show/remove, the
 * key from an environment variable, a 0600 file or a command (and sent only to the context's
 * URL, checked by a loopback server), precedence of flags and environment, refused key files and
 * plaintext keys, failing key commands, and `connect <context>` in the REPL.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { binPath } from "../support/bin.js"

const run = (args: ReadonlyArray<string>, env: Record<string, string>, stdin = "") =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { env: { PATH: process.env.PATH, NO_COLOR: "1", ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })

/** A server that answers every list with [] and records the Authorization header it got. */
const server = async () => {
  const seen: Array<string> = []
  const s = http.createServer((req, res) => {
    seen.push(req.headers.authorization ?? "(none)")
    res.writeHead(200, { "content-type": "application/json" }).end("[]")
  })
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r))
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen, close: () => s.close() }
}

describe("contexts", () => {
  it("keeps URLs and key sources, never keys; a run takes the key from its source", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-admin-ctx-"))
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, "cfg"), KRATOS_ADMIN_HISTORY: path.join(home, "h") }
    const a = await server()
    const b = await server()
    try {
      const keyFile = path.join(home, "b.key")
      fs.writeFileSync(keyFile, "key-from-file\n", { mode: 0o644 })
      expect((await run(["context", "add", "a", "--url", a.url, "--key-env", "A_KEY", "--use"], env)).code).toBe(0)
      const refused = await run(["context", "add", "b", "--url", b.url, "--key-file", keyFile], env)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain("readable by others (mode 0644): run chmod 600")
      fs.chmodSync(keyFile, 0o600)
      expect((await run(["context", "add", "b", "--url", b.url, "--key-file", keyFile], env)).code).toBe(0)
      expect((await run(["context", "add", "c", "--url", b.url, "--key-command", "printf key-from-command"], env)).code).toBe(0)
      const file = path.join(home, "cfg", "kratos-admin", "config.json")
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(fs.readFileSync(file, "utf8")).not.toMatch(/key-from-(file|env)/)
      expect((await run(["context", "list", "-q"], env)).stdout).toBe("a\nb\nc\n")
      expect((await run(["context", "list"], env)).stdout).toMatch(/^\*\s+a\s+http:\/\/127\.0\.0\.1:\d+\s+env A_KEY$/m)

      // the current context; its variable unset is a usage error naming it
      const unset = await run(["identities", "list", "-o", "json"], env)
      expect(unset.code).toBe(2)
      expect(unset.stderr).toContain("context 'a': its key variable A_KEY is not set")
      expect((await run(["identities", "list", "-o", "json"], { ...env, A_KEY: "key-from-env" })).code).toBe(0)
      // --context, KRATOS_ADMIN_CONTEXT, a command's key
      expect((await run(["--context", "b", "identities", "list", "-o", "json"], env)).code).toBe(0)
      expect((await run(["identities", "list", "-o", "json"], { ...env, KRATOS_ADMIN_CONTEXT: "c" })).code).toBe(0)
      // flags and environment win: --api-key over the context's key, ORY_SDK_URL over the current context
      expect((await run(["--context", "b", "--api-key", "key-from-flag", "identities", "list", "-o", "json"], env)).code).toBe(0)
      expect((await run(["identities", "list", "-o", "json"], { ...env, ORY_SDK_URL: a.url, ORY_API_KEY: "key-of-env-url" })).code).toBe(0)
      expect(a.seen).toEqual(["Bearer key-from-env", "Bearer key-of-env-url"])
      expect(b.seen).toEqual(["Bearer key-from-file", "Bearer key-from-command", "Bearer key-from-flag"])

      // errors are usage errors with the reason, the key never printed
      const unknown = await run(["--context", "nope", "identities", "list"], env)
      expect([unknown.code, unknown.stderr]).toEqual([2, "error: unknown context 'nope' (known: a, b, c)\n"])
      fs.chmodSync(keyFile, 0o640)
      const perms = await run(["--context", "b", "identities", "list"], env)
      expect(perms.code).toBe(2)
      expect(perms.stderr).toContain("context 'b': key file")
      expect((await run(["context", "add", "bad", "--url", b.url, "--key-command", "echo nope >&2; exit 3"], env)).code).toBe(0)
      const failing = await run(["--context", "bad", "identities", "list"], env)
      expect([failing.code, failing.stderr]).toEqual([2, "error: context 'bad': its key command exited with 3: nope\n"])
      const both = await run(["--context", "b", "--url", b.url, "identities", "list"], env)
      expect(both.code).toBe(2)

      // REPL: connect <context>, the prompt's label names it
      const repl = await run(["repl"], { ...env, A_KEY: "key-from-env" }, "connect c\nstatus -o json\nidentities list -o json\n")
      expect(repl.code).toBe(0)
      expect(repl.stdout).toContain("connected to c")
      expect(repl.stdout).toContain("\"target\":\"c\"")
      expect(b.seen.at(-1)).toBe("Bearer key-from-command")

      // use, show, remove
      expect((await run(["context", "use", "b"], env)).stdout).toBe("current context: b\n")
      expect((await run(["context", "show"], env)).stdout).toContain(`key      file ${keyFile}`)
      expect((await run(["context", "remove", "b"], env)).code).toBe(0)
      expect((await run(["context", "list", "-q"], env)).stdout).toBe("a\nbad\nc\n")
      for (const r of [unset, unknown, perms, failing]) expect(r.stderr).not.toMatch(/key-from-(file|env|flag)/)

      // a key written into the file by hand is refused
      fs.writeFileSync(file, JSON.stringify({ contexts: { x: { url: b.url, key: "ory_pat_plaintext" } } }))
      const plaintext = await run(["--context", "x", "identities", "list"], env)
      expect(plaintext.code).toBe(2)
      expect(plaintext.stderr).toContain("holds an API key")
      expect(plaintext.stderr).not.toContain("ory_pat_plaintext")
    } finally {
      a.close()
      b.close()
    }
  }, 120_000)
})
