/**
 * Drives the `kratos-admin` binary in a pseudo-terminal through test/cli/pty_driver.py (python3's
 * pty module: node-pty needs an install script).
 */
import { execFile } from "node:child_process"
import * as path from "node:path"
import { binPath, root } from "./bin.js"

export type Step =
  | { readonly send: string; readonly pause?: number }
  | { readonly expect: string; readonly timeout?: number }
  | { readonly sleep: number }
  | { readonly eof: true }

export interface Driven {
  readonly ok: boolean
  readonly failed_step: number | null
  readonly exit: number | string
  readonly output: string
}

const driver = path.join(root, "test/cli/pty_driver.py")

/** Runs `kratos-admin ...args` in a pty through `steps`, with only `env` (and PATH, HOME, TERM) set. */
export const drive = (steps: ReadonlyArray<Step>, env: Record<string, string>, args: ReadonlyArray<string> = ["repl"]) =>
  new Promise<Driven>((resolve, reject) => {
    execFile("python3", [driver, JSON.stringify(steps), process.execPath, binPath, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: "xterm", ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 170_000
    }, (error, stdout) => {
      if (error && !stdout) return reject(error)
      resolve(JSON.parse(stdout))
    })
  })

/** Where a drive failed, with the end of the output ("" when it did not). */
export const failure = (r: Driven): string =>
  r.failed_step === null ? "" : `failed at step ${r.failed_step}:\n${r.output.slice(-3000)}`
