/**
 * Records the scenario's normalised answers from a running Kratos into a fixture:
 *
 *   npx tsx test/differential/record.ts <admin-url> <public-url> > test/differential/fixtures/kratos-v26.2.0.json
 *
 * The Kratos must be fresh (an empty database), serve the sandbox's default identity schema as
 * `default`, and allow password login over the public API's API flows: sessions are made by
 * logging in, since the admin API cannot create them.
 */
import { runScenario, type Target } from "./harness.js"
import { scenario } from "./scenario.js"

const [admin, pub] = process.argv.slice(2).map((u) => u.replace(/\/$/, ""))
if (!admin || !pub) {
  process.stderr.write("usage: record.ts <admin-url> <public-url>\n")
  process.exit(2)
}

const login = async (email: string, password: string): Promise<string> => {
  const flow = await fetch(`${pub}/self-service/login/api`, { headers: { accept: "application/json" } })
  const { id } = (await flow.json()) as { id: string }
  const res = await fetch(`${pub}/self-service/login?flow=${id}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ method: "password", identifier: email, password })
  })
  const body = (await res.json()) as { session?: { id: string } }
  if (!res.ok || !body.session) throw new Error(`login of ${email} failed: ${res.status}`)
  return body.session.id
}

const target: Target = { admin, public: pub, createSession: (_id, email, password) => login(email, password) }

const exchanges = await runScenario(target, scenario)
process.stdout.write(JSON.stringify({ server: "Ory Kratos v26.2.0", exchanges }, null, 1) + "\n")
process.stderr.write(`${exchanges.length} exchanges recorded\n`)
