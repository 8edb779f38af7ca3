/**
 * The `kratos-admin` executable (bundled into dist/bin/kratos-admin.js). It sets what must be set
 * before the CLI loads, in this process: signals sent to the PID a user sees reach the command.
 */
import * as nodeModule from "node:module"
import * as v8 from "node:v8"

// V8's code cache for the CLI's modules, kept in the OS's temporary directory (never inside the
// installed package). Node 22.1 and later; older versions compile from source every time.
const compileCache = nodeModule as unknown as { readonly enableCompileCache?: () => unknown }
compileCache.enableCompileCache?.()

// A bulk import streams records through at 100k/s while its live heap stays flat (its key tables
// are typed arrays outside it). V8 sizes the next heap from how fast the program allocates, up to
// four times what is live, so RSS climbs far above what the import holds. A fixed, small growth
// factor makes it collect instead: a million-line import stays under 200 MB of RSS. Set only for
// an import (other commands may hold more), and not when the user chose heap flags.
const args = process.argv.slice(2)
const heapFlag = (a: string) => a.startsWith("--max-old-space-size") || a.startsWith("--heap-growing-percent")
const heapChosen = process.execArgv.some(heapFlag) || (process.env.NODE_OPTIONS ?? "").split(/\s+/).some(heapFlag)
const isImport = args.some((a, i) => a === "identities" && args[i + 1] === "import")
if (isImport && !heapChosen) v8.setFlagsFromString("--heap-growing-percent=20")

await import("./main.js")
