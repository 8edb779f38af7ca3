import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { IdentityApi } from "../../src/IdentityApi.js"
import type { ClientOptions } from "../../src/KratosHttpClient.js"
import * as Sandbox from "../../src/Sandbox.js"

/** One cheap bcrypt hash shared by every generated record. */
export const cheapHash = bcrypt.hashSync("secret-password", { cost: 4 })

export const record = (i: number, extra: Record<string, unknown> = {}) => ({
  schema_id: "default",
  external_id: `ext-${i}`,
  traits: { email: `user${i}@example.com`, name: { first: "U", last: String(i) } },
  credentials: { password: { config: { hashed_password: cheapHash } } },
  ...extra
})

export const records = (n: number, from = 1) => Array.from({ length: n }, (_, k) => record(from + k))

export const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "kratos-import-"))

export const writeJsonl = (dir: string, name: string, lines: ReadonlyArray<unknown>): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n")
  return file
}

/** Sandbox on loopback + a client for it over undici. */
export const env = (
  sandbox: Sandbox.MakeOptions = {},
  client: Omit<ClientOptions, "baseUrl"> = {}
) =>
  Layer.unwrapEffect(
    Effect.map(Sandbox.Sandbox, (sb) => IdentityApi.layer({ retry: { base: "10 millis", cap: "100 millis" }, ...client, baseUrl: sb.url }))
  ).pipe(Layer.provideMerge(Layer.merge(Sandbox.layer({ hashCost: 4, ...sandbox }), NodeHttpClient.layerUndici)))

/** external_id → count, over the sandbox store. */
export const countByExternalId = (identities: ReadonlyArray<{ readonly external_id?: string | undefined }>) => {
  const counts = new Map<string, number>()
  for (const i of identities) if (i.external_id) counts.set(i.external_id, (counts.get(i.external_id) ?? 0) + 1)
  return counts
}
