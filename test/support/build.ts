/**
 * Vitest global setup: builds the binary the end-to-end tests run (`binPath`) when it is missing
 * or older than a source, so a test never runs yesterday's binary. An up-to-date build is left as
 * it is (a few milliseconds of `stat`s).
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { root } from "./bin.js"

export default function setup(): void {
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs"), "--bin", "--if-stale"], { cwd: root, stdio: "inherit" })
}
