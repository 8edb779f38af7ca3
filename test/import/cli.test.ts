/**
 * `kratos-admin identities import` and `identities create --file` as users run them: the binary as
 * a child process against a sandbox on loopback.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"
import { drive, failure } from "../support/pty.js"
import { sandboxPerFile } from "../support/sandbox.js"
import { record, records, tmpDir, writeJsonl } from "./helpers.js"

let url = ""
let sandbox: Sandbox.SandboxService

sandboxPerFile({ hashCost: 4 }, (s) => {
  sandbox = s
  url = s.url
})

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export const cli = (args: ReadonlyArray<string>, input: string | Uint8Array = "", target = url) =>
  new Promise<Result>((resolve) => {
    const child = execFile("node", [binPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: target },
      timeout: 120_000
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end(input)
  })

/** `kratos-admin identities import <(cat file) …args`, run by bash: the input is a pipe, /dev/fd/N. */
const cliPiped = (file: string, args: ReadonlyArray<string>) =>
  new Promise<Result>((resolve) => {
    execFile("bash", ["-c", `exec "$0" "$1" identities import <(cat "$2") "\${@:3}"`, process.execPath, binPath, file, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: url },
      timeout: 60_000
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }))
  })

/**
 * Starts `command args` against a sandbox that answers slowly, sends it SIGINT once `atLeast` of
 * `externalIds` are on the server, and answers its exit code and stderr.
 */
const interruptAfter = async (
  command: string,
  args: ReadonlyArray<string>,
  externalIds: ReadonlySet<string>,
  atLeast: number
) => {
  await Effect.runPromise(sandbox.setOptions({ latency: "150 millis" }))
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: url },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
  child.stdout!.resume()
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  while ((await onServer(externalIds)) < atLeast) await new Promise((resolve) => setTimeout(resolve, 20))
  child.kill("SIGINT")
  const code = await exited
  await Effect.runPromise(sandbox.setOptions({ latency: undefined }))
  return { code, stderr }
}

/** How many of `externalIds` the sandbox holds. */
const onServer = async (externalIds: ReadonlySet<string>) =>
  (await Effect.runPromise(sandbox.identities)).filter((i) => externalIds.has(i.external_id ?? "")).length

// Plausible mistakes in a credentials object, each around a secret that must never be printed.
const secrets = ["Extr4SecretPW", "S4ltS3cr3tV4lue", "987654321987", "$2a$04$S3CR3THASHS3CR3THASHS3CRuW5GQZQ8fb1qfGx0mJy8j3aO6V2Wy"]
const leaky = [
  record(1, { credentials: { password: { config: { password: "Extr4SecretPW", extra: 1 } } } }),
  record(2, { credentials: { password: { config: { password: "Extr4SecretPW" }, identifiers: ["user2@example.com"] } } }),
  record(3, { credentials: { password: { config: { password: 987654321987 } } } }),
  record(4, { credentials: { password: { config: { hashed_password: secrets[3], salt: "S4ltS3cr3tV4lue" } } } }),
  record(5, { credentials: { password: { config: { password: ["Extr4SecretPW"] } } } }),
  record(6, { credentials: { oidc: { config: { password: "Extr4SecretPW" } } } })
]

const noSecret = (text: string) => {
  for (const s of secrets) expect(text).not.toContain(s)
}

