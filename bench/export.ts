/**
 * Export benchmark: 100,000 identities (password hashes, half with OIDC providers) exported from a
 * sandbox in a child process, against raw paging of the same list with undici (page size 500, the
 * same `include_credential`, each body parsed). Runs alternate (raw, export, export, raw, ...) so
 * drift of the machine hits both; the ratio of medians is the figure, and each export is also set against the raw run of its round. The exporter's peak RSS and
 * heap are sampled to show memory stays flat whatever the count. A third path exports through the
 * CLI's `--where` predicate (jq, compiled once, evaluated a page at a time) keeping half the
 * identities: reported beside the others, with no target of its own.
 *
 *   npm run bench -- export        (BENCH_IDENTITIES=20000 for a quick run)
 */
import { fork } from "node:child_process"
import { nextMessage } from "./child.js"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Pool } from "undici"
import * as Export from "../src/Export.js"
import * as IdentityApi from "../src/IdentityApi.js"
import * as Sandbox from "../src/Sandbox.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { wherePredicate } from "../repl/commands/bulkCommand.js"

const total = Number(process.env.BENCH_IDENTITIES ?? 100_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const pageSize = 500
const include = "include_credential=password&include_credential=oidc"

type Msg =
  | { readonly type: "ready"; readonly url: string }
  | { readonly type: "loaded"; readonly ms: number }
  | { readonly type: "cpu"; readonly ms: number }

if (process.argv.includes("--serve")) {
  const send = (m: Msg) => process.send!(m)
  Effect.runFork(Effect.scoped(Effect.gen(function*() {
    const sb = yield* Sandbox.make({})
    const hashed = bcrypt.hashSync("bench-password", { cost: 4 })
    const started = performance.now()
    for (let off = 0; off < total; off += 10_000) {
      const chunk = Array.from({ length: Math.min(10_000, total - off) }, (_, k) => {
        const n = off + k
        return {
          external_id: `bench-${n}`,
          traits: { email: `user${n}@bench.example.com`, name: { first: "Bench", last: String(n) } },
          metadata_public: { n },
          credentials: {
            password: { config: { hashed_password: hashed } },
            ...(n % 2 === 0 ? { oidc: { config: { providers: [{ provider: "google", subject: `g-${n}` }] } } } : {})
          }
        }
      })
      yield* sb.insertIdentities(chunk)
    }
    // the server's own CPU time, asked around each run: what the 2 processes share of the cores
    process.on("message", (m: { type: string }) => {
      if (m.type === "cpu") {
        const c = process.cpuUsage()
        send({ type: "cpu", ms: (c.user + c.system) / 1000 })
      }
    })
    send({ type: "ready", url: sb.url })
    send({ type: "loaded", ms: performance.now() - started })
    return yield* Effect.never
  })))
} else {
  const child = fork("scripts/run-ts.mjs", ["bench/export.ts", "--serve"], { stdio: "inherit" })
  const next = nextMessage<Msg>(child)

  const serverCpu = () => {
    const answer = next("cpu")
    child.send({ type: "cpu" })
    return answer.then((m) => m.ms)
  }

  /** Peak RSS and heap while `f` runs, sampled every 20 ms; the client's and the server's CPU time. */
  const sampled = async <A>(f: () => Promise<A>) => {
    ;(globalThis as { gc?: () => void }).gc?.()
    const base = process.memoryUsage()
    let rss = base.rss
    let heap = base.heapUsed
    const timer = setInterval(() => {
      const m = process.memoryUsage()
      rss = Math.max(rss, m.rss)
      heap = Math.max(heap, m.heapUsed)
    }, 20)
    const server0 = await serverCpu()
    const cpu0 = process.cpuUsage()
    const started = performance.now()
    const value = await f()
    const ms = performance.now() - started
    const c = process.cpuUsage(cpu0)
    const serverMs = (await serverCpu()) - server0
    clearInterval(timer)
    return { value, ms, cpuMs: (c.user + c.system) / 1000, serverMs, rss, heap, baseRss: base.rss }
  }

  const raw = async (url: string) => {
    const pool = new Pool(url, { connections: 1 })
    let token = "00000000-0000-0000-0000-000000000000"
    let count = 0
    for (;;) {
      const res = await pool.request({ path: `/admin/identities?page_size=${pageSize}&page_token=${token}&${include}`, method: "GET" })
      const items = (await res.body.json()) as Array<{ id: string }>
      count += items.length
      const link = String(res.headers["link"] ?? "")
      const next = /page_token=([^&>]+)>; rel="next"/.exec(link)
      if (items.length === 0 || next === null) break
      token = next[1]
    }
    await pool.close()
    return count
  }

  const exportOnce = (url: string, file: string, where?: string) =>
    Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const api = yield* IdentityApi.make({ baseUrl: url })
        let exported = 0
        const wherePage = where === undefined ? {} : { wherePage: yield* Effect.orDie(wherePredicate(where)) }
        yield* Stream.runForEach(
          Export.toFileWith(api, file, { includeCredentials: ["password", "oidc"], pageSize, ...wherePage }),
          (e) => Effect.sync(() => {
            if (e._tag === "Finished") exported = e.report.exported
          })
        )
        return exported
      })).pipe(Effect.provide(UndiciHttpClient.layer()))
    )

  const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const cpu = (ms: ReadonlyArray<number>) => `${(median(ms) / 1000).toFixed(2)} s (${(median(ms) * 1000 / total).toFixed(1)} µs/identity)`
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`

  const main = async () => {
    const { url } = await next("ready")
    const loaded = await next("loaded")
    console.log(`server: ${total} identities loaded in ${(loaded.ms / 1000).toFixed(1)} s`)
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-export-")), "export.jsonl")
    // warm-up: JIT on both paths
    await raw(url)
    await exportOnce(url, file)
    const rawMs: Array<number> = []
    const exportMs: Array<number> = []
    const rawCpu: Array<number> = []
    const exportCpu: Array<number> = []
    const rawServer: Array<number> = []
    const exportServer: Array<number> = []
    const peaks: Array<{ rss: number; heap: number; baseRss: number }> = []
    const whereMs: Array<number> = []
    const where = ".metadata_public.n % 2 == 0"
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ["raw", "export"] : ["export", "raw"]
      for (const which of order) {
        if (which === "raw") {
          const s = await sampled(() => raw(url))
          if (s.value !== total) throw new Error(`raw paging read ${s.value}`)
          rawMs.push(s.ms)
          rawCpu.push(s.cpuMs)
          rawServer.push(s.serverMs)
        } else {
          const s = await sampled(() => exportOnce(url, file))
          if (s.value !== total) throw new Error(`export wrote ${s.value}`)
          exportMs.push(s.ms)
          exportCpu.push(s.cpuMs)
          exportServer.push(s.serverMs)
          peaks.push(s)
        }
      }
      const w = await sampled(() => exportOnce(url, `${file}.where`, where))
      if (w.value !== Math.ceil(total / 2)) throw new Error(`export --where wrote ${w.value}`)
      whereMs.push(w.ms)
    }
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").length
    const rawMed = median(rawMs)
    const expMed = median(exportMs)
    const ratio = rawMed / expMed
    const pairs = rawMs.map((m, i) => m / exportMs[i])
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`
    const rows: Array<[string, string]> = [
      ["identities", String(total)],
      ["raw paging (undici, page 500), median", `${(rawMed / 1000).toFixed(2)} s  (${Math.round(total / (rawMed / 1000))}/s)  runs ${rawMs.map((m) => (m / 1000).toFixed(2)).join(", ")}`],
      ["Export.toFile, median", `${(expMed / 1000).toFixed(2)} s  (${Math.round(total / (expMed / 1000))}/s)  runs ${exportMs.map((m) => (m / 1000).toFixed(2)).join(", ")}`],
      ["raw paging CPU client / server, median", `${cpu(rawCpu)} / ${cpu(rawServer)}`],
      ["Export.toFile CPU client / server, median", `${cpu(exportCpu)} / ${cpu(exportServer)}`],
      ["export pace / raw paging", `${(ratio * 100).toFixed(1)}%  (target >= 90%)`],
      // the box's speed drifts within minutes: each export against the raw run of its round
      ["  each export against its round's raw run", `median ${pct(median(pairs))}, range ${pct(Math.min(...pairs))}–${pct(Math.max(...pairs))}`],
      [`with --where '${where}', median`, `${(median(whereMs) / 1000).toFixed(2)} s  (${Math.round(total / (median(whereMs) / 1000))} listed/s, half kept) = ${(rawMed / median(whereMs) * 100).toFixed(1)}% of raw paging`],
      ["exporter RSS before -> peak", peaks.map((p) => `${mb(p.baseRss)} -> ${mb(p.rss)}`).join(", ")],
      ["exporter peak heap", peaks.map((p) => mb(p.heap)).join(", ")],
      ["file", `${lines} lines, ${mb(fs.statSync(file).size)}`]
    ]
    for (const [k, v] of rows) console.log(`${k.padEnd(40)} ${v}`)
    fs.rmSync(path.dirname(file), { recursive: true, force: true })
    child.kill()
    process.exit(ratio >= 0.9 && lines === total ? 0 : 1)
  }
  main().catch((e) => {
    console.error(e)
    child.kill()
    process.exit(1)
  })
}
