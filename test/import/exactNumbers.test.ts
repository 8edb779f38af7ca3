/**
 * Numbers JSON.parse would round (past 2^53, or with more digits than a double holds) reach the
 * server as they were written when the importer sends a record other than as read: a plaintext
 * password hashed (`--prehash`), a failures-file line unwrapped; and the failures file keeps them.
 * Kratos stores metadata and traits as the JSON it was sent, every digit of it.
 *
 * The binary runs against a recording proxy in front of the sandbox: the proxy keeps each request
 * body as it went over the wire (the sandbox itself, on JSON.parse, would round them).
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { hasInexactNumber, inexactNumberPath, parseExact, stringifyExact } from "../../src/internal/exactJson.js"
import { withoutPassword } from "../../src/internal/import/failures.js"
import { binPath } from "../support/bin.js"
import { sandboxPerFile } from "../support/sandbox.js"
import { record, tmpDir } from "./helpers.js"

let target = ""
sandboxPerFile({ hashCost: 4 }, (s) => {
  target = s.url
})

/** A proxy to the sandbox that records every request body it forwards. */
const recordingProxy = () =>
  new Promise<{ readonly url: string; readonly bodies: Array<string>; readonly close: () => void }>((resolve) => {
    const bodies: Array<string> = []
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const body = Buffer.concat(chunks)
        if (body.length > 0) bodies.push(body.toString("utf8"))
        const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        })
        upstream.end(body)
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bodies,
        close: () => {
          server.closeAllConnections()
          server.close()
        }
      }))
  })

/** Runs `f` with a fresh recording proxy, closed afterwards. */
const withProxy = async (f: (proxy: Awaited<ReturnType<typeof recordingProxy>>) => Promise<void>) => {
  const proxy = await recordingProxy()
  try {
    await f(proxy)
  } finally {
    proxy.close()
  }
}

const cli = (args: ReadonlyArray<string>, url: string) =>
  new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    execFile("node", [binPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: url },
      timeout: 60_000
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }))
  })

// written as text: JSON.stringify of a JS value could not hold them
const big = `{"n":12345678901234567890,"f":1.00000000000000000001,"small":42,"e":1e400}`
const line = (i: number, credentials: string) =>
  `{"schema_id":"default","external_id":"exact-${i}","traits":{"email":"exact${i}@example.com","name":{"first":"E","last":"${i}"}},` +
  `"metadata_public":${big},"credentials":${credentials}}`
const exactDigits = (text: string) => {
  expect(text).toContain("12345678901234567890")
  expect(text).toContain("1.00000000000000000001")
  expect(text).toContain("1e400")
}

describe("numbers JSON.parse would round (child process, recording proxy)", () => {
  it("--prehash: the record is sent with a bcrypt hash in place of the password, its numbers as written", () =>
    withProxy(async (proxy) => {
      const dir = tmpDir()
      const file = path.join(dir, "plain.jsonl")
      fs.writeFileSync(file, line(1, `{"password":{"config":{"password":"Plain-Secret-1"}}}`) + "\n")
      const r = await cli(["identities", "import", file, "--prehash", "--prehash-cost", "4", "-q", "-o", "json"], proxy.url)
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ created: 1, complete: true })
      const batch = proxy.bodies.find((b) => b.includes("exact-1"))!
      exactDigits(batch)
      expect(batch).toContain("\"hashed_password\":\"$2")
      expect(batch).not.toContain("Plain-Secret-1")
    }))

  it("a failures-file line imported again: the record inside it is sent with its numbers as written", () =>
    withProxy(async (proxy) => {
      const dir = tmpDir()
      const file = path.join(dir, "fixed.jsonl")
      const inner = line(2, `{"password":{"config":{"hashed_password":${JSON.stringify(record(2).credentials.password.config.hashed_password)}}}}`)
      fs.writeFileSync(file, `{"line":7,"status":"failed","reason":"fixed since","record":${inner}}\n`)
      const r = await cli(["identities", "import", file, "-q", "-o", "json"], proxy.url)
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ created: 1, complete: true })
      const batch = proxy.bodies.find((b) => b.includes("exact-2"))!
      exactDigits(batch)
      expect(batch).not.toContain("fixed since")
    }))

  it("--resume after a record was edited: the identity is replaced (PUT) with its numbers as written", () =>
    withProxy(async (proxy) => {
      const dir = tmpDir()
      const file = path.join(dir, "edited.jsonl")
      const hashed = `{"password":{"config":{"hashed_password":${JSON.stringify(record(5).credentials.password.config.hashed_password)}}}}`
      fs.writeFileSync(file, line(5, hashed) + "\n")
      expect((await cli(["identities", "import", file, "-q"], proxy.url)).code).toBe(0)
      fs.writeFileSync(file, line(5, hashed).replace(`"first":"E"`, `"first":"Edited"`) + "\n")
      const r = await cli(["identities", "import", file, "--resume", "-q", "-o", "json"], proxy.url)
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ updated: 1, complete: true })
      const put = proxy.bodies.find((b) => b.includes("Edited") && !b.includes("identities"))!
      exactDigits(put)
      expect(put).toContain(`"state":"active"`)
    }))

  it("the failures file keeps a failed record's numbers as written, and never its password", () =>
    withProxy(async (proxy) => {
      const dir = tmpDir()
      // one identity the server holds already: the same external_id again is a conflict
      const first = path.join(dir, "first.jsonl")
      fs.writeFileSync(first, line(3, `{"password":{"config":{"password":"Plain-Secret-3"}}}`) + "\n")
      expect((await cli(["identities", "import", first, "-q"], proxy.url)).code).toBe(0)
      const file = path.join(dir, "again.jsonl")
      fs.writeFileSync(
        file,
        [
          // a conflict at the server (external_id taken), and a record invalid here (a trait of the wrong type)
          line(3, `{"password":{"config":{"password":"Plain-Secret-3"}}}`).replace("exact3@", "other3@"),
          line(4, `{"password":{"config":{"password":"Plain-Secret-4"}}}`).replace(`"last":"4"`, `"last":4`)
        ].join("\n") + "\n"
      )
      const r = await cli(["identities", "import", file, "-q", "-o", "json"], proxy.url)
      expect(r.code).toBe(1)
      expect(JSON.parse(r.stdout)).toMatchObject({ conflicts: 1, invalid: 1 })
      const failures = fs.readFileSync(`${file}.failures.jsonl`, "utf8").trim().split("\n")
      expect(failures).toHaveLength(2)
      for (const f of failures) {
        exactDigits(f)
        expect(f).not.toContain("Plain-Secret")
        expect(JSON.parse(f)).toMatchObject({ password_removed: true })
      }
      // the events and the summary stay plain JSON values (rounded, as JSON.parse reads them)
      expect(r.stdout).not.toContain("isLosslessNumber")
    }))
})

