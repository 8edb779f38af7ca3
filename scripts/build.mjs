#!/usr/bin/env node
// The package build. `node scripts/build.mjs` builds everything the tarball ships:
// - dist/*.js, *.d.ts and their maps: the library, one ES module per source module (tsc);
// - dist/bin/: the `kratos-admin` binary: repl/main.ts bundled with its dependencies by esbuild
//   into main.cjs, and the launcher kratos-admin.js (repl/bin.ts) that runs it from V8's code cache.
// `--bin` builds only the binary; `--if-stale` skips what is newer than every input.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { dependencyPatchesPlugin } from "./dependency-patches.mjs"
import { lazyBuiltinsPlugin } from "./lazy-builtins.mjs"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const args = process.argv.slice(2)
const onlyBin = args.includes("--bin")
const ifStale = args.includes("--if-stale")

// the newest modification (files and directories, so a deleted file counts) under the inputs
const newest = (paths) => {
  let max = 0
  const visit = (p) => {
    let s
    try {
      s = statSync(p)
    } catch {
      return
    }
    max = Math.max(max, s.mtimeMs)
    if (s.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name))
  }
  for (const p of paths) visit(join(root, p))
  return max
}
const mtime = (p) => {
  try {
    return statSync(join(root, p)).mtimeMs
  } catch {
    return -1
  }
}
const common = ["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs", "scripts/lazy-builtins.mjs", "scripts/dependency-patches.mjs"]
const binStale = () => mtime("dist/bin/kratos-admin.js") < newest(["src", "repl", ...common])
const libStale = () => mtime("dist/index.d.ts") < newest(["src", "tsconfig.build.json", ...common])

const undiciAgentOnly = {
  name: "undici-agent-only",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: join(root, "scripts", "undici-agent.mjs") }))
    // undici's HTTP/2 client (and with it `node:http2`) is loaded with the HTTP/1 one, though it is
    // used only for a connection that negotiated h2 (the client never offers it: `allowH2` is
    // off). Loaded on its first call instead: the same function, one start-up cost less.
    build.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) =>
      args.importer.endsWith(join("undici", "lib", "dispatcher", "client.js"))
        ? { path: "undici/lib/dispatcher/client-h2.js", namespace: "undici-lazy-h2", pluginData: args.resolveDir }
        : undefined)
    build.onLoad({ filter: /.*/, namespace: "undici-lazy-h2" }, (args) => ({
      contents: `module.exports = function connectH2(...args) { return require("./client-h2.js")(...args) }`,
      resolveDir: args.pluginData,
      loader: "js"
    }))
  }
}

// Dependencies a command loads only on demand and that share nothing with the rest of the CLI
// (no Effect inside): OpenTelemetry's SDK and exporters, jq's WebAssembly build, the YAML printer.
// They are bundled into files of their own, dist/bin/vendor/<group>.cjs, loaded by `require` when
// first used, which keeps them out of main.cjs: that file is read, and its line ends are indexed by
// V8 for the first stack trace, at every start-up, and their megabytes would double it.
const vendorGroup = (specifier) =>
  /^@opentelemetry\//.test(specifier) ? "opentelemetry" : /^(jq-wasm|yaml)(\/|$)/.test(specifier) ? specifier.split("/")[0] : undefined

/** Sends vendored imports to their group's file, and records which ones the CLI uses. */
const vendorSplit = (used) => ({
  name: "vendor-split",
  setup(build) {
    build.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path, external: true }))
    build.onResolve({ filter: /^[@a-z]/ }, (args) => {
      const group = vendorGroup(args.path)
      if (group === undefined || args.namespace === "vendor") return undefined
      ;(used[group] ??= new Set()).add(args.path)
      return { path: args.path, namespace: "vendor", pluginData: group }
    })
    build.onLoad({ filter: /.*/, namespace: "vendor" }, (args) => ({
      contents: `module.exports = require("./vendor/${args.pluginData}.cjs")[${JSON.stringify(args.path)}]`,
      loader: "js"
    }))
  }
})

