/**
 * The `kratos-admin` executable (built into dist/bin/kratos-admin.js, a small ES module beside the
 * CLI's bundle dist/bin/main.cjs). It sets what must be set before the CLI loads, in this process:
 * signals sent to the PID a user sees reach the command; then it runs the bundle through V8's code
 * cache (./CodeCache.ts).
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as v8 from "node:v8"
import * as CodeCache from "./CodeCache.js"

/** The bundle's content hash, set by the build (scripts/build.mjs). */
declare const KRATOS_ADMIN_BUNDLE_ID: string

// A bulk import streams records through at 100k/s while its live heap stays flat (its key tables
// are typed arrays outside it). V8 sizes the next heap from how fast the program allocates, up to
// four times what is live, so RSS climbs far above what the import holds. A fixed, small growth
// factor makes it collect instead: a million-line import stays under 200 MB of RSS. Set only for
// an import (other commands may hold more), and not when the user chose heap flags.
const args = process.argv.slice(2)
const userFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)]
const chosen = (...prefixes: ReadonlyArray<string>) => userFlags.some((a) => prefixes.some((p) => a.startsWith(p)))
const isImport = args.some((a, i) => a === "identities" && args[i + 1] === "import")
const v8Flags: Array<string> = []
if (isImport && !chosen("--max-old-space-size", "--heap-growing-percent")) v8Flags.push("--heap-growing-percent=20")
// undici parses HTTP with llhttp compiled to WebAssembly. V8 runs it from its baseline compiler
// and, once a function has run enough, recompiles it with its optimizing compiler on a background
// thread; llhttp's parser is one very large function, and that compilation takes more CPU than
// the rest of a one-shot command, which then waits for it to finish before it can exit. Fifty
// times V8's default budget keeps a command that reads a few responses on the baseline code, while
// a long import or export still gets the optimized parser.
if (!chosen("--wasm-tiering-budget", "--liftoff", "--no-liftoff", "--wasm-tier-up", "--no-wasm-tier-up")) {
  v8Flags.push("--wasm-tiering-budget=90000000")
}
// V8 recompiles a function with its optimizing compiler, on a background thread, once the function
// has run a budget of bytecode three times over. Most of the bundle's code runs only while a
// command starts, and at V8's budget a one-shot command spent a good part of its CPU time
// optimizing code it would not run again. Ten times the budget leaves that code in the
// interpreter and its baseline compiler, and costs a long command only the first few milliseconds
// of each hot function. Not for an import, whose throughput is tuned with V8's defaults.
if (!isImport && !chosen("--interrupt-budget", "--ticks-before-optimization", "--no-opt", "--always-turbofan")) {
  v8Flags.push("--interrupt-budget=675840")
}
// V8 starts the young generation at 1 MB and doubles it after each collection, so the few
// megabytes a command allocates while it starts cost half a dozen collections. Growing it
// sixteenfold at once reaches the size V8 would settle on with two. (The heap's initial size is
// fixed before this runs: only the growth can be set here.)
if (!chosen("--semi-space", "--min-semi-space", "--max-semi-space")) v8Flags.push("--semi-space-growth-factor=16")
for (const flag of v8Flags) v8.setFlagsFromString(flag)

// what the code cache records as seen: the command's first words (a flag's value is skipped when
// it does not look like a command word, such as a URL; an odd one only costs a cache rewrite)
const help = args.includes("--help") || args.includes("-h")
const command = help ? "help" : args.filter((a) => /^[a-z][a-z-]*$/.test(a)).slice(0, 2).join(" ")

CodeCache.run({
  bundle: path.join(path.dirname(fileURLToPath(import.meta.url)), "main.cjs"),
  bundleId: KRATOS_ADMIN_BUNDLE_ID,
  v8Flags,
  command,
  env: process.env
})
