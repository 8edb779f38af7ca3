/**
 * Import benchmark. The sandbox runs in a child process (`kratos-admin sandbox`), the importer here.
 *
 * 1. Our importer: 100,000 hashed-password records from a JSONL file (journal on, concurrency 1).
 * 2. (a) one createIdentity per record at the same concurrency (the kratos CLI way), over a subset.
 * 3. (b) an ideal importer: pre-serialized 1000-record batches posted with raw undici.
 * 4. Peak RSS of a dry run over a 1,000,000-line file: through the library in a child process, and
 *    through the CLI as a user runs it (`kratos-admin identities import --dry-run`, GNU time).
 * 5. Ory Network: the sandbox with its rate limits on (Ory's buckets; `batchPatchIdentities` is in
 *    `kratos-admin-high`, Retry-After sent, a second concurrent write to a path refused) and 50 ms
 *    latency, the importer with the client the CLI builds for Ory Network (adaptive limiter, writes
 *    serialised per path). Throughput against what the bucket allows (batches/s × batch size), and
 *    the share of requests answered 429.
 *
 * 6. A real server, when `BENCH_IMPORT_KRATOS_URL` names one (a Kratos admin API whose default
 *    identity schema has the sandbox's traits: email, name.first, name.last): ours and (b) ABBA, each
 *    run with records of its own (nothing is deleted; a server that keeps its data grows by
 *    2 × BENCH_IMPORT_KRATOS_N × 2 × rounds identities).
 *
 * Fairness: (a)'s ratio depends on what one request costs. The in-memory sandbox answers a create in
 * ~1 ms, a real Kratos pays a DB transaction and a network round trip, so 1-3 run twice: with no added
 * latency and with `latency` (default 2 ms per request, modelling a LAN round trip to a self-hosted
 * Kratos; Ory Network's are higher, which favours batching more). With `taskset` the sandbox runs on
 * CPU 1 and this process on CPU 0, so they do not fight over a core. Ours and (b) run alternately
 * (ABBA, repeated) on a freshly reset sandbox, and the medians are reported. The box's speed drifts
 * within minutes, so each of our runs is also set against the ideal run beside it (median and range),
 * and the sandbox's CPU time per run (from /proc) shows whether the server or the client was the limit.
 *
 * Env: BENCH_IMPORT_N (100000), BENCH_IMPORT_SINGLE_N (5000), BENCH_IMPORT_DRY_N (1000000),
 * BENCH_IMPORT_LATENCY_MS (2), BENCH_IMPORT_ROUNDS (3; 1 ABBA round = 2 runs of each),
 * BENCH_IMPORT_TRANSPORT (lean: `UndiciHttpClient`, as the CLI; node: `NodeHttpClient.layerUndici`),
 * BENCH_IMPORT_VERBOSE (1: every run's rate on stderr), BENCH_IMPORT_LOOKAHEAD (1, the default:
 * the next batch is encoded while one is on the wire; 0: `lookAhead: false`),
 * BENCH_IMPORT_SERIALIZE (0; 1: the importer's client serialises writes per path, as the CLI's does
 * for Ory Network), BENCH_IMPORT_ORY_N (30000; 0 skips case 5), BENCH_IMPORT_ORY_LATENCY_MS (50),
 * BENCH_IMPORT_KRATOS_URL (unset: case 6 skipped), BENCH_IMPORT_KRATOS_N (10000).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { request } from "undici"
import { IdentityApi } from "../src/IdentityApi.js"
import * as Import from "../src/Import.js"
import { defaultBuckets } from "../src/internal/sandbox/pressure.js"
import * as Sandbox from "../src/Sandbox.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"

// Pin this process to CPU 0 (re-executing itself) and the sandbox child to CPU 1, as bench/client.ts does.
const hasTaskset = spawnSync("taskset", ["--version"]).status === 0 && os.cpus().length >= 2
if (hasTaskset && process.env.BENCH_PINNED !== "1" && !process.argv.includes("--serve")) {
  const self = path.resolve(import.meta.dirname, "import.ts")
  const runTs = path.resolve(import.meta.dirname, "../scripts/run-ts.mjs")
  const r = spawnSync("taskset", ["-c", "0", process.execPath, "--expose-gc", runTs, self], {
    stdio: "inherit",
    env: { ...process.env, BENCH_PINNED: "1" }
  })
  process.exit(r.status ?? 1)
}

const N = Number(process.env.BENCH_IMPORT_N ?? 100_000)
const LATENCY_MS = Number(process.env.BENCH_IMPORT_LATENCY_MS ?? 2)
const ROUNDS = Math.max(1, Number(process.env.BENCH_IMPORT_ROUNDS ?? 3))
const SINGLE_N = Number(process.env.BENCH_IMPORT_SINGLE_N ?? 5_000)
const DRY_N = Number(process.env.BENCH_IMPORT_DRY_N ?? 1_000_000)
const TRANSPORT = process.env.BENCH_IMPORT_TRANSPORT === "node" ? "node" : "lean"
const LOOKAHEAD = process.env.BENCH_IMPORT_LOOKAHEAD !== "0"
const SERIALIZE = process.env.BENCH_IMPORT_SERIALIZE === "1"
const VERBOSE = process.env.BENCH_IMPORT_VERBOSE === "1"
const ORY_N = Number(process.env.BENCH_IMPORT_ORY_N ?? 30_000)
const ORY_LATENCY_MS = Number(process.env.BENCH_IMPORT_ORY_LATENCY_MS ?? 50)
const KRATOS_URL = process.env.BENCH_IMPORT_KRATOS_URL?.replace(/\/+$/, "")
const KRATOS_N = Number(process.env.BENCH_IMPORT_KRATOS_N ?? 10_000)
const root = path.resolve(import.meta.dirname, "..")
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-import-"))
const hash = bcrypt.hashSync("bench-password", { cost: 4 })

const record = (i: number, tag: string) => ({
  schema_id: "default",
  external_id: `${tag}-${i}`,
  traits: { email: `${tag}-${i}@bench.example.com`, name: { first: "Bench", last: String(i) } },
  credentials: { password: { config: { hashed_password: hash } } }
})

const writeFile = (file: string, n: number, tag: string) => {
  const fd = fs.openSync(file, "w")
  let buf: Array<string> = []
  for (let i = 1; i <= n; i++) {
    buf.push(JSON.stringify(record(i, tag)))
    if (buf.length === 10_000) {
      fs.writeSync(fd, buf.join("\n") + "\n")
      buf = []
    }
  }
  if (buf.length > 0) fs.writeSync(fd, buf.join("\n") + "\n")
  fs.closeSync(fd)
}

const startSandbox = (latencyMs: number, ory = false): Promise<{ url: string; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    // --expose-gc: a reset collects the previous run's identities at once (see Sandbox's reset)
    const args = ["--expose-gc", path.join(root, "scripts/run-ts.mjs"), path.join(root, "bench/import.ts"), "--serve", String(latencyMs), ...(ory ? ["--ory"] : [])]
    const child = hasTaskset
      ? spawn("taskset", ["-c", "1", process.execPath, ...args], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
      : spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
    let out = ""
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (m) resolve({ url: m[1], child })
    })
    child.on("exit", (code) => reject(new Error(`sandbox exited ${code}: ${out}`)))
  })

const resetSandbox = async (url: string) => {
  const r = await request(`${url}/sandbox/reset`, { method: "POST" })
  await r.body.dump()
}

const countIdentities = async (url: string): Promise<number> => {
  let n = 0
  let token: string | undefined = undefined
  for (;;) {
    const r = await request(`${url}/admin/identities?page_size=500${token ? `&page_token=${token}` : ""}`)
    const items = (await r.body.json()) as Array<unknown>
    n += items.length
    const link = String(r.headers.link ?? "")
    const m = /page_token=([^&>]+)>; rel="next"/.exec(link)
    if (!m) return n
    token = m[1]
  }
}

const rate = (n: number, ms: number) => Math.round((n * 1000) / ms)
const pct = (x: number) => `${Math.round(x * 100)}%`
const perK = (ms: number) => (Number.isNaN(ms) ? "n/a" : String(Math.round((ms * 1000) / N)))
const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

const ours = (file: string, options: Import.ImportOptions) =>
  Effect.gen(function*() {
    const api = yield* IdentityApi
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    const report = yield* Import.report(Import.importFileWith(api, file, options))
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    return { ms, report, cpuMs: (cpu.user + cpu.system) / 1000 }
  })

const single = (n: number, tag: string) =>
  Effect.gen(function*() {
    const api = yield* IdentityApi
    const t0 = performance.now()
    for (let i = 1; i <= n; i++) {
      const r = record(i, tag)
      yield* api.createIdentity({
        body: { ...r, credentials: { password: { config: { hashed_password: Redacted.make(hash) } } } }
      })
    }
    return performance.now() - t0
  })

/**
 * Each timed run starts on a collected heap: without it a run pays for the garbage the one before it
 * left (the ideal's pre-serialized bodies, our importer's buffers), so the ABBA order alone made the
 * run after the other kind a fifth slower.
 */