describe("kratos-admin identities import (child process)", () => {
  it("a credentials object with a mistake: reasons name the path and the shape, never the secret", async () => {
    const dir = tmpDir()
    const file = writeJsonl(dir, "leaky.jsonl", [...leaky, record(7)])
    const r = await cli(["identities", "import", file])
    expect(r.code).toBe(1)
    const failures = fs.readFileSync(`${file}.failures.jsonl`, "utf8")
    for (const text of [r.stdout, r.stderr]) noSecret(text)
    // the failures file keeps a hash (a re-import needs it), never a plaintext password
    for (const s of [secrets[0], secrets[2]]) expect(failures).not.toContain(s)
    expect(failures).toContain(secrets[3])
    const lines = failures.trim().split("\n").map((l) => JSON.parse(l) as { line: number; reason: string })
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6])
    expect(lines[0].reason).toContain("credentials.password.config.extra")
    expect(lines[1].reason).toContain("credentials.password.identifiers")
    expect(lines[2].reason).toContain("credentials.password.config.password: expected string")
    for (const l of lines) expect(l.reason).not.toContain("expected undefined")
    expect(JSON.parse(r.stdout)).toMatchObject({ created: 1, invalid: 6 })
  })

  it("identities create --file with the same mistakes: stderr names the path, never the secret", async () => {
    const dir = tmpDir()
    for (const [i, body] of leaky.entries()) {
      const file = path.join(dir, `body-${i}.json`)
      fs.writeFileSync(file, JSON.stringify(body))
      const r = await cli(["identities", "create", "--file", file])
      expect(r.code).not.toBe(0)
      noSecret(r.stdout + r.stderr)
      expect(r.stderr).toContain("credentials")
    }
  })

  it("a finished import run again: says so, sends nothing, exit 1; --restart starts over", async () => {
    const dir = tmpDir()
    const file = writeJsonl(dir, "again.jsonl", records(30, 1000))
    const first = await cli(["identities", "import", file])
    expect(first.code).toBe(0)
    const again = await cli(["identities", "import", file])
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain("was imported by an earlier run")
    const resumed = await cli(["identities", "import", file, "--resume"])
    expect(resumed.code).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ created: 30, resumed: 30, batches: 0 })
  })

  it("a pipe as the input (bash's <(…)): imported like stdin, no journal beside it, and it says so", async () => {
    const dir = tmpDir()
    const file = writeJsonl(dir, "piped.jsonl", records(40, 3000))
    const r = await cliPiped(file, [])
    expect(r.stderr).not.toContain("cannot")
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ created: 40, complete: true })
    expect(report.source).toMatch(/^\/dev\/fd\/\d+$/)
    expect(report.journal).toBeUndefined()
    expect(fs.readdirSync(dir)).toEqual(["piped.jsonl"])
  })

  it("gzip in a file or on stdin is imported as the text it holds; a zip archive is refused with what to do", async () => {
    const dir = tmpDir()
    const text = fs.readFileSync(writeJsonl(dir, "u.jsonl", records(60, 4000)))
    const gz = path.join(dir, "users.jsonl.gz")
    fs.writeFileSync(gz, zlib.gzipSync(text.subarray(0, 30 * Math.ceil(text.length / 60))))
    const fromFile = await cli(["identities", "import", gz])
    expect(fromFile.stderr).not.toContain("malformed")
    expect(fromFile.code).toBe(0)
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ records: 30, created: 30, complete: true })
    const rest = zlib.gzipSync(text.subarray(30 * Math.ceil(text.length / 60)))
    const fromStdin = await cli(["identities", "import", "-"], rest)
    expect(fromStdin.code).toBe(0)
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ records: 30, created: 30, complete: true })
    const zip = path.join(dir, "users.zip")
    fs.writeFileSync(zip, Buffer.concat([Buffer.from("PK\u0003\u0004"), text]))
    const refused = await cli(["identities", "import", zip])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain("it is a zip archive: extract the JSON Lines (or JSON) file from it and import that")
  })

  it("--resume --retry-failed sends again only the records the journal holds as failed, unchanged lines included", async () => {
    const dir = tmpDir()
    const input = records(40, 2000)
    const file = writeJsonl(dir, "conflicts.jsonl", input)
    // five records collide with identities that were there before the import (same e-mail)
    const taken = [3, 9, 17, 25, 38]
    const squatters = await Effect.runPromise(sandbox.insertIdentities(taken.map((k) => ({
      schema_id: "default",
      traits: { email: input[k - 1].traits.email, name: { first: "Someone", last: "Else" } }
    }))))
    const first = await cli(["identities", "import", file, "--batch-size", "10"])
    expect(first.code).toBe(1)
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 35, conflicts: 5 })
    const failed = fs.readFileSync(`${file}.failures.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l).line)
    expect(failed).toEqual(taken)
    const batches = async () => (await Effect.runPromise(sandbox.requests)).filter((r) => r.operation === "batchPatchIdentities").length
    // a plain resume: the failures stand, nothing is sent
    const before = await batches()
    const resumed = await cli(["identities", "import", file, "--resume"])
    expect(resumed.code).toBe(1)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ conflicts: 5, resumed: 40, batches: 0 })
    expect(await batches()).toBe(before)
    // the conflicting identities go away; the input did not change: --retry-failed sends those five
    for (const s of squatters) expect((await fetch(`${url}/admin/identities/${s.id}`, { method: "DELETE" })).status).toBe(204)
    const retried = await cli(["identities", "import", file, "--resume", "--retry-failed"])
    expect(retried.code, retried.stderr).toBe(0)
    expect(JSON.parse(retried.stdout)).toMatchObject({ created: 40, conflicts: 0, complete: true, resumed: 35 })
    const log = (await Effect.runPromise(sandbox.requests)).filter((r) => r.operation === "batchPatchIdentities")
    expect(log.length - before).toBe(1)
    const all = await Effect.runPromise(sandbox.identities)
    for (const r of input) expect(all.filter((i) => i.external_id === r.external_id).length).toBe(1)
  })

  it("Ctrl-C (SIGINT) prints the summary so far and the exact command that resumes; that command finishes the import", async () => {
    const dir = tmpDir()
    const input = records(400, 5000)
    const file = writeJsonl(dir, "interrupted.jsonl", input)
    const args = [binPath, "identities", "import", file, "--batch-size", "20", "--output", "json"]
    const { code, stderr } = await interruptAfter(process.execPath, args, new Set(input.map((r) => r.external_id)), 60)
    expect(code).toBe(130)
    const summary = /interrupted: .*: (\d+) record\(s\) finished \((\d+) imported, 0 not\) of (\d+) read/.exec(stderr)
    expect(summary, stderr).not.toBeNull()
    expect(Number(summary![1])).toBeGreaterThanOrEqual(40)
    expect(Number(summary![1])).toBeLessThan(400)
    const command = /resume with: (.*)/.exec(stderr)?.[1]
    expect(command).toBe(`kratos-admin identities import ${file} --batch-size 20 --output json --resume`)
    const resumed = await cli(command!.split(" ").slice(1))
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ complete: true, records: 400, failed: 0, conflicts: 0 })
    const all = await Effect.runPromise(sandbox.identities)
    for (const r of input) expect(all.filter((i) => i.external_id === r.external_id).length).toBe(1)
  })

  it("on a terminal, the progress line's percentage counts finished records, not the bytes read ahead of the server", async () => {
    const dir = tmpDir()
    // a small file is read whole at once; each batch of 10 then takes the server ~0.4 s
    const file = writeJsonl(dir, "progress.jsonl", records(30, 6000))
    await Effect.runPromise(sandbox.setOptions({ latency: "400 millis" }))
    try {
      const r = await drive(
        [{ expect: "20 done", timeout: 30 }],
        { KRATOS_ADMIN_URL: url },
        ["identities", "import", file, "--batch-size", "10"]
      )
      expect(r.ok, failure(r)).toBe(true)
      expect(r.output).toMatch(/\D33%\s+30 read, 10 done/)
      expect(r.output).toMatch(/\D66%\s+30 read, 20 done/)
      expect(r.output).not.toMatch(/100%\s+30 read, (10|20) done/)
    } finally {
      await Effect.runPromise(sandbox.setOptions({ latency: undefined }))
    }
  })

  it("Ctrl-C on an import from a pipe with --journal: the resume command says to give the same input again", async () => {
    const dir = tmpDir()
    const input = records(400, 8000)
    const file = writeJsonl(dir, "piped-interrupted.jsonl", input)
    const ours = new Set(input.map((r) => r.external_id))
    const journal = path.join(dir, "piped.journal.jsonl")
    const piped = ["-c", `exec "$0" "$1" identities import <(cat "$2") --journal "$3" --batch-size 20 -o json`, process.execPath, binPath, file, journal]
    const { code, stderr } = await interruptAfter("bash", piped, ours, 40)
    expect(code).toBe(130)
    const line = /resume with: (.*)/.exec(stderr)?.[1]
    expect(line, stderr).toMatch(
      new RegExp(`^kratos-admin identities import (/dev/fd/\\d+) --journal ${journal} --batch-size 20 -o json --resume \\(\\1 was a pipe: give the same input again in its place\\)$`)
    )
    // as it says: the same input through a new pipe, and the journal finishes the import
    const resumed = await cliPiped(file, ["--journal", journal, "--batch-size", "20", "-o", "json", "--resume"])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ complete: true, records: 400, failed: 0, conflicts: 0 })
    expect(JSON.parse(resumed.stdout).resumed).toBeGreaterThanOrEqual(40)
    expect(await onServer(ours)).toBe(400)
  })

  it("malformed lines carry their line number and byte offset, in the failures file and the report", async () => {
    const dir = tmpDir()
    const lines = [
      Buffer.from(JSON.stringify(record(1, { traits: { email: "user1@example.com", name: { first: "Zoë 日本", last: "🦀" } } })) + "\n"),
      Buffer.from("{not json\n"),
      Buffer.from(JSON.stringify(record(2)) + "\r\n"),
      Buffer.concat([Buffer.from('{"traits":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]),
      Buffer.from("\n"),
      Buffer.from(JSON.stringify(record(3)) + "\n"),
      Buffer.from("[1,\n")
    ]
    const file = path.join(dir, "broken.jsonl")
    fs.writeFileSync(file, Buffer.concat(lines))
    const offsetOf = (k: number) => lines.slice(0, k).reduce((n, b) => n + b.length, 0)
    const r = await cli(["identities", "import", file, "-o", "json"])
    expect(r.code).toBe(1)
    const expected = [{ line: 2, offset: offsetOf(1) }, { line: 4, offset: offsetOf(3) }, { line: 7, offset: offsetOf(6) }]
    expect(JSON.parse(r.stdout)).toMatchObject({ created: 3, malformed: 3, malformedAt: expected })
    const failures = fs.readFileSync(`${file}.failures.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(failures.map((f) => ({ line: f.line, offset: f.offset, status: f.status }))).toEqual(expected.map((e) => ({ ...e, status: "malformed" })))
    // what the user does with it: the bytes at that offset are the line
    const bytes = fs.readFileSync(file)
    expect(bytes.subarray(expected[0].offset, expected[0].offset + 9).toString()).toBe("{not json")
    const table = await cli(["identities", "import", file, "-o", "table", "--restart"])
    expect(table.stdout).toContain(`2:${offsetOf(1)}, 4:${offsetOf(3)}, 7:${offsetOf(6)}`)
  })

  it("--dry-run refuses exactly the hash formats the server (Kratos v26.2.0's prefix check) refuses", async () => {
    const dir = tmpDir()
    const hashes = [
      "$2a$04$abcdefghijklmnopqrstuu5GQZQ8fb1qfGx0mJy8j3aO6V2Wy", // bcrypt
      "$2y$10$whatever", // a bcrypt prefix with a malformed rest: imported (prefix only)
      "$argon2id$v=19$m=16,t=2,p=1$c2FsdA$aGFzaA",
      "$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA",
      "{SSHA}c2FsdGVkaGFzaA==",
      "$hmac-sha256$aGFzaA==$a2V5",
      "$firescrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA$c2VwYXJhdG9y$c2lnbmVy",
      "nope",
      "$pbkdf2-sha$i=1$x$y",
      "$hmac-sha3$x$y",
      "2a$04$missing-dollar",
      "{SHA}c2FsdA=="
    ]
    const input = hashes.map((h, k) => record(7000 + k, { credentials: { password: { config: { hashed_password: h } } } }))
    const file = writeJsonl(dir, "hashes.jsonl", [...input, record(7100, { credentials: { password: { config: {} } } })])
    const dry = await cli(["identities", "import", file, "--dry-run", "-o", "json"])
    expect(dry.code).toBe(1)
    const dryReport = JSON.parse(dry.stdout)
    const dryFailures = fs.readFileSync(`${file}.failures.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    for (const f of dryFailures) expect(f.reason).toContain("not a hash format Kratos v26.2.0 imports")
    // the same file for real: the server refuses exactly those lines
    fs.renameSync(`${file}.failures.jsonl`, path.join(dir, "dry-failures.jsonl"))
    const real = await cli(["identities", "import", file, "-o", "json"])
    expect(real.code).toBe(1)
    const realFailures = fs.readFileSync(`${file}.failures.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(dryFailures.map((f) => f.line)).toEqual(realFailures.map((f) => f.line))
    expect(dryFailures.map((f) => f.line)).toEqual([8, 9, 10, 11, 12, 13])
    expect(dryReport).toMatchObject({ invalid: 6, valid: 7, created: 0 })
    // the reason never shows the hash
    for (const f of dryFailures) expect(f.reason).not.toContain(hashes[f.line - 1])
  })

  it("--dry-run --schema-file validates traits offline: no server needed", async () => {
    const dir = tmpDir()
    const schema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        traits: {
          type: "object",
          properties: {
            email: { type: "string", format: "email", "ory.sh/kratos": { credentials: { password: { identifier: true } } } },
            name: { type: "object", properties: { first: { type: "string" }, last: { type: "string" } } }
          },
          required: ["email"],
          additionalProperties: false
        }
      }
    }
    const schemaFile = path.join(dir, "schema.json")
    fs.writeFileSync(schemaFile, JSON.stringify(schema))
    const file = writeJsonl(dir, "offline.jsonl", [
      record(1),
      { ...record(2), traits: { email: "not-an-email" } },
      { ...record(3), traits: { email: "u3@example.com", nickname: "x" } },
      record(4, { traits: { email: "USER1@example.com" } })
    ])
    const nowhere = "http://127.0.0.1:9"
    const offline = await cli(["identities", "import", file, "--dry-run", "--schema-file", schemaFile, "-o", "json"], "", nowhere)
    expect(offline.code, offline.stderr).toBe(1)
    expect(JSON.parse(offline.stdout)).toMatchObject({ valid: 1, invalid: 2, duplicates: 1 })
    const failures = fs.readFileSync(`${file}.failures.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l))
    expect(failures.map((f) => [f.line, f.status])).toEqual([[2, "invalid"], [3, "invalid"], [4, "duplicate"]])
    // without the schema file the dry run needs the server's schema
    const online = await cli(["identities", "import", file, "--dry-run", "--restart"], "", nowhere)
    expect(online.code).not.toBe(0)
    expect(online.stderr).toContain("schema")
    const bad = await cli(["identities", "import", file, "--dry-run", "--schema-file", file], "", nowhere)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--schema-file")
  })
})