describe("identities create/update/patch: JSON the CLI would send rounded is refused (child process)", () => {
  it("a --file, --metadata-public or --trait-json holding such a number: usage error (exit 2) naming its path, nothing sent", () =>
    withProxy(async (proxy) => {
      const dir = tmpDir()
      const file = path.join(dir, "one.json")
      fs.writeFileSync(file, line(6, `{"password":{"config":{"password":"Plain-Secret-6"}}}`))
      const fromFile = await cli(["identities", "create", "--file", file], proxy.url)
      expect(fromFile.code).toBe(2)
      expect(fromFile.stderr).toContain(`${file}: the number at metadata_public.n has more digits than this tool keeps`)
      expect(fromFile.stderr).toContain("identities import")
      const flag = await cli(["identities", "create", "--trait", "email=x6@example.com", "--metadata-public", `{"ids":[1,1e400]}`], proxy.url)
      expect(flag.code).toBe(2)
      expect(flag.stderr).toContain("--metadata-public: the number at ids[1] has more digits")
      // the message names a path, never the value (under credentials it could be a secret)
      const secret = await cli(["identities", "create", "--trait", "email=x7@example.com", "--trait-json", "n=98765432109876543210"], proxy.url)
      expect(secret.code).toBe(2)
      expect(secret.stderr).toContain("--trait-json n: the number at the top level")
      expect(secret.stderr).not.toContain("98765432109876543210")
      expect(proxy.bodies).toEqual([])
      // numbers a double holds exactly go through
      const ok = await cli(["identities", "create", "--trait", "email=x8@example.com", "--metadata-public", `{"n":9007199254740991,"f":0.5}`, "-o", "json"], proxy.url)
      expect(ok.code, ok.stderr).toBe(0)
      expect(JSON.parse(ok.stdout)).toMatchObject({ metadata_public: { n: 9007199254740991, f: 0.5 } })
    }))
})

describe("exactJson", () => {
  it("hasInexactNumber: true only for a number JSON.parse would not give back digit for digit", () => {
    expect(hasInexactNumber(`{"n":12345678901234567890}`)).toBe(true)
    expect(hasInexactNumber(`[9007199254740993]`)).toBe(true)
    expect(hasInexactNumber(`{"f":0.12345678901234567891}`)).toBe(true)
    expect(hasInexactNumber(`{"e":1e400}`)).toBe(true)
    expect(hasInexactNumber(`[9007199254740991, 1.5, -3, 0.1]`)).toBe(false)
    // digits in a string are text, not a number
    expect(hasInexactNumber(`{"s":"12345678901234567890"}`)).toBe(false)
    // not JSON: nothing to keep
    expect(hasInexactNumber(`{"n":12345678901234567890`)).toBe(false)
  })

  it("inexactNumberPath: the path of the first such number", () => {
    expect(inexactNumberPath(`{"a":{"b":[1,2,12345678901234567890]}}`)).toBe("a.b[2]")
    expect(inexactNumberPath(`1e400`)).toBe("")
    expect(inexactNumberPath(`{"a":1,"s":"12345678901234567890"}`)).toBeUndefined()
  })

  it("a value parsed exactly serializes back to the same text, changed or not; withoutPassword keeps its numbers", () => {
    const text = `{"a":12345678901234567890,"b":[1.00000000000000000001,{"c":-0.5}],"credentials":{"password":{"config":{"password":"p","n":1e400}}}}`
    expect(stringifyExact(parseExact(text))).toBe(text)
    const stripped = withoutPassword(parseExact(text))
    expect(stripped.removed).toBe(true)
    expect(stringifyExact(stripped.record)).toBe(`{"a":12345678901234567890,"b":[1.00000000000000000001,{"c":-0.5}],"credentials":{"password":{"config":{"n":1e400}}}}`)
  })
})