const collect = () => (globalThis as { gc?: () => void }).gc?.()

/**
 * The importer runs inside a live Effect program here, as it does in the REPL or a service: one
 * fiber is kept for the whole benchmark. Without it no fiber would exist between two runs, and the
 * collection above would drop the hidden class of Effect's fibers and with it the optimized code of
 * Effect's runtime, which a real program never loses (its main fiber lives).
 */
Effect.runFork(Effect.async<never>(() => {}))

let idealCpuMs = 0
const ideal = async (url: string, n: number, tag = "ideal"): Promise<number> => {
  const bodies: Array<string> = []
  for (let start = 1; start <= n; start += 1000) {
    const items = []
    for (let i = start; i < Math.min(start + 1000, n + 1); i++) {
      items.push({ create: record(i, tag), patch_id: crypto.randomUUID() })
    }
    bodies.push(JSON.stringify({ identities: items }))
  }
  collect()
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  for (const body of bodies) {
    const r = await request(`${url}/admin/identities`, {
      method: "PATCH",
      body,
      headers: { "content-type": "application/json" }
    })
    if (r.statusCode !== 200) throw new Error(`ideal: ${r.statusCode} ${await r.body.text()}`)
    await r.body.dump()
  }
  const cpu = process.cpuUsage(cpu0)
  idealCpuMs = (cpu.user + cpu.system) / 1000
  return performance.now() - t0
}

