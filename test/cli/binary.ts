/**
 * Driving the `kratos-admin` binary (path from test/support/bin.ts) end to end: as a child process
 * with pipes, through a shell pipeline, in a pty, against the sandbox or a small hostile server.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFile, spawn } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Sandbox from "../../src/Sandbox.js"
import { binPath } from "../support/bin.js"

export { binPath }

export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly input?: string
  readonly env?: Record<string, string | undefined>
  readonly timeout?: number
  readonly cwd?: string
}

const baseEnv = (env: Record<string, string | undefined> = {}) => {
  const out: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

/** Runs the binary with pipes for stdin, stdout and stderr. */
export const run = (args: ReadonlyArray<string>, options: RunOptions = {}) =>
  new Promise<Result>((resolve) => {
    const child = execFile(process.execPath, [binPath, ...args], {
      env: baseEnv(options.env),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      timeout: options.timeout ?? 60_000,
      maxBuffer: 64 * 1024 * 1024
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end(options.input ?? "")
  })

/** Runs a bash script (`$KA` is the binary); stdout, stderr and the exit code of the script. */
export const sh = (script: string, options: RunOptions = {}) =>
  new Promise<Result>((resolve) => {
    const child = spawn("bash", ["-c", `set -o pipefail\n${script}`], {
      env: { ...baseEnv(options.env), KA: `${process.execPath} ${binPath}`, NODE: process.execPath, BIN: binPath }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeout ?? 60_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout, stderr })
    })
    child.stdin.end(options.input ?? "")
  })

/** The pty driver (python3's pty module). */
export const ptyDriver = path.join(path.dirname(fileURLToPath(import.meta.url)), "pty_driver.py")

export type PtyStep =
  | { readonly send: string; readonly pause?: number }
  | { readonly expect: string; readonly timeout?: number }
  | { readonly sleep: number }
  | { readonly eof: true }

/** Runs the binary in a pty through the steps; the driver's verdict and everything the terminal showed. */
export const pty = (steps: ReadonlyArray<PtyStep>, args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  new Promise<{ ok: boolean; failed_step: number | null; output: string; exit: number | null }>((resolve, reject) => {
    execFile("python3", [ptyDriver, JSON.stringify(steps), process.execPath, binPath, ...args], {
      env: { ...baseEnv(env), TERM: "xterm" },
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024
    }, (error, stdout) => {
      try {
        resolve(JSON.parse(stdout))
      } catch {
        reject(error ?? new Error(`pty driver printed: ${stdout}`))
      }
    })
  })

/** A sandbox for the life of a test file. */
export const sandbox = async (options: Parameters<typeof Sandbox.make>[0] = {}) => {
  const scope = Effect.runSync(Scope.make())
  const s = await Effect.runPromise(Scope.extend(Sandbox.make(options), scope))
  return {
    url: s.url,
    /** The sandbox's log of handled requests (method, path without query, operation, status). */
    requests: () => Effect.runPromise(s.requests),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** Creates `count` identities through batch PATCH; `pad` bytes of metadata make each one bigger. */
/**
 * `kratos-admin sandbox ARGS` from the binary on a free-looking port, resolved once it listens;
 * `stop` sends SIGINT and resolves with the exit code.
 */
export const sandboxBinary = async (args: ReadonlyArray<string>) => {
  // port 0: the system picks a free one, which the sandbox names in its first line
  const child = spawn(process.execPath, [binPath, "sandbox", "--port", "0", ...args], {
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  child.stderr.on("data", (d) => (err += d))
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d
      const listening = /listening on (http:\/\/\S+?)(?:\s|$)/.exec(out)
      if (listening !== null) resolve(listening[1])
    })
    child.on("exit", (code) => reject(new Error(`sandbox exited (${code}): ${out}${err}`)))
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { base, out, stop: () => (child.kill("SIGINT"), exited) }
}

export const seed = async (url: string, count: number, pad = 0, prefix = "seed") => {
  for (let start = 0; start < count; start += 1000) {
    const identities = []
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      identities.push({
        create: {
          schema_id: "default",
          traits: { email: `${prefix}-${i}@example.com` },
          external_id: `${prefix}-${i}`,
          ...(pad > 0 ? { metadata_public: { pad: "x".repeat(pad) } } : {})
        }
      })
    }
    const res = await fetch(`${url}/admin/identities`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identities })
    })
    if (res.status !== 200) throw new Error(`seed: ${res.status} ${await res.text()}`)
  }
}

/** A loopback HTTP server answering with `handler` (hostile servers: 401/403/429, stalls). */
export const server = async (handler: http.RequestListener) => {
  const sockets = new Set<import("node:net").Socket>()
  const s = http.createServer(handler)
  s.on("connection", (c) => (sockets.add(c), c.on("close", () => sockets.delete(c))))
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))
  const port = (s.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of sockets) c.destroy()
        s.close(() => resolve())
      })
  }
}

/** A JSON answer in Kratos' error envelope. */
export const kratosError = (res: http.ServerResponse, status: number, reason: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify({ error: { code: status, status: reason, message: `${reason} (test server)`, reason } }))
}
