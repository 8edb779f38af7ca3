/**
 * Sandbox benchmark: 100,000 identities (hashed passwords) read page by page over HTTP (the
 * first 10 pages must cost about the same as the last 10: keyset pagination is O(page)), then
 * getIdentity throughput over one undici Pool, and the server's RSS. The server runs in a child
 * process so client and server do not share an event loop.
 *
 *   npm run bench -- sandbox        (or: node scripts/run-ts.mjs bench/sandbox.ts)
 */
import { fork } from "node:child_process"
import { nextMessage } from "./child.js"
import * as http from "node:http"
import * as bcrypt from "@node-rs/bcrypt"
import * as Effect from "effect/Effect"
import { Pool } from "undici"
import * as Sandbox from "../src/Sandbox.js"

const total = Number(process.env.BENCH_IDENTITIES ?? 100_000)
const pageSize = 500
const concurrency = 32
const seconds = Number(process.env.BENCH_SECONDS ?? 4)

type Msg = { readonly type: "ready"; readonly url: string } | { readonly type: "loaded"; readonly ms: number; readonly ids: Array<string>; readonly trivialUrl: string } | { readonly type: "rss"; readonly rss: number }

if (process.argv.includes("--serve")) {
  // Child: the server.
  const send = (m: Msg) => process.send!(m)
  Effect.runFork(Effect.scoped(Effect.gen(function*() {
    const sb = yield* Sandbox.make({})
    send({ type: "ready", url: sb.url })
    const hashed = bcrypt.hashSync("bench-password", { cost: 4 })
    const commands = yield* Effect.async<never, never, never>((_resume) => {
      process.on("message", (m: { type: string }) => {
        if (m.type === "load") {
          const started = performance.now()
          const ids: Array<string> = []
          for (let off = 0; off < total; off += 10_000) {
            const chunk = Array.from({ length: Math.min(10_000, total - off) }, (_, n) => ({
              traits: { email: `user${off + n}@bench.example.com`, name: { first: "Bench", last: String(off + n) } },
              credentials: { password: { config: { hashed_password: hashed } } },
              metadata_public: { n: off + n }
            }))
            const inserted = Effect.runSync(sb.insertIdentities(chunk))
            for (const i of inserted) ids.push(i.id)
          }
          // A trivial node:http server answering a same-sized identity, in the same process: the
          // ceiling this machine (and client) allows, to read the req/s figure against.
          const sample = JSON.stringify(Effect.runSync(sb.identities)[0])
          const trivial = http.createServer((_req, res) => {
            res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(sample) })
            res.end(sample)
          })
          trivial.listen(0, "127.0.0.1", () => {
            const { port } = trivial.address() as { port: number }
            send({ type: "loaded", ms: performance.now() - started, ids, trivialUrl: `http://127.0.0.1:${port}` })
          })
        } else if (m.type === "rss") {
          ;(globalThis as { gc?: () => void }).gc?.()
          send({ type: "rss", rss: process.memoryUsage().rss })
        } else if (m.type === "exit") process.exit(0) // flushes --cpu-prof
      })
    })
    return commands
  })))
} else {
  const child = fork("scripts/run-ts.mjs", ["bench/sandbox.ts", "--serve"], { execArgv: ["--expose-gc", ...(process.env.BENCH_PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : [])], stdio: "inherit" })
  const next = nextMessage<Msg>(child)
  const main = async () => {
    const { url } = await next("ready")
    child.send({ type: "load" })
    const loaded = await next("loaded")
    child.send({ type: "rss" })
    const rssLoaded = (await next("rss")).rss
    const pool = new Pool(url, { connections: concurrency, pipelining: 1 })

    // Warm the JIT on the first pages, so the first-10 vs last-10 comparison measures paging only.
    for (let n = 0; n < 20; n++) {
      const res = await pool.request({ path: `/admin/identities?page_size=${pageSize}`, method: "GET" })
      await res.body.arrayBuffer()
    }
    // Page through everything.
    const pageTimes: Array<number> = []
    let path: string | undefined = `/admin/identities?page_size=${pageSize}`
    let read = 0
    const pagesStarted = performance.now()
    const paths: Array<string> = []
    while (path) {
      paths.push(path)
      const t = performance.now()
      const res = await pool.request({ path, method: "GET" })
      const items = (await res.body.json()) as Array<unknown>
      pageTimes.push(performance.now() - t)
      read += items.length
      const link = String(res.headers.link ?? "")
      const m = /<([^>]*)>; rel="next"/.exec(link)
      path = m ? m[1] : undefined
    }
    const pagesMs = performance.now() - pagesStarted
    if (process.env.BENCH_DEBUG) console.log(pageTimes.map((t) => t.toFixed(1)).join(" "))
    // Medians: a single major GC pause on a 100k-identity heap would swamp a mean of ten.
    const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

    // First 10 vs last 10 pages, interleaved over 5 rounds so load noise hits both alike.
    const timePage = async (p: string) => {
      const t = performance.now()
      const res = await pool.request({ path: p, method: "GET" })
      await res.body.arrayBuffer()
      return performance.now() - t
    }
    const firstTimes: Array<number> = []
    const lastTimes: Array<number> = []
    for (let round = 0; round < 5; round++) {
      const first = paths.slice(0, 10)
      const last = paths.slice(-10)
      for (let n = 0; n < Math.min(first.length, last.length); n++) {
        firstTimes.push(await timePage(first[n]))
        lastTimes.push(await timePage(last[n]))
      }
    }

    // getIdentity throughput.
    const ids = loaded.ids
    const throughput = async (target: Pool) => {
      let done = 0
      let errors = 0
      const deadline = performance.now() + seconds * 1000
      const worker = async (seed: number) => {
        let k = seed
        while (performance.now() < deadline) {
          k = (k * 1103515245 + 12345) >>> 0
          const res = await target.request({ path: `/admin/identities/${ids[k % ids.length]}`, method: "GET" })
          await res.body.arrayBuffer()
          if (res.statusCode === 200) done++
          else errors++
        }
      }
      const t0 = performance.now()
      await Promise.all(Array.from({ length: concurrency }, (_, n) => worker(n + 1)))
      return { rps: done / ((performance.now() - t0) / 1000), errors }
    }
    const { errors, rps } = await throughput(pool)
    const trivialPool = new Pool(loaded.trivialUrl, { connections: concurrency, pipelining: 1 })
    const trivial = await throughput(trivialPool)
    await trivialPool.close()
    child.send({ type: "rss" })
    const rssAfter = (await next("rss")).rss
    await pool.close()
    child.send({ type: "exit" })

    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`
    const rows: Array<[string, string]> = [
      ["identities loaded (insertIdentities)", `${loaded.ids.length} in ${(loaded.ms / 1000).toFixed(1)} s`],
      ["pages read (page_size 500)", `${pageTimes.length} pages, ${read} identities in ${(pagesMs / 1000).toFixed(2)} s`],
      ["per page, first 10 (median, 5 interleaved rounds)", `${median(firstTimes).toFixed(1)} ms`],
      ["per page, last 10 (median, 5 interleaved rounds)", `${median(lastTimes).toFixed(1)} ms`],
      ["per page, whole pass (median)", `${median(pageTimes).toFixed(1)} ms`],
      [`getIdentity, ${concurrency} concurrent, ${seconds} s`, `${rps.toFixed(0)} req/s (${errors} errors)`],
      ["  same client vs a trivial node:http server", `${trivial.rps.toFixed(0)} req/s (the machine's ceiling)`],
      ["server RSS after load", mb(rssLoaded)],
      ["server RSS after reads", mb(rssAfter)]
    ]
    const w = Math.max(...rows.map(([k]) => k.length))
    console.log(`| ${"measure".padEnd(w)} | value |`)
    console.log(`| ${"-".repeat(w)} | ----- |`)
    for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v} |`)
    const ok = read === total && rssAfter < 1024 ** 3
    if (!ok) {
      console.error("bench check failed: every identity must be read and the RSS must stay under 1 GB")
      process.exit(1)
    }
  }
  main().catch((e) => {
    console.error(e)
    child.kill()
    process.exit(1)
  })
}