/** The CLI's own dry run, as a user runs it; peak RSS from GNU time (`undefined` without it). */
const cliDryRunPeak = (file: string, url: string): { peakMb: number; ms: number } | undefined => {
  if (spawnSync("/usr/bin/time", ["-f", "%M", "true"]).status !== 0) return undefined
  const t0 = performance.now()
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "%M", process.execPath, path.join(root, "dist/bin/kratos-admin.js"), "--url", url, "identities", "import", "--dry-run", "--quiet", file],
    { cwd: root, encoding: "utf8" }
  )
  if (r.status !== 0) throw new Error(`kratos-admin dry run: ${r.status} ${r.stderr}`)
  const kb = Number(r.stderr.trim().split("\n").at(-1))
  return { peakMb: Math.round(kb / 1024), ms: performance.now() - t0 }
}

const dryRunPeak = async (file: string): Promise<{ peakMb: number; ms: number; valid: number }> => {
  const args = [path.join(root, "scripts/run-ts.mjs"), path.join(root, "bench/import-dry-child.ts"), file]
  const schemaDoc = await (await request(`${sandboxUrl}/schemas/default`)).body.json()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, SCHEMA: JSON.stringify(schemaDoc) },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!)) : reject(new Error(`dry child ${code}`))))
  })
}

let sandboxUrl = ""

interface RowSet {
  readonly latencyMs: number
  readonly oursMs: number
  readonly oursCpu: number
  readonly idealMs: number
  readonly idealCpu: number
  readonly singleMs: number
  /** ideal / ours of each run beside its neighbour (ABBA: a round gives two pairs) */
  readonly pairs: ReadonlyArray<number>
  readonly oursServerCpu: number
  readonly idealServerCpu: number
}

