/**
 * Start-up of `kratos-admin`, measured side by side with `node -e 0` in one run (alternated, so
 * both see the same machine): a one-shot command against a loopback sandbox (target: within 3×
 * `node -e 0` on a warm install), `--help`, and the REPL's first prompt, from the binary and from
 * `npm start` (target: within 1 s on a warm install). Wall times of spawned processes, medians of
 * `RUNS`; on Linux also the children's mean CPU time (user + system, all threads, until reaped).
 *
 * The binary runs from V8's code cache (repl/CodeCache.ts), kept here in a directory of the
 * bench's own: "warm" rows run with the cache the previous runs wrote, "cold" rows each with an
 * empty one (as after an install or an upgrade; that run also writes the cache at exit), and a
 * row without the cache (`KRATOS_ADMIN_NO_COMPILE_CACHE=1`).
 *
 * `npm run bench -- startup`; `BENCH_QUICK=1` for fewer runs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const bin = path.join(root, "dist/bin/kratos-admin.js")
const RUNS = process.env.BENCH_QUICK ? 5 : 15

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
const cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), "kratos-bench-cache-"))
const warmCache = path.join(cacheRoot, "warm")
let coldRuns = 0
/** A cache directory nothing ran with yet. */
const coldCache = () => path.join(cacheRoot, `cold-${coldRuns++}`)

// The children's CPU time so far (Linux: /proc/self/stat counts reaped children, in clock ticks).
const ticks = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100
const childCpu = (): number | undefined => {
  try {
    const fields = fs.readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ")
    return ((Number(fields[13]) + Number(fields[14])) / ticks) * 1000
  } catch {
    return undefined
  }
}

interface Sample {
  readonly wall: Array<number>
  cpu: number | undefined
}
const sample = (): Sample => ({ wall: [], cpu: 0 })
const timed = (into: Sample, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = { XDG_CACHE_HOME: warmCache }) => {
  const cpu0 = childCpu()
  const t0 = performance.now()
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } })
  into.wall.push(performance.now() - t0)
  const cpu1 = childCpu()
  into.cpu = into.cpu === undefined || cpu0 === undefined || cpu1 === undefined ? undefined : into.cpu + cpu1 - cpu0
  if (r.status !== 0) throw new Error(`${args.join(" ")}: exit ${r.status} ${r.stderr}`)
}

/**
 * Milliseconds until `marker` appears on the child's terminal. The REPL prompts only on a
 * terminal, so the child runs on a pseudo-terminal (python3's `pty`).
 */
const untilOutput = (command: string, args: ReadonlyArray<string>, marker: string, env: NodeJS.ProcessEnv = {}) =>
  new Promise<number>((resolve, reject) => {
    const t0 = performance.now()
    const child: ChildProcess = spawn("python3", ["-c", "import pty, sys; pty.spawn(sys.argv[1:])", command, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let out = ""
    const onData = (d: Buffer) => {
      out += d.toString()
      if (out.includes(marker)) {
        resolve(performance.now() - t0)
        child.stdin!.end("exit\n")
        child.kill("SIGTERM")
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.on("exit", () => reject(new Error(`${command} ${args.join(" ")} exited before "${marker}": ${out}`)))
  }).catch((e) => (console.log(String(e)), NaN))

const sandbox = spawn(process.execPath, [bin, "sandbox", "--port", "0", "--demo"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
const url = await new Promise<string>((resolve) => {
  let out = ""
  sandbox.stdout!.on("data", (d: Buffer) => {
    out += d.toString()
    const m = /listening on (http:\/\/\S+)/.exec(out)
    if (m) resolve(m[1]!)
  })
})

const list = [bin, "--url", url, "identities", "list", "--page-size", "1"]
// warm the OS file cache, and write the warm code cache (a cache is extended once per command)
for (const args of [list, [bin, "--help"], [bin, "repl", "--help"]]) timed(sample(), args)
const baseline = sample()
const oneShot = sample()
const oneShotCold = sample()
const oneShotUncached = sample()
const help = sample()
const helpCold = sample()
for (let i = 0; i < RUNS; i++) {
  timed(baseline, ["-e", "0"])
  timed(oneShot, list)
  timed(oneShotCold, list, { XDG_CACHE_HOME: coldCache() })
  timed(oneShotUncached, list, { KRATOS_ADMIN_NO_COMPILE_CACHE: "1" })
  timed(help, [bin, "--help"])
  timed(helpCold, [bin, "--help"], { XDG_CACHE_HOME: coldCache() })
}
const replRuns = process.env.BENCH_QUICK ? 3 : 5
const replDirect: Array<number> = []
const replNpm: Array<number> = []
for (let i = 0; i < replRuns; i++) {
  replDirect.push(await untilOutput(process.execPath, [bin, "repl"], "kratos(sandbox)>", { XDG_CACHE_HOME: warmCache }))
  replNpm.push(await untilOutput("npm", ["start", "--silent"], "kratos(sandbox)>", { XDG_CACHE_HOME: warmCache }))
}
sandbox.kill("SIGINT")

fs.rmSync(cacheRoot, { recursive: true, force: true })

const base = median(baseline.wall)
const row = (name: string, xs: Sample | ReadonlyArray<number>, target: string) => {
  const wall = "wall" in xs ? xs.wall : xs
  const cpu = "wall" in xs && xs.cpu !== undefined ? `${(xs.cpu / xs.wall.length).toFixed(0).padStart(5)} ms` : "".padStart(8)
  console.log(`${name.padEnd(62)} ${median(wall).toFixed(0).padStart(6)} ms  ${(median(wall) / base).toFixed(1).padStart(5)}×  ${cpu}  ${target}`)
}
console.log(`start-up, medians of ${RUNS} alternated runs (REPL: ${replRuns}); Node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`)
console.log(`${"".padEnd(62)} ${"wall".padStart(9)}  ${"".padStart(6)}  ${"CPU/run".padStart(8)}`)
row("node -e 0", baseline, "")
row("kratos-admin identities list --page-size 1 (loopback sandbox)", oneShot, "(target ≤ 3×)")
row("  the same, cold: empty code cache (first run after install)", oneShotCold, "")
row("  the same, KRATOS_ADMIN_NO_COMPILE_CACHE=1", oneShotUncached, "")
row("kratos-admin --help", help, "")
row("  the same, cold: empty code cache", helpCold, "")
row("kratos-admin repl: first prompt (embedded sandbox)", replDirect, "")
row("npm start: first prompt", replNpm, "(target ≤ 1000 ms)")
process.exit(0)
