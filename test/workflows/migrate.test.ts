import { describe, expect, it } from "@effect/vitest"
import * as bcrypt from "@node-rs/bcrypt"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { createCipheriv, scryptSync } from "node:crypto"
import * as Export from "../../src/Export.js"
import * as Import from "../../src/Import.js"
import * as Migrate from "../../src/Migrate.js"
import { http, sandboxWithClient } from "./helpers.js"

/**
 * Firebase's documented scrypt (github.com/firebase/scrypt): key = scrypt(password, salt ‖ salt
 * separator, N = 2^mem_cost, r = rounds, p = 1, 32 bytes); hash = AES-256-CTR(key, IV 0) of the
 * signer key. Checked here from the parts of Kratos' `$firescrypt$` string.
 */
const verifyFirescrypt = (password: string, stored: string): boolean => {
  const [, tag, params, salt, hash, separator, signer] = stored.split("$")
  if (tag !== "firescrypt") return false
  const p = Object.fromEntries(params.split(",").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]))
  const key = scryptSync(
    Buffer.from(password),
    Buffer.concat([Buffer.from(salt, "base64"), Buffer.from(separator, "base64")]),
    32,
    { N: 2 ** p.ln, r: p.r, p: p.p, maxmem: 128 * 1024 * 1024 }
  )
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16, 0))
  return Buffer.concat([cipher.update(Buffer.from(signer, "base64")), cipher.final()]).toString("base64") === hash
}

// The sample project of Firebase's scrypt repository: its published hash of "user1password".
const consoleHashConfig = `hash_config {
  algorithm: SCRYPT,
  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}`
const firebaseExport = {
  users: [
    {
      localId: "fb-uid-1",
      email: "ada@example.com",
      emailVerified: true,
      passwordHash: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
      salt: "42xEC+ixf3L2lw==",
      displayName: "Ada King Lovelace",
      providerUserInfo: [
        { providerId: "google.com", rawId: "1098765", email: "ada@example.com" },
        { providerId: "password", rawId: "ada@example.com" }
      ],
      disabled: false,
      createdAt: "1700000000000"
    },
    { localId: "fb-uid-2", providerUserInfo: [{ providerId: "github.com", rawId: "42" }], disabled: true },
    { localId: "fb-uid-3", phoneNumber: "+15555550100", providerUserInfo: [{ providerId: "phone", rawId: "+15555550100" }] }
  ]
}

