/**
 * Demo data: a few dozen identities over two schemas, in varied states, with hashed passwords,
 * OIDC links, metadata, external ids and sessions. Deterministic (no randomness beyond ids).
 */
import { hashPasswordSync } from "./hashing.js"
import type { CreateInput, ImportedCredentials } from "./model.js"

const first = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger"]
const last = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra"]

/** @internal */
export interface DemoIdentity {
  readonly body: CreateInput
  readonly credentials: ImportedCredentials | undefined
  readonly sessions: ReadonlyArray<{ readonly active: boolean; readonly expiresInMs: number; readonly aal: string }>
}

/** @internal */
export const demoIdentities = (): Array<DemoIdentity> => {
  // One real bcrypt hash (cost 4) of "demo-password" shared by the demo users: fast and verifiable.
  const hashed = hashPasswordSync("demo-password", 4)
  const out: Array<DemoIdentity> = []
  for (let n = 0; n < 40; n++) {
    const f = first[n % first.length]
    const l = last[Math.floor(n / 4) % last.length]
    const email = `${f}.${l}${n}@example.com`.toLowerCase()
    const customer = n % 5 === 4
    const traits = customer
      ? { email, username: `${f}${n}`.toLowerCase(), plan: ["free", "pro", "enterprise"][n % 3] }
      : { email, name: { first: f, last: l } }
    const oidc = n % 6 === 1
      ? [{ provider: n % 12 === 1 ? "google" : "github", subject: `demo-subject-${n}` }]
      : undefined
    const password = n % 7 === 3 ? undefined : n % 13 === 5 ? { hashed_password: "", use_password_migration_hook: true as const } : { hashed_password: hashed }
    out.push({
      body: {
        schema_id: customer ? "customer" : "default",
        traits,
        state: n % 9 === 8 ? "inactive" : "active",
        ...(n % 3 === 0 ? { external_id: `crm-${1000 + n}` } : {}),
        metadata_public: n % 2 === 0 ? { tier: n % 4 === 0 ? "gold" : "silver" } : null,
        metadata_admin: n % 4 === 0 ? { notes: `imported from legacy system, batch ${Math.floor(n / 10)}` } : null,
        verifiable_addresses: n % 3 === 1
          ? [{ value: email, verified: true, via: "email", status: "completed" }]
          : undefined
      },
      credentials: { password, oidc },
      sessions: n % 4 === 0
        ? [{ active: true, expiresInMs: 24 * 3600_000, aal: "aal1" }, { active: n % 8 === 0, expiresInMs: 3600_000, aal: "aal2" }]
        : n % 5 === 1
          ? [{ active: true, expiresInMs: 12 * 3600_000, aal: "aal1" }]
          : []
    })
  }
  return out
}