/**
 * The sandbox child's CPU time (user + system, ms) from /proc: whether a slow run was the server's
 * doing or ours. `NaN` where there is no /proc.
 */
const childCpuMs = (pid: number | undefined): number => {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

/** Ours, (a) and (b) against one sandbox (one latency setting). */
const measure = async (url: string, latencyMs: number, file: string, serverPid: number | undefined): Promise<RowSet> => {
  const transport = TRANSPORT === "node" ? NodeHttpClient.layerUndici : UndiciHttpClient.layer()
  // The client the CLI builds for a self-hosted Kratos (BENCH_IMPORT_SERIALIZE=1: for Ory Network)
  const importClient = IdentityApi.layer({ baseUrl: url, serializeWritesPerPath: SERIALIZE }).pipe(Layer.provide(transport))
  const importOptions = { progressInterval: 1000, lookAhead: LOOKAHEAD }
  const singleClient = IdentityApi.layer({ baseUrl: url }).pipe(Layer.provide(transport))
  const run = <A, E>(eff: Effect.Effect<A, E, IdentityApi>) => Effect.runPromise(Effect.provide(eff, importClient))
  const runSingle = <A, E>(eff: Effect.Effect<A, E, IdentityApi>) => Effect.runPromise(Effect.provide(eff, singleClient))
  const cleanJournal = () => {
    for (const f of fs.readdirSync(dir)) if (f.startsWith("import.jsonl.") || f.startsWith("warm.jsonl.")) fs.rmSync(path.join(dir, f))
  }

  // Warm both sides (JIT of the sandbox and of this process) before measuring anything.
  const warm = path.join(dir, "warm.jsonl")
  if (!fs.existsSync(warm)) writeFile(warm, 5_000, "warm")
  cleanJournal()
  await resetSandbox(url)
  await run(ours(warm, importOptions))
  await resetSandbox(url)
  await ideal(url, 5_000)

  const oursRuns: Array<{ ms: number; cpuMs: number; serverMs: number }> = []
  const idealRuns: Array<{ ms: number; cpuMs: number; serverMs: number }> = []
  const runIdeal = async () => {
    await resetSandbox(url)
    const server0 = childCpuMs(serverPid)
    const ms = await ideal(url, N)
    idealRuns.push({ ms, cpuMs: idealCpuMs, serverMs: childCpuMs(serverPid) - server0 })
    if (VERBOSE) console.error(`  +${latencyMs} ms ideal: ${rate(N, ms)} rec/s, client CPU ${Math.round(idealCpuMs)} ms`)
  }
  const runOurs = async () => {
    await resetSandbox(url)
    cleanJournal()
    collect()
    const server0 = childCpuMs(serverPid)
    const r = await run(ours(file, importOptions))
    const serverMs = childCpuMs(serverPid) - server0
    const stored = await countIdentities(url)
    if (stored !== N || r.report.created !== N) throw new Error(`ours: ${stored} stored, ${r.report.created} created`)
    oursRuns.push({ ms: r.ms, cpuMs: r.cpuMs, serverMs })
    if (VERBOSE) console.error(`  +${latencyMs} ms ours: ${rate(N, r.ms)} rec/s, client CPU ${Math.round(r.cpuMs)} ms`)
  }
  // ABBA: a drift of the shared box over time hits both sides alike.
  for (let round = 0; round < ROUNDS; round++) {
    await runIdeal()
    await runOurs()
    await runOurs()
    await runIdeal()
  }

  // (a) is warmed too: its first calls compile the create path on both sides
  await resetSandbox(url)
  await runSingle(single(500, "warm-single"))
  // (a) is as noisy as the rest (one request per record): the median of 3 runs
  const singleRuns: Array<number> = []
  for (let run = 0; run < 3; run++) {
    await resetSandbox(url)
    const ms = await runSingle(single(SINGLE_N, `single${run}`))
    singleRuns.push(ms)
    if (VERBOSE) console.error(`  +${latencyMs} ms (a): ${rate(SINGLE_N, ms)} rec/s`)
  }
  const singleMs = median(singleRuns)
  await resetSandbox(url)
  return {
    latencyMs,
    oursMs: median(oursRuns.map((r) => r.ms)),
    oursCpu: median(oursRuns.map((r) => r.cpuMs)),
    idealMs: median(idealRuns.map((r) => r.ms)),
    idealCpu: median(idealRuns.map((r) => r.cpuMs)),
    // runs 4k, 4k+1 are ideal, ours and 4k+2, 4k+3 ours, ideal (ABBA)
    pairs: oursRuns.map((r, i) => idealRuns[i].ms / r.ms),
    oursServerCpu: median(oursRuns.map((r) => r.serverMs)),
    idealServerCpu: median(idealRuns.map((r) => r.serverMs)),
    singleMs
  }
}

/**
 * Case 5: ours against the rate-limited sandbox, with the client the CLI builds for Ory Network.
 * Every response's status is counted at the transport (the client's retries included).
 */
const measureOry = async (url: string, file: string, n: number) => {
  const statuses = new Map<number, number>()
  const transport = TRANSPORT === "node" ? NodeHttpClient.layerUndici : UndiciHttpClient.layer()
  const counting = Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (c) =>
      HttpClient.tap(c, (res) => Effect.sync(() => void statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1))))
  ).pipe(Layer.provide(transport))
  const client = IdentityApi.layer({ baseUrl: url, serializeWritesPerPath: true }).pipe(Layer.provide(counting))
  for (const f of fs.readdirSync(dir)) if (f.startsWith("ory.jsonl.")) fs.rmSync(path.join(dir, f))
  await resetSandbox(url)
  const r = await Effect.runPromise(Effect.provide(ours(file, { progressInterval: 1000 }), client))
  if (r.report.created !== n) throw new Error(`ory: ${r.report.created} created of ${n}`)
  const requests = [...statuses.values()].reduce((a, b) => a + b, 0)
  return { ms: r.ms, requests, limited: statuses.get(429) ?? 0, batches: r.report.batches }
}

