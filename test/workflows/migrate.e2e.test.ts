/** `identities import --from auth0|firebase` as users run it, against a loopback sandbox. */
import { describe, expect, it } from "@effect/vitest"
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"
import { sandboxPerFile } from "../support/sandbox.js"
import { tmpDir } from "./helpers.js"

let sb: Sandbox.SandboxService
sandboxPerFile({ hashCost: 4 }, (s) => {
  sb = s
})

const cli = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile("node", [binPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KRATOS_ADMIN_URL: sb.url },
      timeout: 90_000
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end()
  })

describe("identities import --from (child process)", () => {
  it("Firebase and Auth0 exports import with their hashes; unmappable records are reported", async () => {
    const dir = tmpDir()
    const config = path.join(dir, "hash-config.txt")
    fs.writeFileSync(config, `hash_config {\n  algorithm: SCRYPT,\n  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,\n  base64_salt_separator: Bw==,\n  rounds: 8,\n  mem_cost: 14,\n}\n`)
    const firebase = path.join(dir, "users.json")
    fs.writeFileSync(firebase, JSON.stringify({
      users: [
        { localId: "fb-1", email: "ada@example.com", emailVerified: true, passwordHash: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==", salt: "42xEC+ixf3L2lw==", displayName: "Ada Lovelace" },
        { localId: "fb-2", phoneNumber: "+15555550100" }
      ]
    }))
    const fb = await cli(["identities", "import", "--from", "firebase", firebase, "--firebase-hash-config", config, "-o", "json"])
    expect(fb.code).toBe(1)
    expect(JSON.parse(fb.stdout)).toMatchObject({ created: 1, malformed: 1 })
    const failures = fs.readFileSync(`${firebase}.failures.jsonl`, "utf8")
    expect(failures).toMatch(/nothing to sign in with/)

    const auth0 = path.join(dir, "auth0.jsonl")
    const hash = bcrypt.hashSync("pw", { cost: 4 })
    fs.writeFileSync(auth0, [
      { user_id: "auth0|1", email: "grace@example.com", email_verified: true, given_name: "Grace", family_name: "Hopper", passwordHash: hash },
      { user_id: "google-oauth2|2", email: "linus@example.com", identities: [{ provider: "google-oauth2", user_id: "2", isSocial: true }] }
    ].map((r) => JSON.stringify(r)).join("\n") + "\n")
    const a0 = await cli(["identities", "import", "--from", "auth0", auth0, "-o", "json"])
    expect(a0.code).toBe(0)
    expect(JSON.parse(a0.stdout)).toMatchObject({ created: 2, complete: true })
    const all = await Effect.runPromise(sb.identities)
    expect(all.map((i) => i.external_id).sort()).toEqual(["auth0|1", "fb-1", "google-oauth2|2"])

    const noConfig = await cli(["identities", "import", "--from", "firebase", firebase, "--firebase-hash-config", auth0])
    expect(noConfig.code).toBe(2)
  }, 180_000)
})
