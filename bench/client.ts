/**
 * Client overhead on loopback (method: reliability-and-libraries.md §4). A trivial node:http server
 * in a child process (pinned to CPU 1 when `taskset` exists; this process re-executes itself on
 * CPU 0) answers every GET with the same ~500 B identity. Each candidate fetches and parses it:
 * raw `undici.request`, global `fetch`, `@ory/client-fetch`, the bare platform clients, and our
 * client over the lean `UndiciHttpClient`, over `NodeHttpClient`'s undici client and over fetch.
 * Every candidate runs in the same pool: `concurrency` workers (promises or fibers) each making its
 * share of the calls in sequence. Warm-up, then alternating rounds; the median per candidate.
 * Client CPU µs per request (`process.cpuUsage`) is the headline number. Then: decoding a
 * 500-identity page. Runs compiled (scripts/run-ts.mjs), as a build of the library would.
 *
 * `npm run bench -- client` (or `node scripts/run-ts.mjs bench/client.ts`); `BENCH_QUICK=1` for a short run.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Configuration, IdentityApi as OryIdentityApi } from "@ory/client-fetch"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { spawn, spawnSync } from "node:child_process"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import { Agent, request } from "undici"
import { Identity, type IdentityId } from "../src/Identity.js"
import { IdentityApi } from "../src/IdentityApi.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"

const hasTaskset = spawnSync("taskset", ["--version"]).status === 0
if (hasTaskset && process.env.BENCH_PINNED !== "1") {
  const runTs = fileURLToPath(new URL("../scripts/run-ts.mjs", import.meta.url))
  const self = fileURLToPath(import.meta.url)
  const r = spawnSync("taskset", ["-c", "0", process.execPath, "--expose-gc", runTs, self], {
    stdio: "inherit",
    env: { ...process.env, BENCH_PINNED: "1" }
  })
  process.exit(r.status ?? 1)
}

const quick = process.env.BENCH_QUICK === "1"
const id = "5b9d0c3e-8e0f-4c55-9d0c-6f7a2b1c3d4e"
const identity = (n: number) => ({
  id: n === 0 ? id : `5b9d0c3e-8e0f-4c55-9d0c-${String(n).padStart(12, "0")}`,
  schema_id: "default",
  schema_url: "http://127.0.0.1:4433/schemas/ZGVmYXVsdA",
  state: "active",
  state_changed_at: "2026-11-23T10:00:00.000Z",
  traits: { email: `ada${n}@example.com`, name: { first: "Ada", last: "Lovelace" } },
  verifiable_addresses: [{
    id: "0c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
    value: `ada${n}@example.com`,
    verified: false,
    via: "email",
    status: "pending"
  }],
  recovery_addresses: [{ id: "1d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6", value: `ada${n}@example.com`, via: "email" }],
  metadata_public: null,
  created_at: "2026-11-23T10:00:00.000Z",
  updated_at: "2026-11-23T10:00:00.000Z",
  organization_id: null
})
const body = JSON.stringify(identity(0))

const serverSource = `
const http = require("node:http")
const body = Buffer.from(process.env.BODY)
const server = http.createServer((req, res) => {
  req.resume()
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length })
  res.end(body)
})
server.keepAliveTimeout = 60000
server.listen(0, "127.0.0.1", () => console.log(server.address().port))
`

const startServer = () =>
  new Promise<{ readonly url: string; readonly kill: () => void }>((resolve, reject) => {
    const args = ["-e", serverSource]
    const child = hasTaskset
      ? spawn("taskset", ["-c", "1", process.execPath, ...args], { env: { ...process.env, BODY: body } })
      : spawn(process.execPath, args, { env: { ...process.env, BODY: body } })
    const timer = setTimeout(() => reject(new Error("bench server did not start")), 10_000)
    child.stdout.once("data", (d: Buffer) => {
      clearTimeout(timer)
      resolve({ url: `http://127.0.0.1:${d.toString().trim()}`, kill: () => child.kill() })
    })
    child.once("error", reject)
  })

interface Candidate {
  readonly name: string
  /** Runs `n` requests with `concurrency` in flight. */
  readonly run: (n: number, concurrency: number) => Promise<void>
}