/**
 * Case 6: ours and (b) against a real server, ABBA. Nothing is reset there: every run imports
 * records of its own (its own tag), and ours is checked by its report (every record created).
 */
const measureKratos = async (url: string, n: number) => {
  const probe = await request(`${url}/admin/identities?page_size=1`)
  await probe.body.dump()
  if (probe.statusCode !== 200) throw new Error(`BENCH_IMPORT_KRATOS_URL: GET /admin/identities answered ${probe.statusCode}`)
  const transport = TRANSPORT === "node" ? NodeHttpClient.layerUndici : UndiciHttpClient.layer()
  const client = IdentityApi.layer({ baseUrl: url }).pipe(Layer.provide(transport))
  const tag = `k${Date.now().toString(36)}`
  let runs = 0
  const oursMs: Array<number> = []
  const idealMs: Array<number> = []
  const runOurs = async () => {
    const file = path.join(dir, `kratos-${runs}.jsonl`)
    writeFile(file, n, `${tag}o${runs++}`)
    collect()
    const r = await Effect.runPromise(Effect.provide(ours(file, { progressInterval: 1000 }), client))
    if (r.report.created !== n) throw new Error(`kratos: ${r.report.created} created of ${n}`)
    oursMs.push(r.ms)
    if (VERBOSE) console.error(`  kratos ours: ${rate(n, r.ms)} rec/s`)
  }
  const runIdeal = async () => {
    const ms = await ideal(url, n, `${tag}i${runs++}`)
    idealMs.push(ms)
    if (VERBOSE) console.error(`  kratos ideal: ${rate(n, ms)} rec/s`)
  }
  // warm: the server's caches and this process's JIT for this client
  await runOurs()
  await runIdeal()
  oursMs.length = idealMs.length = 0
  for (let round = 0; round < ROUNDS; round++) {
    await runIdeal()
    await runOurs()
    await runOurs()
    await runIdeal()
  }
  return { oursMs: median(oursMs), idealMs: median(idealMs), pairs: oursMs.map((ms, i) => idealMs[i] / ms) }
}

