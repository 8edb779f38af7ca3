/**
 * Start-up of `kratos-admin`, measured side by side with `node -e 0` in one run (alternated, so
 * both see the same machine): a one-shot command against a loopback sandbox (target: within 3×
 * `node -e 0`), `--help`, and the REPL's first prompt, from the binary and from `npm start`
 * (target: within 1 s on a warm install). Wall times of spawned processes; medians of `RUNS`.
 *
 * `npm run bench -- startup`; `BENCH_QUICK=1` for fewer runs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const bin = path.join(root, "dist/bin/kratos-admin.js")
const RUNS = process.env.BENCH_QUICK ? 5 : 15

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
const timed = (args: ReadonlyArray<string>) => {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] })
  if (r.status !== 0) throw new Error(`${args.join(" ")}: exit ${r.status} ${r.stderr}`)
  return performance.now() - t0
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

// warm the OS file cache (and V8's compile cache, where Node has one)
timed([bin, "--url", url, "identities", "list", "--page-size", "1"])
const baseline: Array<number> = []
const oneShot: Array<number> = []
const help: Array<number> = []
for (let i = 0; i < RUNS; i++) {
  baseline.push(timed(["-e", "0"]))
  oneShot.push(timed([bin, "--url", url, "identities", "list", "--page-size", "1"]))
  help.push(timed([bin, "--help"]))
}
const replRuns = process.env.BENCH_QUICK ? 3 : 5
const replDirect: Array<number> = []
const replNpm: Array<number> = []
for (let i = 0; i < replRuns; i++) {
  replDirect.push(await untilOutput(process.execPath, [bin, "repl"], "kratos(sandbox)>"))
  replNpm.push(await untilOutput("npm", ["start", "--silent"], "kratos(sandbox)>"))
}
sandbox.kill("SIGINT")

const base = median(baseline)
const row = (name: string, xs: ReadonlyArray<number>, target: string) =>
  console.log(`${name.padEnd(58)} ${median(xs).toFixed(0).padStart(6)} ms  ${(median(xs) / base).toFixed(1).padStart(5)}×  ${target}`)
console.log(`start-up, medians of ${RUNS} alternated runs (REPL: ${replRuns}); Node ${process.version}, ${spawnSync("nproc").stdout?.toString().trim()} cores`)
row("node -e 0", baseline, "")
row("kratos-admin identities list --page-size 1 (loopback sandbox)", oneShot, "(target ≤ 3×)")
row("kratos-admin --help", help, "")
row("kratos-admin repl: first prompt (embedded sandbox)", replDirect, "")
row("npm start: first prompt", replNpm, "(target ≤ 1000 ms)")
process.exit(0)