/** A promise pool: `concurrency` workers draining `n` calls. */
const pool = async (n: number, concurrency: number, one: () => Promise<unknown>) => {
  let left = n
  const worker = async () => {
    while (left-- > 0) await one()
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

/** The same pool for Effect clients: `concurrency` fibers, each running its share in sequence. */
const fiberPool = <E>(n: number, concurrency: number, one: () => Effect.Effect<unknown, E>) =>
  Effect.forEach(
    Array.from({ length: concurrency }, (_, i) => Math.floor(n / concurrency) + (i < n % concurrency ? 1 : 0)),
    (share) => Effect.forEach(Array.from({ length: share }), one, { discard: true }),
    { concurrency: "unbounded", discard: true }
  )

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const main = async () => {
  const server = await startServer()
  const url = server.url
  const headers = { authorization: "Bearer bench-key", accept: "application/json" }
  const agent = new Agent({ connections: 32, keepAliveTimeout: 60_000 })

  const ours = (name: string, transport: Layer.Layer<HttpClient.HttpClient>) => {
    const runtime = ManagedRuntime.make(
      IdentityApi.layer({ baseUrl: url, apiKey: Redacted.make("bench-key"), maxConcurrency: 64 }).pipe(
        Layer.provide(transport)
      )
    )
    const candidate: Candidate = {
      name,
      run: (n, concurrency) =>
        runtime.runPromise(
          Effect.flatMap(IdentityApi, (api) => fiberPool(n, concurrency, () => api.getIdentity({ id: id as IdentityId })))
        )
    }
    return candidate
  }

  const bare = (name: string, client: HttpClient.HttpClient): Candidate => ({
    name,
    run: (n, c) =>
      Effect.runPromise(
        fiberPool(n, c, () => Effect.flatMap(client.get(`${url}/admin/identities/${id}`, { headers }), (r) => r.json))
      )
  })

  const ory = new OryIdentityApi(new Configuration({ basePath: url, accessToken: "bench-key" }))
  const all: ReadonlyArray<Candidate> = [
    {
      name: "undici.request (undici 7 Agent)",
      run: (n, c) =>
        pool(n, c, async () => {
          const res = await request(`${url}/admin/identities/${id}`, { dispatcher: agent, headers })
          return JSON.parse(await res.body.text())
        })
    },
    {
      name: `global fetch (undici ${process.versions.undici})`,
      run: (n, c) =>
        pool(n, c, async () => {
          const res = await fetch(`${url}/admin/identities/${id}`, { headers })
          return res.json()
        })
    },
    { name: "@ory/client-fetch getIdentity", run: (n, c) => pool(n, c, () => ory.getIdentity({ id })) },
    // the floor for any client built on @effect/platform: execute + json, nothing else
    bare("@effect/platform HttpClient (undici), bare", NodeHttpClient.makeUndici(agent)),
    bare("UndiciHttpClient (lean), bare", UndiciHttpClient.make(agent)),
    ours("effect-kratos over UndiciHttpClient (lean)", Layer.succeed(HttpClient.HttpClient, UndiciHttpClient.make(agent))),
    ours("effect-kratos over NodeHttpClient undici", Layer.succeed(HttpClient.HttpClient, NodeHttpClient.makeUndici(agent))),
    ours("effect-kratos over fetch", FetchHttpClient.layer)
  ]
  // BENCH_ONLY=a,b keeps the candidates whose name contains one of the parts
  const only = process.env.BENCH_ONLY?.split(",")
  const candidates = only === undefined ? all : all.filter((c) => only.some((o) => c.name.includes(o)))

  const settings = [
    { concurrency: 1, n: quick ? 300 : 2000 },
    { concurrency: 32, n: quick ? 1000 : 6000 }
  ]
  const rounds = quick ? 2 : 3
  const results = new Map<string, { cpu: Array<number>; rps: Array<number> }>()
  for (const c of candidates) await c.run(quick ? 200 : 1000, 8) // warm-up
  for (const { concurrency, n } of settings) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? candidates : [...candidates].reverse()
      for (const c of order) {
        ;(globalThis as { gc?: () => void }).gc?.()
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        await c.run(n, concurrency)
        const elapsed = performance.now() - t0
        const cpu = process.cpuUsage(cpu0)
        const key = `${c.name}|${concurrency}`
        const r = results.get(key) ?? { cpu: [], rps: [] }
        r.cpu.push((cpu.user + cpu.system) / n)
        r.rps.push(n / (elapsed / 1000))
        results.set(key, r)
      }
    }
  }

  console.log(
    `node ${process.version}, undici ${process.versions.undici} (global) / 7.30.2 (package), ${os.cpus().length} cpus, ` +
      `taskset ${hasTaskset ? "server on CPU 1, client on CPU 0" : "unavailable"}, body ${body.length} B, ` +
      `median of ${rounds} alternating rounds`
  )
  const rows = candidates.map((c) => {
    const one = results.get(`${c.name}|1`)!
    const many = results.get(`${c.name}|32`)!
    return [
      c.name,
      median(one.rps).toFixed(0),
      median(one.cpu).toFixed(0),
      median(many.rps).toFixed(0),
      median(many.cpu).toFixed(0)
    ]
  })
  const header = ["client (GET one identity)", "c=1 req/s", "c=1 CPU µs/req", "c=32 req/s", "c=32 CPU µs/req"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: ReadonlyArray<string>) => "| " + cells.map((x, i) => x.padEnd(widths[i])).join(" | ") + " |"
  console.log(line(header))
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|")
  for (const r of rows) console.log(line(r))

  // decoding a page of 500 identities
  const page = JSON.stringify(Array.from({ length: 500 }, (_, i) => identity(i)))
  const decode = Schema.decodeUnknownSync(Schema.Array(Identity))
  const parseTimes: Array<number> = []
  const decodeTimes: Array<number> = []
  for (let i = 0; i < (quick ? 10 : 30); i++) {
    const t0 = performance.now()
    const json = JSON.parse(page)
    const t1 = performance.now()
    decode(json)
    const t2 = performance.now()
    parseTimes.push(t1 - t0)
    decodeTimes.push(t2 - t1)
  }
  console.log(
    `\n500-identity page (${(page.length / 1024).toFixed(0)} KiB): JSON.parse ${median(parseTimes).toFixed(2)} ms, ` +
      `Schema decode ${median(decodeTimes).toFixed(2)} ms (median of ${parseTimes.length})`
  )
  await agent.close()
  server.kill()
  process.exit(0)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