const main = async () => {
  const sandboxes = [await startSandbox(0), await startSandbox(LATENCY_MS)]
  sandboxUrl = sandboxes[0].url
  try {
    const file = path.join(dir, "import.jsonl")
    writeFile(file, N, "ours")
    const sets: Array<RowSet> = []
    for (const [i, sb] of sandboxes.entries()) sets.push(await measure(sb.url, i === 0 ? 0 : LATENCY_MS, file, sb.child.pid))

    let ory: { ms: number; requests: number; limited: number; batches: number } | undefined
    if (ORY_N > 0) {
      const orySandbox = await startSandbox(ORY_LATENCY_MS, true)
      try {
        const oryFile = path.join(dir, "ory.jsonl")
        writeFile(oryFile, ORY_N, "ory")
        ory = await measureOry(orySandbox.url, oryFile, ORY_N)
      } finally {
        orySandbox.child.kill("SIGKILL")
      }
    }

    const kratos = KRATOS_URL === undefined ? undefined : await measureKratos(KRATOS_URL, KRATOS_N)

    const dryFile = path.join(dir, "dry.jsonl")
    writeFile(dryFile, DRY_N, "dry")
    const dryLib = await dryRunPeak(dryFile)
    const dryCli = cliDryRunPeak(dryFile, sandboxUrl)

    const rows: Array<[string, string, string]> = []
    for (const set of sets) {
      const oursRate = rate(N, set.oursMs)
      const singleRate = rate(SINGLE_N, set.singleMs)
      const idealRate = rate(N, set.idealMs)
      const lat = set.latencyMs === 0
        ? "no added latency"
        : `+${set.latencyMs} ms per request (LAN RTT to a self-hosted Kratos)`
      rows.push(
        [`— sandbox: ${lat}`, "", ""],
        ["importer (ours), " + N + ` records, 1 batch on the wire${LOOKAHEAD ? " (+1 encoding ahead)" : ""}, ${TRANSPORT === "lean" ? "UndiciHttpClient" : "NodeHttpClient.layerUndici"}`, `${oursRate} rec/s`, `${(set.oursMs / 1000).toFixed(1)} s (median of ${2 * ROUNDS})`],
        [`  client-process CPU per 1000 records: ours / ideal`, `${Math.round((set.oursCpu * 1000) / N)} / ${Math.round((set.idealCpu * 1000) / N)} ms`, hasTaskset ? "(client on CPU 0, sandbox on CPU 1)" : "(no taskset: cores shared with the sandbox)"],
        // the issue's ≥ 20× is at a LAN's latency: with none, the in-memory sandbox answers a single
        // create in well under a millisecond, which no real server does
        [`(a) createIdentity per record, ${SINGLE_N} records`, `${singleRate} rec/s`, `ours = ${(oursRate / singleRate).toFixed(1)}× (${set.latencyMs >= 2 ? "target ≥ 20×" : "the 20× target is at 2 ms"}; median of 3)`],
        [`(b) ideal: raw undici, pre-serialized 1000-batches`, `${idealRate} rec/s`, `ours = ${Math.round((oursRate / idealRate) * 100)}% (target ≥ 90%; median of ${2 * ROUNDS})`],
        // the box's speed drifts within minutes: each run against the ideal run beside it
        [`  ours / ideal, each run against its neighbour`, `${pct(median(set.pairs))} median`, `range ${pct(Math.min(...set.pairs))}–${pct(Math.max(...set.pairs))}`],
        [`  sandbox CPU per 1000 records: ours / ideal`, `${perK(set.oursServerCpu)} / ${perK(set.idealServerCpu)} ms`, hasTaskset ? "(the sandbox's own work, on CPU 1)" : "(the sandbox's own work)"],
        // what batching itself is worth on this server: no importer gets further above (a)
        [`  (b) / (a): the most any batch importer reaches here`, `${(idealRate / singleRate).toFixed(1)}×`, ""]
      )
    }
    if (ory !== undefined) {
      // the fastest the bucket lets these batches through: its burst at once, the rest at its rate
      const bucket = defaultBuckets["kratos-admin-high"]
      const batches = Math.ceil(ORY_N / 1000)
      const allowed = (ORY_N * bucket.perSecond) / Math.max(1, batches - bucket.burst)
      const oursRate = rate(ORY_N, ory.ms)
      rows.push(
        [`— Ory Network: sandbox rate limits on (batch bucket ${bucket.burst} burst, ${bucket.perSecond}/s), +${ORY_LATENCY_MS} ms per request`, "", ""],
        [`importer (ours), ${ORY_N} records, the CLI's client for Ory Network`, `${oursRate} rec/s`, `${(ory.ms / 1000).toFixed(1)} s, ${ory.batches} batches`],
        [`  throughput / what the bucket allows (${Math.round(allowed)} rec/s)`, `${Math.round((oursRate / allowed) * 100)}%`, "target ≥ 90%"],
        [`  requests answered 429`, `${((ory.limited / Math.max(1, ory.requests)) * 100).toFixed(1)}%`, `${ory.limited} of ${ory.requests} (target < 1%)`]
      )
    }
    if (kratos !== undefined) {
      rows.push(
        [`— real server: ${KRATOS_URL} (BENCH_IMPORT_KRATOS_URL)`, "", ""],
        [`importer (ours), ${KRATOS_N} records`, `${rate(KRATOS_N, kratos.oursMs)} rec/s`, `median of ${2 * ROUNDS}`],
        [`(b) ideal: raw undici, pre-serialized 1000-batches`, `${rate(KRATOS_N, kratos.idealMs)} rec/s`, `ours = ${Math.round((kratos.idealMs / kratos.oursMs) * 100)}% (target ≥ 90%)`],
        [`  ours / ideal, each run against its neighbour`, `${pct(median(kratos.pairs))} median`, `range ${pct(Math.min(...kratos.pairs))}–${pct(Math.max(...kratos.pairs))}`]
      )
    }
    rows.push(
      [`dry run ${DRY_N} lines, peak RSS (library, Import.importFileWith)`, `${dryLib.peakMb} MB`, `${rate(dryLib.valid, dryLib.ms)} rec/s (target < 200 MB)`],
      ...(dryCli === undefined
        ? []
        : [[`dry run ${DRY_N} lines, peak RSS (kratos-admin identities import --dry-run)`, `${dryCli.peakMb} MB`, `${rate(DRY_N, dryCli.ms)} rec/s, process start included (target < 200 MB)`] as [string, string, string]])
    )
    console.log(`node ${process.version}, ${os.cpus().length} cpus, taskset ${hasTaskset ? "sandbox on CPU 1, importer on CPU 0" : "unavailable"}`)
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length)))
    console.log(`| ${"case".padEnd(w[0])} | ${"result".padEnd(w[1])} | ${"note".padEnd(w[2])} |`)
    console.log(`|${"-".repeat(w[0] + 2)}|${"-".repeat(w[1] + 2)}|${"-".repeat(w[2] + 2)}|`)
    for (const r of rows) console.log(`| ${r[0].padEnd(w[0])} | ${r[1].padEnd(w[1])} | ${r[2].padEnd(w[2])} |`)
  } finally {
    // SIGKILL: the tsx loader in the child keeps a SIGTERM from ending it.
    for (const sb of sandboxes) sb.child.kill("SIGKILL")
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The sandbox child: serves until killed. */
const serve = () =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function*() {
        const latencyMs = Number(process.argv[process.argv.indexOf("--serve") + 1] ?? 0)
        const ory = process.argv.includes("--ory")
        const sandbox = yield* Sandbox.make({
          hashCost: 4,
          ...(latencyMs > 0 ? { latency: `${latencyMs} millis` as const } : {}),
          ...(ory ? { rateLimit: { retryAfter: true, inflight: true } } : {})
        })
        console.log(`listening on ${sandbox.url}`)
        yield* Effect.never
      })
    )
  )

if (process.argv.includes("--serve")) {
  void serve()
} else {
  main().then(() => process.exit(0), (e) => {
    console.error(e)
    process.exit(1)
  })
}