/** One vendor file: every specifier of its group the CLI imports, by name. */
const buildVendor = (esbuild, outdir, group, specifiers) =>
  esbuild.build({
    absWorkingDir: root,
    stdin: {
      contents: `module.exports = {\n${[...specifiers].sort().map((s) => `  ${JSON.stringify(s)}: require(${JSON.stringify(s)})`).join(",\n")}\n}\n`,
      resolveDir: root,
      sourcefile: `vendor/${group}.cjs`,
      loader: "js"
    },
    outfile: join(outdir, "vendor", `${group}.cjs`),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    legalComments: "linked",
    logLevel: "warning"
  })

const buildBin = async () => {
  const esbuild = await import("esbuild")
  const out = join(root, "dist", "bin")
  // built beside, then swapped in: a binary that is running keeps its files
  const temp = join(root, "dist", `.bin-${process.pid}`)
  // The CLI is one CommonJS bundle run through a `vm.Script` with V8's code cache (see
  // repl/CodeCache.ts): Node 20 caches no compiled ES modules, and an ES module cannot be run from
  // a code cache. The parts a command may not need (the REPL, the sandbox, the importer,
  // OpenTelemetry, jq) stay lazy: esbuild turns their `import()` into a `require` of a module
  // that is evaluated on first use only.
  const used = {}
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: "repl/main.ts" },
    outdir: temp,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    supported: { "dynamic-import": false },
    // the module wrapper is part of the file, so the launcher compiles it as it is read (wrapping
    // it there would copy megabytes of source into a new string at every start)
    banner: { js: "(function (exports, require, module, __filename, __dirname) {" },
    footer: { js: "})" },
    // a native addon stays a dependency, loaded from node_modules
    external: ["@node-rs/bcrypt"],
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "linked",
    plugins: [undiciAgentOnly, vendorSplit(used), lazyBuiltinsPlugin, dependencyPatchesPlugin],
    logLevel: "warning"
  })
  for (const [group, specifiers] of Object.entries(used)) await buildVendor(esbuild, temp, group, specifiers)
  const bundle = readFileSync(join(temp, "main.cjs"))
  // read as latin1 by the launcher, which decodes ASCII alone the same as utf8 (and faster)
  const nonAscii = bundle.findIndex((b) => b > 0x7f)
  if (nonAscii !== -1) {
    throw new Error(`dist/bin/main.cjs: a non-ASCII byte at offset ${nonAscii}: ${bundle.subarray(Math.max(0, nonAscii - 60), nonAscii + 20)}`)
  }
  // The launcher is CommonJS too (dist/bin/package.json says so): Node starts a CommonJS main
  // module without setting up its ES module loader, a cost every command would pay.
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { "kratos-admin": "repl/bin.ts" },
    outdir: temp,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    define: {
      KRATOS_ADMIN_BUNDLE_ID: JSON.stringify(createHash("sha256").update(bundle).digest("hex").slice(0, 16)),
      "import.meta.url": "__launcherUrl"
    },
    banner: { js: "#!/usr/bin/env node\nconst __launcherUrl = require(\"node:url\").pathToFileURL(__filename).href;" },
    logLevel: "warning"
  })
  writeFileSync(join(temp, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`)
  chmodSync(join(temp, "kratos-admin.js"), 0o755)
  const old = join(root, "dist", `.bin-old-${process.pid}`)
  if (existsSync(out)) renameSync(out, old)
  renameSync(temp, out)
  rmSync(old, { recursive: true, force: true })
}

const buildLib = () => {
  // a module deleted from src/ leaves no stale output behind
  if (existsSync(join(root, "dist"))) {
    for (const name of readdirSync(join(root, "dist"))) if (name !== "bin") rmSync(join(root, "dist", name), { recursive: true, force: true })
  }
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
  const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

if (!onlyBin && (!ifStale || libStale())) buildLib()
if (!ifStale || binStale()) await buildBin()
