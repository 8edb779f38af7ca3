#!/usr/bin/env node
// The `kratos-admin` binary: runs the TypeScript CLI compiled once by esbuild (cached, rebuilt when
// a source changes), or through tsx when it cannot be compiled. No build step is needed.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { run } from "./compile.js"

const args = process.argv.slice(2)
const heapFlag = (a) => a.startsWith("--max-old-space-size")
const heapChosen = process.execArgv.some(heapFlag) || (process.env.NODE_OPTIONS ?? "").split(/\s+/).some(heapFlag)

// A bulk import keeps its JavaScript heap flat (its key tables are typed arrays outside it), but
// V8 grows the heap rather than collect while records stream through at 100k/s: a cap makes it
// collect, which holds a million-line import under 200 MB of RSS for ~5% of speed. Only there:
// other commands may legitimately hold more. `--max-old-space-size` (or NODE_OPTIONS) overrides.
const isImport = args.some((a, i) => a === "identities" && args[i + 1] === "import")
if (!heapChosen && isImport) {
  const child = spawn(
    process.execPath,
    ["--max-old-space-size=160", ...process.execArgv, fileURLToPath(import.meta.url), ...args],
    { stdio: "inherit" }
  )
  // Ctrl-C reaches both processes from the terminal: the import handles it, this one waits
  process.on("SIGINT", () => {})
  process.on("SIGTERM", () => child.kill("SIGTERM"))
  child.on("exit", (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    }
    else process.exit(code ?? 1)
  })
} else {
  await run(fileURLToPath(new URL("../repl/main.ts", import.meta.url)))
}