describe("Migrate", () => {
  it("Firebase: the hash config as printed, scrypt hashes to $firescrypt$ that verifies the known password", () => {
    const config = Migrate.parseFirebaseHashConfig(consoleHashConfig)
    if (typeof config === "string") throw new Error(config)
    expect(config).toMatchObject({ rounds: 8, mem_cost: 14, base64_salt_separator: "Bw==" })
    const [ada, github, phoneOnly] = Migrate.firebaseUsers(firebaseExport).map((u) => Migrate.fromFirebase(u, config))
    if (typeof ada === "string") throw new Error(ada)
    expect(ada).toMatchObject({
      external_id: "fb-uid-1",
      traits: { email: "ada@example.com", name: { first: "Ada", last: "King Lovelace" } },
      verifiable_addresses: [{ value: "ada@example.com", verified: true, via: "email", status: "completed" }],
      credentials: { oidc: { config: { providers: [{ provider: "google", subject: "1098765" }] } } }
    })
    const hash = ada.credentials!.password!.config!.hashed_password!
    expect(hash.startsWith("$firescrypt$ln=14,r=8,p=1$42xEC+ixf3L2lw==$")).toBe(true)
    expect(verifyFirescrypt("user1password", hash)).toBe(true)
    expect(verifyFirescrypt("user1passwore", hash)).toBe(false)
    expect(github).toMatchObject({ external_id: "fb-uid-2", state: "inactive", credentials: { oidc: { config: { providers: [{ provider: "github", subject: "42" }] } } } })
    expect(phoneOnly).toMatch(/nothing to sign in with/)
    expect(Migrate.fromFirebase(firebaseExport.users[0], undefined)).toMatch(/--firebase-hash-config/)
    expect(Migrate.parseFirebaseHashConfig(JSON.stringify({ hash_config: { ...config } }))).toEqual(config)
    expect(Migrate.parseFirebaseHashConfig("rounds: 8")).toMatch(/needs/)
  })

  it("Auth0: bcrypt hashes as they are, verified e-mail, names, social identities", () => {
    const hash = bcrypt.hashSync("auth0-password", { cost: 4 }).replace(/^\$2[aby]\$/, "$2b$")
    const user = {
      user_id: "auth0|5f7c8ec7c33c6c004bbafe82",
      email: "grace@example.com",
      email_verified: true,
      name: "Grace Hopper",
      given_name: "Grace",
      family_name: "Hopper",
      passwordHash: hash,
      identities: [
        { provider: "auth0", user_id: "5f7c8ec7c33c6c004bbafe82", connection: "Username-Password-Authentication", isSocial: false },
        { provider: "google-oauth2", user_id: "108091299999329986433", connection: "google-oauth2", isSocial: true }
      ]
    }
    const body = Migrate.fromAuth0(user)
    if (typeof body === "string") throw new Error(body)
    expect(body).toEqual({
      schema_id: "default",
      external_id: "auth0|5f7c8ec7c33c6c004bbafe82",
      traits: { email: "grace@example.com", name: { first: "Grace", last: "Hopper" } },
      verifiable_addresses: [{ value: "grace@example.com", verified: true, via: "email", status: "completed" }],
      credentials: {
        password: { config: { hashed_password: hash } },
        oidc: { config: { providers: [{ provider: "google", subject: "108091299999329986433" }] } }
      }
    })
    expect(bcrypt.verifySync("auth0-password", body.credentials!.password!.config!.hashed_password!)).toBe(true)
    const bulkFormat = Migrate.fromAuth0({ email: "x@example.com", custom_password_hash: { algorithm: "bcrypt", hash: { value: hash } }, blocked: true, name: "Solo" })
    expect(bulkFormat).toMatchObject({ state: "inactive", traits: { name: { first: "Solo" } }, credentials: { password: { config: { hashed_password: hash } } } })
    expect(Migrate.fromAuth0({ email: "y@example.com", passwordHash: "md5:abc" })).toMatch(/not bcrypt/)
  })

  it.scopedLive("mapped records import into a sandbox as they are, hashes kept", () =>
    Effect.gen(function*() {
      const { api } = yield* sandboxWithClient()
      const config = Migrate.parseFirebaseHashConfig(consoleHashConfig)
      if (typeof config === "string") throw new Error(config)
      const bodies = [
        ...Migrate.firebaseUsers(firebaseExport).map((u) => Migrate.fromFirebase(u, config)),
        Migrate.fromAuth0({ user_id: "auth0|1", email: "grace@example.com", email_verified: false, passwordHash: bcrypt.hashSync("p", { cost: 4 }) })
      ].filter((b) => typeof b !== "string")
      const events = Chunk.toArray(yield* Stream.runCollect(Import.runWith(api, Import.fromValues(bodies))))
      const finished = events.find((e) => e._tag === "Finished")
      // the GitHub-only user has no email, which the default schema requires: reported, not lost
      expect(finished?._tag === "Finished" && finished.report).toMatchObject({ created: 2, invalid: 1 })
      const back = Chunk.toArray(yield* Stream.runCollect(Export.wireBodiesWith(api, { includeCredentials: ["password", "oidc"] })))
      const ada = back.find((b) => b.external_id === "fb-uid-1")!
      expect(verifyFirescrypt("user1password", ada.credentials!.password!.config!.hashed_password!)).toBe(true)
    }).pipe(Effect.provide(http)))
})
